"""The engine under a burst and through crashes and restarts, on a real FreeSWITCH running
the project's kit: SIPp callers dial the hotline (a one-node flow: straight to the general
queue), SIPp agent phones registered with digest auth answer, tshark captures the SIP on
the loopback interface, and the engine runs in its own process (EngineProcess) so that it
can be killed with SIGKILL.

(a) a 200-call burst (50 calls/s for 4 s): every call reaches an agent, is bridged and
    recorded, the DB's times are the switch's, no agent leg is answered to silence;
(b) a call parked before the engine starts is taken at once when it connects;
(c) kill -9 of the engine while an agent's phone rings: the phone answers, the switch
    bridges by itself, the restarted engine leaves the call connected, rings nobody again;
(d) FreeSWITCH restarts and a caller arrives while the engine reconnects: served.

Skipped (with the reason) without a FreeSWITCH binary (PATH or $FREESWITCH_BIN), SIPp or
tshark."""
from __future__ import annotations

import hashlib
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from realswitch import (AgentPhone, AgentPhones, EngineProcess, SipCapture, caller_scenario,
                        load_caller_scenario, sipp, sipp_load, skip_without_freeswitch, skip_without_sipp)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import bench_realswitch as rsb  # noqa: E402  (the benchmark's set-up: agents, flow, config, listeners)

skip_without_tshark = pytest.mark.skipif(shutil.which("tshark") is None, reason="no tshark: install Debian's tshark")
pytestmark = [pytest.mark.realswitch, skip_without_freeswitch, skip_without_sipp, skip_without_tshark]

HOTLINE = rsb.HOTLINE


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    assert predicate(), f"timed out after {timeout} s: {what}"


def epoch(value: datetime) -> float:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


class Rig:
    """A switch on the kit, N agents in a SQLite database and in the switch's directory,
    the engine's configuration; the pieces are started by the tests."""

    def __init__(self, workdir: Path, agents: int, park_timeout: int = 20, admit: int | None = None):
        self.workdir = workdir
        self.url = f"sqlite:///{workdir / 'rig.db'}"
        self.agents = rsb.prepare_database(self.url, agents)  # login -> (extension, password)
        self.switch = rsb.new_switch(workdir, admit=admit)
        self.switch.variables["cc_park_timeout"] = str(park_timeout)
        (self.switch.conf_dir / "local" / "realswitch.xml").write_text(
            "<include>\n" + "".join(f'  <X-PRE-PROCESS cmd="set" data="{k}={v}"/>\n'
                                    for k, v in self.switch.variables.items()) + "</include>\n")
        rsb.write_directory(self.url, self.switch.users_dir)
        (workdir / "recordings").mkdir(exist_ok=True)
        self.config = rsb.engine_config(workdir, self.switch, self.url)
        self.engines: list[EngineProcess] = []
        self.stoppables: list = []

    def start_with_phones(self) -> None:
        """The switch, then every agent's phone registered."""
        self.switch.start()
        self.stoppables.append(AgentPhones(self.workdir, self.switch, dict(self.agents.values())).start())

    def callers(self, prefix: str, hold_ms: int, rate: float, count: int):
        """SIPp callers (numbers starting with ``prefix``) dialling the hotline, holding
        ``hold_ms`` after the answer; returns the running SIPp process."""
        return sipp_load(self.workdir / "callers", load_caller_scenario(prefix, hold_ms),
                         f"127.0.0.1:{self.switch.ports.public_sip}", service=HOTLINE, rate=rate,
                         count=count, timeout=60)

    def engine(self, ready: list[str] | None = None) -> EngineProcess:
        process = EngineProcess(self.config, ready=list(self.agents) if ready is None else ready,
                                log=self.workdir / "engine.log").start(timeout=90)
        self.engines.append(process)
        return process

    def capture(self) -> SipCapture:
        capture = SipCapture(self.workdir / f"sip-{len(self.stoppables)}.pcap",
                             (self.switch.ports.public_sip, self.switch.ports.agents_sip)).start()
        self.stoppables.append(capture)
        return capture

    def bridges(self) -> rsb.BridgeListener:
        listener = rsb.BridgeListener(self.switch)
        listener.start()
        self.stoppables.append(listener)
        return listener

    def engine_log(self) -> str:
        path = self.workdir / "engine.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        for item in reversed(self.stoppables):
            try:
                item.stop()
            except Exception:
                pass
        for process in self.engines:
            try:
                process.stop()
            except Exception:
                process.kill()
        self.switch.stop(quick=True)


@pytest.fixture
def rig_factory(tmp_path):
    made = []

    def make(agents: int, park_timeout: int = 20, admit: int | None = None) -> Rig:
        rig = Rig(tmp_path, agents, park_timeout, admit)
        made.append(rig)
        return rig
    yield make
    for rig in made:
        rig.close()


def db_calls(rig: Rig, prefix: str):
    from sqlalchemy import create_engine, select

    from callcenter.models import Call, CallEvent, Recording
    engine = create_engine(rig.url)
    try:
        with engine.connect() as connection:
            calls = connection.execute(select(Call).where(Call.caller_number.like(f"{prefix}%"))).all()
            ids = [c.id for c in calls]
            recordings = {r.call_id: r for r in connection.execute(
                select(Recording).where(Recording.call_id.in_(ids)))} if ids else {}
            events = connection.execute(select(CallEvent).where(CallEvent.call_id.in_(ids))
                                        .order_by(CallEvent.id)).all() if ids else []
    finally:
        engine.dispose()
    return calls, recordings, events


def engine_connected_at(log: str) -> float:
    """When the engine process first connected to the event socket (its log's local time)."""
    line = next(line for line in log.splitlines() if "ESL connected to" in line)
    return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()


def caller_result(capture: SipCapture, prefix: str) -> dict:
    return rsb.wire_figures(capture.messages(), prefix, HOTLINE)


# --- (a) ---------------------------------------------------------------------------------------
def test_a_burst_of_200_calls_is_answered_bridged_recorded_with_the_switch_times(rig_factory):
    rig = rig_factory(agents=200)
    rig.start_with_phones()
    engine = rig.engine()
    bridges = rig.bridges()
    capture = rig.capture()
    prefix = "13977"
    callers = rig.callers(prefix, 3000, rate=50, count=200)
    assert callers.wait(90) == 0, "some SIPp callers failed (see callers/*_errors.log)"
    observed_end = time.time()
    time.sleep(1)
    capture.stop()
    wire = caller_result(capture, prefix)
    numbers = set(wire["callers"].values())
    assert len(numbers) == 200
    assert wire["reached"] >= numbers, f"{len(numbers - wire['reached'])} callers never reached an agent"
    assert all(len(exts) == 1 for exts in wire["rings"].values()), "a caller was rung to more than one agent leg"
    not_bridged = [n for n in numbers if n not in bridges.bridged]
    assert not not_bridged, f"{len(not_bridged)} callers never bridged, e.g. {not_bridged[:3]}"
    silent = [call_id for call_id, ok in wire["agent_ok"].items()
              if call_id in wire["agent_bye"] and wire["agent_bye"][call_id] - ok < 0.5]
    assert not silent, f"{len(silent)} agent legs answered and ended within 0.5 s (answered to silence)"
    assert len(wire["agent_ok"]) == 200

    engine.ask("flush")

    def recorded():
        calls, recordings, _ = db_calls(rig, prefix)
        return len(calls) == 200 and all(c.ended_at for c in calls) and \
            all(recordings.get(c.id) is not None and recordings[c.id].sha256 for c in calls)
    wait_until(recorded, 20, "not every call ended with a Recording row with its sha256")
    calls, recordings, events = db_calls(rig, prefix)
    for call in calls:
        path = Path(recordings[call.id].path)
        assert path.exists() and path.stat().st_size > 44, path
        assert recordings[call.id].sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    connected = {e.call_id: e.at for e in events if e.kind == "connected"}
    assert set(connected) == {c.id for c in calls}
    by_id = {c.id: c for c in calls}
    for call_id, at in connected.items():
        assert at <= by_id[call_id].ended_at, f"call {by_id[call_id].uuid}: connected after it ended"
    late = [e for e in events if e.at is not None and e.at > by_id[e.call_id].ended_at]
    assert not late, f"{len(late)} events stamped after their call's hang-up: {late[:3]}"
    for call in calls:
        ended = epoch(call.ended_at)
        assert ended <= observed_end
        bye = wire["caller_end"][call.caller_number]
        assert abs(ended - bye) < 0.5, f"{call.uuid}: ended_at {ended} vs BYE on the wire {bye}"
    assert "engine overloaded" not in rig.engine_log()


def test_calls_above_the_admission_limit_get_the_busy_answer_from_the_switch(rig_factory):
    rig = rig_factory(agents=40, admit=5)  # the kit's cc_max_new_calls_per_second
    rig.start_with_phones()
    engine = rig.engine()
    capture = rig.capture()
    prefix = "13978"
    callers = rig.callers(prefix, 3000, rate=20, count=20)
    callers.wait(90)  # the refused callers' scenario fails: the switch, not they, hangs up
    time.sleep(1)
    capture.stop()
    wire = caller_result(capture, prefix)
    numbers = set(wire["callers"].values())
    refused = rig.switch.log_text().count("Usage for callcenter_new_calls exceeds maximum rate of 5/1s")
    assert len(numbers) == 20 and len(wire["answer_at"]) == 20, "every caller is answered"
    # 20 calls in 1 s meet one or two one-second windows of 5
    assert 10 <= refused <= 15, refused
    assert len(wire["reached"] & numbers) == 20 - refused, "an admitted caller never reached an agent"
    engine.ask("flush")
    calls, _, _ = db_calls(rig, prefix)
    assert len(calls) == 20 - refused, "the engine saw a call the switch refused"
    assert "engine overloaded" not in rig.engine_log()
    busy = [line for line in rig.switch.log_text().splitlines() if "engine_busy.wav" in line]
    assert len(busy) >= refused, "a refused caller did not hear the busy answer"


# --- (b) ---------------------------------------------------------------------------------------
def test_b_a_call_parked_before_the_engine_starts_is_taken_when_it_connects(rig_factory):
    rig = rig_factory(agents=1)
    rig.start_with_phones()
    capture = rig.capture()
    bridges = rig.bridges()
    prefix = "13966"
    callers = rig.callers(prefix, 15000, rate=1, count=1)
    wait_until(lambda: ",park," in rig.switch.api("show channels"),
               10, "the caller was never parked")
    time.sleep(2)  # parked, nobody there
    engine = rig.engine()
    ready_at = time.time()
    wait_until(lambda: len(bridges.bridged) > 0, 10, "the parked caller was never bridged to the agent")
    assert callers.wait(40) == 0
    capture.stop()
    wire = caller_result(capture, prefix)
    (number,) = wire["callers"].values()
    assert wire["reached"] == {number}
    # the caller was queued and the agent rung within a second or two of the engine connecting
    # to the switch (not after the dialplan's 20 s fallback)
    connected_at = engine_connected_at(rig.engine_log())
    agent_invites = [at for at, method, _s, _c, frm, to, _q in capture.messages()
                     if method == "INVITE" and frm == number and to != HOTLINE]
    assert 0 <= agent_invites[0] - connected_at < 2.0, \
        f"agent rung {agent_invites[0] - connected_at:.2f} s after the engine connected"
    assert agent_invites[0] <= ready_at + 1
    assert agent_invites[0] - wire["answer_at"][number] < 15
    assert "engine_unavailable" not in rig.switch.log_text()
    engine.ask("flush")
    calls, _, _ = db_calls(rig, prefix)
    assert len(calls) == 1 and calls[0].queued_at is not None
    assert epoch(calls[0].queued_at) - connected_at < 2.0


# --- (c) ---------------------------------------------------------------------------------------
def test_c_engine_killed_while_the_agent_phone_answers_the_call_stays_connected(rig_factory):
    rig = rig_factory(agents=1)
    (login, (extension, password)), = rig.agents.items()
    rig.switch.start()
    phone = AgentPhone(rig.workdir, rig.switch, extension, password, behaviour="slow").start()
    rig.stoppables.append(phone)
    engine = rig.engine()
    capture = rig.capture()
    bridges = rig.bridges()
    trace = phone.workdir / "uas_messages.log"
    caller = sipp_load(rig.workdir / "callers", caller_scenario(12000).replace("13800000001", "13955"),
                       f"127.0.0.1:{rig.switch.ports.public_sip}", service=HOTLINE, rate=1, count=1, timeout=60)
    wait_until(lambda: trace.exists() and "INVITE sip:" in trace.read_text(errors="replace"), 15,
               "the agent's phone never rang")
    engine.kill()  # SIGKILL while the phone rings; it answers 3 s later
    killed_at = time.time()
    wait_until(lambda: phone.answered_calls() == 1, 6, "the phone never answered")
    time.sleep(0.5)
    restarted = rig.engine()
    restarted_at = time.time()
    assert caller.wait(40) == 0
    capture.stop()
    rows = capture.messages()
    wire = rsb.wire_figures(rows, "13955", HOTLINE)
    assert "13955" in bridges.bridged, "the caller was never bridged to the agent"
    assert wire["rings"]["13955"] == [extension], f"agent legs rung: {wire['rings']}"
    assert phone.answered_calls() == 1
    # the call lasted until the caller hung up: the BYE on the caller's dialog is the caller's
    caller_call = next(call_id for call_id, number in wire["callers"].items() if number == "13955")
    byes = [frm for at, method, _s, call_id, frm, _to, _q in rows if method == "BYE" and call_id == caller_call]
    assert byes and byes[0] == "13955", f"the switch hung up the caller ({byes})"
    # the agent leg was not hung up before the caller left (answered to silence)
    (agent_call,) = wire["agent_ok"]
    agent_bye = wire["agent_bye"][agent_call]
    assert agent_bye >= wire["caller_end"]["13955"] - 0.05, "the agent leg ended before the caller hung up"
    restarted.ask("flush")
    wait_until(lambda: all(c.ended_at for c in db_calls(rig, "13955")[0]), 10, "the call never ended in the DB")
    calls, recordings, events = db_calls(rig, "13955")
    assert len(calls) == 1 and killed_at < restarted_at
    recording = next(iter((Path(rig.workdir) / "recordings").rglob(f"{calls[0].uuid}-call.wav")), None)
    assert recording is not None and recording.stat().st_size > 44, "the switch did not record the call"
    # recovery logs the call bridged while the engine was down as connected, with its recording
    kinds = [e.kind for e in events]
    assert calls[0].agent_answered_at is not None, f"no agent_answered_at (events {kinds})"
    assert "connected" in kinds, f"no connected event: {kinds}"
    assert calls[0].id in recordings, "no Recording row for the recovered call"
    assert Path(recordings[calls[0].id].path).resolve() == recording.resolve()
    assert calls[0].agent_id is not None
    wait_until(lambda: db_calls(rig, "13955")[1][calls[0].id].sha256, 10, "the recording's sha256 was never filled")
    assert db_calls(rig, "13955")[1][calls[0].id].sha256 == hashlib.sha256(recording.read_bytes()).hexdigest()


# --- (d) ---------------------------------------------------------------------------------------
def test_d_caller_arriving_while_the_engine_reconnects_after_a_switch_restart_is_served(rig_factory):
    rig = rig_factory(agents=1)
    rig.start_with_phones()
    engine = rig.engine()
    rig.switch.stop()
    rig.switch.start()
    dialled_at = time.time()
    result = sipp(rig.workdir / "caller", caller_scenario(6000).replace("13800000001", "13944"),
                  f"127.0.0.1:{rig.switch.ports.public_sip}", service=HOTLINE, timeout=40)
    assert result.returncode == 0, result.output[-2000:]
    engine.ask("flush")
    calls, _, events = db_calls(rig, "13944")
    assert len(calls) == 1, "the engine never saw the caller"
    call = calls[0]
    assert call.agent_answered_at is not None, f"not served: {[(e.kind, e.data) for e in events]}"
    assert epoch(call.agent_answered_at) - dialled_at < 10
    assert "engine_unavailable" not in rig.switch.log_text()
