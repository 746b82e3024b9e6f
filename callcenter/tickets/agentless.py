"""The answer-back call (回告) for tickets whose dispatch rule says ``tell: call``.

When the back office answers such a ticket, its customer becomes a contact of the
answer-back campaign (``inform.campaign`` in the rules file; kind answer_back,
agentless) with the ticket number and the result code, which the campaign's flow
says. The dialer dials it with the campaign's windows, attempts and retries.
``settle_calls`` (the engine's tickets timer) reads the contacts the dialer is done
with and closes each ticket: told (customer informed, then closed), or not
reached after the attempts (closed, flagged ``not_reached``): ``telling.verdict``.

When no call can be made (no such campaign, a stopped one, no phone number, a
call for that number already waiting) the owner gets the usual call-back task
and the history says why. SQL only through SQLAlchemy; ``now`` is passed in.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callcenter.models import (Call, Campaign, CampaignContact, CampaignKind, CampaignStatus,
                               ContactStatus, Ticket, TicketHistory, TicketTask)
from callcenter.phone import InvalidPhoneNumber, normalize_phone
from callcenter.tickets.dispatch import DispatchRules
from callcenter.tickets.states import Action, next_status
from callcenter.tickets.telling import NOT_REACHED, TOLD, verdict

AGENTLESS = "agentless_call"  # the task kind of an answer-back call
FINAL = (ContactStatus.DONE, ContactStatus.FAILED, ContactStatus.EXHAUSTED, ContactStatus.SKIPPED)
STANDING = (CampaignStatus.DRAFT, CampaignStatus.RUNNING, CampaignStatus.PAUSED)


class NoCall(Exception):
    """The answer-back call cannot be made; the message says why (for the history)."""


def answer_back_campaign(db: Session, rules: DispatchRules) -> Campaign:
    campaign = db.scalar(select(Campaign).where(Campaign.name == (rules.inform_campaign or "")))
    if campaign is None or campaign.kind is not CampaignKind.ANSWER_BACK or not campaign.flow:
        raise NoCall(f"no agentless answer-back campaign named {rules.inform_campaign!r}")
    if campaign.status not in STANDING:
        raise NoCall(f"the answer-back campaign {campaign.name!r} is {campaign.status.value}")
    return campaign


def phone_of(db: Session, ticket: Ticket) -> str:
    """The number the customer called from (the ticket's call), else their first number."""
    numbers = []
    if ticket.call_id is not None:
        numbers.append(db.scalar(select(Call.caller_number).where(Call.id == ticket.call_id)))
    if ticket.customer is not None:
        numbers.extend(p.number for p in ticket.customer.phones)
    for raw in numbers:
        try:
            return normalize_phone(raw or "")
        except InvalidPhoneNumber:
            continue
    raise NoCall("the ticket has no phone number to call")


def queue_call(db: Session, ticket: Ticket, task: TicketTask, rules: DispatchRules,
               now: datetime) -> CampaignContact:
    """The ticket's customer as a contact of the answer-back campaign (NoCall: why not)."""
    campaign = answer_back_campaign(db, rules)
    number = phone_of(db, ticket)
    contact = db.scalar(select(CampaignContact).where(CampaignContact.campaign_id == campaign.id,
                                                      CampaignContact.phone == number))
    if contact is not None and contact.status not in FINAL:
        waiting = (contact.data or {}).get("ticket_number", "?")
        raise NoCall(f"an answer-back call to {number} is already waiting (ticket {waiting})")
    if contact is not None:  # called before for another ticket: settle that one, then reuse
        for earlier in tasks_of(db, contact.id):
            settle_task(db, earlier, contact, rules, now)
    else:
        contact = CampaignContact(campaign_id=campaign.id, phone=number)
        db.add(contact)
    customer = ticket.customer
    contact.customer_id = ticket.customer_id
    contact.name = customer.name if customer is not None else ""
    contact.language = customer.language if customer is not None else None
    contact.status, contact.attempts, contact.result, contact.reason = ContactStatus.PENDING, 0, None, None
    contact.next_attempt_at = contact.last_attempt_at = None
    contact.data = {"ticket_number": ticket.number, "result_code": ticket.result_code or ""}
    db.flush()
    task.campaign_contact_id = contact.id
    return contact


def withdraw(db: Session, task: TicketTask) -> None:
    """The ticket was reopened: its old result must not be told. A call not yet placed is
    skipped; one ringing or in progress finishes (its outcome no longer moves the ticket)."""
    if task.campaign_contact_id is None:
        return
    db.execute(update(CampaignContact)
               .where(CampaignContact.id == task.campaign_contact_id,
                      CampaignContact.status == ContactStatus.PENDING)
               .values(status=ContactStatus.SKIPPED, reason="ticket reopened", next_attempt_at=None)
               .execution_options(synchronize_session=False))


def tasks_of(db: Session, contact_id: int) -> list[TicketTask]:
    return list(db.scalars(select(TicketTask).where(TicketTask.campaign_contact_id == contact_id,
                                                    TicketTask.done_at.is_(None))))


def settle_calls(db: Session, rules: DispatchRules, now: datetime) -> list[tuple[str, str]]:
    """Close the tickets whose answer-back call is over. Returns (ticket number, outcome)."""
    rows = db.execute(select(TicketTask, CampaignContact)
                      .join(CampaignContact, CampaignContact.id == TicketTask.campaign_contact_id)
                      .where(TicketTask.kind == AGENTLESS, TicketTask.done_at.is_(None),
                             CampaignContact.status.in_(FINAL))
                      .with_for_update(of=TicketTask, skip_locked=True)).all()
    settled = []
    for task, contact in rows:
        outcome = settle_task(db, task, contact, rules, now)
        if outcome:
            settled.append((task.ticket.number, outcome))
    return settled


def settle_task(db: Session, task: TicketTask, contact: CampaignContact, rules: DispatchRules,
                now: datetime) -> str | None:
    outcome = verdict(contact.status, contact.result)
    if outcome is None or task.done_at is not None:
        return None
    ticket = task.ticket
    task.attempts = contact.attempts or 0
    tries = f"{task.attempts} call(s)"
    if outcome == TOLD:
        _move(db, ticket, Action.INFORM, now, f"the answer-back call told the customer ({tries})")
        ticket.informed_at = now
        _move(db, ticket, Action.CLOSE, now)
    else:
        why = contact.reason or contact.result or contact.status.value
        _move(db, ticket, Action.GIVE_UP, now, f"the answer-back call did not reach the customer "
                                               f"({tries}: {why})")
        ticket.not_reached = True
    ticket.closed_at = now
    task.done_at, task.outcome = now, outcome
    return outcome


def _move(db: Session, ticket: Ticket, action: Action, now: datetime, note: str = "") -> None:
    before = ticket.status
    ticket.status = next_status(before, action)
    db.add(TicketHistory(ticket_id=ticket.id, agent_id=None, action=action.value, note=note, at=now,
                         from_status=before.value, to_status=ticket.status.value))


__all__ = ["AGENTLESS", "NOT_REACHED", "NoCall", "TOLD", "queue_call", "settle_calls"]
