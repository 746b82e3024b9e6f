"""Wire tests: a preview campaign on the switch simulator. A free agent gets one card
(a contact reserved to them); Call rings the agent first, then the customer, who is
bridged to them, and the attempt is settled like any other; a card nobody acts on is
withdrawn after the campaign's preview timeout and the contact goes back to pending;
the do-not-call check is repeated at Call."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from callcenter.db import transaction
from callcenter.dialer import preview_store, store
from callcenter.esl import new_uuid
from callcenter.models import CampaignKind, ContactStatus
from dialer_fixtures import Row, outbound_at  # noqa: F401  (fixture)

MONDAY_MORNING = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SETTINGS = {"windows": {day: ["09:00-20:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
            "script": "Remind the customer of the overdue bill.", "preview_timeout": 60}


def number(index: int) -> str:
    return f"86137{index:08d}"


def preview_campaign(out, rows):
    return out.campaign("overdue preview", rows, kind=CampaignKind.COLLECTIONS, flow=None,
                        queue_name="billing", max_lines=5, ring_timeout=20, max_attempts=2,
                        pacing="preview", caller_id="95588", settings=SETTINGS)


def card(out, agent_id):
    with out.sessions() as session:
        contact = preview_store.card_of(session, agent_id)
        return (contact.id, contact.phone) if contact else None


def carded(outbound_at, row):
    """A running preview campaign of one contact, on agent11's card."""
    out = outbound_at(MONDAY_MORNING)
    agent = out.line.agent_ready("agent11")
    campaign = preview_campaign(out, [row])
    out.start(campaign)
    out.line.wait(lambda: card(out, agent.id), 10, "no card for agent11")
    return out, agent, campaign


def bridged_to(out, phone):
    """The agent whose leg the customer's leg to ``phone`` is bridged with."""
    for channel in out.line.sim.channels():
        if channel.bridged_to and phone in (channel.destination or ""):
            other = out.line.sim.channel(channel.bridged_to)
            return other.variables.get("cc_agent") if other else None
    return None


def test_an_agent_previews_calls_and_the_customer_is_bridged_to_them(outbound_at, caplog):
    out = outbound_at(MONDAY_MORNING)
    agent = out.line.agent_ready("agent11")
    out.customers.add(number(1), "answers", after=1, then="wait:200 hangup")
    campaign = preview_campaign(out, [Row(number(1), "Li Si", amount_cents=12000)])
    out.start(campaign)

    out.line.wait(lambda: card(out, agent.id), 10, "no card for agent11")
    contact_id, phone = card(out, agent.id)
    assert phone == number(1)
    assert out.customers.dials == []  # nothing dialled before the agent says so
    with transaction(out.sessions) as session:
        claim = preview_store.take_card(session, agent.id, contact_id, new_uuid(), out.clock())
    assert isinstance(claim, store.Claim)

    out.line.wait(lambda: out.line.state_of("agent11") == "on_call", 20, "agent11 never on the call")
    out.line.wait(lambda: len(out.customers.dials_to(number(1))) == 1, 10, "the customer was not dialled")
    dialled = out.line.sim.channel(out.customers.dials_to(number(1))[0].uuid)
    assert dialled.caller_id_number == "95588"  # the campaign's number, and its ring time
    assert dialled.variables.get("originate_timeout") == "20"
    out.line.wait(lambda: bridged_to(out, number(1)) == "agent11", 10, "the customer never reached agent11")

    def contact():
        return out.contacts(campaign)[0]
    out.line.wait(lambda: contact().status == ContactStatus.DONE, 20,
                  "the attempt was not settled answered")
    attempt = out.attempts(campaign)[0]
    assert (attempt.outcome, attempt.uuid) == ("answered", claim.uuid)
    assert contact().offered_to is None and contact().attempts == 1
    out.engine.calllog.flush()  # a preview call is no callback request: nothing to mark
    assert not [r for r in caplog.records if "no callback request" in r.getMessage()]
    assert "connected" in [kind for kind, _ in out.line.events(claim.uuid)]


def test_a_card_nobody_acts_on_is_withdrawn_and_offered_again(outbound_at):
    out, agent, campaign = carded(outbound_at, Row(number(2), "Wang Wu"))
    out.clock.advance(61)
    out.line.wait(lambda: out.contacts(campaign)[0].offered_to is None, 10, "the card was never withdrawn")
    assert out.contacts(campaign)[0].status == ContactStatus.PENDING
    out.line.wait(lambda: card(out, agent.id), 10, "the contact was not offered again")
    assert out.customers.dials == [] and out.attempts(campaign) == []


def test_a_number_listed_while_on_the_card_is_not_dialled_at_call(outbound_at):
    out, agent, campaign = carded(outbound_at, Row(number(3), "Zhao Liu"))
    contact_id, _ = card(out, agent.id)
    with transaction(out.sessions) as session:  # listed without the pending-contact sweep
        from callcenter.models import DoNotCall
        session.add(DoNotCall(number=number(3), reason="asked", source="console", added_at=out.clock()))
    with transaction(out.sessions) as session:
        why = preview_store.take_card(session, agent.id, contact_id, new_uuid(), out.clock())
    assert why == store.ON_DO_NOT_CALL
    contact = out.contacts(campaign)[0]
    assert (contact.status, contact.reason, contact.offered_to) == (ContactStatus.SKIPPED, "do_not_call", None)
    assert out.attempts(campaign) == [] and out.customers.dials == []
