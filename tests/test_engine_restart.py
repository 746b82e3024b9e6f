"""The engine dies while callers wait and agents talk; a new engine starts on
the same switch and database: every waiting caller still reaches an agent in
the original order, and no talking pair is cut."""
import gevent

from callcenter.live.writebehind import BATCH_DELAY
from engine_fixtures import hotline  # noqa: F401  (fixture)

TO_AN_AGENT = "wait:0.5 press:1 wait:1 press:0"  # Mandarin, then 0 for an agent
TALKING = "13800000001"
WAITING = ["13800000002", "13800000003", "13800000004"]  # the last one is a VIP: first in line


def test_a_crashed_engine_restarts_without_losing_a_waiting_caller_or_cutting_a_call(hotline):
    hotline.agent_ready("agent08")
    talking = hotline.sim.place_call(TALKING, "10000", TO_AN_AGENT + " wait:120 hangup")
    hotline.wait(lambda: hotline.agent_on(talking) == "agent08", 20, "the first caller never talked")
    agent_leg = hotline.bridged_to(talking)
    waiting = []
    for number in WAITING:
        waiting.append(hotline.sim.place_call(number, "10000", TO_AN_AGENT + " wait:120 hangup"))
        hotline.wait(lambda: waiting[-1] in hotline.waiting(), 15, f"{number} never queued")
    order = hotline.waiting()
    assert sorted(order) == sorted(waiting) and order[0] == waiting[-1]  # the VIP leads
    hotline.wait(lambda: hotline.state_of("agent08") == "on_call", 5, "agent08 not on the call")
    hotline.wait(lambda: hotline.persisted_waiting() == set(order), 5, "the queue was never saved")

    hotline.restart_engine()

    assert hotline.bridged_to(talking) == agent_leg, "the talking pair was cut by the restart"
    assert hotline.waiting() == order, "the waiting order changed across the restart"
    assert hotline.state_of("agent08") == "on_call"
    for login, caller in zip(["agent10", "agent11", "agent12"], order):
        hotline.agent_ready(login)
        hotline.wait(lambda: hotline.agent_on(caller) == login, 20,
                     f"the caller at the front did not reach {login}")
        assert not any(hotline.bridged_to(other) for other in order[order.index(caller) + 1:])
    assert hotline.bridged_to(talking) == agent_leg

    hotline.sim.hangup_call(talking)  # the first conversation ends normally
    hotline.wait(lambda: hotline.state_of("agent08") == "wrap_up", 10,
                 "agent08 did not go to wrap-up after the call")
    hotline.wait(lambda: hotline.event(talking, "ended"), 5, "the call never ended")
    assert hotline.call(talking).ended_at is not None
    assert not hotline.call(talking).abandoned


def test_an_offer_ringing_when_the_engine_dies_is_withdrawn_and_made_again_after_the_restart(hotline):
    agent = hotline.agent_ready("agent08", phone="ring")
    caller = hotline.sim.place_call(TALKING, "10000", TO_AN_AGENT + " wait:120 hangup")
    hotline.wait(lambda: hotline.ringing_agents() == ["agent08"], 20, "agent08's phone never rang")
    old_leg = next(c.uuid for c in hotline.sim.channels() if c.variables.get("cc_leg") == "agent")
    hotline.wait(lambda: hotline.persisted_waiting() == {caller}, 5, "the queue was never saved")
    hotline.sim.set_phone_behaviour(agent.sip_extension, "answer:1")  # the next ring is answered

    hotline.restart_engine()

    assert hotline.sim.channel(old_leg).gone, "the previous engine's ringing leg was left ringing"
    hotline.wait(lambda: hotline.agent_on(caller) == "agent08", 20,
                 "the call was not offered again after the restart")
    assert hotline.bridged_to(caller) != old_leg


def test_an_agent_answering_a_call_the_dead_engine_never_saved_is_connected_from_the_switch(hotline):
    """Saving is write-behind: the engine dies after queueing a caller and ringing an agent
    but before any of it reached the database. The phone answers while no engine runs; the
    new engine learns the call from the switch's variables: connected, logged, recorded."""
    hotline.agent_ready("agent08", phone="answer:8")  # 2 s of real time at the test's speed
    hotline.engine.calllog.writer.batch_delay = 3600  # nothing of the next call gets written
    hotline.engine.calllog.flush()
    gevent.sleep(BATCH_DELAY + 0.1)  # the writer of earlier writes wakes, finds nothing, ends
    caller = hotline.sim.place_call(TALKING, "10000", TO_AN_AGENT + " wait:120 hangup")
    hotline.wait(lambda: hotline.ringing_agents() == ["agent08"], 20, "agent08's phone never rang")
    leg = next(c.uuid for c in hotline.sim.channels() if c.variables.get("cc_leg") == "agent")
    hotline.crash_engine()
    assert hotline.call(caller) is None and hotline.persisted_waiting() == set()

    # the agent picks up while no engine runs; the switch bridges by itself
    hotline.wait(lambda: hotline.bridged_to(caller) == leg, 10, "the switch did not bridge on the answer")
    hotline.engine = hotline._make_engine()
    hotline.engine.start()

    assert hotline.sim.channel(leg) is not None and not hotline.sim.channel(leg).gone, \
        "the answered agent leg was hung up as a stray"
    assert hotline.agent_on(caller) == "agent08"
    assert hotline.state_of("agent08") == "on_call"
    hotline.wait(lambda: hotline.event(caller, "connected"), 5, "the call was never logged connected")
    call = hotline.call(caller)
    assert call.caller_number == TALKING and call.agent_answered_at is not None
    assert hotline.event(caller, "connected")["agent"] == "agent08"
    assert hotline.event(caller, "connected")["recording"], "no recording for the connected call"

    hotline.sim.hangup_call(caller)
    hotline.wait(lambda: hotline.state_of("agent08") == "wrap_up", 10, "agent08 never went to wrap-up")
    hotline.wait(lambda: hotline.event(caller, "ended"), 5, "the call never ended")
