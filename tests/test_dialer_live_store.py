"""The dialer's database rules: a contact is claimed once, the do-not-call list and
opt-outs hold at import and at every claim, an attempt is settled once, and an
outcome decides the contact's next step (table-driven)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.dialer import store
from callcenter.dialer.retry import RetryPolicy
from callcenter.dialer.windows import WEEKDAYS, parse_weekly
from callcenter.live.campaign_call import CallResult
from callcenter.live.dialer import CampaignPlan, next_step
from callcenter.models import (Campaign, CampaignAttempt, CampaignContact, CampaignKind,
                               ContactStatus, Customer)

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


@dataclass
class Row:
    phone: str
    name: str = ""
    amount_cents: int | None = None
    due_date: date | None = None
    customer_id: int | None = None
    line: int | None = None


@pytest.fixture
def campaign_id(sessions):
    with transaction(sessions) as db:
        campaign = Campaign(name="c", kind=CampaignKind.COLLECTIONS, flow="collections")
        db.add(campaign)
        db.flush()
        return campaign.id


def test_import_normalises_removes_duplicates_and_keeps_listed_numbers_as_skipped(sessions, campaign_id):
    with transaction(sessions) as db:
        store.add_do_not_call(db, "139 0000 0003", at=NOW, source="console")
        summary = store.add_contacts(db, campaign_id, [
            Row("+86 139-0000-0001", amount_cents=100, line=2), Row("13900000001", line=3),
            Row("13900000002", line=4), Row("13900000003", line=5)])
    assert summary == store.ImportSummary(added=2, duplicates=1, on_do_not_call=1)
    with sessions() as db:
        rows = {c.phone: c for c in db.scalars(select(CampaignContact))}
    assert set(rows) == {"8613900000001", "8613900000002", "8613900000003"}
    assert rows["8613900000003"].status == ContactStatus.SKIPPED
    assert rows["8613900000003"].reason == store.ON_DO_NOT_CALL
    assert rows["8613900000001"].source_line == 2 and rows["8613900000001"].amount_cents == 100


def test_a_contact_is_claimed_once_however_many_runners_try(sessions, campaign_id):
    with transaction(sessions) as db:
        store.add_contacts(db, campaign_id, [Row("13900000001")])
    with sessions() as first, sessions() as second:
        a = store.due_contacts(first, campaign_id, NOW, 5)[0]
        b = store.due_contacts(second, campaign_id, NOW, 5)[0]
        claimed = store.claim(first, a, "00000000-0000-0000-0000-000000000001", NOW)
        first.commit()
        again = store.claim(second, b, "00000000-0000-0000-0000-000000000002", NOW)
        second.commit()
    assert claimed is not None and claimed.attempt_number == 1
    assert again is None
    with sessions() as db:
        assert db.scalar(select(CampaignContact)).status == ContactStatus.DIALING
        assert len(db.scalars(select(CampaignAttempt)).all()) == 1


def test_a_number_listed_during_the_campaign_skips_its_pending_contacts_at_once(sessions, campaign_id):
    with transaction(sessions) as db:
        customer = Customer(name="Opted out")
        db.add(customer)
        db.flush()
        store.add_contacts(db, campaign_id, [Row("13900000001"), Row("13900000002", customer_id=customer.id)])
        store.add_do_not_call(db, "13900000001", at=NOW, source="ivr_opt_out")
        store.add_do_not_call(db, "13900000009", at=NOW, source="ivr_opt_out", customer_id=customer.id)
    with sessions() as db:
        assert store.due_contacts(db, campaign_id, NOW, 5) != []  # the customer's other number
        contact = store.due_contacts(db, campaign_id, NOW, 5)[0]
        assert store.blocked(db, contact.phone, contact.customer_id) == store.OPTED_OUT
        assert db.scalar(select(CampaignContact).where(CampaignContact.phone == "8613900000001")
                         ).status == ContactStatus.SKIPPED


def test_an_attempt_is_settled_once(sessions, campaign_id):
    with transaction(sessions) as db:
        store.add_contacts(db, campaign_id, [Row("13900000001")])
        contact = store.due_contacts(db, campaign_id, NOW, 1)[0]
        claim = store.claim(db, contact, "00000000-0000-0000-0000-000000000001", NOW)
    done = store.Settled("answered", ContactStatus.DONE, result="heard_flow")
    with transaction(sessions) as db:
        assert store.settle(db, claim.uuid, done, NOW)
    with transaction(sessions) as db:
        assert not store.settle(db, claim.uuid, store.Settled("interrupted", ContactStatus.PENDING), NOW)
    with sessions() as db:
        assert db.scalar(select(CampaignContact)).status == ContactStatus.DONE
        assert store.open_attempts(db) == []


PLAN = CampaignPlan(1, "c", "collections", "collections", None, "", 30, 10, 3, "Asia/Shanghai",
                    windows=parse_weekly({day: ["09:00-20:00"] for day in WEEKDAYS}),
                    holidays=frozenset(),
                    policy=RetryPolicy(3, {"busy": 600, "no_answer": 1800, "failed": 300}))
TUESDAY_9 = datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai


@pytest.mark.parametrize("outcome, result, attempt, status, next_at", [
    ("answered", "heard_flow", 1, ContactStatus.DONE, None),
    ("answered", "opted_out", 1, ContactStatus.SKIPPED, None),  # pressed 9: never again
    ("busy", None, 1, ContactStatus.PENDING, NOW + timedelta(minutes=10)),
    ("no_answer", None, 2, ContactStatus.PENDING, NOW + timedelta(minutes=30)),
    ("no_answer", None, 3, ContactStatus.EXHAUSTED, None),
    ("abandoned", None, 1, ContactStatus.PENDING, NOW + timedelta(hours=72)),
    ("interrupted", None, 1, ContactStatus.PENDING, NOW + timedelta(minutes=5)),  # as 'failed'
    ("unallocated", None, 1, ContactStatus.FAILED, None),
])
def test_an_outcome_decides_the_contact_s_next_step(outcome, result, attempt, status, next_at):
    settled = next_step(PLAN, attempt, CallResult(outcome, result=result), NOW)
    assert settled.contact_status == status
    assert settled.next_attempt_at == next_at
    assert settled.abandoned == (outcome == "abandoned")
    assert settled.reason


def test_a_retry_that_falls_after_the_window_waits_for_the_next_one():
    evening = datetime(2026, 11, 23, 11, 55, tzinfo=timezone.utc)  # 19:55 in Shanghai
    settled = next_step(PLAN, 1, CallResult("busy"), evening)
    assert settled.next_attempt_at == TUESDAY_9


def test_no_new_dial_in_a_window_s_last_minute():
    last_minute = datetime(2026, 11, 23, 11, 59, 30, tzinfo=timezone.utc)  # 19:59:30
    assert not PLAN.may_call("Asia/Shanghai", last_minute)
    assert PLAN.may_call("Asia/Shanghai", last_minute - timedelta(minutes=2))
    assert PLAN.next_window("Asia/Shanghai", last_minute) == TUESDAY_9
    assert PLAN.next_window("Asia/Urumqi", last_minute) == last_minute  # 17:59 there
