"""The desk's preview card through its JSON API: only the agent holding the card sees
the contact (audited); Skip needs a reason from the list and skips or reschedules;
Call claims the contact after the do-not-call check; a late click on a withdrawn card
changes nothing."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.dialer import preview_store, store
from callcenter.dialer.preview import Offer, OfferPlan
from callcenter.models import (AuditLog, Campaign, CampaignAttempt, CampaignContact, CampaignKind,
                               ContactStatus, Role)
from dialer_fixtures import Row
from web_fixtures import *  # noqa: F401,F403
from web_fixtures import add_agent, add_customer, csrf_of, login

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


def post(client, url, body=None):
    return client.post(url, json=body or {}, headers={"X-CSRF-Token": csrf_of(client)})


@pytest.fixture
def carded(sessions, web_services):
    """agent01 holds the card of Zhang San (a customer with bills); agent02 has none."""
    web_services.extras["dialer_clock"] = lambda: NOW
    holder = add_agent(sessions, "agent01", skills={"billing": 9})
    add_agent(sessions, "agent02", skills={"billing": 9})
    add_agent(sessions, "qa01", role=Role.QA)
    customer_id = add_customer(sessions)
    with transaction(sessions) as db:
        campaign = Campaign(name="overdue", kind=CampaignKind.COLLECTIONS, queue_name="billing",
                            pacing="preview", settings={"script": "Remind of the overdue bill.",
                                                        "call_later_minutes": 30})
        db.add(campaign)
        db.flush()
        store.add_contacts(db, campaign.id, [Row("13800000001", "Zhang San", 9650, customer_id=customer_id),
                                             Row("13900000009", "No Customer")])
        first = db.scalar(select(CampaignContact.id).order_by(CampaignContact.id))
        preview_store.apply(db, OfferPlan((Offer(first, holder, NOW + timedelta(seconds=120)),), ()))
    return holder, first


def test_the_holder_sees_the_card_with_the_customers_bills_and_others_do_not(client, sessions, carded):
    holder, contact_id = carded
    login(client, "agent02")
    assert client.get("/api/v1/desk/preview").json == {"card": None}
    assert post(client, f"/api/v1/desk/preview/{contact_id}/skip",
                {"reason": "already_paid"}).status_code == 409
    client.get("/logout")
    login(client, "agent01")
    card = client.get("/api/v1/desk/preview").json["card"]
    assert (card["contact_id"], card["name"], card["phone"], card["amount_cents"]) == (
        contact_id, "Zhang San", "8613800000001", 9650)
    assert card["campaign"]["script"] == "Remind of the overdue bill."
    assert card["seconds_left"] == 120  # on the dialer's (pinned) clock
    assert [b["period"] for b in card["bills"]] == ["2026-10", "2026-09", "2026-08"]
    assert card["customer"]["name"] == "Zhang San" and card["attempts"] == []
    assert {r["code"] for r in card["skip_reasons"]} >= {"call_later", "already_paid"}
    with sessions() as db:
        audits = db.scalars(select(AuditLog).where(AuditLog.action == "view_preview_card")).all()
        assert [(a.actor_login, a.object_id) for a in audits] == [("agent01", str(contact_id))]


def test_a_role_without_a_desk_cannot_see_cards(client, carded):
    login(client, "qa01")
    assert client.get("/api/v1/desk/preview").status_code == 403


@pytest.mark.parametrize("reason, status, due_again", [
    ("already_paid", "skipped", None),
    ("call_later", "pending", (NOW + timedelta(minutes=30)).isoformat()),
])
def test_skip_with_a_reason(client, sessions, carded, reason, status, due_again):
    _, contact_id = carded
    login(client, "agent01")
    reply = post(client, f"/api/v1/desk/preview/{contact_id}/skip", {"reason": reason})
    assert reply.status_code == 200, reply.json
    assert (reply.json["status"], reply.json["next_attempt_at"]) == (status, due_again)
    assert client.get("/api/v1/desk/preview").json == {"card": None}


def test_skip_without_a_reason_from_the_list_is_refused_and_changes_nothing(client, sessions, carded):
    holder, contact_id = carded
    login(client, "agent01")
    reply = post(client, f"/api/v1/desk/preview/{contact_id}/skip", {"reason": "bored"})
    assert reply.status_code == 400 and "reason: one of call_later" in reply.json["error"]
    with sessions() as db:
        contact = db.get(CampaignContact, contact_id)
        assert (contact.status, contact.offered_to) == (ContactStatus.PENDING, holder)


def test_call_claims_the_contact_for_one_attempt(client, sessions, carded):
    holder, contact_id = carded
    login(client, "agent01")
    reply = post(client, f"/api/v1/desk/preview/{contact_id}/call")
    assert reply.status_code == 200
    with sessions() as db:
        contact = db.get(CampaignContact, contact_id)
        attempt = db.scalar(select(CampaignAttempt))
        assert (contact.status, contact.offered_to) == (ContactStatus.DIALING, holder)
        assert (attempt.uuid, attempt.outcome, attempt.claimed_at) == (reply.json["uuid"], None, NOW)
    assert post(client, f"/api/v1/desk/preview/{contact_id}/call").status_code == 409  # no double dial


def test_call_on_a_number_listed_meanwhile_is_refused_and_skips_the_contact(client, sessions, carded):
    _, contact_id = carded
    with transaction(sessions) as db:
        from callcenter.models import DoNotCall
        db.add(DoNotCall(number="8613800000001", reason="asked", source="console", added_at=NOW))
    login(client, "agent01")
    reply = post(client, f"/api/v1/desk/preview/{contact_id}/call")
    assert reply.status_code == 409 and "do_not_call" in reply.json["error"]
    with sessions() as db:
        assert db.get(CampaignContact, contact_id).status == ContactStatus.SKIPPED
        assert db.scalar(select(CampaignAttempt)) is None
