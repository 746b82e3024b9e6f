"""A supervisor listens, whispers or barges into an agent's call (wire level): the
supervisor's leg eavesdrops on the AGENT's leg, so a whisper reaches the agent and
never the caller's side of the recording; a supervisor's phone still ringing when the
monitored call ends is cancelled; the call's log says who monitored and how."""
import pytest
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import Agent
from engine_fixtures import hotline  # noqa: F401  (fixture)

TO_AN_AGENT = "wait:0.5 press:1 wait:1 press:0"
LEAD_EXTENSION = "2001"


def _connect(hotline, login="agent08", script=TO_AN_AGENT + " wait:60 hangup"):
    agent = hotline.agent_ready(login)
    uuid = hotline.sim.place_call("13800000001", "10000", script)
    hotline.wait(lambda: hotline.agent_on(uuid) == login, 20, f"the caller never reached {login}")
    hotline.wait(lambda: hotline.state_of(login) == "on_call", 5, f"{login} is not on the call")
    return agent, uuid


def _lead(hotline, phone: str) -> Agent:
    with transaction(hotline.services.sessions) as session:
        lead = session.scalar(select(Agent).where(Agent.login == "lead1"))
        lead.sip_extension = LEAD_EXTENSION
    hotline.engine.agents.reload()
    hotline.sim.register_phone(LEAD_EXTENSION, phone)
    return hotline.agent("lead1")


def _supervisor_legs(hotline):
    return [c for c in hotline.sim.channels() if c.destination == LEAD_EXTENSION]


@pytest.mark.parametrize("mode", ["listen", "whisper", "barge"])
def test_the_supervisor_eavesdrops_on_the_agents_leg(hotline, mode):
    agent, uuid = _connect(hotline)
    lead = _lead(hotline, "answer:0.2")
    hotline.engine.live.eavesdrop(lead.id, agent.id, mode)
    hotline.wait(lambda: any(c.answered and c.eavesdrop_mode for c in _supervisor_legs(hotline)), 10,
                 "the supervisor's phone never joined")
    (leg,) = [c for c in _supervisor_legs(hotline) if c.answered]
    assert ("eavesdrop", hotline.bridged_to(uuid)) in leg.applications, leg.applications
    assert leg.eavesdrop_mode == mode
    assert leg.variables.get("eavesdrop_whisper_bleg") is None, "a whisper must not reach the caller"
    hotline.wait(lambda: hotline.event(uuid, "monitored") is not None, 5, "no 'monitored' event")
    assert hotline.event(uuid, "monitored") | {"leg": None} == {
        "supervisor": "lead1", "mode": mode, "agent": "agent08", "leg": None}


def test_a_supervisors_phone_still_ringing_when_the_call_ends_is_cancelled(hotline):
    agent, uuid = _connect(hotline)
    lead = _lead(hotline, "ring")
    hotline.engine.live.eavesdrop(lead.id, agent.id, "listen")
    hotline.wait(lambda: _supervisor_legs(hotline), 5, "the supervisor's phone never rang")
    hotline.sim.hangup_call(uuid)
    # it would ring for 30 s (the eavesdrop's originate timeout) if nobody cancelled it
    hotline.wait(lambda: all(c.gone for c in _supervisor_legs(hotline)), 5,
                 "the supervisor's phone kept ringing after the call ended")
