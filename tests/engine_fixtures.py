"""The whole engine against the switch simulator over real sockets, on a
real (migrated, seeded) database: the wire level of the test pyramid."""
from __future__ import annotations

import gc
import socket
from datetime import datetime
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

import gevent
import pytest
import yaml
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from callcenter import seed
from callcenter.config import load_config
from callcenter.engine import Engine, build_services
from callcenter.models import Agent, Call, CallEvent, QueueMember
from callcenter.sim import Simulator

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "wire-test-password"
# A Monday morning in Shanghai: the hotline is open, no holiday.
OPEN_HOURS = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
# Modules whose greenlets belong to the engine (killed by a simulated crash);
# the simulator's own greenlets (callcenter.sim) survive it, as the switch would.
ENGINE_MODULES = ("callcenter.live", "callcenter.engine", "callcenter.esl", "callcenter.ivr",
                  "callcenter.hooks", "greenswitch")


def _cheap_hash(secret: str) -> str:
    return generate_password_hash(secret, method="pbkdf2:sha256:1000")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def queues_file(tmp_path: Path, settings: dict[str, Any] | None = None,
                queues: dict[str, dict[str, Any]] | None = None) -> Path:
    """acd/queues.yaml with some settings and queue keys replaced (short timers for tests)."""
    data = yaml.safe_load((ROOT / "acd" / "queues.yaml").read_text(encoding="utf-8"))
    data["settings"].update(settings or {})
    for name, values in (queues or {}).items():
        data["queues"][name].update(values)
    path = tmp_path / "queues.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _engine_greenlet(greenlet: gevent.Greenlet) -> bool:
    run = getattr(greenlet, "_run", None)
    owner = getattr(run, "__self__", None)
    module = type(owner).__module__ if owner is not None else getattr(run, "__module__", "") or ""
    return module.startswith(ENGINE_MODULES)


class Hotline:
    """A running engine, its simulator, and helpers that read like the situation."""

    def __init__(self, services, sim: Simulator, make_engine: Callable[[], Engine]):
        self.services, self.sim, self._make_engine = services, sim, make_engine
        self.engine = make_engine()

    # --- agents ---------------------------------------------------------------------
    def agent(self, login: str) -> Agent:
        with self.services.sessions() as session:
            return session.scalar(select(Agent).where(Agent.login == login))

    def agent_ready(self, login: str, phone: str = "answer:1") -> Agent:
        agent = self.agent(login)
        self.sim.register_phone(agent.sip_extension, phone)
        assert self.sim.wait_until(lambda: self.sim_registered(agent.sip_extension), 5)
        self.engine.live.set_agent_state(agent.id, "ready")
        return agent

    def state_of(self, login: str) -> str:
        """The agent's state in the ACD core (acd.agent_state.AgentState value)."""
        return self.engine.shell.core.agent(login).state.value

    def sim_registered(self, extension: str) -> bool:
        return extension in {r.extension for r in self.engine.switch.registrations()}

    # --- calls -------------------------------------------------------------------------
    def bridged_to(self, caller_uuid: str) -> str | None:
        channel = self.sim.channel(caller_uuid)
        return channel.bridged_to if channel else None

    def agent_on(self, caller_uuid: str) -> str | None:
        """The login of the agent whose leg is bridged to the caller, if any."""
        leg = self.bridged_to(caller_uuid)
        channel = self.sim.channel(leg) if leg else None
        return channel.variables.get("cc_agent") if channel else None

    def ringing_agents(self) -> list[str]:
        return [c.variables.get("cc_agent") for c in self.sim.channels()
                if c.variables.get("cc_leg") == "agent" and not c.gone and not c.answered]

    def waiting(self) -> list[str]:
        """Call ids waiting in the ACD, in the one waiting order."""
        return [call.call_id for call in self.engine.shell.core.waiting()]

    def persisted_waiting(self) -> set[str]:
        """Call ids the database holds as waiting (QueueMember rows)."""
        with self.services.sessions() as session:
            return {m.call_uuid for m in session.scalars(select(QueueMember))}

    def call(self, uuid: str) -> Call | None:
        with self.services.sessions() as session:
            return session.scalar(select(Call).where(Call.uuid == uuid))

    def events(self, uuid: str) -> list[tuple[str, dict]]:
        """The call's event log, after writing what the engine holds back for batching."""
        self.engine.calllog.flush()
        with self.services.sessions() as session:
            call = session.scalar(select(Call).where(Call.uuid == uuid))
            if call is None:
                return []
            return [(e.kind, e.data) for e in session.scalars(
                select(CallEvent).where(CallEvent.call_id == call.id).order_by(CallEvent.id))]

    def event_time(self, uuid: str, kind: str):
        """When the call's last ``kind`` event happened (as logged)."""
        self.engine.calllog.flush()
        with self.services.sessions() as session:
            return session.scalar(select(CallEvent.at).join(Call).where(
                Call.uuid == uuid, CallEvent.kind == kind).order_by(CallEvent.id.desc()).limit(1))

    def event(self, uuid: str, kind: str) -> dict | None:
        found = [data for k, data in self.events(uuid) if k == kind]
        return found[-1] if found else None

    def wait(self, predicate: Callable[[], Any], timeout: float, what: str) -> None:
        assert self.sim.wait_until(lambda: bool(predicate()), timeout), f"timed out: {what}"

    # --- the engine ------------------------------------------------------------------
    def crash_engine(self) -> None:
        """Kill the engine as a crash would: its greenlets die where they stand,
        its ESL socket is cut without 'exit', nothing is tidied on the switch or in
        the database. The simulator keeps every channel."""
        old = self.engine
        doomed = [g for g in gc.get_objects()
                  if isinstance(g, gevent.Greenlet) and not g.dead and g is not gevent.getcurrent()
                  and _engine_greenlet(g)]
        gevent.killall(doomed, block=True, timeout=5)
        wire = old.connection._wire
        if wire is not None and wire.sock is not None:
            try:
                wire.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            wire.sock.close()
        old.connection._stopping.set()

    def restart_engine(self) -> None:
        """Crash the engine (see crash_engine) and start a new one on the same switch and database."""
        self.crash_engine()
        self.engine = self._make_engine()
        self.engine.start()


def write_engine_config(write_config, tmp_path, db_engine, port: int, password: str,
                        queues: Path | None = None, name: str = "callcenter.yaml") -> Path:
    """An engine configuration for the simulator on ``port``, the test database and the repository's flows."""
    return write_config(f"""\
general:
  data_directory: {tmp_path / 'data'}
switch:
  kind: simulator
  password: {password}
  port: {port}
  api_timeout: 3
database:
  url: "{db_engine.url.render_as_string(hide_password=False)}"
ivr:
  flows_directory: {ROOT / 'ivr_flows'}
  prompts_directory: {tmp_path / 'prompts'}
recordings:
  directory: {tmp_path / 'recordings'}
acd:
  queues_file: {queues or ROOT / 'acd' / 'queues.yaml'}
""", name)


def start_hotline(sessions, db_engine, write_config, tmp_path, monkeypatch,
                  queues: Path | None = None, speed: float = 4.0) -> Hotline:
    monkeypatch.setattr(seed, "hash_password", _cheap_hash)
    monkeypatch.setattr(seed, "hash_service_password", _cheap_hash)
    seed.seed_demo(sessions, customers=10)
    sim = Simulator(PASSWORD, port=0, speed=speed, fast_media=True,
                    dialplan_dir=str(ROOT / "dialplans"))
    port = sim.start()
    path = write_engine_config(write_config, tmp_path, db_engine, port, PASSWORD, queues)
    services = build_services(load_config(path, environ={}))

    def make_engine():
        # the dialers' clock too (callback requests are dialled inside calling windows)
        return Engine(services, ivr_clock=lambda: OPEN_HOURS, dialer_clock=lambda: OPEN_HOURS)

    line = Hotline(services, sim, make_engine)
    line.engine.start()
    return line


def stop_hotline(line: Hotline) -> None:
    line.engine.stop()
    line.sim.close()
    # greenlets the engine spawned for single calls (ringing, music, the call log's writer)
    # must not outlive the test's database
    gevent.killall([g for g in gc.get_objects() if isinstance(g, gevent.Greenlet) and not g.dead
                    and g is not gevent.getcurrent() and _engine_greenlet(g)], timeout=5)
    line.engine.calllog.flush()


@pytest.fixture
def hotline(sessions, db_engine, write_config, tmp_path, monkeypatch):
    line = start_hotline(sessions, db_engine, write_config, tmp_path, monkeypatch)
    yield line
    stop_hotline(line)


@pytest.fixture
def hotline_with(sessions, db_engine, write_config, tmp_path, monkeypatch):
    """A factory: hotline_with(settings={...}, queues={...}) starts a hotline on a
    queues file with those settings replaced (e.g. a short offer_timeout)."""
    started: list[Hotline] = []

    def start(settings: dict[str, Any] | None = None,
              queues: dict[str, dict[str, Any]] | None = None) -> Hotline:
        path = queues_file(tmp_path, settings, queues)
        line = start_hotline(sessions, db_engine, write_config, tmp_path, monkeypatch, queues=path)
        started.append(line)
        return line

    yield start
    for line in started:
        stop_hotline(line)


def drain(subscription) -> list:
    """The events a bus subscription got until it went quiet for its timeout."""
    events = []
    for event in subscription:
        if event is None:
            subscription.close()
            return events
        events.append(event)
    return events
