"""Preview cards in the database: reserved for one agent, never offered twice, hidden from
the other pacings, withdrawn on time, skipped or rescheduled with the agent's reason."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.dialer import preview_store, store
from callcenter.dialer.preview import Offer, OfferPlan, UnknownSkipReason, plan_offers
from callcenter.models import Agent, Campaign, CampaignContact, CampaignKind, ContactStatus

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


@dataclass
class Row:
    phone: str
    name: str = ""


@pytest.fixture
def setup(sessions):
    with transaction(sessions) as db:
        campaign = Campaign(name="c", kind=CampaignKind.MARKETING, queue_name="billing", pacing="preview")
        agents = [Agent(login=f"a{n}", display_name=f"A{n}", password_hash="x") for n in (1, 2)]
        db.add_all([campaign, *agents])
        db.flush()
        store.add_contacts(db, campaign.id, [Row("13900000001", "Li"), Row("13900000002", "Wang")])
        contacts = [c.id for c in db.scalars(select(CampaignContact).order_by(CampaignContact.id))]
        return campaign.id, [a.id for a in agents], contacts


def offer_tick(sessions, campaign_id, free, now, timeout=60):
    with transaction(sessions) as db:
        due = [c.id for c in store.due_contacts(db, campaign_id, now, 10)]
        plan = plan_offers(free, preview_store.current_offers(db, campaign_id), due, now, timeout)
        return plan, preview_store.apply(db, plan)


def test_a_card_reserves_its_contact_for_one_agent_until_withdrawn(sessions, setup):
    campaign_id, (first, second), (li, wang) = setup
    plan, made = offer_tick(sessions, campaign_id, [first], NOW)
    assert made == [Offer(li, first, NOW + timedelta(seconds=60))]
    with sessions() as db:
        assert [c.id for c in store.due_contacts(db, campaign_id, NOW, 10)] == [wang]  # hidden
        assert preview_store.card_of(db, first).name == "Li"
        assert preview_store.card_of(db, second) is None
    _, made = offer_tick(sessions, campaign_id, [first, second], NOW + timedelta(seconds=10))
    assert made == [Offer(wang, second, NOW + timedelta(seconds=70))]  # first keeps Li
    plan, made = offer_tick(sessions, campaign_id, [first, second], NOW + timedelta(seconds=60))
    assert [o.contact_id for o in plan.withdrawn] == [li] and made == []  # Li is not due again yet
    with sessions() as db:
        li_row = db.get(CampaignContact, li)
        assert (li_row.status, li_row.offered_to, li_row.offered_until) == (ContactStatus.PENDING, None, None)
        assert preview_store.card_of(db, second).name == "Wang"


def test_two_dialers_cannot_put_one_contact_on_two_cards(sessions, setup):
    campaign_id, (first, second), (li, _) = setup
    until = NOW + timedelta(seconds=60)
    with transaction(sessions) as db:
        assert preview_store.apply(db, OfferPlan((Offer(li, first, until),), ())) != []
    with transaction(sessions) as db:
        assert preview_store.apply(db, OfferPlan((Offer(li, second, until),), ())) == []
    with sessions() as db:
        assert db.get(CampaignContact, li).offered_to == first


@pytest.mark.parametrize("reason, status, due_again", [
    ("already_paid", ContactStatus.SKIPPED, None),
    ("call_later", ContactStatus.PENDING, NOW + timedelta(minutes=30)),
])
def test_skip_with_a_reason_skips_or_reschedules(sessions, setup, reason, status, due_again):
    campaign_id, (first, _), (li, _) = setup
    offer_tick(sessions, campaign_id, [first], NOW)
    with transaction(sessions) as db:
        preview_store.skip_card(db, first, li, reason, NOW, 30)
    with sessions() as db:
        row = db.get(CampaignContact, li)
        assert (row.status, row.next_attempt_at, row.offered_to) == (status, due_again, None)
        assert row.result == f"preview_skip:{reason}"
        assert (row.reason == f"preview_skip:{reason}") == (status is ContactStatus.SKIPPED)


def test_a_skip_of_a_card_no_longer_yours_or_without_a_reason_changes_nothing(sessions, setup):
    campaign_id, (first, second), (li, _) = setup
    offer_tick(sessions, campaign_id, [first], NOW)
    with pytest.raises(preview_store.CardGone), transaction(sessions) as db:
        preview_store.skip_card(db, second, li, "already_paid", NOW, 30)
    with pytest.raises(UnknownSkipReason), transaction(sessions) as db:
        preview_store.skip_card(db, first, li, "", NOW, 30)
    with sessions() as db:
        row = db.get(CampaignContact, li)
        assert (row.status, row.offered_to, row.result) == (ContactStatus.PENDING, first, None)


def test_a_number_put_on_the_do_not_call_list_leaves_the_card(sessions, setup):
    campaign_id, (first, _), (li, _) = setup
    offer_tick(sessions, campaign_id, [first], NOW)
    with transaction(sessions) as db:
        store.add_do_not_call(db, "13900000001", at=NOW)
    with sessions() as db:
        assert preview_store.card_of(db, first) is None
        assert db.get(CampaignContact, li).status == ContactStatus.SKIPPED
