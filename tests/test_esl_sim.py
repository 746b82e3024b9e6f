"""The ESL layer against the switch simulator (callcenter/sim): real sockets, real calls."""
import time
from pathlib import Path

import gevent
import pytest

from callcenter.esl import (CallHungUp, ChannelParked, CommandTimeout, Endpoint, Heartbeat,
                            OriginateFailed, PhoneRegistered, PhoneUnregistered,
                            SwitchDisconnected)
from callcenter.esl.events import ChannelBridged, ChannelHungUp, DtmfPressed
from callcenter.sim import Simulator
from esl_fixtures import EslClient as Engine, wait_until

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "esl-sim-test-password"



@pytest.fixture
def sim():
    simulator = Simulator(password=PASSWORD, speed=10, fast_media=True,
                          dialplan_dir=str(ROOT / "dialplans"))
    simulator.start()
    yield simulator
    simulator.close()


@pytest.fixture
def engine(sim):
    engine = Engine(sim.port, PASSWORD)
    engine.connection.start()
    assert engine.connection.wait_connected(5)
    yield engine
    engine.connection.stop()


def parked_call(sim, engine, script="wait:60"):
    uuid = sim.place_call("13800000001", "10000", script)
    assert wait_until(lambda: engine.seen(ChannelParked, uuid=uuid))
    return uuid


def test_hotline_call_is_parked_with_entry_variables(sim, engine):
    uuid = parked_call(sim, engine)
    parked = engine.seen(ChannelParked, uuid=uuid)[0]
    assert parked.destination == "10000" and parked.caller_number == "13800000001"
    assert engine.switch.get_variable(uuid, "cc_hotline") == "10000"
    assert engine.switch.cancel_scheduled(uuid)
    engine.switch.set_variable(uuid, "cc_state", "ivr")
    assert sim.channel(uuid).variables["cc_state"] == "ivr"
    assert uuid in [c.uuid for c in engine.switch.show_channels()]


def test_caller_presses_digits_during_play_and_get_digits(sim, engine):
    uuid = parked_call(sim, engine)
    gevent.spawn_later(0.3, sim.press, uuid, "42#")
    digits = engine.switch.play_and_get_digits(uuid, "ivr/menu.wav", max_digits=4,
                                               variable="menu_choice", timeout_ms=3000)
    assert digits == "42"
    assert [e.digit for e in engine.seen(DtmfPressed, uuid=uuid)][:2] == ["4", "2"]


def test_caller_hanging_up_in_the_middle_of_play_and_get_digits(sim, engine):
    uuid = parked_call(sim, engine)
    gevent.spawn_later(0.3, sim.hangup_call, uuid)
    started = time.monotonic()
    with pytest.raises(CallHungUp) as hung:
        engine.switch.play_and_get_digits(uuid, "ivr/menu.wav", timeout_ms=20000, tries=1)
    assert hung.value.uuid == uuid and hung.value.cause == "NORMAL_CLEARING"
    assert time.monotonic() - started < 2
    assert not engine.switch.channel_exists(uuid)


def test_agent_leg_is_originated_bridged_recorded_and_hung_up(sim, engine, tmp_path):
    caller = parked_call(sim, engine)
    sim.register_phone("1001", "answer:1")
    assert wait_until(lambda: engine.seen(PhoneRegistered, extension="1001"))
    assert engine.switch.is_registered("1001")
    agent = engine.switch.originate(Endpoint.user("1001"), caller_id_number="10000",
                                    variables={"cc_leg": "agent", "cc_agent": "1001"}, timeout=20)
    assert sim.channel(agent).answered and sim.channel(agent).variables["cc_agent"] == "1001"
    engine.switch.bridge(caller, agent)
    assert wait_until(lambda: engine.seen(ChannelBridged))
    assert sim.channel(caller).bridged_to == agent
    path = str(tmp_path / "call.wav")
    engine.switch.record_start(caller, path)
    engine.switch.record_stop(caller, path)
    engine.switch.hangup(agent)
    assert wait_until(lambda: engine.seen(ChannelHungUp, uuid=agent))


@pytest.mark.parametrize("setup,cause", [
    (lambda sim: None, "USER_NOT_REGISTERED"),
    (lambda sim: sim.register_phone("1002", "reject"), "CALL_REJECTED"),
    (lambda sim: sim.register_phone("1002", "ring"), "NO_ANSWER"),
])
def test_originate_failures(sim, engine, setup, cause):
    setup(sim)
    with pytest.raises(OriginateFailed) as failure:
        engine.switch.originate(Endpoint.user("1002"), timeout=2)
    assert failure.value.cause == cause


def test_switch_restart_fails_pending_then_reconnects_resubscribes_and_resyncs(sim):
    engine = Engine(sim.port, PASSWORD, api_timeout=10.0)
    engine.connection.start()
    try:
        assert engine.connection.wait_connected(5) and wait_until(lambda: engine.resyncs == 1)
        caller = parked_call(sim, engine)
        engine.switch.set_variable(caller, "cc_state", "queued")
        sim.set_unresponsive(True)
        pending = gevent.spawn(engine.connection.api, "status")
        gevent.sleep(0.1)
        sim.stop(keep_channels=True)
        pending.join(timeout=1)
        assert isinstance(pending.exception, SwitchDisconnected)
        assert wait_until(lambda: engine.connection.state.startswith("reconnecting in"))
        sim.start()
        assert wait_until(lambda: engine.connection.connected and engine.resyncs == 2)
        controlled = {c.info.uuid: c.variables for c in engine.switch.controlled_channels()}
        assert controlled[caller]["cc_state"] == "queued"
        second = parked_call(sim, engine)  # events flow again: re-subscribed
        assert second != caller
    finally:
        engine.connection.stop()


def test_unresponsive_switch_times_out_and_the_link_is_rebuilt(sim, engine):
    engine.connection.api_timeout = 0.5
    sim.set_unresponsive(True)
    with pytest.raises(CommandTimeout):
        engine.connection.api("status")
    sim.set_unresponsive(False)
    assert wait_until(lambda: engine.connection.connected and engine.connection.connections == 2)
    assert engine.connection.api("status").startswith("UP")


@pytest.mark.parametrize("fault", ["bad_content_length", "missing_content_length", "non_utf8",
                                   "header_without_colon", "truncated_body"])
def test_malformed_frames_from_the_switch(sim, engine, fault):
    caller = parked_call(sim, engine)
    events = engine.connection.call_events(caller)
    sim.inject_fault(fault)
    gevent.spawn_later(0.2, sim.press, caller, "7")
    assert isinstance(events.get(timeout=3), DtmfPressed)
    assert engine.switch.channel_exists(caller)
    assert engine.connection.connections == 1


@pytest.mark.parametrize("mode", ["listen", "whisper", "barge"])
def test_supervisor_eavesdrops_on_an_agent_leg(sim, engine, mode):
    caller = parked_call(sim, engine)
    sim.register_phone("1001", "answer:1")
    sim.register_phone("1012", "answer:1")
    agent = engine.switch.originate(Endpoint.user("1001"), timeout=10)
    engine.switch.bridge(caller, agent)
    supervisor = engine.switch.eavesdrop(agent, Endpoint.user("1012"), mode, timeout=10)
    assert wait_until(lambda: sim.channel(supervisor).eavesdrop_mode == mode)
    assert sim.channel(supervisor).variables["eavesdrop_target"] == agent


def test_unregistration_reaches_the_engine(sim, engine):
    sim.register_phone("1003", "answer:1")
    sim.unregister_phone("1003")
    assert wait_until(lambda: engine.seen(PhoneUnregistered, extension="1003", expired=False))
    assert not engine.switch.is_registered("1003")


def test_heartbeat_reaches_the_engine():
    simulator = Simulator(password=PASSWORD, speed=10, fast_media=True, dialplan_dir=None,
                          heartbeat_interval=1.0)
    engine = Engine(simulator.start(), PASSWORD)
    engine.connection.start()
    try:
        assert engine.connection.wait_connected(3)
        gevent.sleep(1.5)
        assert not engine.seen(Heartbeat)  # the engine does not subscribe to heartbeats
        assert engine.connection.command("event plain HEARTBEAT").ok  # a client that does
        gevent.sleep(1.5)  # the engine's filters let only the events it reads through
        assert not engine.seen(Heartbeat)
        assert engine.connection.command("filter Event-Name HEARTBEAT").ok
        assert wait_until(lambda: engine.seen(Heartbeat), timeout=3)
        assert engine.seen(Heartbeat)[0].sessions == 0
    finally:
        engine.connection.stop()
        simulator.close()


def test_collect_reports_invalid_input_then_the_valid_one(sim, engine):
    uuid = parked_call(sim, engine)
    gevent.spawn_later(0.2, sim.press, uuid, "9")
    gevent.spawn_later(0.6, sim.press, uuid, "2")
    collected = engine.switch.collect(uuid, "ivr/menu.wav", regex="[1-3]", tries=2, timeout_ms=20000,
                                      variable="menu_choice")
    assert (collected.digits, collected.result) == ("2", "success")
    assert collected.invalid == "9"


def test_caller_is_recorded_into_a_wav_file(sim, engine, tmp_path):
    uuid = parked_call(sim, engine)
    path = tmp_path / "message.wav"
    gevent.spawn_later(0.5, sim.press, uuid, "#")
    done = engine.switch.record(uuid, str(path), max_seconds=30)
    assert done.application == "record"
    assert wait_until(path.exists) and path.stat().st_size > 44


def test_commands_on_a_channel_that_is_gone(sim, engine):
    gone = "0badc0de-0000-4000-8000-000000000000"
    with pytest.raises(CallHungUp):
        engine.switch.playback(gone, "ivr/welcome.wav")
    assert not engine.switch.channel_exists(gone)
    with pytest.raises(CallHungUp):
        engine.switch.get_variable(gone, "cc_state")
    with pytest.raises(CallHungUp):
        engine.switch.set_variable(gone, "cc_state", "queued")
    assert engine.switch.hangup(gone) is False



def test_cancel_scheduled_tells_whether_a_fallback_was_cancelled(sim, engine):
    """FreeSWITCH answers sched_del with a count ('+OK Deleted: 0' when none), never -ERR."""
    uuid = parked_call(sim, engine)
    assert engine.switch.cancel_scheduled(uuid) is True
    assert engine.switch.cancel_scheduled(uuid) is False
