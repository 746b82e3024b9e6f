"""A real PostgreSQL server stops for some seconds while callers keep arriving:
the engine serves them, and once the server is back every call has all its
events in order, written once. Runs on a throwaway cluster (initdb / pg_ctl in
a temporary directory); skipped with the reason when PostgreSQL's programs are
not installed."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import gevent
import pytest
from callcenter import db
from engine_fixtures import queues_file, start_hotline, stop_hotline
from persistence_fixtures import wait_for
from test_persistence_outage import TO_AN_AGENT, assert_whole_and_once

OUTAGE_SECONDS = 30.0  # as long as the issue asks: several backoff rounds of the writer


def _pg_bin() -> Path | None:
    for candidate in [shutil.which("pg_ctl"), *sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))]:
        if candidate and Path(candidate).with_name("initdb").exists():
            return Path(candidate).resolve().parent
    return None


class Cluster:
    def __init__(self, bin_dir: Path, directory: Path) -> None:
        self.bin, self.dir = bin_dir, directory
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.as_root = os.geteuid() == 0  # the server refuses to run as root

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            shutil.chown(self.dir, "postgres")
        self._run("initdb", "-D", str(self.dir / "data"), "-U", "postgres", "-A", "trust")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def cluster(tmp_path_factory):
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server programs (initdb, pg_ctl) on PATH or in /usr/lib/postgresql")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: PostgreSQL refuses to start as root")
    directory = Path(f"/tmp/cc-pg-outage-{os.getpid()}-{int(time.time() * 1000)}")
    cluster = Cluster(bin_dir, directory)
    try:
        cluster.init()
        cluster.start()
    except (subprocess.CalledProcessError, OSError) as error:
        shutil.rmtree(directory, ignore_errors=True)
        pytest.skip(f"could not start a throwaway PostgreSQL cluster: {error}")
    yield cluster
    try:
        cluster.stop()
    except Exception:
        pass
    shutil.rmtree(directory, ignore_errors=True)


def test_a_postgresql_stop_under_load_loses_no_event_and_new_callers_are_served(
        cluster, write_config, tmp_path, monkeypatch):
    engine = db.make_engine(cluster.url)
    db.upgrade(engine)
    queues = queues_file(tmp_path, queues={"general": {"wrap_up": 1}})
    line = start_hotline(db.session_factory(engine), engine, write_config, tmp_path, monkeypatch,
                         queues=queues)
    try:
        for login in ("agent08", "agent09", "agent10", "agent11", "agent12", "agent01"):
            line.agent_ready(login)
        before = [line.sim.place_call(f"138000000{n:02d}", "10000", TO_AN_AGENT + " wait:600 hangup")
                  for n in range(1, 3)]
        for uuid in before:
            line.wait(lambda: line.agent_on(uuid), 20, "a caller before the outage was not served")

        cluster.stop()
        stopped = time.monotonic()
        during, short = [], []
        for n in range(3, 5):  # callers arriving while the server is down, who stay
            during.append(line.sim.place_call(f"138000000{n:02d}", "10000",
                                              TO_AN_AGENT + " wait:600 hangup"))
            gevent.sleep(0.3)
        line.sim.hangup_call(before[0])  # a call ends during the outage
        for uuid in during:
            line.wait(lambda: line.agent_on(uuid), 25, "a caller arriving in the outage was not served")
        n = 10
        while time.monotonic() - stopped < OUTAGE_SECONDS - 5:  # and a stream of short calls
            short.append(line.sim.place_call(f"1380000{n:04d}", "10000", TO_AN_AGENT + " wait:8 hangup"))
            n += 1
            gevent.sleep(2.5)
        for uuid in short:
            line.wait(lambda: line.engine.calllog.ended(uuid), 30, "a short call in the outage never ended")
        gevent.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped)))
        backlog = line.engine.calllog.backlog()
        assert backlog["pending"] > 0 and backlog["last_error"], backlog
        cluster.start()

        for uuid in [before[1], *during]:
            line.sim.hangup_call(uuid)
        everyone = before + during + short
        line.wait(lambda: all(line.engine.calllog.ended(u) for u in everyone), 10, "calls did not end")
        wait_for(lambda: line.engine.calllog.backlog()["pending"] == 0, 45, "the backlog never drained")
        for uuid in everyone:
            assert_whole_and_once(line.events(uuid), uuid)
            assert line.call(uuid).ended_at is not None
        served = [uuid for uuid in short if line.event(uuid, "connected")]
        assert len(short) >= 9 and served == short  # every caller of the outage reached an agent
    finally:
        stop_hotline(line)
        engine.dispose()
