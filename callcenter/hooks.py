"""Hooks: the IVR's window on the business data (bills, customers, tickets).

Each hook is a plain function ``(session, args) -> dict | None`` registered in
``HOOKS`` with the argument names it takes and the variables it sets:
a dict means *found* (its keys become call variables), ``None`` means *not
found*, an exception (or running past its timeout) means *error*. Arguments
arrive as text (flow templates are rendered); SQL goes through the models
with bound parameters only.

``HookRunner`` runs hooks in a worker thread with a timeout so that a slow
database never holds a caller in silence.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.models import (Account, Bill, Call, CallbackRequest, Customer, CustomerPhone,
                               QueueMember, Ticket, TicketCategory, TicketHistory)
from callcenter.phone import InvalidPhoneNumber, normalize_phone
from callcenter.security import verify_password
from callcenter.tickets import answer_back_deadline, next_ticket_number
from callcenter.tickets.dispatch import default_rules
from callcenter.tickets.service import dispatch_by_rule
from callcenter.tickets.states import AWAITING_ANSWER

log = logging.getLogger(__name__)

HookFunction = Callable[[Session, Mapping[str, str]], "dict[str, Any] | None"]


@dataclass(frozen=True)
class Hook:
    name: str
    params: tuple[str, ...]
    outputs: tuple[str, ...]
    function: HookFunction
    writes: bool = False  # changes data (ticket, callback): never retried


HOOKS: dict[str, Hook] = {}


def hook(name: str, params: tuple[str, ...], outputs: tuple[str, ...], writes: bool = False):
    def register(function: HookFunction) -> HookFunction:
        HOOKS[name] = Hook(name, params, outputs, function, writes)
        return function
    return register


CUSTOMER_OUTPUTS = ("customer_id", "customer_name", "customer_tier", "customer_language",
                    "account_number")
TICKET_OUTPUTS = ("ticket_number", "ticket_status", "ticket_open")


def _customer_values(customer: Customer) -> dict[str, Any]:
    account = customer.accounts[0].number if customer.accounts else ""
    return {"customer_id": str(customer.id), "customer_name": customer.name,
            "customer_tier": customer.tier.value, "customer_language": customer.language,
            "account_number": account}


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text and str(text).isdigit() else None


@hook("customer_by_number", ("number",), CUSTOMER_OUTPUTS)
def customer_by_number(session: Session, args: Mapping[str, str]) -> dict[str, Any] | None:
    try:
        number = normalize_phone(args["number"])
    except InvalidPhoneNumber:
        return None
    customer = session.scalar(select(Customer).join(CustomerPhone)
                              .where(CustomerPhone.number == number))
    return _customer_values(customer) if customer else None


@hook("customer_by_account", ("account",), CUSTOMER_OUTPUTS)
def customer_by_account(session: Session, args: Mapping[str, str]) -> dict[str, Any] | None:
    digits = "".join(ch for ch in args["account"] if ch.isdigit())
    if not digits:
        return None
    customer = session.scalar(select(Customer).join(Account)
                              .where(Account.number.in_([digits, f"A{digits}"])))
    return _customer_values(customer) if customer else None


@hook("check_service_password", ("customer_id", "password"), ("password_ok",))
def check_service_password(session: Session, args: Mapping[str, str]) -> dict[str, Any] | None:
    customer = session.get(Customer, _int_or_none(args["customer_id"])) \
        if _int_or_none(args["customer_id"]) else None
    if customer is None or not verify_password(customer.service_password_hash, args["password"]):
        return None
    return {"password_ok": "yes"}


@hook("bill_summary", ("customer_id",),
      ("bill_period", "balance_cents", "amount_due_cents", "due_date"))
def bill_summary(session: Session, args: Mapping[str, str]) -> dict[str, Any] | None:
    customer_id = _int_or_none(args["customer_id"])
    if customer_id is None:
        return None
    bills = session.scalars(select(Bill).join(Account).where(Account.customer_id == customer_id)
                            .order_by(Bill.period)).all()
    if not bills:
        return None
    latest = bills[-1]
    return {"bill_period": latest.period,
            "balance_cents": sum(max(b.balance_cents, 0) for b in bills),
            "amount_due_cents": latest.amount_due_cents,
            "due_date": latest.due_date.isoformat()}


def _ticket_values(ticket: Ticket) -> dict[str, Any]:
    return {"ticket_number": ticket.number, "ticket_status": ticket.status.value,
            "ticket_open": "yes" if ticket.status in AWAITING_ANSWER else "no"}


@hook("ticket_status", ("ticket_number",), TICKET_OUTPUTS)
def ticket_status(session: Session, args: Mapping[str, str]) -> dict[str, Any] | None:
    ticket = session.scalar(select(Ticket).where(Ticket.number == args["ticket_number"]))
    return _ticket_values(ticket) if ticket else None


@hook("latest_ticket_for_number", ("number",), TICKET_OUTPUTS)
def latest_ticket_for_number(session: Session, args: Mapping[str, str]) -> dict[str, Any] | None:
    found = customer_by_number(session, args)
    if found is None:
        return None
    ticket = session.scalar(select(Ticket).where(Ticket.customer_id == int(found["customer_id"]))
                            .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(1))
    return _ticket_values(ticket) if ticket else None


def _call_row_id(session: Session, call_uuid: str) -> int | None:
    return session.scalar(select(Call.id).where(Call.uuid == call_uuid)) if call_uuid else None


@hook("create_ticket", ("category", "customer_id", "caller_number", "recording", "call_id"),
      ("ticket_number",), writes=True)
def create_ticket(session: Session, args: Mapping[str, str]) -> dict[str, Any] | None:
    category = TicketCategory(args["category"])
    now = datetime.now(timezone.utc)
    description = f"Reported in the IVR from {args['caller_number'] or 'an unknown number'}."
    if args.get("recording"):
        description += f" The caller's description is recorded: {args['recording']}"
    ticket = Ticket(number=next_ticket_number(session, now), category=category,
                    customer_id=_int_or_none(args["customer_id"]),
                    call_id=_call_row_id(session, args["call_id"]),
                    subject=f"IVR {category.value} report", description=description,
                    created_at=now, answer_back_deadline=answer_back_deadline(category, now))
    ticket.history = [TicketHistory(at=now, action="created", note="opened by the caller in the IVR")]
    session.add(ticket)
    session.flush()
    dispatch_by_rule(session, ticket, default_rules(), now)
    return {"ticket_number": ticket.number}


@hook("create_callback_request", ("caller_number", "customer_id", "need", "call_id"),
      ("callback_id",), writes=True)
def create_callback_request(session: Session, args: Mapping[str, str]) -> dict[str, Any] | None:
    request = CallbackRequest(phone=normalize_phone(args["caller_number"]),
                              customer_id=_int_or_none(args["customer_id"]),
                              call_id=_call_row_id(session, args["call_id"]),
                              need=args["need"] or None)
    session.add(request)
    session.flush()
    return {"callback_id": str(request.id)}


@hook("queue_wait", ("need",), ("waiting_callers",))
def queue_wait(session: Session, args: Mapping[str, str]) -> dict[str, Any] | None:
    """How many callers already wait for this need. The engine answers it from the live ACD
    (HookRunner's ``waiting_callers``); this reads the ACD's saved picture (queue_members),
    for runs without an engine (``callcenter ivr try``)."""
    waiting = session.scalar(select(func.count()).select_from(QueueMember)
                             .where(QueueMember.queue_name == args["need"]))
    return {"waiting_callers": int(waiting or 0)}


# --- running hooks -----------------------------------------------------------

FOUND, NOT_FOUND, ERROR = "found", "not_found", "error"


@dataclass(frozen=True)
class HookResult:
    status: str  # found | not_found | error
    values: Mapping[str, Any] = field(default_factory=dict)
    error: str = ""


class UnknownHook(KeyError):
    pass


class HookRunner:
    """Runs registered hooks in a database transaction with a timeout.

    ``waiting_callers(need) -> int``: the live ACD's count of callers waiting in a queue;
    given, the queue_wait hook asks it instead of the database."""

    def __init__(self, sessions: sessionmaker[Session], hooks: Mapping[str, Hook] | None = None,
                 waiting_callers: Callable[[str], int] | None = None):
        self.sessions = sessions
        self.hooks = HOOKS if hooks is None else hooks
        self.waiting_callers = waiting_callers

    def call(self, name: str, args: Mapping[str, str], timeout: float) -> HookResult:
        hook_ = self.hooks.get(name)
        if hook_ is None:
            raise UnknownHook(name)
        if name == "queue_wait" and self.waiting_callers is not None and hook_.function is queue_wait:
            return self._live_queue_wait(args)
        try:
            values = run_with_timeout(lambda: self._run(hook_, args), timeout)
        except TimeoutError:
            log.warning("hook %s did not answer within %.1f s", name, timeout)
            return HookResult(ERROR, error=f"timed out after {timeout:g} s")
        except Exception as exc:  # a hook failure must never reach the caller as silence
            log.exception("hook %s failed", name)
            return HookResult(ERROR, error=f"{type(exc).__name__}: {exc}")
        if values is None:
            return HookResult(NOT_FOUND)
        return HookResult(FOUND, {k: values.get(k) for k in hook_.outputs})

    def _live_queue_wait(self, args: Mapping[str, str]) -> HookResult:
        try:
            return HookResult(FOUND, {"waiting_callers": int(self.waiting_callers(args["need"]))})
        except Exception as exc:  # as a database hook's failure: the flow's error branch
            log.exception("queue_wait from the live ACD failed")
            return HookResult(ERROR, error=f"{type(exc).__name__}: {exc}")

    def _run(self, hook_: Hook, args: Mapping[str, str]) -> dict[str, Any] | None:
        with self.sessions() as session:
            with session.begin():
                return hook_.function(session, dict(args))


class KnownAnswers:
    """A call's hooks, some answered from what the engine already read for that call: the
    caller's customer is looked up when the call is taken, and the flow's own
    ``customer_by_number`` of the same number gets that answer instead of a second query.
    Only a stock hook is answered so (a deployment's own hook of that name is called)."""

    def __init__(self, runner: HookRunner, answers: Mapping[tuple[str, str], HookResult]) -> None:
        self.runner = runner
        self.answers = {key: result for key, result in answers.items()
                        if runner.hooks.get(key[0]) is HOOKS.get(key[0])}

    def known(self, name: str, args: Mapping[str, str]) -> HookResult | None:
        if len(args) != 1:
            return None
        return self.answers.get((name, next(iter(args.values()))))

    def call(self, name: str, args: Mapping[str, str], timeout: float) -> HookResult:
        return self.known(name, args) or self.runner.call(name, args, timeout)


READ_TIMEOUT = 10.0  # s a periodic read (in a worker thread, off the hub) may take


def run_with_timeout(function: Callable[[], Any], timeout: float) -> Any:
    """Run ``function`` in gevent's pool of real threads, so blocking database
    drivers cannot stall the other calls; TimeoutError after ``timeout``."""
    import gevent  # the engine runs on gevent; imported here so the pure modules stay free of it

    result = gevent.get_hub().threadpool.spawn(function)
    try:
        return result.get(timeout=timeout)
    except gevent.Timeout:
        raise TimeoutError(f"no answer within {timeout:g} s") from None
