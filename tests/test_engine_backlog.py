"""A lagging engine: a caller's hang-up already read off the socket but not yet handled
stops what the engine was about to do for them. No agent is rung for a caller who has
gone (the agent would answer silence), and a caller whose IVR ends after hanging up is
not queued."""
import gevent
from sqlalchemy import select

from callcenter.models import Recording
from engine_fixtures import hotline  # noqa: F401  (fixture)

TO_AN_AGENT = "wait:0.5 press:1 wait:1 press:0"  # Mandarin, then 0 for an agent


def _agent_legs(hotline):
    return [c for c in hotline.sim.channels() if c.variables.get("cc_leg") == "agent"]


def test_no_agent_is_rung_for_a_caller_whose_hang_up_waits_in_the_backlog(hotline):
    caller = hotline.sim.place_call("13800000001", "10000", TO_AN_AGENT + " wait:60 hangup")
    hotline.wait(lambda: caller in hotline.waiting(), 15, "the caller never queued")
    hotline.engine.hung_up.saw(caller)  # read, not yet handled: the backlog of a lagging engine
    hotline.agent_ready("agent08")
    hotline.wait(lambda: hotline.state_of("agent08") != "ready", 5, "the call was never offered")
    assert _agent_legs(hotline) == [], "an agent was rung for a caller who had hung up"

    hotline.sim.hangup_call(caller)  # the engine gets round to the hang-up
    hotline.wait(lambda: hotline.state_of("agent08") == "ready", 5, "the agent was never freed")
    hotline.wait(lambda: hotline.call(caller).ended_at is not None, 5, "the call never ended")
    assert hotline.call(caller).abandoned
    assert _agent_legs(hotline) == []


def test_a_caller_whose_hang_up_waits_in_the_backlog_is_not_queued(hotline):
    hotline.agent_ready("agent08")
    caller = hotline.sim.place_call("13800000001", "10000", TO_AN_AGENT + " wait:60 hangup")
    hotline.wait(lambda: hotline.event(caller, "ivr_node"), 15, "the IVR never started")
    hotline.engine.hung_up.saw(caller)  # hung up during the IVR
    hotline.wait(lambda: hotline.event(caller, "ivr_finished"), 15, "the IVR never finished")
    assert caller not in hotline.waiting() and hotline.state_of("agent08") == "ready"
    assert _agent_legs(hotline) == []


def test_a_caller_gone_before_the_engine_took_the_call_is_counted_but_runs_no_ivr(hotline):
    parked = []
    take = hotline.engine.inbound.take

    def hang_up_first(uuid, *args, **kwargs):  # the hang-up is read before the park is handled
        hotline.engine.hung_up.saw(uuid)
        parked.append(uuid)
        return take(uuid, *args, **kwargs)

    hotline.engine.inbound.take = hang_up_first
    hotline.sim.place_call("13800000001", "10000", TO_AN_AGENT + " wait:60 hangup")
    hotline.wait(lambda: parked and hotline.call(parked[0]) is not None, 10, "the call was not logged")
    kinds = [kind for kind, _ in hotline.events(parked[0])]
    assert kinds == ["created"], kinds


def test_a_caller_hanging_up_once_bridged_before_the_engine_took_the_answer_was_connected(hotline):
    """The switch bridges on the agent's answer by itself; a lagging engine may handle the
    caller's hang-up before the originate's result. It was a conversation: logged
    connected (with its recording), and the agent goes to wrap-up."""
    runner = hotline.engine.runner
    submit = runner.submit

    def answer_comes_late(step, at=None):  # the originate's result, behind the hang-up
        if at is not None and "_ring" in step.__qualname__:
            return gevent.spawn_later(1.0, submit, step, at)
        return submit(step, at) if at is not None else submit(step)

    runner.submit = answer_comes_late
    hotline.agent_ready("agent08")
    caller = hotline.sim.place_call("13800000001", "10000", TO_AN_AGENT + " wait:60 hangup")
    hotline.wait(lambda: hotline.agent_on(caller) == "agent08", 20, "the switch never bridged")
    hotline.sim.hangup_call(caller)

    hotline.wait(lambda: hotline.call(caller).ended_at is not None, 5, "the call never ended")
    hotline.wait(lambda: hotline.state_of("agent08") == "wrap_up", 5, "agent08 not in wrap-up")
    assert hotline.event(caller, "connected")["agent"] == "agent08"
    call = hotline.call(caller)
    assert call.agent_answered_at is not None and not call.abandoned
    with hotline.services.sessions() as session:
        assert session.scalar(select(Recording).where(Recording.call_id == call.id)) is not None
