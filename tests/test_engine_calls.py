"""What happens to a call once it is in the ACD, at the wire level: blind
transfer to a need, hold, callback, abandon and calling again, reconciliation
of legs that vanished, position announcements."""
import wave

import gevent
import pytest
from sqlalchemy import select

from callcenter.models import Call, CallbackRequest, CallbackStatus, Recording
from engine_fixtures import drain, hotline, hotline_with  # noqa: F401  (fixtures)
from web.ports import IllegalTransition, TransferTarget

REGULAR = "13800000001"
OTHER_REGULAR = "13800000002"
VIP = "13800000004"
TO_AN_AGENT = "wait:0.5 press:1 wait:1 press:0"  # Mandarin, then 0 for an agent


def _connect(hotline, login, caller=REGULAR, script=TO_AN_AGENT + " wait:60 hangup"):
    agent = hotline.agent_ready(login)
    uuid = hotline.sim.place_call(caller, "10000", script)
    hotline.wait(lambda: hotline.agent_on(uuid) == login, 20, f"the caller never reached {login}")
    hotline.wait(lambda: hotline.state_of(login) == "on_call", 5, f"{login} is not on the call")
    return agent, uuid


def test_a_blind_transfer_to_a_need_keeps_the_caller_and_brings_the_note_to_the_next_agent(hotline):
    specialist = hotline.agent_ready("agent02")  # billing only: not for the general queue
    first, uuid = _connect(hotline, "agent08")
    first_leg = hotline.bridged_to(uuid)

    hotline.engine.live.transfer(first.id, uuid, TransferTarget(need="billing"),
                                 "disputes the roaming charge of 12 November")
    hotline.wait(lambda: hotline.agent_on(uuid) == "agent02", 20,
                 "the transferred caller never reached the billing agent")
    assert not hotline.sim.channel(uuid).gone, "the caller was cut by the transfer"
    assert hotline.sim.channel(first_leg).gone
    routed = [data for kind, data in hotline.events(uuid) if kind == "routed"][-1]
    assert routed["agent"] == "agent02" and routed["priority_class"] == "transferred"
    hotline.wait(lambda: hotline.engine.live.current_call(specialist.id) is not None, 5, "no screen pop")
    pop = hotline.engine.live.current_call(specialist.id)
    assert pop.uuid == uuid and pop.transferred_note == "disputes the roaming charge of 12 November"
    assert hotline.state_of("agent08") == "wrap_up"
    assert hotline.event(uuid, "transferred")["from_agent"] == "agent08"


def test_a_blind_transfer_to_a_named_agent_goes_to_that_agent_even_when_a_better_one_is_free(hotline):
    best_general = hotline.agent_ready("agent09")  # general 7: the router's own first choice
    named = hotline.agent_ready("agent10")  # general 5
    named_card = hotline.agent("agent10")
    hotline.engine.live.set_agent_state(best_general.id, "not_ready", "break")
    first, uuid = _connect(hotline, "agent08")
    hotline.engine.live.set_agent_state(best_general.id, "ready")

    hotline.engine.live.transfer(first.id, uuid, TransferTarget(agent_id=named_card.id),
                                 "asked for Wu Xia by name")
    hotline.wait(lambda: hotline.agent_on(uuid) == "agent10", 20,
                 "the caller never reached the named agent")
    assert not hotline.sim.channel(uuid).gone, "the caller was cut by the transfer"
    routed = [data for kind, data in hotline.events(uuid) if kind == "routed"][-1]
    assert routed["rule"] == "transferred_to_agent" and routed["agent"] == "agent10"
    assert hotline.engine.live.current_call(named.id).transferred_note == "asked for Wu Xia by name"
    assert hotline.state_of("agent09") == "ready"


def test_hold_from_the_desk_gives_the_caller_music_the_agent_silence_and_keeps_recording(hotline):
    agent, uuid = _connect(hotline, "agent08")
    agent_leg = hotline.bridged_to(uuid)
    desk = hotline.engine.bus.subscribe(agent.id, 0.5)

    hotline.engine.live.hold(agent.id, uuid, True)
    hotline.wait(lambda: hotline.bridged_to(uuid) is None, 5, "the caller is still in the bridge")
    caller, leg = hotline.sim.channel(uuid), hotline.sim.channel(agent_leg)
    assert caller.files_played[-1] == "local_stream://moh", caller.files_played
    assert not leg.gone and leg.applications[-1][0] == "park", "the agent's leg did not stay, silent"
    assert hotline.state_of("agent08") == "on_hold"
    assert hotline.engine.live.current_call(agent.id).state == "held"
    hotline.wait(lambda: hotline.event(uuid, "held") is not None, 5, "no 'held' event in the call's log")
    assert hotline.event(uuid, "held")["by"] == "desk"
    gevent.sleep(0.3)  # over a simulated second on hold
    hotline.engine.live.hold(agent.id, uuid, False)
    hotline.wait(lambda: hotline.bridged_to(uuid) == agent_leg, 5, "the caller is not back with the agent")
    assert hotline.state_of("agent08") == "on_call"
    assert hotline.sim.channel(agent_leg).variables["park_after_bridge"] == "false"
    hotline.wait(lambda: hotline.event(uuid, "resumed") is not None, 5, "no 'resumed' event")
    held = [e for e in drain(desk) if e.kind == "call_held"]
    assert [(e.data["held"], e.data["by"]) for e in held] == [(True, "desk"), (False, "desk")]

    hotline.sim.hangup_call(uuid)
    hotline.wait(lambda: _recording(hotline, uuid) is not None and _recording(hotline, uuid).duration_ms,
                 10, "no recording measured")
    # the simulated switch writes the file as long as the recorded (caller's) channel
    # heard the call, leaving out any time that channel itself was held
    held, resumed = hotline.event_time(uuid, "held"), hotline.event_time(uuid, "resumed")
    held_sim_seconds = (resumed - held).total_seconds() * hotline.sim.clock.speed
    assert held_sim_seconds > 1.0, held_sim_seconds
    wav = _recording(hotline, uuid)
    with wave.open(wav.path) as w:
        seconds = w.getnframes() / w.getframerate()
        assert w.getnchannels() == 2
    assert seconds >= held_sim_seconds, "the held time is missing from the recording"


def test_hold_pressed_on_the_agents_phone_is_seen_by_the_engine_and_shown_on_the_desk(hotline):
    agent, uuid = _connect(hotline, "agent08")
    agent_leg = hotline.bridged_to(uuid)
    desk = hotline.engine.bus.subscribe(agent.id, 0.5)

    hotline.sim.phone_hold(agent_leg, True)  # the phone's re-INVITE a=sendonly
    hotline.wait(lambda: hotline.state_of("agent08") == "on_hold", 5, "the engine missed the phone's hold")
    assert hotline.sim.channel(uuid).hearing_music
    assert hotline.engine.live.current_call(agent.id).state == "held"
    hotline.wait(lambda: hotline.event(uuid, "held") is not None, 5, "no 'held' event in the call's log")
    assert hotline.event(uuid, "held")["by"] == "phone"
    with pytest.raises(IllegalTransition):  # the desk sees the hold: holding again is refused
        hotline.engine.live.hold(agent.id, uuid, True)
    with pytest.raises(IllegalTransition, match="on the phone"):
        hotline.engine.live.hold(agent.id, uuid, False)

    hotline.sim.phone_hold(agent_leg, False)
    hotline.wait(lambda: hotline.state_of("agent08") == "on_call", 5, "the engine missed the phone's resume")
    assert [(e.data["held"], e.data["by"]) for e in drain(desk) if e.kind == "call_held"] == \
        [(True, "phone"), (False, "phone")]


def test_a_callers_phone_holding_the_agent_changes_nothing_in_the_acd(hotline):
    agent, uuid = _connect(hotline, "agent08")
    hotline.sim.phone_hold(uuid, True)
    hotline.wait(lambda: hotline.sim.channel(hotline.bridged_to(uuid)).hearing_music, 5, "no music")
    gevent.sleep(0.3)
    assert hotline.state_of("agent08") == "on_call"
    assert hotline.event(uuid, "held") is None




def _recording(hotline, uuid: str) -> Recording | None:
    with hotline.services.sessions() as session:
        return session.scalar(select(Recording).join(Call).where(Call.uuid == uuid))


def test_a_waiting_caller_who_chooses_a_callback_is_let_go_and_called_back_by_the_next_free_agent(
        hotline_with):
    hotline = hotline_with(queues={"general": {"overflow": [
        {"after": 1, "offer": ["callback", "voicemail"]}]}})
    hotline.sim.add_external_party(REGULAR, "answer:1 hangup:60")
    # nobody is logged in: the callback choice is offered at once; the caller presses 1
    uuid = hotline.sim.place_call(REGULAR, "10000", TO_AN_AGENT + " wait:4 press:1 wait:60 hangup")
    hotline.wait(lambda: hotline.sim.channel(uuid).gone, 20, "the caller was not let go")
    with hotline.services.sessions() as session:
        request = session.scalar(select(CallbackRequest))
    assert request is not None and request.phone.endswith(REGULAR) and request.need == "general"
    assert hotline.waiting() == [uuid], "the callback lost its place"
    assert hotline.engine.shell.core.waiting()[0].callback

    hotline.agent_ready("agent10")
    hotline.wait(lambda: _customer_leg(hotline), 20, "the customer was never called back")
    customer = _customer_leg(hotline)
    agent_leg = hotline.sim.channel(customer.bridged_to)
    assert agent_leg.variables.get("cc_agent") == "agent10"
    assert hotline.state_of("agent10") == "on_call"
    hotline.wait(lambda: _callback(hotline).status is CallbackStatus.DONE, 5,
                 "the callback request was not marked done")
    assert _callback(hotline).attempts == 1

    hotline.sim.hangup_call(customer.uuid)  # the customer and the agent say goodbye
    hotline.wait(lambda: hotline.state_of("agent10") == "wrap_up", 10, "agent10 not in wrap-up")
    assert hotline.waiting() == [] and uuid not in hotline.engine.runner.calls


def _callback(hotline):
    with hotline.services.sessions() as session:
        return session.scalar(select(CallbackRequest))


def _customer_leg(hotline):
    for channel in hotline.sim.channels():
        if (channel.direction == "outbound" and channel.variables.get("cc_leg") == "caller"
                and channel.bridged_to and not channel.gone):
            return channel
    return None


def test_a_caller_who_hangs_up_while_waiting_is_abandoned_and_keeps_the_place_when_calling_again(
        hotline):
    gone = hotline.sim.place_call(REGULAR, "10000", TO_AN_AGENT + " wait:6 hangup")
    hotline.wait(lambda: hotline.waiting() == [gone], 15, "the first caller never queued")
    later = hotline.sim.place_call(OTHER_REGULAR, "10000", TO_AN_AGENT + " wait:60 hangup")
    hotline.wait(lambda: later in hotline.waiting(), 15, "the second caller never queued")

    hotline.wait(lambda: hotline.call(gone).abandoned, 15, "the hang-up was not an abandon")
    hotline.wait(lambda: hotline.event(gone, "abandoned"), 5, "no abandoned event")
    abandoned = hotline.event(gone, "abandoned")
    assert abandoned["queue"] == "general" and abandoned["waited_seconds"] > 0
    assert hotline.waiting() == [later]

    again = hotline.sim.place_call(REGULAR, "10000", TO_AN_AGENT + " wait:60 hangup")
    hotline.wait(lambda: again in hotline.waiting(), 15, "the caller calling again never queued")
    assert hotline.waiting() == [again, later], "the earlier place was not given back"


def test_reconciliation_ends_a_call_whose_legs_vanished_while_the_engine_was_disconnected(hotline):
    agent, uuid = _connect(hotline, "agent08")
    agent_leg = hotline.bridged_to(uuid)

    hotline.sim.drop_connections()
    hotline.sim.hangup_call(uuid)  # the hang-up events go nowhere
    hotline.wait(lambda: hotline.sim.channel(agent_leg).gone, 5, "the agent leg is still up")
    hotline.wait(lambda: hotline.engine.connection.connected, 10, "the engine never reconnected")
    hotline.engine.reconcile()

    hotline.wait(lambda: hotline.state_of("agent08") != "on_call", 5, "the agent is stuck on_call")
    assert hotline.state_of("agent08") in ("wrap_up", "ready")
    hotline.wait(lambda: hotline.call(uuid).ended_at is not None, 5, "the call was never ended")
    assert uuid not in hotline.engine.runner.calls


def test_waiting_callers_hear_their_place_and_the_announced_place_never_goes_up(hotline_with):
    hotline = hotline_with(queues={"general": {"announcements": {
        "first_after": 1, "every": 1, "position": True, "estimated_wait": False}}})
    first = hotline.sim.place_call(REGULAR, "10000", TO_AN_AGENT + " wait:30 hangup")
    hotline.wait(lambda: hotline.waiting() == [first], 15, "the first caller never queued")
    second = hotline.sim.place_call(OTHER_REGULAR, "10000", TO_AN_AGENT + " wait:60 hangup")
    hotline.wait(lambda: _announced(hotline, second), 15, "the second caller heard no position")
    assert _announced(hotline, second)[0] == 2

    vip = hotline.sim.place_call(VIP, "10000", "wait:60 hangup")  # goes ahead of both
    hotline.wait(lambda: hotline.waiting()[:1] == [vip], 15, "the VIP never queued")
    heard = len(_announced(hotline, second))
    hotline.wait(lambda: len(_announced(hotline, second)) >= heard + 2, 10, "no more announcements")
    hotline.sim.hangup_call(first)
    hotline.sim.hangup_call(vip)
    hotline.wait(lambda: 1 in _announced(hotline, second), 10, "the place never moved up to 1")

    positions = _announced(hotline, second)
    assert positions == sorted(positions, reverse=True), positions  # never goes up
    assert 3 not in positions
    prompt = hotline.engine.runner.announcer._path("queue_position_is", "zh")
    assert prompt in hotline.sim.channel(second).files_played


def _announced(hotline, uuid):
    return [data["position"] for kind, data in hotline.events(uuid) if kind == "announced"]


def test_reconciliation_ends_a_callback_whose_legs_vanished(hotline_with):
    hotline = hotline_with(queues={"general": {"overflow": [
        {"after": 1, "offer": ["callback", "voicemail"]}]}})
    hotline.sim.add_external_party(REGULAR, "answer:1 hangup:120")
    uuid = hotline.sim.place_call(REGULAR, "10000", TO_AN_AGENT + " wait:4 press:1 wait:60 hangup")
    hotline.wait(lambda: hotline.sim.channel(uuid).gone, 20, "the caller was not let go")
    hotline.agent_ready("agent10")
    hotline.wait(lambda: _customer_leg(hotline), 20, "the customer was never called back")
    customer = _customer_leg(hotline)

    hotline.sim.drop_connections()
    hotline.sim.hangup_call(customer.uuid)  # the hang-up events go nowhere
    hotline.wait(lambda: hotline.engine.connection.connected, 10, "the engine never reconnected")
    hotline.engine.reconcile()

    hotline.wait(lambda: hotline.state_of("agent10") != "on_call", 5, "agent10 is stuck on_call")
    assert uuid not in hotline.engine.runner.calls and hotline.waiting() == []


def test_not_ready_pressed_on_a_call_takes_effect_after_the_call_and_its_wrap_up(hotline):
    agent, uuid = _connect(hotline, "agent08")
    status = hotline.engine.live.set_agent_state(agent.id, "not_ready", "lunch")
    assert (status.state, status.pending_reason) == ("on_call", "lunch")
    hotline.sim.hangup_call(uuid)
    hotline.wait(lambda: hotline.state_of("agent08") == "wrap_up", 10, "no wrap-up")
    assert hotline.engine.live.agent_status(agent.id).pending_reason == "lunch"
    status = hotline.engine.live.end_wrapup(agent.id)  # the disposition was saved
    assert (status.state, status.reason, status.pending_reason) == ("not_ready", "lunch", None)
    second = hotline.sim.place_call(REGULAR, "10000", TO_AN_AGENT + " wait:30 hangup")
    hotline.wait(lambda: second in hotline.waiting(), 10, "the second caller never queued")
    gevent.sleep(0.3)
    assert hotline.ringing_agents() == [], "an agent gone to lunch was offered a call"


def test_wrap_up_shows_when_it_ends_and_can_be_extended_once(hotline):
    agent, uuid = _connect(hotline, "agent08")
    hotline.sim.hangup_call(uuid)
    hotline.wait(lambda: hotline.state_of("agent08") == "wrap_up", 10, "no wrap-up")
    status = hotline.engine.live.agent_status(agent.id)
    assert status.state == "wrapup" and status.wrapup_until is not None and status.wrapup_extendable
    extended = hotline.engine.live.extend_wrapup(agent.id)
    queue = hotline.engine.shell.core.config.queues["general"]
    assert (extended.wrapup_until - status.wrapup_until).total_seconds() == pytest.approx(
        queue.wrap_up_extension, abs=1.0)
    assert not extended.wrapup_extendable
    with pytest.raises(IllegalTransition, match="once"):
        hotline.engine.live.extend_wrapup(agent.id)
