"""The closed loop's operations on the database: dispatch, accept, answer back,
send back, tell the customer, hand over, reopen, cancel, the deadline sweep.

Each takes an open session (the caller owns the transaction), the acting
agent's id (None: the system) and ``now``; each status change goes through the
transition table and lands in the ticket's history with who and when.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.models import Agent, Role, Ticket, TicketHistory, TicketStatus, TicketTask
from callcenter.tickets import agentless, notifications, outbox, teams
from callcenter.tickets.deadlines import DueState, deadline, due_state
from callcenter.tickets.dispatch import DispatchRules
from callcenter.tickets.states import (AWAITING_ANSWER, FINISHED, OPEN_STATUSES, Action,
                                       next_status)

INFORM = "inform_customer"  # the owner calls the customer back with the result
AGENTLESS = agentless.AGENTLESS  # an answer-back call says the result (rules with tell: call)
CENTER_ROLES = (Role.AGENT, Role.SUPERVISOR)


class TicketFormError(ValueError):
    """Bad input; ``field`` names the form field."""

    def __init__(self, field: str, message: str, value: str | None = None):
        super().__init__(f"{field}: {message}" + (f" {value!r}" if value is not None else ""))
        self.field = field
        self.message = message
        self.value = value


def find(db: Session, number: str) -> Ticket:
    ticket = db.scalar(select(Ticket).where(Ticket.number == number))
    if ticket is None:
        raise LookupError(f"no ticket {number}")
    return ticket


def _required(text: str | None, field: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise TicketFormError(field, what)
    return text


def _record(db: Session, ticket: Ticket, action: str, actor_id: int | None, now: datetime,
            note: str = "", before: TicketStatus | None = None) -> None:
    moved = before is not None
    db.add(TicketHistory(ticket_id=ticket.id, agent_id=actor_id, action=action, note=note, at=now,
                         from_status=before.value if moved else None,
                         to_status=ticket.status.value if moved else None))


def move(db: Session, ticket: Ticket, action: Action, actor_id: int | None, now: datetime,
         note: str = "") -> None:
    """One step of the table: IllegalTicketTransition if the ticket's status refuses it."""
    before = ticket.status
    ticket.status = next_status(before, action)
    _record(db, ticket, action.value, actor_id, now, note, before)


# --- the center's side -----------------------------------------------------------

def dispatch_by_rule(db: Session, ticket: Ticket, rules: DispatchRules, now: datetime) -> None:
    """A new ticket: the group, the deadline (from the ticket's opening), the forward."""
    rule = rules.route(ticket.category.value, ticket.detail)
    limit = rules.limit(ticket.category.value, ticket.priority)
    ticket.answer_back_deadline = deadline(ticket.created_at or now, limit, rules.calendar)
    ticket.backoffice_group = rule.group
    detail = f"/{rule.detail}" if rule.detail else ""
    move(db, ticket, Action.DISPATCH, None, now,
         f"rule {ticket.category.value}{detail} -> {rule.group}")
    if rule.forward and rules.forward_endpoint:
        outbox.enqueue(db, ticket, now)


def redispatch(db: Session, ticket: Ticket, group: str, actor_id: int, note: str,
               rules: DispatchRules, now: datetime) -> None:
    """A supervisor (or the owner, for a returned ticket) sends it to a group by hand."""
    if group not in rules.groups:
        raise TicketFormError("group", "unknown group", group)
    note = _required(note, "note", "say why the ticket goes to another group")
    ticket.backoffice_group = group
    ticket.worker_agent_id = None
    move(db, ticket, Action.DISPATCH, actor_id, now, f"-> {group}: {note}")


def hand_over(db: Session, ticket: Ticket, actor_id: int, to_login: str, note: str,
              now: datetime) -> None:
    """First-contact ownership moves only like this: to a named agent, with a note."""
    if ticket.status in FINISHED:
        raise TicketFormError("agent", "a finished ticket has no owner to hand over")
    note = _required(note, "note", "a hand-over needs a note for the new owner")
    agent = db.scalar(select(Agent).where(Agent.login == (to_login or "").strip()))
    if agent is None or not agent.active or agent.role not in CENTER_ROLES:
        raise TicketFormError("agent", "no active agent", to_login)
    if agent.id == ticket.owner_agent_id:
        raise TicketFormError("agent", "the ticket is already theirs")
    before = _owner_words(ticket)
    _give_to(ticket, agent.id)
    _record(db, ticket, "hand_over", actor_id, now, f"{before} -> {agent.login}: {note}")


def hand_over_to_team(db: Session, ticket: Ticket, actor_id: int, team: str, note: str,
                      now: datetime) -> None:
    """First-contact ownership to a team of the center's agents (the database's teams,
    callcenter.tickets.teams), with a note: the team's key in ``owner_group``, no owner,
    until one of its agents takes it."""
    if ticket.status in FINISHED:
        raise TicketFormError("team", "a finished ticket has no owner to hand over")
    note = _required(note, "note", "a hand-over needs a note for the new owner")
    team = (team or "").strip()
    if teams.find(db, team) is None:
        raise TicketFormError("team", "unknown team", team)
    if team == ticket.owner_group:
        raise TicketFormError("team", "the ticket is already theirs")
    before = _owner_words(ticket)
    _give_to(ticket, None)
    ticket.owner_group = team
    _record(db, ticket, "hand_over", actor_id, now, f"{before} -> team {team}: {note}")


def take(db: Session, ticket: Ticket, actor, now: datetime) -> None:
    """An active agent of the team (or a supervisor) takes a ticket handed over to the team.
    ``actor``: anything with ``id``, ``login`` and ``role`` (an Agent or the web's user)."""
    team = teams.find(db, ticket.owner_group)
    if team is None or ticket.status in FINISHED:
        raise TicketFormError("team", "no team is waiting for someone to take this ticket")
    if actor.id not in teams.member_ids(db, team.key) and actor.role is not Role.SUPERVISOR:
        raise TicketFormError("team", "only the team's agents take its tickets", team.key)
    _give_to(ticket, actor.id)
    _record(db, ticket, "take", actor.id, now, f"team {team.key} -> {actor.login}")


def _owner_words(ticket: Ticket) -> str:
    if ticket.owner is not None:
        return ticket.owner.login
    return f"team {ticket.owner_group}" if ticket.owner_group else "-"


def _give_to(ticket: Ticket, agent_id: int | None) -> None:
    """The owner and the owner's open call-back task (None: a team holds it, nobody yet)."""
    ticket.owner_agent_id, ticket.owner_group = agent_id, None
    for task in open_tasks(ticket):
        if task.kind == INFORM:
            task.agent_id = agent_id


def reopen(db: Session, ticket: Ticket, actor_id: int, note: str, rules: DispatchRules,
           now: datetime) -> None:
    """The customer called again, unhappy: back to the group it was with, a new deadline."""
    note = _required(note, "note", "say what the customer is unhappy about")
    move(db, ticket, Action.REOPEN, actor_id, now, note)
    for task in open_tasks(ticket):
        if task.kind == AGENTLESS:
            agentless.withdraw(db, task)
    _close_tasks(ticket, now, "reopened")  # the old result is not to be told any more
    ticket.closed_at = ticket.informed_at = ticket.answered_at = ticket.escalated_at = None
    ticket.warned_at = None
    ticket.not_reached = False
    ticket.worker_agent_id = None
    limit = rules.limit(ticket.category.value, ticket.priority)
    ticket.answer_back_deadline = deadline(now, limit, rules.calendar)
    group = ticket.backoffice_group or rules.route(ticket.category.value, ticket.detail).group
    ticket.backoffice_group = group
    move(db, ticket, Action.DISPATCH, actor_id, now, f"reopened -> {group}")


def cancel(db: Session, ticket: Ticket, actor_id: int, reason: str, now: datetime) -> None:
    reason = _required(reason, "reason", "say why the ticket is cancelled")
    move(db, ticket, Action.CANCEL, actor_id, now, reason)
    ticket.closed_at = now
    _close_tasks(ticket, now, "cancelled")


def add_note(db: Session, ticket: Ticket, actor_id: int, note: str, now: datetime) -> None:
    _record(db, ticket, "note", actor_id, now, _required(note, "note", "the note is empty"))


# --- the back office's side ------------------------------------------------------

def accept(db: Session, ticket: Ticket, actor_id: int, now: datetime) -> None:
    move(db, ticket, Action.ACCEPT, actor_id, now)
    ticket.worker_agent_id = actor_id


def start(db: Session, ticket: Ticket, actor_id: int, now: datetime) -> None:
    move(db, ticket, Action.START, actor_id, now)


def answer_back(db: Session, ticket: Ticket, actor_id: int, result: str, rules: DispatchRules,
                now: datetime, result_code: str | None = None) -> TicketTask:
    """The result (电子回单): the owner gets a task to tell the customer (回告); for a rule
    with ``tell: call`` an agentless answer-back call says the result code instead."""
    result = _required(result, "result", "write the result the customer will be told")
    by_call = rules.tells_by_call(ticket.category.value, ticket.detail)
    code = (result_code or "").strip() or None
    if by_call and code not in rules.results:
        raise TicketFormError("result_code", "choose the result the call will say", code)
    move(db, ticket, Action.ANSWER_BACK, actor_id, now, result)
    ticket.answer, ticket.answered_at, ticket.result_code = result, now, code
    # a ticket opened in the IVR has no owner: its task waits for a supervisor to hand it over
    task = TicketTask(ticket_id=ticket.id, agent_id=ticket.owner_agent_id, kind=INFORM,
                      created_at=now)
    db.add(task)
    db.flush()
    if by_call:
        try:
            agentless.queue_call(db, ticket, task, rules, now)
            task.kind, task.agent_id = AGENTLESS, None
            _record(db, ticket, "answer_back_call", None, now,
                    f"{rules.inform_campaign}: {ticket.result_code}")
        except agentless.NoCall as why:
            _record(db, ticket, "answer_back_call", None, now, f"{why}: the owner tells the customer")
    return task


def send_back(db: Session, ticket: Ticket, actor_id: int, reason: str, now: datetime) -> None:
    reason = _required(reason, "reason", "say why the ticket goes back to the center")
    move(db, ticket, Action.SEND_BACK, actor_id, now, reason)
    ticket.worker_agent_id = None


# --- telling the customer --------------------------------------------------------

def open_tasks(ticket: Ticket) -> list[TicketTask]:
    return [t for t in ticket.tasks if t.done_at is None]


def _close_tasks(ticket: Ticket, now: datetime, outcome: str) -> None:
    for task in open_tasks(ticket):
        task.done_at, task.outcome = now, outcome


def inform_attempt(db: Session, task: TicketTask, actor_id: int | None, told: bool, note: str,
                   rules: DispatchRules, now: datetime) -> None:
    """One call to tell the customer. Told: the ticket closes. Not reached: it closes,
    flagged, only when the configured attempts ran out."""
    if task.done_at is not None:
        raise TicketFormError("task", "this task is already done")
    ticket = task.ticket
    task.attempts += 1
    if told:
        move(db, ticket, Action.INFORM, actor_id, now, note or "the customer was told the result")
        ticket.informed_at = now
        move(db, ticket, Action.CLOSE, actor_id, now)
        ticket.closed_at = now
        task.done_at, task.outcome = now, "told"
        return
    _record(db, ticket, "inform_attempt", actor_id, now,
            f"not reached ({task.attempts}/{rules.inform_attempts})" + (f": {note}" if note else ""))
    if task.attempts >= rules.inform_attempts:
        move(db, ticket, Action.GIVE_UP, actor_id, now,
             f"the customer was not reached in {task.attempts} attempts")
        ticket.closed_at, ticket.not_reached = now, True
        task.done_at, task.outcome = now, "not_reached"


# --- deadlines -------------------------------------------------------------------

def sweep_deadlines(db: Session, rules: DispatchRules, now: datetime) -> list[tuple[str, str]]:
    """Flag tickets still waiting for their answer: warned when the deadline nears,
    escalated once it passed. Each flag once, in the history and as messages to the
    people ``audience`` names. Returns (number, flag)."""
    flagged = []
    horizon = now + max((d.limit.warn_before for d in rules.deadlines), default=timedelta(0))
    waiting = db.scalars(select(Ticket).where(Ticket.status.in_(AWAITING_ANSWER),
                                              Ticket.answer_back_deadline <= horizon,
                                              Ticket.escalated_at.is_(None))
                         .with_for_update(skip_locked=True))  # two sweeps at once flag once
    for ticket in waiting:
        limit = rules.limit(ticket.category.value, ticket.priority)
        state = due_state(ticket.answer_back_deadline, limit.warn_before, now)
        if state is DueState.OVERDUE:
            ticket.escalated_at = now
            _record(db, ticket, "escalated", None, now,
                    f"no answer by {ticket.answer_back_deadline:%Y-%m-%d %H:%M} UTC")
            notifications.push(db, ticket, "escalated", rules, now)
            flagged.append((ticket.number, "escalated"))
        elif state is DueState.WARNING and ticket.warned_at is None:
            ticket.warned_at = now
            _record(db, ticket, "deadline_warning", None, now,
                    f"answer due {ticket.answer_back_deadline:%Y-%m-%d %H:%M} UTC")
            notifications.push(db, ticket, "deadline_warning", rules, now)
            flagged.append((ticket.number, "warning"))
    return flagged


def escalated(db: Session) -> list[Ticket]:
    """Open tickets whose answer-back deadline passed: the supervisor's floor list."""
    return by_due_date(db.scalars(select(Ticket).where(Ticket.escalated_at.is_not(None),
                                                       Ticket.status.in_(OPEN_STATUSES))))


NOT_REACHED_SHOWN = timedelta(days=7)  # closed "customer not reached": on the desks this long


def not_reached(db: Session, now: datetime, owner_id: int | None = None) -> list[Ticket]:
    """Tickets closed lately because the customer was never told (the owner's and the
    floor's list: someone may still call them)."""
    query = select(Ticket).where(Ticket.not_reached.is_(True), Ticket.status == TicketStatus.CLOSED,
                                 Ticket.closed_at >= now - NOT_REACHED_SHOWN)
    if owner_id is not None:
        query = query.where(Ticket.owner_agent_id == owner_id)
    return list(db.scalars(query.order_by(Ticket.closed_at.desc(), Ticket.id.desc())))


def ticket_due_state(ticket: Ticket, rules: DispatchRules, now: datetime) -> DueState:
    if ticket.status not in AWAITING_ANSWER:
        return DueState.ON_TIME
    limit = rules.limit(ticket.category.value, ticket.priority)
    return due_state(ticket.answer_back_deadline, limit.warn_before, now)


def by_due_date(tickets: Iterable[Ticket]) -> list[Ticket]:
    far = datetime.max.replace(tzinfo=None)
    return sorted(tickets, key=lambda t: (t.answer_back_deadline.replace(tzinfo=None)
                                          if t.answer_back_deadline else far, t.id))
