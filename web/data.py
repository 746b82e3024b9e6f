"""Plain-data reads and writes the desks share: screen pop, tickets, wrap-up, KPIs.

Each function takes an open SQLAlchemy session and returns plain dicts ready
for JSON; views own the transaction.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callcenter.models import (Account, Agent, Bill, Call, CallbackRequest, Customer,
                               CustomerPhone, CustomerTier, Ticket, TicketCategory,
                               TicketHistory, TicketStatus)
from callcenter.phone import normalize_phone
from callcenter.tickets import answer_back_deadline, next_ticket_number
from callcenter.tickets.states import OPEN_STATUSES
from web import kpi, reasons
from web.ports import LiveCall

OPEN_TICKET_STATES = tuple(OPEN_STATUSES)  # every status of the closed loop but closed, cancelled
DISPOSITIONS = ("resolved", "information_given", "ticket_created", "transferred", "callback",
                "complaint", "no_answer_needed", "wrong_number")
SECRET_WORDS = ("password", "pin", "secret", "密码")


class FormError(ValueError):
    """Bad input; ``field`` names the form field."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- screen pop ---------------------------------------------------------------

def recent_bills(db: Session, customer_id: int, limit: int = 3) -> list[dict[str, Any]]:
    """The customer's latest bills, one row each (period, due, paid, balance, status).

    A direct read, on purpose: the bill hook (callcenter.hooks ``bill_summary``)
    answers the IVR's question "what do I owe" with one flat record (latest
    period, total open balance, due date) as call variables; it has no list of
    bills, no paid amounts and no statuses, which is what the screen pop shows."""
    rows = db.scalars(select(Bill).join(Account).where(Account.customer_id == customer_id)
                      .order_by(Bill.period.desc(), Bill.id.desc()).limit(limit))
    return [{"account": bill.account.number, "period": bill.period,
             "amount_due_cents": bill.amount_due_cents, "amount_paid_cents": bill.amount_paid_cents,
             "balance_cents": bill.balance_cents, "due_date": bill.due_date.isoformat(),
             "status": bill.status.value} for bill in rows]


def ticket_dict(ticket: Ticket, with_history: bool = False) -> dict[str, Any]:
    out = {"number": ticket.number, "category": ticket.category.value,
           "status": ticket.status.value, "subject": ticket.subject,
           "description": ticket.description, "owner": ticket.owner.login if ticket.owner else None,
           "owner_team": ticket.owner_group,
           "answer_back_deadline": _iso(ticket.answer_back_deadline),
           "created_at": _iso(ticket.created_at)}
    if with_history:
        out["history"] = [{"at": _iso(h.at), "action": h.action, "note": h.note}
                          for h in ticket.history]
    return out


def open_tickets(db: Session, customer_id: int, limit: int = 5) -> list[dict[str, Any]]:
    rows = db.scalars(select(Ticket).where(Ticket.customer_id == customer_id,
                                           Ticket.status.in_(OPEN_TICKET_STATES))
                      .order_by(Ticket.created_at.desc()).limit(limit))
    return [ticket_dict(t) for t in rows]


def last_contacts(db: Session, customer_id: int, exclude_uuid: str | None = None,
                  limit: int = 5) -> list[dict[str, Any]]:
    query = select(Call).where(Call.customer_id == customer_id)
    if exclude_uuid:
        query = query.where(Call.uuid != exclude_uuid)
    rows = db.scalars(query.order_by(Call.created_at.desc()).limit(limit))
    return [{"at": _iso(c.created_at), "direction": c.direction.value, "need": c.need,
             "agent": c.agent.display_name if c.agent else None, "disposition": c.disposition,
             "abandoned": c.abandoned} for c in rows]


def customer_by_number(db: Session, number: str) -> Customer | None:
    try:
        normalized = normalize_phone(number)
    except ValueError:
        return None
    return db.scalar(select(Customer).join(CustomerPhone)
                     .where(CustomerPhone.number == normalized))


def customer_summary(db: Session, customer: Customer) -> dict[str, Any]:
    return {"id": customer.id, "name": customer.name, "tier": customer.tier.value,
            "vip": customer.tier != CustomerTier.REGULAR, "language": customer.language,
            "phones": [p.number for p in customer.phones],
            "accounts": [{"number": a.number, "plan": a.plan} for a in customer.accounts]}


def call_dict(call: LiveCall) -> dict[str, Any]:
    out = asdict(call)
    out["offered_at"] = _iso(call.offered_at)
    out["answered_at"] = _iso(call.answered_at)
    out["ivr_path"] = [_safe_step(step) for step in out["ivr_path"]]
    from web.floor import display_names
    out["routing_reason"] = reasons.words(call.routing_reason_parts, call.routing_reason,
                                          display_names())
    return out


def _safe_step(step: dict[str, Any]) -> dict[str, Any]:
    """Defence in depth: never show what was keyed at a password-like node."""
    label = f"{step['node']} {step['label']}".lower()
    if step["masked"] or any(word in label for word in SECRET_WORDS):
        return {**step, "entered": "••••••" if step["entered"] or step["masked"] else None,
                "masked": True}
    return step


def screen_pop(db: Session, call: LiveCall) -> dict[str, Any]:
    customer = db.get(Customer, call.customer_id) if call.customer_id else None
    if customer is None:
        customer = customer_by_number(db, call.caller_number)
    pop: dict[str, Any] = {"call": call_dict(call), "customer": None, "bills": [],
                           "tickets": [], "contacts": []}
    if customer is not None:
        pop["customer"] = customer_summary(db, customer)
        pop["bills"] = recent_bills(db, customer.id)
        pop["tickets"] = open_tickets(db, customer.id)
        pop["contacts"] = last_contacts(db, customer.id, exclude_uuid=call.uuid)
    return pop


# --- tickets ------------------------------------------------------------------

def create_ticket(db: Session, *, category: str, description: str, owner_id: int,
                  customer_id: int | None, call_uuid: str | None,
                  now: datetime | None = None) -> Ticket:
    try:
        category_ = TicketCategory(category)
    except ValueError:
        raise FormError("category", f"unknown category {category!r}") from None
    description = (description or "").strip()
    if not description:
        raise FormError("description", "a ticket needs a description")
    if customer_id is not None and db.get(Customer, customer_id) is None:
        raise FormError("customer_id", f"no customer {customer_id}")
    now = now or datetime.now(timezone.utc)
    call = db.scalar(select(Call).where(Call.uuid == call_uuid)) if call_uuid else None
    ticket = Ticket(number=next_ticket_number(db, now), category=category_,
                    subject=description.splitlines()[0][:200], description=description,
                    customer_id=customer_id, call_id=call.id if call else None,
                    owner_agent_id=owner_id, created_at=now,
                    answer_back_deadline=answer_back_deadline(category_, now))
    ticket.history = [TicketHistory(agent_id=owner_id, action="created", note=description, at=now)]
    db.add(ticket)
    db.flush()
    return ticket


def add_ticket_note(db: Session, number: str, agent_id: int, note: str) -> Ticket:
    ticket = db.scalar(select(Ticket).where(Ticket.number == number))
    if ticket is None:
        raise LookupError(f"no ticket {number}")
    note = (note or "").strip()
    if not note:
        raise FormError("note", "the note is empty")
    db.add(TicketHistory(ticket_id=ticket.id, agent_id=agent_id, action="note", note=note))
    db.flush()
    db.refresh(ticket)
    return ticket


# --- wrap-up ------------------------------------------------------------------

def wrap_up(db: Session, *, call_uuid: str, agent_id: int, disposition: str, notes: str,
            callback_at: str | None = None, live: bool = False,
            zone: tzinfo = timezone.utc, now: datetime | None = None) -> Call:
    """``live``: the call is the agent's current call (the engine said so);
    otherwise it must be recorded as this agent's call in the database.
    ``callback_at`` is the agent's local time (``zone``) unless it names its offset;
    it becomes a CallbackRequest with ``scheduled_for`` set (and must lie ahead)."""
    if disposition not in DISPOSITIONS:
        raise FormError("disposition", "choose a disposition code")
    call = db.scalar(select(Call).where(Call.uuid == call_uuid))
    if call is None:
        raise LookupError(f"no call {call_uuid}")
    if call.agent_id != agent_id and not (live and call.agent_id is None):
        raise PermissionError("not this agent's call")
    when = _parse_when(callback_at, zone) if callback_at else None
    if when is not None:
        if when <= (now or datetime.now(timezone.utc)):
            raise FormError("callback_at", "the callback time has already passed")
        db.add(CallbackRequest(phone=call.caller_number, customer_id=call.customer_id,
                               call_id=call.id, need=call.need, scheduled_for=when,
                               agent_id=agent_id, note=(notes or "").strip()[:500]))  # it is theirs
    call.disposition = disposition
    call.wrapup_notes = (notes or "").strip() or None
    return call


def has_disposition(db: Session, call_uuid: str) -> bool:
    """True when the call's disposition is recorded, or the call has no row at all
    (nothing to record it on)."""
    row = db.execute(select(Call.disposition).where(Call.uuid == call_uuid)).first()
    return row is None or row[0] is not None


def _parse_when(text: str, zone: tzinfo) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise FormError("callback_at", "give the callback time as YYYY-MM-DDTHH:MM") from None
    return (when if when.tzinfo else when.replace(tzinfo=zone)).astimezone(timezone.utc)


# --- KPIs over Call rows ---------------------------------------------------------

def queue_kpis(db: Session, now: datetime, day_start: datetime,
               thresholds: Mapping[str, float] | None = None) -> dict[str, dict[str, Any]]:
    """Per queue since ``day_start``; ``thresholds`` maps a queue to its
    service-level seconds (the queues file), else kpi.DEFAULT_THRESHOLD_SECONDS."""
    rows = db.execute(select(Call.queue_name, Call.queued_at, Call.agent_answered_at,
                             Call.ended_at, Call.abandoned)
                      .where(Call.queued_at >= day_start, Call.queue_name.is_not(None)))
    per_queue: dict[str, list[kpi.QueuedCall]] = {}
    for name, queued, answered, ended, abandoned in rows:
        per_queue.setdefault(name, []).append(kpi.QueuedCall(queued, answered, ended, abandoned))
    recent_from = now - timedelta(minutes=30)
    out = {}
    for name, calls in per_queue.items():
        recent = [c for c in calls if c.queued_at >= recent_from]
        threshold = (thresholds or {}).get(name, kpi.DEFAULT_THRESHOLD_SECONDS)
        out[name] = {"offered": len(calls), "abandoned": sum(c.abandoned for c in calls),
                     "service_level_today": kpi.service_level(calls, threshold),
                     "service_level_30min": kpi.service_level(recent, threshold),
                     "abandon_rate": kpi.abandon_rate(calls),
                     "asa": kpi.average_speed_of_answer(calls),
                     "aht": kpi.average_handle_time(calls)}
    return out


def calls_handled_today(db: Session, day_start: datetime) -> dict[int, int]:
    rows = db.execute(select(Call.agent_id, func.count()).where(
        Call.agent_answered_at >= day_start, Call.agent_id.is_not(None)).group_by(Call.agent_id))
    return {agent_id: count for agent_id, count in rows}


def agent_names(db: Session) -> dict[int, dict[str, str]]:
    return {a.id: {"login": a.login, "name": a.display_name}
            for a in db.scalars(select(Agent))}
