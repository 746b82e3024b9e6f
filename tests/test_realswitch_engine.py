"""The whole engine end to end on a real FreeSWITCH running the project's kit: a
SIPp caller dials the hotline and presses RFC 2833 digits, the engine runs the IVR
on the parked call (prompts rendered by `callcenter ivr prompts`), queues the call,
rings the ready agent's registered SIPp phone, bridges and records; the database
holds what happened.

Skipped (with the reason) when no FreeSWITCH binary is found (PATH or
$FREESWITCH_BIN) or SIPp is missing."""
from __future__ import annotations

import hashlib
import secrets
import shutil
import time
from pathlib import Path

import gevent
import pytest
from sqlalchemy import select

from callcenter import cli, seed
from callcenter.config import load_config
from callcenter.engine import Engine, build_services
from callcenter.freeswitch.directory import write_directory
from callcenter.models import Agent, AgentStateChange, Call, CallEvent, Recording
from engine_fixtures import OPEN_HOURS, _cheap_hash
from test_realswitch_kit import write_tone_wav
from realswitch import (AgentPhone, RealSwitch, dtmf_caller_scenario, sipp, skip_without_freeswitch,
                        skip_without_sipp)

pytestmark = [pytest.mark.realswitch, skip_without_freeswitch, skip_without_sipp]

ROOT = Path(__file__).resolve().parent.parent
AGENT = "agent08"  # general 9 in the seed: the first choice for a general call


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        gevent.sleep(0.1)
    assert predicate(), f"timed out after {timeout} s: {what}"


PARK_TIMEOUT = 3  # the dialplan's fallback fires after 3 s unless the engine took the call


@pytest.fixture(scope="session")
def rendered_prompts(tmp_path_factory):
    """The IVR's prompts rendered once per session by `callcenter ivr prompts` (espeak-ng)."""
    directory = tmp_path_factory.mktemp("prompts") / "prompts"
    config = tmp_path_factory.mktemp("prompts-config") / "callcenter.yaml"
    config.write_text(f"""\
switch:
  password: prompt-rendering-only-{secrets.token_hex(8)}
ivr:
  flows_directory: {ROOT / 'ivr_flows'}
  prompts_directory: {directory}
""")
    assert cli.main(["--config", str(config), "ivr", "prompts"]) == 0
    assert (directory / "zh" / "choose_language.wav").exists()
    return directory


@pytest.fixture
def hotline(sessions, db_engine, write_config, tmp_path, monkeypatch, rendered_prompts):
    """A real FreeSWITCH on the kit with the seeded agents in its directory and the
    prompts in its prompts directory, and the engine connected to it;
    yields (engine, switch, phone passwords by login)."""
    monkeypatch.setattr(seed, "hash_password", _cheap_hash)
    monkeypatch.setattr(seed, "hash_service_password", _cheap_hash)
    report = seed.seed_demo(sessions, customers=10)
    credentials = {login: password for login, _, password in report.credentials}

    switch = RealSwitch(tmp_path / "freeswitch", park_timeout=PARK_TIMEOUT)
    switch.prepare()
    shutil.copytree(rendered_prompts, switch.prompts_dir, dirs_exist_ok=True)
    write_tone_wav(switch.prompts_dir / "moh" / "hold.wav", seconds=5)  # local_stream://moh
    config = write_config(switch.engine_config() + f"""\
  api_timeout: 5
general:
  data_directory: {tmp_path / 'data'}
database:
  url: "{db_engine.url.render_as_string(hide_password=False)}"
ivr:
  flows_directory: {ROOT / 'ivr_flows'}
  prompts_directory: {switch.prompts_dir}
recordings:
  directory: {tmp_path / 'recordings'}
acd:
  queues_file: {ROOT / 'acd' / 'queues.yaml'}
""")
    written = write_directory(sessions, switch.users_dir)
    assert "1008" in written.written
    switch.start()
    engine = Engine(build_services(load_config(config, environ={})), ivr_clock=lambda: OPEN_HOURS)
    engine.start(connect_timeout=10)
    try:
        assert engine.connection.connected, engine.connection.state
        yield engine, switch, credentials
    finally:
        engine.stop()
        switch.stop(quick=True)


def agent_ready(engine, switch, credentials, tmp_path, behaviour: str = "answer") -> tuple[Agent, AgentPhone]:
    """agent08's SIPp phone registers (answering, or only ringing) and agent08 logs in ready."""
    phone = AgentPhone(tmp_path, switch, "1008", credentials[AGENT], behaviour=behaviour).start()
    with engine.services.sessions() as session:
        agent = session.scalar(select(Agent).where(Agent.login == AGENT))
    wait_until(lambda: engine.shell.core.agent(AGENT).phone_registered, 5,
               "the engine never saw the agent's phone register")
    # Logging in asks `show registrations` (FreeSWITCH's core database, filled up to about
    # a second after the sofia::register event) and overrides what the event said: log in
    # only once the switch lists the phone, as a person would some seconds later.
    wait_until(lambda: engine.switch.is_registered("1008"), 5, "the switch never listed the phone")
    engine.live.set_agent_state(agent.id, "ready")
    assert engine.shell.core.agent(AGENT).state.value == "ready"
    assert engine.shell.core.agent(AGENT).phone_registered
    return agent, phone


def dial_hotline(switch, tmp_path, presses, hold_ms: int) -> gevent.Greenlet:
    return gevent.spawn(sipp, tmp_path / "caller", dtmf_caller_scenario(presses, hold_ms=hold_ms),
                        f"127.0.0.1:{switch.ports.public_sip}", service="10000")


def call_row(engine, uuid: str) -> Call | None:
    with engine.services.sessions() as session:
        return session.scalar(select(Call).where(Call.uuid == uuid))


def events(engine, uuid: str) -> list[tuple[str, dict]]:
    with engine.services.sessions() as session:
        call = session.scalar(select(Call).where(Call.uuid == uuid))
        if call is None:
            return []
        return [(e.kind, e.data) for e in session.scalars(
            select(CallEvent).where(CallEvent.call_id == call.id).order_by(CallEvent.id))]


def recording_of(engine, uuid: str) -> Recording | None:
    with engine.services.sessions() as session:
        return session.scalar(select(Recording).join(Call).where(Call.uuid == uuid))


def test_caller_walks_the_ivr_with_dtmf_reaches_the_ready_agent_is_recorded_and_hangs_up(hotline, tmp_path):
    engine, switch, credentials = hotline
    agent, phone = agent_ready(engine, switch, credentials, tmp_path)
    try:
        # Mandarin (1) in the language menu, then 0 (an agent) in the main menu; hang up 7 s later
        caller = dial_hotline(switch, tmp_path, [(2500, "1"), (3500, "0")], hold_ms=7000)
        wait_until(lambda: engine.runner.calls, 15, "the caller never reached the ACD")
        uuid = next(iter(engine.runner.calls))
        wait_until(lambda: (call_row(engine, uuid) or Call()).agent_answered_at is not None, 20,
                   f"the agent never answered: {events(engine, uuid)}; "
                   f"agent {engine.shell.core.agent(AGENT)}; waiting {engine.shell.core.waiting()}")
        assert phone.answered_calls() == 1
        assert engine.shell.core.agent(AGENT).state.value == "on_call"

        call = call_row(engine, uuid)
        assert call.agent_id == agent.id and call.caller_number == "13800000001"
        assert call.ivr_path[0] == "start" and "choose_language" in call.ivr_path and "main_menu" in call.ivr_path
        # call events are written in batches: wait for the one written after the bridge
        wait_until(lambda: engine.calllog.flush() or "connected" in dict(events(engine, uuid)), 5,
                   "no 'connected' event")
        kinds = [kind for kind, _ in events(engine, uuid)]
        assert kinds.index("ivr_finished") < kinds.index("routed") < kinds.index("connected")
        routed = dict(events(engine, uuid))["routed"]
        assert routed["agent"] == AGENT and routed["rule"]
        menus = [data for kind, data in events(engine, uuid) if kind == "ivr_node" and data["kind"] == "menu"]
        assert [m["outcome"] for m in menus] == ["choice 1", "choice 0"], menus
        # the engine no longer marks the caller's leg: the agent leg carries cc_state=bridged
        # (set in its originate variables; the switch bridges it to the caller by intercept)
        legs = {c.info.uuid: c.variables for c in engine.switch.controlled_channels()
                if c.variables.get("cc_leg") == "agent" and c.variables.get("cc_call_id") == uuid}
        assert len(legs) == 1, f"agent legs of {uuid}: {legs}"
        (leg,) = legs.values()
        assert (leg["cc_state"], leg["cc_agent"], leg["bridge_uuid"]) == ("bridged", AGENT, uuid), leg

        wait_until(lambda: recording_of(engine, uuid) is not None, 5, "no Recording row")
        path = Path(recording_of(engine, uuid).path)
        wait_until(lambda: path.exists() and path.stat().st_size > 44, 5, f"{path} was not written")
        size = path.stat().st_size
        wait_until(lambda: path.stat().st_size > size, 5, f"{path} does not grow")

        result = caller.get(timeout=30)
        assert result.returncode == 0, result.output[-2000:]
        wait_until(lambda: call_row(engine, uuid).ended_at is not None, 10, "the call never ended")
        assert call_row(engine, uuid).hangup_cause == "NORMAL_CLEARING"
        wait_until(lambda: engine.shell.core.agent(AGENT).state.value == "wrap_up", 5, "the agent is not in wrap-up")
        wait_until(lambda: recording_of(engine, uuid).sha256, 10, "the recording's sha256 was never filled")
        recording = recording_of(engine, uuid)
        assert recording.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        with engine.services.sessions() as session:
            states = list(session.scalars(select(AgentStateChange.to_state).where(
                AgentStateChange.agent_id == agent.id).order_by(AgentStateChange.id)))
        assert states[-5:] == ["ready", "reserved", "ringing", "on_call", "wrap_up"]
        assert not engine.switch.channel_exists(uuid)
        # the engine cancelled the dialplan's fallback (it would have fired PARK_TIMEOUT s after the park)
        assert "engine_unavailable" not in switch.log_text()
    finally:
        phone.stop()


def test_caller_hanging_up_while_the_agent_phone_rings_cancels_the_agent_leg(hotline, tmp_path):
    engine, switch, credentials = hotline
    _, phone = agent_ready(engine, switch, credentials, tmp_path, behaviour="ring")
    try:
        caller = dial_hotline(switch, tmp_path, [(2500, "1"), (3500, "0")], hold_ms=3000)
        wait_until(lambda: engine.runner.calls, 15, "the caller never reached the ACD")
        uuid = next(iter(engine.runner.calls))
        wait_until(lambda: engine.shell.core.agent(AGENT).state.value == "ringing", 10,
                   f"the agent's phone never rang: {events(engine, uuid)}")
        def agent_legs():
            return [c.info.uuid for c in engine.switch.controlled_channels() if c.variables.get("cc_leg") == "agent"]
        wait_until(lambda: len(agent_legs()) == 1, 3, "no agent leg on the switch")
        ringing = agent_legs()[0]

        assert caller.get(timeout=20).returncode == 0
        wait_until(lambda: call_row(engine, uuid).ended_at is not None, 10, "the call never ended")
        wait_until(lambda: not engine.switch.channel_exists(ringing), 5,
                   "the agent's phone still rings after the caller hung up (ghost call)")
        assert call_row(engine, uuid).abandoned is True
        assert call_row(engine, uuid).agent_answered_at is None
        assert engine.shell.core.agent(AGENT).state.value == "ready"
        assert phone.answered_calls() == 0
    finally:
        phone.stop()


def test_switch_restart_during_a_call_ends_the_call_and_the_engine_reconnects(hotline, tmp_path):
    engine, switch, credentials = hotline
    agent, phone = agent_ready(engine, switch, credentials, tmp_path)
    try:
        caller = dial_hotline(switch, tmp_path, [(2500, "1"), (3500, "0")], hold_ms=30000)
        wait_until(lambda: engine.runner.calls, 15, "the caller never reached the ACD")
        uuid = next(iter(engine.runner.calls))
        wait_until(lambda: (call_row(engine, uuid) or Call()).agent_answered_at is not None, 20,
                   f"the agent never answered: {events(engine, uuid)}")

        switch.stop()  # FreeSWITCH hangs up every channel before it closes the event socket
        wait_until(lambda: call_row(engine, uuid).ended_at is not None, 5, "the call did not end")
        assert call_row(engine, uuid).hangup_cause == "SYSTEM_SHUTDOWN"
        assert engine.shell.core.agent(AGENT).state.value == "wrap_up"
        assert caller.get(timeout=20).returncode == 0  # the caller got the switch's BYE
        wait_until(lambda: recording_of(engine, uuid).sha256, 10, "the recording's sha256 was never filled")

        switch.start()
        wait_until(lambda: engine.connection.connected and engine.connection.connections == 2, 10,
                   f"the engine did not reconnect: {engine.connection.state}")
        # the phone's registration survives in FreeSWITCH's sofia database; the resync keeps it
        engine.live.end_wrapup(agent.id)
        assert engine.shell.core.agent(AGENT).phone_registered
        second = dial_hotline(switch, tmp_path, [(2500, "1"), (3500, "0")], hold_ms=2000)
        wait_until(lambda: len(engine.runner.calls) == 1 and uuid not in engine.runner.calls, 15,
                   "the second caller never reached the ACD")
        again = next(iter(engine.runner.calls))
        wait_until(lambda: (call_row(engine, again) or Call()).agent_answered_at is not None, 20,
                   f"after the restart the agent never answered: {events(engine, again)}")
        assert second.get(timeout=20).returncode == 0
        assert phone.answered_calls() == 2
    finally:
        phone.stop()
