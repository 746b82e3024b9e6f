"""The dialer's database operations: campaigns, their contacts, the do-not-call
list and one row per dial attempt.

Restart safety rests on one rule: a contact is claimed (status ``dialing``, a
``CampaignAttempt`` row with the leg's uuid) in the same transaction that
checks it is still pending, and only then is the switch asked to dial. A
restarted engine finds every attempt in flight (``outcome`` None) and settles
it against the switch (see callcenter.live.dialer); a contact can never be
claimed twice at once because the claim is a compare-and-set on its status.

SQL only through SQLAlchemy with bound parameters. Times are passed in (the
dialer's clock), never read here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable, Sequence

from sqlalchemy import Integer, and_, func, or_, select, update
from sqlalchemy.orm import Session

from callcenter.models import (Account, Campaign, CampaignAttempt, CampaignContact, CampaignKind,
                               CampaignStatus, ContactStatus, CustomerPhone, DoNotCall)
from callcenter.phone import InvalidPhoneNumber, normalize_phone

FINAL_STATES = (ContactStatus.DONE, ContactStatus.FAILED, ContactStatus.EXHAUSTED,
                ContactStatus.SKIPPED)
ON_DO_NOT_CALL = "do_not_call"
NOT_DIALLED = "not_dialled"  # the last look before dialling said no: not a dial
OPTED_OUT = "customer_opted_out"


class CampaignNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Claim:
    """A contact claimed for one dial: everything the live call needs."""
    attempt_id: int
    uuid: str
    campaign_id: int
    contact_id: int
    number: str
    attempt_number: int
    name: str = ""
    language: str | None = None
    customer_id: int | None = None
    amount_cents: int | None = None
    due_date: date | None = None
    data: dict[str, Any] = field(default_factory=dict)
    timezone: str | None = None  # the contact's; None: the campaign's


@dataclass(frozen=True)
class ImportSummary:
    added: int
    duplicates: int  # already in the campaign (or twice in the list)
    on_do_not_call: int  # added as skipped, with the reason


# --- do-not-call ---------------------------------------------------------------------------

def blocked(session: Session, number: str, customer_id: int | None) -> str | None:
    """Why ``number`` must not be dialled (None: it may be): on the list, or its customer
    opted out of every call."""
    conditions = [DoNotCall.number == number]
    if customer_id is not None:
        conditions.append(DoNotCall.customer_id == customer_id)
    row = session.execute(select(DoNotCall.number, DoNotCall.customer_id)
                          .where(or_(*conditions)).limit(1)).first()
    if row is None:
        return None
    return ON_DO_NOT_CALL if row.number == number else OPTED_OUT


def add_do_not_call(session: Session, number: str, *, at: datetime, reason: str = "",
                    source: str = "console", customer_id: int | None = None) -> bool:
    """Put ``number`` on the list (False: it was already). Every pending contact with that
    number in every campaign is skipped at once, so no runner picks it up afterwards."""
    number = normalize_phone(number)
    added = session.scalar(select(DoNotCall.id).where(DoNotCall.number == number)) is None
    if added:
        session.add(DoNotCall(number=number, reason=reason[:200], source=source, added_at=at,
                              customer_id=customer_id))
    session.execute(update(CampaignContact)
                    .where(CampaignContact.phone == number,
                           CampaignContact.status == ContactStatus.PENDING)
                    .values(status=ContactStatus.SKIPPED, reason=ON_DO_NOT_CALL,
                            next_attempt_at=None))
    return added


def remove_do_not_call(session: Session, number: str) -> bool:
    row = session.scalar(select(DoNotCall).where(DoNotCall.number == normalize_phone(number)))
    if row is None:
        return False
    session.delete(row)
    return True


# --- campaigns and contacts ----------------------------------------------------------------

def campaign(session: Session, campaign_id: int) -> Campaign:
    found = session.get(Campaign, campaign_id)
    if found is None:
        raise CampaignNotFound(f"no campaign {campaign_id}")
    return found


def running_campaigns(session: Session) -> list[Campaign]:
    return list(session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.RUNNING)
                                .order_by(Campaign.id)))


def set_status(session: Session, campaign_id: int, status: CampaignStatus, at: datetime) -> Campaign:
    found = campaign(session, campaign_id)
    found.status = status
    if status is CampaignStatus.RUNNING and found.started_at is None:
        found.started_at = at
    if status in (CampaignStatus.STOPPED, CampaignStatus.FINISHED):
        found.finished_at = at
    return found


def add_contacts(session: Session, campaign_id: int, contacts: Iterable[Any]) -> ImportSummary:
    """Add imported contacts (callcenter.dialer.contact_list.Contact, or objects with
    ``phone`` and optionally name, account, language, timezone, amount_due_cents (or
    amount_cents), due_date, customer_id, data, line). Numbers are normalised; the customer
    is found by account or phone when not given; a number already in the campaign is a
    duplicate; a number on the do-not-call list is added as skipped with the reason, so the
    supervisor sees why it is not called."""
    existing = set(session.scalars(select(CampaignContact.phone)
                                   .where(CampaignContact.campaign_id == campaign_id)))
    dnc = set(session.scalars(select(DoNotCall.number)))
    opted_out = set(session.scalars(select(DoNotCall.customer_id)
                                    .where(DoNotCall.customer_id.is_not(None))))
    added = duplicates = skipped = 0
    for contact in contacts:
        number = normalize_phone(contact.phone)
        if number in existing:
            duplicates += 1
            continue
        existing.add(number)
        customer_id = getattr(contact, "customer_id", None) or _customer_of(
            session, number, getattr(contact, "account", "") or "")
        amount = getattr(contact, "amount_cents", None)
        if amount is None:
            amount = getattr(contact, "amount_due_cents", None)
        data = dict(getattr(contact, "data", None) or {})
        if getattr(contact, "account", ""):
            data["account"] = contact.account
        reason = ON_DO_NOT_CALL if number in dnc else (
            OPTED_OUT if customer_id is not None and customer_id in opted_out else None)
        skipped += reason is not None
        session.add(CampaignContact(
            campaign_id=campaign_id, phone=number, customer_id=customer_id,
            name=getattr(contact, "name", "") or "", language=getattr(contact, "language", None),
            timezone=getattr(contact, "timezone", None),
            amount_cents=amount, due_date=getattr(contact, "due_date", None), data=data or None,
            source_line=getattr(contact, "line", None),
            status=ContactStatus.SKIPPED if reason else ContactStatus.PENDING, reason=reason))
        added += reason is None
    return ImportSummary(added, duplicates, skipped)


def _customer_of(session: Session, number: str, account: str) -> int | None:
    if account:
        found = session.scalar(select(Account.customer_id).where(Account.number == account))
        if found is not None:
            return found
    return session.scalar(select(CustomerPhone.customer_id).where(CustomerPhone.number == number))


def due_contacts(session: Session, campaign_id: int, now: datetime, limit: int) -> list[CampaignContact]:
    """Pending contacts whose time has come, the longest due first."""
    if limit <= 0:
        return []
    return list(session.scalars(
        select(CampaignContact)
        .where(CampaignContact.campaign_id == campaign_id,
               CampaignContact.status == ContactStatus.PENDING,
               CampaignContact.offered_to.is_(None),  # on a preview card: the agent's
               or_(CampaignContact.next_attempt_at.is_(None), CampaignContact.next_attempt_at <= now))
        .order_by(CampaignContact.next_attempt_at.is_not(None), CampaignContact.next_attempt_at,
                  CampaignContact.id)
        .limit(limit)))


def claim(session: Session, contact: CampaignContact, uuid: str, now: datetime) -> Claim | None:
    """Claim ``contact`` for one dial with the leg ``uuid`` (None: someone else has it or it
    is no longer pending). The caller commits before dialling."""
    done = session.execute(update(CampaignContact)
                           .where(CampaignContact.id == contact.id,
                                  CampaignContact.status == ContactStatus.PENDING)
                           .values(status=ContactStatus.DIALING,
                                   attempts=CampaignContact.attempts + 1, last_attempt_at=now)
                           .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        return None
    attempt = CampaignAttempt(campaign_id=contact.campaign_id, contact_id=contact.id, uuid=uuid,
                              number=contact.phone, claimed_at=now, abandoned=False)
    session.add(attempt)
    session.flush()
    return Claim(attempt.id, uuid, contact.campaign_id, contact.id, contact.phone,
                 (contact.attempts or 0) + 1, contact.name, contact.language, contact.customer_id,
                 contact.amount_cents, contact.due_date, dict(contact.data or {}), contact.timezone)


def postpone(session: Session, contact_id: int, until: datetime | None, reason: str) -> None:
    """Not now (outside the calling window): due again at ``until``; None: skipped."""
    values: dict[str, Any] = {"next_attempt_at": until, "result": reason}
    if until is None:
        values.update(status=ContactStatus.SKIPPED, reason=reason)
    session.execute(update(CampaignContact).where(CampaignContact.id == contact_id,
                                                  CampaignContact.status == ContactStatus.PENDING)
                    .values(values).execution_options(synchronize_session=False))


def skip(session: Session, contact_id: int, reason: str) -> None:
    session.execute(update(CampaignContact).where(CampaignContact.id == contact_id,
                                                  CampaignContact.status.in_(
                                                      (ContactStatus.PENDING, ContactStatus.DIALING)))
                    .values(status=ContactStatus.SKIPPED, reason=reason, next_attempt_at=None)
                    .execution_options(synchronize_session=False))


@dataclass(frozen=True)
class Settled:
    """How an attempt ended and what becomes of its contact."""
    outcome: str  # answered, busy, no_answer, failed, rejected, machine, abandoned, interrupted ...
    contact_status: ContactStatus
    next_attempt_at: datetime | None = None
    result: str | None = None  # shown on the contact (default: the outcome)
    hangup_cause: str | None = None
    answered_at: datetime | None = None
    abandoned: bool = False
    detail: dict[str, Any] | None = None
    reason: str | None = None  # why the contact is final, or when and why it is tried again


def settle(session: Session, attempt_uuid: str, settled: Settled, now: datetime,
           uncount: bool = False) -> bool:
    """Write an attempt's outcome and its contact's next state, once (False: already
    settled, e.g. by the recovery of a restarted engine). ``uncount``: the switch was
    never asked (the last check before dialling said no): not an attempt of the contact."""
    attempt = session.scalar(select(CampaignAttempt).where(CampaignAttempt.uuid == attempt_uuid))
    if attempt is None or attempt.outcome is not None:
        return False
    attempt.outcome = settled.outcome
    attempt.hangup_cause = settled.hangup_cause
    attempt.answered_at = settled.answered_at
    attempt.ended_at = now
    attempt.abandoned = settled.abandoned
    attempt.detail = settled.detail
    contact = session.get(CampaignContact, attempt.contact_id)
    if contact.status == ContactStatus.DIALING:  # an opt-out during the call already skipped it
        contact.status = settled.contact_status
        contact.next_attempt_at = (settled.next_attempt_at
                                   if settled.contact_status == ContactStatus.PENDING else None)
        if settled.reason or settled.contact_status == ContactStatus.SKIPPED:
            contact.reason = (settled.reason or settled.result or "")[:200]
    if uncount:
        contact.attempts = max(0, (contact.attempts or 1) - 1)
    contact.result = settled.result or settled.outcome
    return True


def claim_of(session: Session, attempt: CampaignAttempt) -> Claim:
    """The claim an open attempt was made from (for a restarted engine)."""
    contact = session.get(CampaignContact, attempt.contact_id)
    return Claim(attempt.id, attempt.uuid, attempt.campaign_id, contact.id, attempt.number,
                 contact.attempts or 1, contact.name, contact.language, contact.customer_id,
                 contact.amount_cents, contact.due_date, dict(contact.data or {}), contact.timezone)


def open_attempts(session: Session) -> list[CampaignAttempt]:
    """Attempts claimed and never settled: in flight, or left by an engine that stopped."""
    return list(session.scalars(select(CampaignAttempt).where(CampaignAttempt.outcome.is_(None))
                                .order_by(CampaignAttempt.id)))


def in_flight(session: Session, campaign_id: int) -> int:
    return session.scalar(select(func.count()).select_from(CampaignAttempt)
                          .where(CampaignAttempt.campaign_id == campaign_id,
                                 CampaignAttempt.outcome.is_(None))) or 0


def finish_if_done(session: Session, campaign_id: int, now: datetime) -> bool:
    """A running campaign with every contact final becomes finished (not the tickets'
    answer-back campaign: it stands, fed by the tickets as they are answered)."""
    if session.scalar(select(Campaign.kind).where(Campaign.id == campaign_id)) is CampaignKind.ANSWER_BACK:
        return False
    left = session.scalar(select(func.count()).select_from(CampaignContact)
                          .where(CampaignContact.campaign_id == campaign_id,
                                 CampaignContact.status.in_((ContactStatus.PENDING,
                                                             ContactStatus.DIALING)))) or 0
    if left:
        return False
    set_status(session, campaign_id, CampaignStatus.FINISHED, now)
    return True


# --- figures for the console -------------------------------------------------------------

def contacts_by_state(session: Session, campaign_id: int) -> dict[str, int]:
    rows = session.execute(select(CampaignContact.status, func.count())
                           .where(CampaignContact.campaign_id == campaign_id)
                           .group_by(CampaignContact.status))
    counts = {status.value: 0 for status in ContactStatus}
    counts.update({ContactStatus(status).value: n for status, n in rows})
    return counts


def attempt_figures(session: Session, campaign_id: int, since: datetime | None = None) -> dict[str, int]:
    """Dials, answers and abandons (since ``since``: the abandon limit's window)."""
    conditions = [CampaignAttempt.campaign_id == campaign_id,
                  or_(CampaignAttempt.outcome.is_(None), CampaignAttempt.outcome != NOT_DIALLED)]
    if since is not None:
        conditions.append(CampaignAttempt.claimed_at >= since)
    row = session.execute(select(
        func.count(), func.count(CampaignAttempt.answered_at),
        func.coalesce(func.sum(CampaignAttempt.abandoned.cast(Integer)), 0))
        .where(and_(*conditions))).one()
    return {"dials": row[0], "answered": row[1], "abandoned": int(row[2] or 0)}


def recent_dials(session: Session, campaign_id: int, limit: int = 500
                 ) -> tuple[list[tuple[float, bool]], list[float]]:
    """The campaign's latest finished dials as (seconds rung, answered?) and the talk times
    of the answered ones (seconds), for RingHistory and TalkTimeDistribution."""
    rows = session.execute(select(CampaignAttempt.claimed_at, CampaignAttempt.answered_at,
                                  CampaignAttempt.ended_at)
                           .where(CampaignAttempt.campaign_id == campaign_id,
                                  CampaignAttempt.outcome.is_not(None),
                                  CampaignAttempt.outcome != NOT_DIALLED,
                                  CampaignAttempt.ended_at.is_not(None))
                           .order_by(CampaignAttempt.id.desc()).limit(limit)).all()
    dials = [((answered or ended) - claimed).total_seconds() for claimed, answered, ended in rows]
    rung = [(max(0.0, seconds), answered is not None)
            for seconds, (_, answered, _) in zip(dials, rows)]
    talks = [(ended - answered).total_seconds() for _, answered, ended in rows if answered is not None]
    return rung, talks


def timeline_inputs(session: Session, campaign_id: int, since: datetime, now: datetime
                    ) -> tuple[list[tuple[datetime, datetime | None, bool]], list[tuple[int, datetime, datetime]]]:
    """For callcenter.dialer.timeline.quarters: the dials since ``since`` (claimed, answered,
    abandoned) and the agents' talks on the campaign's calls (agent, connected, ended; a
    call still up ends ``now``)."""
    from callcenter.models import Call
    attempts = session.execute(select(CampaignAttempt.claimed_at, CampaignAttempt.answered_at,
                                      CampaignAttempt.abandoned)
                               .where(CampaignAttempt.campaign_id == campaign_id,
                                      CampaignAttempt.claimed_at >= since,
                                      or_(CampaignAttempt.outcome.is_(None),
                                          CampaignAttempt.outcome != NOT_DIALLED))).all()
    talks = session.execute(select(Call.agent_id, Call.agent_answered_at, Call.ended_at)
                            .join(CampaignContact, CampaignContact.id == Call.campaign_contact_id)
                            .where(CampaignContact.campaign_id == campaign_id,
                                   Call.agent_id.is_not(None), Call.agent_answered_at.is_not(None),
                                   or_(Call.ended_at.is_(None), Call.ended_at >= since))).all()
    return ([(claimed, answered, bool(abandoned)) for claimed, answered, abandoned in attempts],
            [(agent, start, ended or now) for agent, start, ended in talks])


def attempts_by_hour(session: Session, campaign_id: int, since: datetime) -> list[dict[str, Any]]:
    """Dials, answers and abandons per hour since ``since`` (UTC hours), oldest first."""
    rows = session.execute(select(CampaignAttempt.claimed_at, CampaignAttempt.answered_at,
                                  CampaignAttempt.abandoned)
                           .where(CampaignAttempt.campaign_id == campaign_id,
                                  CampaignAttempt.claimed_at >= since,
                                  or_(CampaignAttempt.outcome.is_(None),
                                      CampaignAttempt.outcome != NOT_DIALLED)))
    hours: dict[datetime, dict[str, Any]] = {}
    for claimed, answered, abandoned in rows:
        hour = claimed.replace(minute=0, second=0, microsecond=0)
        bucket = hours.setdefault(hour, {"hour": hour, "dials": 0, "answered": 0, "abandoned": 0})
        bucket["dials"] += 1
        bucket["answered"] += answered is not None
        bucket["abandoned"] += bool(abandoned)
    return [hours[hour] for hour in sorted(hours)]


def contacts(session: Session, campaign_id: int, status: ContactStatus | None = None,
             limit: int = 200) -> Sequence[CampaignContact]:
    query = select(CampaignContact).where(CampaignContact.campaign_id == campaign_id)
    if status is not None:
        query = query.where(CampaignContact.status == status)
    return list(session.scalars(query.order_by(CampaignContact.id).limit(limit)))


def normalised_or_none(number: str) -> str | None:
    try:
        return normalize_phone(number)
    except InvalidPhoneNumber:
        return None
