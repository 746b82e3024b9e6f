"""The switch layer (callcenter.esl) on a real FreeSWITCH running the project's kit:
the same behaviours as the wire-level tests against the simulator (test_esl_sim.py),
with SIPp callers that press RFC 2833 DTMF and SIPp phones that answer, reject or
only ring.

Skipped (with the reason) when no FreeSWITCH binary is found (PATH or
$FREESWITCH_BIN) or SIPp is missing."""
from __future__ import annotations

import time
import wave

import gevent
import pytest

from callcenter.esl import CallHungUp, ChannelParked, Endpoint, OriginateFailed, SwitchDisconnected
from callcenter.esl.events import (ApplicationStarted, ChannelBridged, ChannelHungUp, DtmfPressed,
                                   PhoneRegistered, PhoneUnregistered, RecordingStarted, RecordingStopped)
from callcenter.freeswitch.directory import DirectoryUser, render_user
from callcenter.security import sip_a1_hash
from callcenter.seed import SIP_REALM
from realswitch import (AgentPhone, RealSwitch, caller_scenario, dtmf_caller_scenario, sipp,
                        skip_without_freeswitch, skip_without_sipp, speaking_caller_scenario)
from esl_fixtures import EslClient as Engine, wait_until
from test_realswitch_kit import write_tone_wav

pytestmark = [pytest.mark.realswitch, skip_without_freeswitch, skip_without_sipp]

PHONES = {"1001": "phone-1001-secret", "1002": "phone-1002-secret", "1003": "phone-1003-secret",
          "1004": "phone-1004-secret", "1005": "phone-1005-secret", "1012": "phone-1012-secret"}
MENU_SECONDS = 3.0


@pytest.fixture(scope="module")
def switch(tmp_path_factory):
    real = RealSwitch(tmp_path_factory.mktemp("freeswitch-esl"), park_timeout=20)
    real.prepare()
    for extension, password in PHONES.items():
        user = DirectoryUser(extension, sip_a1_hash(extension, SIP_REALM, password), f"agent{extension}",
                             f"Agent {extension}")
        (real.users_dir / f"{extension}.xml").write_text(render_user(user))
    write_tone_wav(real.prompts_dir / "menu.wav", seconds=MENU_SECONDS)
    write_tone_wav(real.prompts_dir / "zh" / "engine_unavailable.wav", seconds=1.0)
    write_tone_wav(real.prompts_dir / "moh" / "hold.wav", seconds=2.0)
    real.start()
    yield real
    real.stop(quick=True)


@pytest.fixture
def engine(switch):
    engine = Engine(switch.ports.esl, switch.password, api_timeout=5.0, application_timeout=30.0,
                    connect_timeout=2.0, backoff_initial=0.1, backoff_max=0.5)
    engine.connection.start()
    assert engine.connection.wait_connected(10), engine.connection.state
    subscribe_layer_events(engine)
    yield engine
    engine.connection.stop()


# The engine subscribes only to the events it acts on (callcenter.esl.events.SUBSCRIBED);
# these tests check the ESL layer itself against the real switch, so they also ask this
# connection for the events the layer parses but the engine does not need.
LAYER_EVENTS = "CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_UNBRIDGE CHANNEL_EXECUTE RECORD_START"


def subscribe_layer_events(engine) -> None:
    reply = engine.connection.command(f"event plain {LAYER_EVENTS}")
    assert reply.ok, reply.text
    for name in LAYER_EVENTS.split():  # past the engine's filters (events.subscription_filters)
        reply = engine.connection.command(f"filter Event-Name {name}")
        assert reply.ok, reply.text


def place_call(switch, engine, workdir, scenario, service="10000"):
    """A SIPp caller on the public profile; returns (its greenlet, the parked channel's uuid)
    once the dialplan parked it, with the fallback cancelled as the engine does."""
    before = {e.uuid for e in engine.seen(ChannelParked)}
    caller = gevent.spawn(sipp, workdir, scenario, f"127.0.0.1:{switch.ports.public_sip}", service=service)
    assert wait_until(lambda: any(e.uuid not in before for e in engine.seen(ChannelParked)), 15), \
        "the caller was never parked"
    uuid = next(e.uuid for e in engine.seen(ChannelParked) if e.uuid not in before)
    assert engine.switch.cancel_scheduled(uuid)
    return caller, uuid


def test_hotline_call_is_parked_with_entry_variables_and_listed_as_controlled(switch, engine, tmp_path):
    caller, uuid = place_call(switch, engine, tmp_path, caller_scenario(hold_ms=4000), service="10001")
    parked = engine.seen(ChannelParked, uuid=uuid)[0]
    assert (parked.destination, parked.caller_number) == ("10001", "13800000001")
    assert engine.switch.get_variable(uuid, "cc_hotline") == "10001"
    # already cancelled: FreeSWITCH answers +OK with a count of 0 (not -ERR, as the simulator does)
    assert engine.connection.api(f"sched_del {uuid}") == "+OK Deleted: 0"
    engine.switch.set_variables(uuid, {"cc_state": "queued", "cc_queue": "billing", "cc_queued_at": 1764000000})

    # `show channels` reads FreeSWITCH's core database, which its SQL thread fills a moment
    # after the channel's events (the simulator lists a channel at once)
    assert wait_until(lambda: uuid in {c.uuid for c in engine.switch.show_channels()}, 3)
    listed = {c.uuid: c for c in engine.switch.show_channels()}
    assert listed[uuid].caller_number == "13800000001" and listed[uuid].destination == "10001"
    assert listed[uuid].application == "park" and listed[uuid].created_epoch > 0
    controlled = {c.info.uuid: c.variables for c in engine.switch.controlled_channels()}
    assert controlled[uuid]["cc_hotline"] == "10001"
    assert controlled[uuid]["cc_entry"] == "hotline" and controlled[uuid]["cc_service_line"] == "billing"
    assert (controlled[uuid]["cc_state"], controlled[uuid]["cc_queue"]) == ("queued", "billing")
    assert controlled[uuid]["cc_queued_at"] == "1764000000" and controlled[uuid]["cc_agent"] is None
    assert caller.get(timeout=20).returncode == 0
    assert wait_until(lambda: engine.seen(ChannelHungUp, uuid=uuid), 5)
    assert not engine.switch.channel_exists(uuid)


def test_caller_presses_rfc2833_digits_during_play_and_get_digits(switch, engine, tmp_path):
    caller, uuid = place_call(switch, engine, tmp_path,
                              dtmf_caller_scenario([(1200, "24#")], hold_ms=5000))
    collected = engine.switch.collect(uuid, str(switch.prompts_dir / "menu.wav"), max_digits=4,
                                      variable="menu_choice", timeout_ms=6000)
    assert (collected.digits, collected.result) == ("24", "success")
    assert [e.digit for e in engine.seen(DtmfPressed, uuid=uuid)][:3] == ["2", "4", "#"]
    assert engine.seen(DtmfPressed, uuid=uuid)[0].source == "RTP"  # RFC 2833 events, not inband
    assert engine.switch.hangup(uuid)
    caller.join(timeout=15)


def test_collect_reports_the_invalid_entry_then_the_valid_one(switch, engine, tmp_path):
    caller, uuid = place_call(switch, engine, tmp_path,
                              dtmf_caller_scenario([(1200, "1"), (MENU_SECONDS * 1000, "3")], hold_ms=6000))
    collected = engine.switch.collect(uuid, str(switch.prompts_dir / "menu.wav"), regex="[2-3]", tries=2,
                                      timeout_ms=6000, variable="menu_choice")
    assert (collected.digits, collected.result, collected.invalid) == ("3", "success", "1")
    assert engine.switch.hangup(uuid)
    caller.join(timeout=15)


def test_caller_hanging_up_in_the_middle_of_play_and_get_digits_ends_the_wait_at_once(switch, engine,
                                                                                       tmp_path):
    caller, uuid = place_call(switch, engine, tmp_path, caller_scenario(hold_ms=2500))
    started = time.monotonic()
    with pytest.raises(CallHungUp) as hung:
        engine.switch.play_and_get_digits(uuid, str(switch.prompts_dir / "menu.wav"), timeout_ms=20000,
                                          tries=3)
    waited = time.monotonic() - started
    assert hung.value.uuid == uuid and hung.value.cause == "NORMAL_CLEARING"
    assert waited < 2.5 + 2, f"the wait lasted {waited:.1f} s after a hang-up at about 2.5 s"
    assert caller.get(timeout=10).returncode == 0
    assert not engine.switch.channel_exists(uuid)


def test_commands_on_a_channel_that_is_gone_say_so(engine):
    gone = "0badc0de-0000-4000-8000-000000000000"
    with pytest.raises(CallHungUp):
        engine.switch.playback(gone, "silence_stream://100")
    with pytest.raises(CallHungUp):
        engine.switch.get_variable(gone, "cc_state")
    with pytest.raises(CallHungUp):
        engine.switch.set_variable(gone, "cc_state", "queued")
    with pytest.raises(CallHungUp):
        engine.switch.bridge(gone, "0badc0de-0000-4000-8000-000000000001")
    assert engine.switch.hangup(gone) is False
    assert not engine.switch.channel_exists(gone)


def test_agent_leg_is_originated_bridged_recorded_and_hung_up(switch, engine, tmp_path):
    phone = AgentPhone(tmp_path, switch, "1001", PHONES["1001"]).start()
    try:
        # `show registrations` reads the core database, filled a moment after the REGISTER
        assert wait_until(lambda: engine.switch.is_registered("1001", SIP_REALM), 3)
        caller, uuid = place_call(switch, engine, tmp_path, caller_scenario(hold_ms=15000))
        agent = engine.switch.originate(Endpoint.user("1001"), caller_id_number="10000", timeout=10,
                                        variables={"cc_leg": "agent", "cc_agent": "agent1001"})
        assert engine.switch.get_variable(agent, "cc_agent") == "agent1001"
        assert phone.answered_calls() == 1

        engine.switch.bridge(uuid, agent)
        assert wait_until(lambda: engine.seen(ChannelBridged, uuid=uuid, other_uuid=agent), 5), \
            [e for e in engine.events if isinstance(e, ChannelBridged)]
        path = tmp_path / "recordings" / "call.wav"
        path.parent.mkdir()
        engine.switch.record_start(uuid, str(path))
        assert wait_until(lambda: engine.seen(RecordingStarted, uuid=uuid, path=str(path)), 5)
        assert wait_until(lambda: path.exists() and path.stat().st_size > 8000, 5), "the recording does not grow"
        engine.switch.record_stop(uuid, str(path))
        assert wait_until(lambda: engine.seen(RecordingStopped, uuid=uuid, path=str(path)), 5)
        with wave.open(str(path), "rb") as recorded:
            assert recorded.getnframes() / recorded.getframerate() >= 0.5

        assert engine.switch.hangup(agent)
        assert wait_until(lambda: engine.seen(ChannelHungUp, uuid=agent), 5)
        assert engine.seen(ChannelHungUp, uuid=agent)[0].cause == "NORMAL_CLEARING"
        assert engine.switch.hangup(agent) is False  # already gone
        engine.switch.hangup(uuid)
        caller.join(timeout=15)
    finally:
        phone.stop()


def test_originate_to_an_unregistered_extension_fails_with_its_cause(engine):
    started = time.monotonic()
    with pytest.raises(OriginateFailed) as failure:
        engine.switch.originate(Endpoint.user("1003"), timeout=5)
    assert failure.value.cause == "USER_NOT_REGISTERED"
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("behaviour,extension,cause", [("reject", "1002", "CALL_REJECTED"),
                                                       ("ring", "1004", "NO_ANSWER")])
def test_originate_to_a_phone_that_does_not_answer_fails_with_its_cause(switch, engine, tmp_path,
                                                                         behaviour, extension, cause):
    phone = AgentPhone(tmp_path, switch, extension, PHONES[extension], behaviour=behaviour).start()
    try:
        started = time.monotonic()
        with pytest.raises(OriginateFailed) as failure:
            engine.switch.originate(Endpoint.user(extension), timeout=2)
        assert failure.value.cause == cause
        assert time.monotonic() - started < 2 + 2
    finally:
        phone.stop()


def test_switch_restart_fails_pending_commands_then_reconnects_and_resubscribes(tmp_path):
    real = RealSwitch(tmp_path / "restarting", park_timeout=20)
    real.prepare()
    write_tone_wav(real.prompts_dir / "zh" / "engine_unavailable.wav", seconds=1.0)
    real.start()
    engine = Engine(real.ports.esl, real.password, api_timeout=30.0, application_timeout=30.0,
                    connect_timeout=2.0, backoff_initial=0.1, backoff_max=0.5)
    engine.connection.start()
    try:
        assert engine.connection.wait_connected(10) and wait_until(lambda: engine.resyncs == 1)
        pending = gevent.spawn(engine.connection.bgapi, "msleep 3000", 30)  # still running at the stop
        failed_at = []
        pending.link_exception(lambda _: failed_at.append(time.monotonic()))
        gevent.sleep(0.2)
        stopping = time.monotonic()
        real.stop()
        pending.join(timeout=5)
        assert isinstance(pending.exception, SwitchDisconnected), pending.exception or pending.value
        assert failed_at[0] - stopping < 3, f"the pending command failed {failed_at[0] - stopping:.1f} s later"
        with pytest.raises(SwitchDisconnected):
            engine.connection.api("status")
        assert not engine.connection.connected

        real.start()
        assert wait_until(lambda: engine.connection.connected and engine.resyncs == 2, 10), \
            engine.connection.state
        assert engine.connection.connections == 2
        assert engine.connection.api("status").startswith("UP")
        _, uuid = place_call(real, engine, tmp_path, caller_scenario(hold_ms=1000))  # events flow again
        assert wait_until(lambda: engine.seen(ChannelHungUp, uuid=uuid), 10)
    finally:
        engine.connection.stop()
        real.stop(quick=True)


def test_registration_and_unregistration_reach_the_engine(switch, engine, tmp_path):
    phone = AgentPhone(tmp_path, switch, "1005", PHONES["1005"]).start()
    try:
        assert wait_until(lambda: engine.seen(PhoneRegistered, extension="1005"), 5)
        registered = engine.seen(PhoneRegistered, extension="1005")[0]
        assert registered.domain == SIP_REALM and registered.expires > 0
        assert wait_until(lambda: engine.switch.is_registered("1005"), 3)

        assert phone.unregister().responses() == [401, 200]
        assert wait_until(lambda: engine.seen(PhoneUnregistered, extension="1005"), 5)
        assert engine.seen(PhoneUnregistered, extension="1005")[0].expired is False
        assert wait_until(lambda: not engine.switch.is_registered("1005"), 3)
        with pytest.raises(OriginateFailed) as failure:
            engine.switch.originate(Endpoint.user("1005"), timeout=5)
        assert failure.value.cause == "USER_NOT_REGISTERED"
    finally:
        phone.stop()


def test_caller_is_recorded_into_a_wav_file_by_the_record_application(switch, engine, tmp_path):
    caller, uuid = place_call(switch, engine, tmp_path, speaking_caller_scenario(hold_ms=6000))
    path = tmp_path / "message.wav"
    done = engine.switch.record(uuid, str(path), max_seconds=2, silence_seconds=0)
    assert done.application == "record"
    assert 1500 <= int(done.variable("record_ms") or 0) <= 2500, done.variable("record_ms")
    with wave.open(str(path), "rb") as recorded:
        assert 1.5 <= recorded.getnframes() / recorded.getframerate() <= 2.5
    engine.switch.hangup(uuid)
    caller.join(timeout=15)


@pytest.mark.parametrize("mode", ["listen", "whisper", "barge"])
def test_supervisor_eavesdrops_on_an_agent_leg(switch, engine, tmp_path, mode):
    agent_phone = AgentPhone(tmp_path, switch, "1001", PHONES["1001"]).start()
    supervisor_phone = AgentPhone(tmp_path, switch, "1012", PHONES["1012"]).start()
    try:
        assert wait_until(lambda: engine.switch.is_registered("1012"), 3)
        caller, uuid = place_call(switch, engine, tmp_path, caller_scenario(hold_ms=8000))
        agent = engine.switch.originate(Endpoint.user("1001"), timeout=10)
        engine.switch.bridge(uuid, agent)
        supervisor = engine.switch.eavesdrop(agent, Endpoint.user("1012"), mode, timeout=10)
        assert wait_until(lambda: engine.seen(ApplicationStarted, uuid=supervisor, application="eavesdrop"), 5)
        assert engine.seen(ApplicationStarted, uuid=supervisor, application="eavesdrop")[0].argument == agent
        expected = {"listen": None, "whisper": "true", "barge": "true"}[mode]
        variable = "eavesdrop_bridge_aleg" if mode == "barge" else "eavesdrop_whisper_aleg"
        assert engine.switch.get_variable(supervisor, variable) == expected
        assert supervisor_phone.answered_calls() == 1
        for leg in (supervisor, agent, uuid):
            engine.switch.hangup(leg)
        caller.join(timeout=15)
    finally:
        agent_phone.stop()
        supervisor_phone.stop()


def test_cancel_scheduled_says_false_when_nothing_was_scheduled(engine):
    assert engine.connection.api("sched_del 0badc0de-0000-4000-8000-000000000000") == "+OK Deleted: 0"
    assert engine.switch.cancel_scheduled("0badc0de-0000-4000-8000-000000000000") is False
