"""Live predictive pacing counts agents about to be free: the dialer reads the ACD's
agents (wrap-up with its timer, calls with their age) and the campaign's own ring and
talk times from its attempts, and feeds pacing.soon_free (clock pinned)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from acd.agent_state import AgentState
from callcenter.db import transaction
from callcenter.live.dialer import CampaignPlan, Dialer
from callcenter.models import Campaign, CampaignAttempt, CampaignContact, CampaignKind

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
ACD_NOW = 1_000_000.0


def agent(login, state, since=ACD_NOW - 10, wrap_up_until=None, skills=None):
    return SimpleNamespace(login=login, state=state, state_since=since, wrap_up_until=wrap_up_until,
                           skills=skills if skills is not None else {"billing": 5},
                           phone_registered=True)


def fake_acd(agents):
    queue = SimpleNamespace(skills={"billing": 1}, wrap_up=15)
    core = SimpleNamespace(config=SimpleNamespace(queues={"billing": queue}),
                           agents=lambda: agents, waiting=lambda: [])
    return SimpleNamespace(core=core, clock=lambda: ACD_NOW)


@pytest.fixture
def campaign(sessions):
    """A predictive campaign with 60 finished dials: every other one answered after 8 s and
    talked 120 s, the others rang out after 30 s."""
    with transaction(sessions) as db:
        row = Campaign(name="p", kind=CampaignKind.MARKETING, queue_name="billing", pacing="predictive")
        db.add(row)
        db.flush()
        for n in range(60):
            contact = CampaignContact(campaign_id=row.id, phone=f"8613900{n:06d}")
            db.add(contact)
            db.flush()
            start = NOW - timedelta(hours=2) + timedelta(minutes=n)
            answered = start + timedelta(seconds=8) if n % 2 == 0 else None
            ended = answered + timedelta(seconds=120) if answered else start + timedelta(seconds=30)
            db.add(CampaignAttempt(campaign_id=row.id, contact_id=contact.id, uuid=f"u{n}",
                                   number=contact.phone, claimed_at=start, answered_at=answered,
                                   ended_at=ended, outcome="answered" if answered else "no_answer"))
        return db.get(Campaign, row.id)


def state_with(sessions, campaign, agents):
    dialer = Dialer(sessions, switch=None, call=SimpleNamespace(flows=None), clock=lambda: NOW,
                    acd=fake_acd(agents))
    return dialer._predictive_state(CampaignPlan.of(campaign, "Asia/Shanghai"), NOW, 0)


@pytest.mark.parametrize("agents, soon", [
    ([], 0.0),
    # wrap-up ends in 5 s: a dial placed now is answered after 8 s, so that agent is there
    ([agent("a", AgentState.WRAP_UP, wrap_up_until=ACD_NOW + 5)], 1.0),
    # wrap-up ends in 60 s: long after the answers
    ([agent("a", AgentState.WRAP_UP, wrap_up_until=ACD_NOW + 60)], 0.0),
    # on a call: even if it ends now, the 15 s wrap-up outlasts the 8 s to an answer
    ([agent("a", AgentState.ON_CALL, since=ACD_NOW - 125)], 0.0),
    # not qualified for the queue: not counted
    ([agent("a", AgentState.WRAP_UP, wrap_up_until=ACD_NOW + 5, skills={})], 0.0),
    ([agent("a", AgentState.WRAP_UP, wrap_up_until=ACD_NOW + 5),
      agent("b", AgentState.WRAP_UP, wrap_up_until=ACD_NOW + 1),
      agent("c", AgentState.READY)], 2.0),
])
def test_agents_in_wrap_up_near_its_end_count_as_soon_free(sessions, campaign, agents, soon):
    state = state_with(sessions, campaign, agents)
    assert state.agents_soon_free == pytest.approx(soon)
    assert state.answer_samples == 60 and state.mode == "predictive"


def test_soon_free_agents_let_predictive_dial_more_than_the_free_ones_alone(sessions, campaign):
    from callcenter.dialer.pacing import decide
    free_only = decide(state_with(sessions, campaign, [agent("c", AgentState.READY)]))
    with_wrap_up = decide(state_with(sessions, campaign, [
        agent("c", AgentState.READY),
        *[agent(f"w{n}", AgentState.WRAP_UP, wrap_up_until=ACD_NOW + 3) for n in range(3)]]))
    assert with_wrap_up.dials > free_only.dials
