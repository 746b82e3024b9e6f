"""Wire tests: a progressive agent campaign. One dial per free agent; a live answer
enters the ACD ahead of every inbound caller and reaches the agent with the
contact's screen pop; a live answer nobody takes within 2 s hears who called, is
counted abandoned, and is not called again for 72 hours."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from callcenter.models import Call, CampaignKind, ContactStatus
from dialer_fixtures import Row, outbound_at  # noqa: F401  (fixture)

MONDAY_MORNING = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SETTINGS = {"windows": {day: ["09:00-20:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
            "script": "Offer the family plan."}


def number(index: int) -> str:
    return f"86137{index:08d}"


def agent_campaign(out, rows, **fields):
    return out.campaign("family plan", rows, kind=CampaignKind.MARKETING, flow=None,
                        queue_name="billing", max_lines=10, ring_timeout=20, max_attempts=2,
                        settings=SETTINGS, **fields)


def customer_on(out, login):
    """The campaign call (customer leg) bridged to ``login``'s phone, if any."""
    for channel in out.line.sim.channels():
        if channel.variables.get("cc_leg") == "campaign" and channel.bridged_to:
            agent_leg = out.line.sim.channel(channel.bridged_to)
            if agent_leg and agent_leg.variables.get("cc_agent") == login:
                return channel
    return None


def test_an_answered_call_reaches_the_free_agent_with_the_contact_and_one_dial_per_agent(outbound_at):
    out = outbound_at(MONDAY_MORNING)
    out.line.agent_ready("agent11")
    for i in range(3):
        out.customers.add(number(i), "answers", after=2, then="wait:200 hangup")
    campaign = agent_campaign(out, [Row(number(i), f"Customer {i}", amount_cents=5000 + i)
                                    for i in range(3)])
    out.start(campaign)

    out.line.wait(lambda: customer_on(out, "agent11"), 20, "no campaign call reached agent11")
    customer = customer_on(out, "agent11")
    state = out.engine.runner.calls[customer.uuid]
    pop = state.request.context["campaign"]
    assert pop["name"] in {f"Customer {i}" for i in range(3)} and pop["script"] == "Offer the family plan."
    assert state.request.context["transferred"]  # the ACD's first class: ahead of every inbound caller
    out.line.wait(lambda: out.line.state_of("agent11") == "on_call", 5, "agent11 not on the call")
    for _ in range(10):  # the one agent is busy: nobody else is dialled
        out.clock.advance(30)
        out.line.wait(lambda: True, 0.05, "")
    assert len(out.customers.dials) == 1
    def contact():
        return next(c for c in out.contacts(campaign) if c.phone == customer.destination)
    out.line.wait(lambda: contact().status == ContactStatus.DONE, 5, "the attempt was not settled")
    assert contact().result == "to_agent"
    out.engine.calllog.flush()
    with out.sessions() as session:
        call = session.scalar(select(Call).where(Call.uuid == customer.uuid))
        assert call.direction.value == "outbound" and call.campaign_contact_id == contact().id


def test_a_live_answer_with_no_agent_within_2_seconds_is_abandoned_and_told_who_called(outbound_at):
    out = outbound_at(MONDAY_MORNING)
    out.line.agent_ready("agent11", phone="answer:200")  # ready, but slow to pick up
    out.customers.add(number(7), "answers", after=1, then="wait:200 hangup")
    campaign = agent_campaign(out, [Row(number(7), "Slow Agent's Customer")])
    out.start(campaign)

    def settled_once():  # one read: the claim moves status and attempts together
        contact = out.contacts(campaign)[0]
        return contact.status == ContactStatus.PENDING and contact.attempts == 1
    out.line.wait(settled_once, 20, "the attempt was never settled")
    contact = out.contacts(campaign)[0]
    attempt = out.attempts(campaign)[0]
    assert attempt.abandoned and attempt.outcome == "abandoned" and attempt.answered_at, (attempt.outcome, attempt.hangup_cause, attempt.detail, contact.result)
    assert contact.next_attempt_at == attempt.ended_at + timedelta(hours=72)
    heard = out.line.sim.channel(attempt.uuid).files_played
    assert any("outbound_identify" in item for item in heard), heard
    assert out.line.sim.channel(attempt.uuid).gone
    assert out.engine.shell.core.waiting() == [], "the abandoned call was left in the queue"


def test_a_predictive_campaign_keeps_its_window_within_the_abandon_limit(outbound_at):
    out = outbound_at(MONDAY_MORNING, queues={"billing": {"wrap_up": 1, "wrap_up_extension": 0}})
    for login in ("agent08", "agent11"):
        out.line.agent_ready(login)
    rows = []
    for i in range(30):  # a third answer and talk a little; the rest never answer
        out.customers.add(number(100 + i), "answers" if i % 3 == 0 else "never_answers",
                          after=3, then="wait:10 hangup")
        rows.append(Row(number(100 + i), f"Customer {i}"))
    campaign = out.campaign("family plan predictive", rows, kind=CampaignKind.MARKETING, flow=None,
                            queue_name="billing", max_lines=8, ring_timeout=15, max_attempts=1,
                            pacing="predictive", settings=SETTINGS)
    out.start(campaign)

    out.line.wait(lambda: all(c.status not in (ContactStatus.PENDING, ContactStatus.DIALING)
                              for c in out.contacts(campaign)), 60,
                  f"the campaign never finished: {[(c.status.value, c.result) for c in out.contacts(campaign)]}"
                  f" {out.engine.shell.core.snapshot()['agents'] if 'agents' in out.engine.shell.core.snapshot() else ''}")
    attempts = out.attempts(campaign)
    answered = [a for a in attempts if a.answered_at]
    assert len(attempts) == 30 and len(answered) == 10
    assert sum(a.abandoned for a in attempts) <= 0.03 * len(answered)
    assert max(d.concurrent for d in out.customers.dials) == 0
