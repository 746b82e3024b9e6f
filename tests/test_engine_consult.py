"""Consultation (attended) transfer at the wire level: agent08 has a caller,
calls agent10 while the caller waits parked with music, then hands the call
over, takes the caller back, or the call ends meanwhile. Checked on the
simulator's bridges, the ACD's agent states and the call's event log."""
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from callcenter.models import AgentStateChange
from engine_fixtures import hotline  # noqa: F401  (fixture)
from web.ports import IllegalTransition, TransferTarget

CALLER = "13800000001"
OTHER_CALLER = "13800000002"
TO_AN_AGENT = "wait:0.5 press:1 wait:1 press:0"  # Mandarin, then 0 for an agent
STAYS = TO_AN_AGENT + " wait:400 hangup"  # the caller stays longer than any test


def _connect(hotline, login):
    agent = hotline.agent_ready(login)
    uuid = hotline.sim.place_call(CALLER, "10000", STAYS)
    hotline.wait(lambda: hotline.agent_on(uuid) == login, 20, f"the caller never reached {login}")
    hotline.wait(lambda: hotline.state_of(login) == "on_call", 5, f"{login} is not on the call")
    return agent, uuid, hotline.bridged_to(uuid)


def _consult_leg(hotline, call_uuid):
    """The consulted agent's leg of this call, while it is up."""
    for channel in hotline.sim.channels():
        if (channel.variables.get("cc_call_id") == call_uuid and not channel.gone
                and channel.variables.get("cc_leg") == "consult"):
            return channel.uuid
    return None


def _consulting(hotline, first, uuid, helper):
    """first consults helper; returns B's leg once A's leg is bridged to it."""
    a_leg = hotline.bridged_to(uuid)
    hotline.engine.live.consult(first.id, uuid, TransferTarget(agent_id=helper.id))
    hotline.wait(lambda: _consult_leg(hotline, uuid) and hotline.bridged_to(a_leg)
                 == _consult_leg(hotline, uuid), 15, "agent08 never got through to agent10")
    hotline.wait(lambda: hotline.state_of("agent08") == "on_hold", 5, "agent08 is not on hold")
    return _consult_leg(hotline, uuid)


def _free(hotline, login):
    info = hotline.engine.shell.core.agent(login)
    return info.state.value == "ready" and not info.on_external_call


def _held_events(subscription, count, timeout=5.0):
    """The 'held' flags of the call_held events the desk receives, until ``count`` came."""
    seen, deadline = [], time.monotonic() + timeout
    for event in subscription:
        if event is not None and event.kind == "call_held":
            seen.append(event.data["held"])
        if len(seen) >= count or time.monotonic() > deadline:
            return seen
    return seen


def _kinds(hotline, uuid):
    return [kind for kind, _ in hotline.events(uuid)]


def test_the_caller_waits_with_music_and_completing_hands_the_call_and_note_to_the_colleague(
        hotline):
    first, uuid, a_leg = _connect(hotline, "agent08")
    helper = hotline.agent_ready("agent10")

    b_leg = _consulting(hotline, first, uuid, helper)
    caller = hotline.sim.channel(uuid)
    assert caller.bridged_to is None and not caller.gone, "the caller is not parked"
    hotline.wait(lambda: any("moh" in f for f in hotline.sim.channel(uuid).files_played), 5,
                 "the parked caller hears no music on hold")
    assert hotline.engine.live.current_call(first.id).state == "held"
    # a queue call meanwhile is not offered to the consulted agent (general, level 5)
    other = hotline.sim.place_call(OTHER_CALLER, "10000", STAYS)
    hotline.wait(lambda: other in hotline.waiting(), 15, "the second caller never queued")
    assert hotline.engine.shell.core.waiting()[0].offered_to is None

    hotline.engine.live.transfer(first.id, uuid, TransferTarget(agent_id=helper.id),
                                 "wants the fibre offer; identity checked")
    hotline.wait(lambda: hotline.bridged_to(uuid) == b_leg, 10, "the caller never reached agent10")
    hotline.wait(lambda: hotline.sim.channel(a_leg).gone, 5, "agent08's leg is still up")
    assert hotline.agent_on(uuid) == "agent10"
    assert hotline.state_of("agent08") == "wrap_up" and hotline.state_of("agent10") == "on_call"
    assert hotline.engine.shell.core.active_call(uuid)[1] == "agent10"
    completed = hotline.event(uuid, "consult_completed")
    assert completed["from_agent"] == "agent08" and completed["to_agent"] == "agent10"
    assert completed["note"] == "wants the fibre offer; identity checked"
    assert hotline.call(uuid).agent_id == helper.id
    pop = hotline.engine.live.current_call(helper.id)
    assert pop.uuid == uuid and pop.state == "bridged"
    assert pop.transferred_note == "wants the fibre offer; identity checked"
    assert hotline.engine.live.current_call(first.id) is None
    # the recording (on the caller's leg) goes on: nothing was closed by the hand-over
    assert completed["recording"] and hotline.sim.channel(uuid).recordings == ()
    with hotline.services.sessions() as session:
        steps = [(c.from_state, c.to_state) for c in session.scalars(
            select(AgentStateChange).where(AgentStateChange.agent_id == helper.id,
                                           AgentStateChange.call_uuid == uuid)
            .order_by(AgentStateChange.id))]
    assert steps == [("ready", "reserved"), ("reserved", "on_call")]

    hotline.sim.hangup_call(uuid)
    hotline.wait(lambda: hotline.state_of("agent10") == "wrap_up", 10, "agent10 not in wrap-up")
    hotline.wait(lambda: hotline.sim.channel(b_leg).gone, 5, "agent10's leg outlived the call")
    # one file for the whole call, closed when the caller hung up
    hotline.wait(lambda: hotline.sim.channel(uuid).recordings == (completed["recording"],), 5,
                 "the call's one recording was not closed")
    assert Path(completed["recording"]).stat().st_size > 44  # a WAV header and some audio


def test_hanging_up_the_consultation_brings_the_caller_back_and_frees_the_colleague(hotline):
    first, uuid, a_leg = _connect(hotline, "agent08")
    helper = hotline.agent_ready("agent10")
    desk = hotline.engine.live.subscribe(first.id, 0.1)  # what agent08's desk is told
    b_leg = _consulting(hotline, first, uuid, helper)

    hotline.engine.live.hangup(first.id, uuid)
    hotline.wait(lambda: hotline.bridged_to(uuid) == a_leg, 10, "the caller is not back with agent08")
    assert _held_events(desk, 2) == [True, False]
    desk.close()
    hotline.wait(lambda: hotline.sim.channel(b_leg).gone, 5, "agent10's leg is still up")
    hotline.wait(lambda: _free(hotline, "agent10"), 5, "agent10 is not free again")
    hotline.wait(lambda: hotline.state_of("agent08") == "on_call", 5, "agent08 is still on hold")
    hotline.wait(lambda: hotline.event(uuid, "consult_cancelled"), 5, "no consult_cancelled event")
    assert hotline.event(uuid, "consult_cancelled")["reason"] == "cancelled_by_agent"
    assert hotline.engine.live.current_call(first.id).state == "bridged"
    assert not hotline.sim.channel(uuid).gone

    hotline.engine.live.hangup(first.id, uuid)  # now the call itself ends
    hotline.wait(lambda: hotline.sim.channel(uuid).gone, 5, "the caller was not hung up")
    hotline.wait(lambda: hotline.state_of("agent08") == "wrap_up", 5, "agent08 not in wrap-up")


@pytest.mark.parametrize("phone, cause", [("ring", "NO_ANSWER"), ("reject", "CALL_REJECTED")])
def test_a_colleague_who_does_not_answer_leaves_the_caller_with_the_agent(hotline, phone, cause):
    first, uuid, a_leg = _connect(hotline, "agent08")
    helper = hotline.agent_ready("agent10", phone=phone)

    hotline.engine.live.consult(first.id, uuid, TransferTarget(agent_id=helper.id))
    assert hotline.engine.shell.core.agent("agent10").on_external_call
    hotline.wait(lambda: hotline.event(uuid, "consult_cancelled"), 15, "the consultation never ended")
    cancelled = hotline.event(uuid, "consult_cancelled")
    assert cancelled["reason"] == "not_answered" and cancelled["cause"] == cause
    assert hotline.bridged_to(uuid) == a_leg, "the caller left agent08"
    hotline.wait(lambda: _free(hotline, "agent10"), 5, "agent10 is not free again")
    assert hotline.state_of("agent08") == "on_call"
    assert _consult_leg(hotline, uuid) is None
    with pytest.raises(IllegalTransition):  # nothing left to complete
        hotline.engine.live.transfer(first.id, uuid, TransferTarget(need="nope"), "")


def test_the_caller_hanging_up_during_the_consultation_ends_everything(hotline):
    first, uuid, a_leg = _connect(hotline, "agent08")
    helper = hotline.agent_ready("agent10")
    b_leg = _consulting(hotline, first, uuid, helper)

    hotline.sim.hangup_call(uuid)
    hotline.wait(lambda: hotline.sim.channel(a_leg).gone and hotline.sim.channel(b_leg).gone, 5,
                 "a ghost leg is left")
    hotline.wait(lambda: hotline.state_of("agent08") == "wrap_up", 5, "agent08 not in wrap-up")
    hotline.wait(lambda: _free(hotline, "agent10"), 5, "agent10 is not free again")
    hotline.wait(lambda: hotline.event(uuid, "ended"), 5, "the call never ended")
    assert hotline.event(uuid, "consult_cancelled")["reason"] == "caller_hung_up"
    assert uuid not in hotline.engine.runner.calls
    assert hotline.engine.runner.consults.by_call == {} and hotline.engine.runner.consults.by_leg == {}
    assert [c.uuid for c in hotline.sim.channels() if c.variables.get("cc_call_id") == uuid] == []


def test_the_colleague_hanging_up_brings_the_caller_back(hotline):
    first, uuid, a_leg = _connect(hotline, "agent08")
    helper = hotline.agent_ready("agent10")
    b_leg = _consulting(hotline, first, uuid, helper)

    hotline.sim.hangup_call(b_leg)
    hotline.wait(lambda: hotline.bridged_to(uuid) == a_leg, 10, "the caller is not back with agent08")
    hotline.wait(lambda: hotline.event(uuid, "consult_cancelled"), 5, "no consult_cancelled event")
    assert hotline.event(uuid, "consult_cancelled")["reason"] == "consulted_agent_hung_up"
    hotline.wait(lambda: _free(hotline, "agent10"), 5, "agent10 is not free again")
    hotline.wait(lambda: hotline.state_of("agent08") == "on_call", 5, "agent08 is still on hold")


def test_the_agent_hanging_up_the_phone_after_the_colleague_answered_hands_the_call_over(hotline):
    first, uuid, a_leg = _connect(hotline, "agent08")
    helper = hotline.agent_ready("agent10")
    b_leg = _consulting(hotline, first, uuid, helper)

    hotline.sim.hangup_call(a_leg)  # agent08 puts the handset down, as on a desk phone
    hotline.wait(lambda: hotline.bridged_to(uuid) == b_leg, 10, "the caller never reached agent10")
    hotline.wait(lambda: hotline.state_of("agent10") == "on_call", 5, "agent10 is not on the call")
    assert hotline.state_of("agent08") == "wrap_up"
    assert hotline.event(uuid, "consult_completed")["note"] == ""


def test_a_consultation_is_refused_when_it_cannot_happen(hotline):
    first, uuid, _ = _connect(hotline, "agent08")
    helper = hotline.agent_ready("agent10")
    live = hotline.engine.live

    with pytest.raises(IllegalTransition, match="named agent"):
        live.consult(first.id, uuid, TransferTarget(need="billing"))
    with pytest.raises(IllegalTransition, match="themselves"):
        live.consult(first.id, uuid, TransferTarget(agent_id=first.id))
    live.set_agent_state(helper.id, "not_ready", "break")
    with pytest.raises(IllegalTransition, match="not free"):
        live.consult(first.id, uuid, TransferTarget(agent_id=helper.id))
    assert hotline.state_of("agent10") == "not_ready"
    assert "consult_started" not in _kinds(hotline, uuid)
    assert hotline.bridged_to(uuid) is not None


def test_after_a_crash_during_a_consultation_the_consulted_agent_is_free_again(hotline):
    first, uuid, _ = _connect(hotline, "agent08")
    helper = hotline.agent_ready("agent10")
    b_leg = _consulting(hotline, first, uuid, helper)

    hotline.restart_engine()

    hotline.wait(lambda: hotline.sim.channel(b_leg).gone, 10,
                 "the consulted agent's leg was left up by the restart")
    hotline.wait(lambda: _free(hotline, "agent10"), 10, "agent10 stays busy after the restart")
    other = hotline.sim.place_call(OTHER_CALLER, "10000", STAYS)
    hotline.wait(lambda: hotline.agent_on(other) == "agent10", 20,
                 "agent10 is never offered a call again")
