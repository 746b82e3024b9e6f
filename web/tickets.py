"""The agent's tickets: "my tickets" (with the call-back tasks and the calls still
to finish), a ticket's page with its history and the owner's actions, ticket
search, customer search (every look-up audited).

Also the ticket helpers the back-office desk shares: the dispatch rules (read
and checked when the console starts) and the clock (``TICKETS_CLOCK`` pins it)."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from callcenter.db import transaction
from callcenter.models import (Account, Call, Customer, CustomerPhone, Role, Ticket,
                               TicketAttachment, TicketStatus, TicketTask)
from callcenter.phone import InvalidPhoneNumber, normalize_phone
from callcenter.tickets import attachments, service
from callcenter.tickets.dispatch import DEFAULT_RULES, DispatchRules, load_rules
from callcenter.tickets.states import OPEN_STATUSES, IllegalTicketTransition
from web import data
from web.auth import DESK_ROLES, FLOOR_ROLES, audit, current_user, requires, services, sessions
from web.live import local_zone, port_of

bp = Blueprint("tickets", __name__, url_prefix="/tickets")
TICKET_VIEW_ROLES = (*DESK_ROLES, Role.BACKOFFICE)
SEARCH_LIMIT = 30
BILL_MONTHS = 12


@bp.record_once
def _check_rules(state) -> None:
    """A broken rules file stops the console at start, with its file:line:column list."""
    state.app.extensions["ticket_rules"] = load_rules(state.app.config.get("TICKET_RULES",
                                                                           DEFAULT_RULES))


def rules() -> DispatchRules:
    return current_app.extensions["ticket_rules"]


def now() -> datetime:
    clock: Callable[[], datetime] | None = current_app.config.get("TICKETS_CLOCK")
    return clock() if clock else datetime.now(timezone.utc)


def sweep(db: Session) -> None:
    """Flag warnings and escalations before a work list is shown (the engine may also
    run it on a timer; each flag is set once either way)."""
    service.sweep_deadlines(db, rules(), now())


@bp.app_template_filter("ticket_time")
def ticket_time(moment: datetime | str | None) -> str:
    """The center's local time, as the desk shows times (also for ISO strings from web.data)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M") if moment else ""


@bp.app_template_global("ticket_group_name")
def ticket_group_name(name: str | None) -> str:
    group = rules().groups.get(name or "")
    return group.display_name if group else (name or "")


def ticket_or_404(db: Session, number: str) -> Ticket:
    try:
        return service.find(db, number)
    except LookupError:
        abort(404, description=_("No ticket %(number)s.", number=number))


def may_view(ticket: Ticket) -> bool:
    """The center sees every ticket; a back-office worker the tickets of their groups."""
    user = current_user()
    if user.role is not Role.BACKOFFICE:
        return True
    return ticket.backoffice_group in rules().groups_of(user.login) or \
        ticket.worker_agent_id == user.id


def act(number: str, operation: Callable[[Session, Ticket], Any], done: str | Callable[[], str],
        back: str = ""):
    """Run one ticket operation in a transaction; form and transition errors are flashed."""
    try:
        with transaction(sessions()) as db:
            ticket = ticket_or_404(db, number)
            if not may_view(ticket):
                abort(403)
            operation(db, ticket)
            audit(db, f"ticket_{request.endpoint.rsplit('.', 1)[-1]}", "ticket", number)
        flash(done() if callable(done) else done, "ok")
    except service.TicketFormError as exc:
        value = f" {exc.value}" if exc.value is not None else ""
        flash(f"{field_label(exc.field)}: {service_message(exc.message)}{value}", "error")
    except IllegalTicketTransition as exc:
        flash(_("Not allowed now: the ticket is %(status)s.", status=status_label(exc.status.value)),
              "error")
    return redirect(back or url_for("tickets.detail", number=number))


def field_label(field: str) -> str:
    return {"note": _("Note"), "reason": _("Reason"), "result": _("Result"), "group": _("Group"),
            "agent": _("Agent"), "task": _("Task"), "file": _("File"),
            "result_code": _("Result the call will say"), "team": _("Team")}.get(field, field)


def service_message(text: str) -> str:
    """The service's fixed messages in the user's language (others, naming a value, as they are)."""
    return {
        "a finished ticket has no owner to hand over": _("a finished ticket has no owner to hand over"),
        "a hand-over needs a note for the new owner": _("a hand-over needs a note for the new owner"),
        "say what the customer is unhappy about": _("say what the customer is unhappy about"),
        "say why the ticket goes back to the center": _("say why the ticket goes back to the center"),
        "say why the ticket goes to another group": _("say why the ticket goes to another group"),
        "say why the ticket is cancelled": _("say why the ticket is cancelled"),
        "the note is empty": _("the note is empty"),
        "the ticket is already theirs": _("the ticket is already theirs"),
        "this task is already done": _("this task is already done"),
        "unknown group": _("unknown group"), "no active agent": _("no active agent"),
        "choose a file to attach": _("choose a file to attach"),
        "a file may be at most 10 MB": _("a file may be at most 10 MB"),
        "the ticket is finished": _("the ticket is finished"),
        "write the result the customer will be told": _("write the result the customer will be told"),
        "choose the result the call will say": _("choose the result the call will say"),
        "unknown team": _("unknown team"),
        "no team is waiting for someone to take this ticket":
            _("no team is waiting for someone to take this ticket"),
        "only the team's agents take its tickets": _("only the team's agents take its tickets"),
    }.get(text, text)


def status_label(status: str) -> str:
    return {"new": _("new"), "dispatched": _("dispatched"), "accepted": _("accepted"),
            "in_progress": _("in progress"), "answered_back": _("answered back"),
            "customer_informed": _("customer informed"), "closed": _("closed"),
            "returned": _("returned"), "reopened": _("reopened"),
            "cancelled": _("cancelled")}.get(status, status)


@bp.app_template_global("ticket_due_class")
def due_class(ticket: Ticket) -> str:
    state = service.ticket_due_state(ticket, rules(), now()).value
    return {"overdue": "overdue", "warning": "warning"}.get(state, "")


def in_call_uuid() -> str | None:
    port = port_of(services())
    call = port.current_call(current_user().id) if port is not None else None
    return call.uuid if call is not None else None


# --- my tickets --------------------------------------------------------------------

@bp.get("/")
@requires(*DESK_ROLES)
def mine():
    user = current_user()
    with transaction(sessions()) as db:
        sweep(db)
    with sessions()() as db:
        tickets = service.by_due_date(db.scalars(
            select(Ticket).where(Ticket.owner_agent_id == user.id, Ticket.status.in_(OPEN_STATUSES))))
        tasks = db.scalars(select(TicketTask).where(TicketTask.agent_id == user.id,
                                                    TicketTask.done_at.is_(None))
                           .order_by(TicketTask.created_at)).all()
        unfinished = to_finish(db, user.id)
        unreached = service.not_reached(db, now(), user.id)
        from web.tickets_teams import hand_over_context, team_tickets
        return render_template("tickets_mine.html", tickets=tickets, tasks=tasks, unreached=unreached,
                               team=team_tickets(db, user.id), **hand_over_context(db, user.id),
                               unfinished=unfinished, due_class=due_class, now=now(),
                               dispositions=data.DISPOSITIONS)


def desk_counts() -> dict[str, int]:
    """For the desk's link to My tickets: call-back tasks and calls still to finish."""
    user = current_user()
    with sessions()() as db:
        tasks = db.scalar(select(func.count()).select_from(TicketTask).where(
            TicketTask.agent_id == user.id, TicketTask.done_at.is_(None)))
        return {"callback_tasks": int(tasks or 0), "calls_to_finish": len(to_finish(db, user.id))}


def to_finish(db: Session, agent_id: int) -> list[Call]:
    """The agent's answered calls that ended without a disposition (wrap-up ran out first);
    not the call being wrapped up right now, which the desk's wrap-up form has."""
    query = select(Call).where(Call.agent_id == agent_id, Call.ended_at.is_not(None),
                               Call.agent_answered_at.is_not(None), Call.disposition.is_(None))
    wrapping = wrapping_up_uuid(agent_id)
    if wrapping:
        query = query.where(Call.uuid != wrapping)
    return db.scalars(query.order_by(Call.ended_at.desc()).limit(50)).all()


def wrapping_up_uuid(agent_id: int) -> str | None:
    port = port_of(services())
    status = port.agent_status(agent_id) if port is not None else None
    return status.call_uuid if status is not None and status.state == "wrapup" else None


@bp.post("/calls/<uuid>/disposition")
@requires(*DESK_ROLES)
def finish_call(uuid: str):
    """The disposition of a call whose wrap-up ran out first (only the agent's own calls)."""
    form = request.form
    try:
        with transaction(sessions()) as db:
            data.wrap_up(db, call_uuid=uuid, agent_id=current_user().id,
                         disposition=form.get("disposition", ""), notes=form.get("notes", ""))
        flash(_("Disposition saved."), "ok")
    except data.FormError:
        flash(_("Choose a disposition."), "error")
    except (LookupError, PermissionError):
        abort(404)
    return redirect(url_for("tickets.mine"))


@bp.get("/search")
@requires(*DESK_ROLES, *FLOOR_ROLES)
def search():
    query = request.args.get("q", "").strip()
    only_escalated = bool(request.args.get("escalated"))
    found: list[Ticket] = []
    with sessions()() as db:
        if only_escalated:
            found = service.escalated(db)
        elif query:
            found = search_tickets(db, query)
            if len(found) == 1 and found[0].number == query:
                return redirect(url_for("tickets.detail", number=query))
        return render_template("tickets_search.html", query=query, tickets=found,
                               due_class=due_class, only_escalated=only_escalated)


@bp.app_template_global("ticket_details")
def ticket_details() -> dict[str, tuple[str, ...]]:
    """Per category, the details the dispatch rules tell apart (the desk's detail field)."""
    return {rule.category: rules().details(rule.category) for rule in rules().rules}


@bp.app_template_global("escalated_tickets")
def escalated_tickets() -> list[Ticket]:
    """For the supervisor's floor (its template includes tickets_floor.html)."""
    with sessions()() as db:
        return service.escalated(db)  # columns only: readable once the session is closed


@bp.app_template_global("not_reached_tickets")
def not_reached_tickets() -> list[Ticket]:
    """For the floor: tickets closed lately without the customer being told."""
    with sessions()() as db:
        return service.not_reached(db, now())


def search_tickets(db: Session, query: str) -> list[Ticket]:
    """By ticket number, or by the customer's phone number, account or name."""
    if query.isdigit():
        by_number = db.scalars(select(Ticket).where(Ticket.number == query)).all()
        if by_number:
            return list(by_number)
    customers = [c.id for c in find_customers(db, query)]
    if not customers:
        return []
    return list(db.scalars(select(Ticket).where(Ticket.customer_id.in_(customers))
                           .order_by(Ticket.created_at.desc()).limit(SEARCH_LIMIT)))


# --- one ticket --------------------------------------------------------------------

@bp.get("/<number>")
@requires(*TICKET_VIEW_ROLES, *FLOOR_ROLES)
def detail(number: str):
    with sessions()() as db:
        ticket = ticket_or_404(db, number)
        if not may_view(ticket):
            abort(403)
        user = current_user()
        from web.tickets_teams import hand_over_context
        return render_template("tickets_detail.html", ticket=ticket, rules=rules(),
                               **hand_over_context(db, user.id),
                               due_class=due_class,
                               tasks=[t for t in service.open_tasks(ticket) if t.kind == service.INFORM],
                               calls=[t for t in service.open_tasks(ticket)
                                      if t.kind == service.AGENTLESS],
                               owner=user.id == ticket.owner_agent_id,
                               supervisor=user.role in (Role.SUPERVISOR, Role.ADMIN),
                               backoffice=user.role is Role.BACKOFFICE,
                               worker=user.id == ticket.worker_agent_id)


@bp.post("/<number>/note")
@requires(*TICKET_VIEW_ROLES, *FLOOR_ROLES)
def note(number: str):
    text = request.form.get("note", "")
    return act(number, lambda db, t: service.add_note(db, t, current_user().id, text, now()),
               _("Note added."))


@bp.post("/<number>/attachments")
@requires(*TICKET_VIEW_ROLES, *FLOOR_ROLES)
def attach(number: str):
    upload = request.files.get("file")
    content = upload.stream.read(attachments.MAX_BYTES + 1) if upload else b""
    return act(number, lambda db, t: attachments.add(
        db, t, current_user().id, upload.filename if upload else "",
        upload.mimetype if upload else "", content, attachment_folder(), now()),
        _("File attached."))


@bp.get("/attachments/<int:attachment_id>")
@requires(*TICKET_VIEW_ROLES, *FLOOR_ROLES)
def attachment(attachment_id: int):
    with transaction(sessions()) as db:
        row = db.get(TicketAttachment, attachment_id)
        if row is None:
            abort(404)
        if not may_view(row.ticket):
            abort(403)
        audit(db, "ticket_attachment_download", "ticket_attachment", attachment_id,
              {"ticket": row.ticket.number})
        path, name, kind = attachments.path_of(attachment_folder(), row), row.file_name, row.content_type
    if not path.exists():
        abort(404)
    return send_file(path, mimetype=kind, as_attachment=True, download_name=name)


def attachment_folder() -> Path:
    configured = current_app.config.get("TICKET_ATTACHMENTS")
    return Path(configured or Path(services().config.general.data_directory) / "ticket_attachments")


@bp.post("/<number>/hand-over")
@requires(*DESK_ROLES)
def hand_over(number: str):
    form = request.form
    return act(number, lambda db, t: _owner_only(t) and service.hand_over(
        db, t, current_user().id, form.get("agent", ""), form.get("note", ""), now()),
        _("Ticket handed over."))


@bp.post("/<number>/reopen")
@requires(*DESK_ROLES)
def reopen(number: str):
    text = request.form.get("note", "")
    return act(number, lambda db, t: service.reopen(db, t, current_user().id, text, rules(), now()),
               _("Ticket reopened and dispatched again."))


@bp.post("/<number>/cancel")
@requires(*DESK_ROLES)
def cancel(number: str):
    text = request.form.get("reason", "")
    return act(number, lambda db, t: _owner_only(t) and service.cancel(
        db, t, current_user().id, text, now()), _("Ticket cancelled."))


@bp.post("/<number>/dispatch")
@requires(*DESK_ROLES)
def dispatch(number: str):
    """Manual re-dispatch: a supervisor while the back office has it, the owner once it came back."""
    form = request.form

    def redispatch(db: Session, ticket: Ticket) -> None:
        if current_user().role is not Role.SUPERVISOR:
            _owner_only(ticket)
            if ticket.status is not TicketStatus.RETURNED:
                raise service.TicketFormError("group", _("only a supervisor re-dispatches a ticket "
                                                         "the back office has"))
        service.redispatch(db, ticket, form.get("group", ""), current_user().id,
                           form.get("note", ""), rules(), now())
    return act(number, redispatch, _("Ticket dispatched."))


@bp.post("/<number>/inform")
@requires(*DESK_ROLES)
def inform(number: str):
    """The owner called the customer: told (the ticket closes) or not reached."""
    told = request.form.get("outcome") == "told"
    text = request.form.get("note", "")

    def attempt(db: Session, ticket: Ticket) -> None:
        tasks = [t for t in service.open_tasks(ticket) if t.agent_id == current_user().id]
        if not tasks:
            raise service.TicketFormError("task", _("there is no call-back task for you on this ticket"))
        service.inform_attempt(db, tasks[0], current_user().id, told, text, rules(), now())
    done = _("The customer was told; the ticket is closed.") if told else _("Attempt recorded.")
    return act(number, attempt, done, back=url_for("tickets.mine"))


def _owner_only(ticket: Ticket) -> bool:
    if current_user().id != ticket.owner_agent_id and current_user().role is not Role.SUPERVISOR:
        raise service.TicketFormError("agent", _("only the ticket's owner or a supervisor can do this"))
    return True


# --- customers -------------------------------------------------------------------------

def find_customers(db: Session, query: str) -> list[Customer]:
    conditions = [Customer.name.ilike(f"%{query}%")] if len(query) >= 2 else []
    try:
        conditions.append(Customer.id.in_(select(CustomerPhone.customer_id)
                                          .where(CustomerPhone.number == normalize_phone(query))))
    except InvalidPhoneNumber:
        pass
    digits = "".join(ch for ch in query if ch.isdigit())
    if digits:
        conditions.append(Customer.id.in_(select(Account.customer_id).where(
            Account.number.in_([query.upper(), digits, f"A{digits}"]))))
    if not conditions:
        return []
    return list(db.scalars(select(Customer).where(or_(*conditions)).order_by(Customer.name)
                           .limit(SEARCH_LIMIT)))


@bp.get("/customers")
@requires(*DESK_ROLES)
def customers():
    query = request.args.get("q", "").strip()
    found: list[Customer] = []
    if query:
        with transaction(sessions()) as db:
            found = find_customers(db, query)
            audit(db, "customer_search", "customer", None,
                  {"query": query, "results": [c.id for c in found], "in_call": in_call_uuid()})
            found = [data.customer_summary(db, c) for c in found]
    return render_template("tickets_customers.html", query=query, customers=found)


@bp.get("/customers/<int:customer_id>")
@requires(*DESK_ROLES)
def customer(customer_id: int):
    with transaction(sessions()) as db:
        row = db.get(Customer, customer_id)
        if row is None:
            abort(404, description=_("No customer %(id)s.", id=customer_id))
        audit(db, "customer_view", "customer", customer_id, {"in_call": in_call_uuid()})
        tickets = db.scalars(select(Ticket).where(Ticket.customer_id == customer_id)
                             .order_by(Ticket.created_at.desc()).limit(SEARCH_LIMIT)).all()
        return render_template("tickets_customer.html", customer=data.customer_summary(db, row),
                               bills=data.recent_bills(db, customer_id, limit=BILL_MONTHS),
                               contacts=data.last_contacts(db, customer_id), tickets=tickets,
                               due_class=due_class)


from web import tickets_teams  # noqa: E402,F401  (hand-over to a team: routes on bp)
