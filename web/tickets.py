"""The agent's tickets: "my tickets" (with the call-back tasks and the calls still
to finish), a ticket's page with its history and the owner's actions, ticket
search, customer search (every look-up audited).

The helpers the back-office desk shares with these pages live in web.tickets_common (the
dispatch rules, the clock) and web.tickets_forms (a ticket action posted from a form)."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.db import transaction
from callcenter.models import Customer, Role, Ticket, TicketAttachment, TicketStatus, TicketTask
from callcenter.tickets import attachments, service
from callcenter.tickets.dispatch import DEFAULT_RULES, load_rules
from callcenter.tickets.states import OPEN_STATUSES
from web import data
from web.auth import DESK_ROLES, FLOOR_ROLES, audit, current_user, requires, sessions
from web.live import local_zone
from web.tickets_common import (attachment_folder, in_call_uuid, may_view, now, rules, sweep,
                                ticket_or_404)
from web.tickets_forms import act, owner_only
from web.tickets_lookup import SEARCH_LIMIT, find_customers, search_tickets
from web.unfinished_calls import desk_counts, to_finish  # noqa: F401  (web.desk imports desk_counts from here)

bp = Blueprint("tickets", __name__, url_prefix="/tickets")
TICKET_VIEW_ROLES = (*DESK_ROLES, Role.BACKOFFICE)
BILL_MONTHS = 12


@bp.record_once
def _check_rules(state) -> None:
    """A broken rules file stops the console at start, with its file:line:column list."""
    state.app.extensions["ticket_rules"] = load_rules(state.app.config.get("TICKET_RULES",
                                                                           DEFAULT_RULES))


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


@bp.app_template_global("ticket_due_class")
def due_class(ticket: Ticket) -> str:
    state = service.ticket_due_state(ticket, rules(), now()).value
    return {"overdue": "overdue", "warning": "warning"}.get(state, "")


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


@bp.post("/<number>/hand-over")
@requires(*DESK_ROLES)
def hand_over(number: str):
    form = request.form
    return act(number, lambda db, t: owner_only(t) and service.hand_over(
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
    return act(number, lambda db, t: owner_only(t) and service.cancel(
        db, t, current_user().id, text, now()), _("Ticket cancelled."))


@bp.post("/<number>/dispatch")
@requires(*DESK_ROLES)
def dispatch(number: str):
    """Manual re-dispatch: a supervisor while the back office has it, the owner once it came back."""
    form = request.form

    def redispatch(db: Session, ticket: Ticket) -> None:
        if current_user().role is not Role.SUPERVISOR:
            owner_only(ticket)
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


# --- customers -------------------------------------------------------------------------

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
