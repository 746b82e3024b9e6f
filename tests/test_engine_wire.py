"""A caller dials the hotline, walks the IVR and reaches an agent: the real
engine against the switch simulator over real sockets and a real database."""
from pathlib import Path

from sqlalchemy import select

from callcenter.models import AgentStateChange, Call, CallEvent, Recording
from engine_fixtures import hotline  # noqa: F401  (fixture)

REGULAR_CALLER = "13800000001"
TO_AN_AGENT = "wait:0.5 press:1 wait:1 press:0"  # Mandarin, then 0 for an agent


def _call(hotline, uuid):
    with hotline.services.sessions() as session:
        return session.scalar(select(Call).where(Call.uuid == uuid))


def _events(hotline, uuid):
    hotline.engine.calllog.flush()  # the log is written behind, in batches
    with hotline.services.sessions() as session:
        call = session.scalar(select(Call).where(Call.uuid == uuid))
        return [(e.kind, e.data) for e in session.scalars(
            select(CallEvent).where(CallEvent.call_id == call.id).order_by(CallEvent.id))]


def test_caller_reaches_a_ready_general_agent_and_is_recorded(hotline):
    agent = hotline.agent_ready("agent08")
    uuid = hotline.sim.place_call(REGULAR_CALLER, "10000", TO_AN_AGENT + " wait:20 hangup")
    assert hotline.sim.wait_until(lambda: hotline.bridged_to(uuid), 20), "caller never bridged"
    agent_leg = hotline.bridged_to(uuid)
    assert hotline.sim.channel(agent_leg).variables.get("cc_agent") == "agent08"

    assert hotline.sim.wait_until(lambda: _call(hotline, uuid).agent_answered_at is not None, 5)
    call = _call(hotline, uuid)
    assert call.agent_id == agent.id
    assert call.queued_at is not None and call.ivr_path[0] == "start"
    assert hotline.sim.wait_until(lambda: "connected" in dict(_events(hotline, uuid)), 5)
    kinds = [kind for kind, _ in _events(hotline, uuid)]
    assert kinds.index("ivr_finished") < kinds.index("routed") < kinds.index("connected")
    routed = dict(_events(hotline, uuid))["routed"]
    assert routed["agent"] == "agent08" and routed["rule"]

    assert hotline.sim.wait_until(lambda: _call(hotline, uuid).ended_at is not None, 30)
    with hotline.services.sessions() as session:
        recording = session.scalar(select(Recording).join(Call).where(Call.uuid == uuid))
    assert recording is not None and Path(recording.path).exists()
    assert hotline.sim.wait_until(lambda: _sha(hotline, recording.id), 5)
    assert hotline.sim.wait_until(
        lambda: hotline.engine.live.agent_status(agent.id).state in ("wrapup", "ready"), 5)
    assert hotline.sim.wait_until(lambda: len(_states(hotline, agent.id)) >= 5, 5)
    assert _states(hotline, agent.id)[:5] == ["ready", "reserved", "ringing", "on_call", "wrap_up"]


def _states(hotline, agent_id):
    """The agent's state log (written behind, in batches)."""
    hotline.engine.calllog.flush()
    with hotline.services.sessions() as session:
        return list(session.scalars(select(AgentStateChange.to_state).where(
            AgentStateChange.agent_id == agent_id).order_by(AgentStateChange.id)))


def _sha(hotline, recording_id):
    with hotline.services.sessions() as session:
        return session.get(Recording, recording_id).sha256


def test_caller_hanging_up_while_agent_rings_cancels_the_agent_leg(hotline):
    hotline.agent_ready("agent08", phone="ring")
    uuid = hotline.sim.place_call(REGULAR_CALLER, "10000", TO_AN_AGENT + " wait:3 hangup")
    assert hotline.sim.wait_until(lambda: any(
        c.variables.get("cc_leg") == "agent" for c in hotline.sim.channels()), 20)
    assert hotline.sim.wait_until(lambda: _call(hotline, uuid).ended_at is not None, 20)
    assert hotline.sim.wait_until(lambda: all(
        c.gone for c in hotline.sim.channels() if c.variables.get("cc_leg") == "agent"), 5), \
        "the agent's phone still rings after the caller hung up (ghost call)"
    assert hotline.sim.wait_until(lambda: _call(hotline, uuid).abandoned, 5), \
        "the caller who gave up while the agent's phone rang is not counted as abandoned"


def test_routing_reasons_read_as_words_on_the_screen_pop():
    from callcenter.live.states import describe_reason
    reason = {"rule": "specialist", "queue": "billing", "priority_class": "vip3",
              "candidates": [{"agent": "agent01", "level": 9}],
              "tie_break": "highest level 9 (next: agent02 level 7)"}
    assert describe_reason(reason) == ("billing specialist, level 9; VIP 3 first; "
                                       "highest level 9 (next: agent02 level 7)")
    assert describe_reason({"rule": "general_overflow", "queue": "billing",
                            "priority_class": "regular", "candidates": [{"level": 5}]}) == \
        "general agent after the wait, level 5"


def test_the_screen_pop_shows_the_ivr_steps_with_the_password_masked(hotline):
    agent = hotline.agent_ready("agent02")  # billing 7
    wrong = "wait:1 press:999999#"
    uuid = hotline.sim.place_call(REGULAR_CALLER, "10001", "wait:0.5 press:1" + f" {wrong}" * 3
                                  + " wait:30 hangup")
    assert hotline.sim.wait_until(lambda: hotline.bridged_to(uuid), 25), "never connected"
    pop = hotline.engine.live.current_call(agent.id)
    assert pop is not None and pop.uuid == uuid
    labels = [step.label for step in pop.ivr_path]
    assert any(label.endswith("choose: choice 1") for label in labels), labels
    passwords = [step for step in pop.ivr_path if step.masked]
    assert passwords and all(step.entered is None for step in passwords)
    assert "999999" not in repr(pop), "a password reached the agent's screen"
