"""The back-office desk (业务处理后台): the group's queue of dispatched tickets,
accept, work, note, answer back with a result, send back with a reason; the
roaming-complaint outbox. Supervisors see every group and the escalated tickets."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import Role, Ticket, TicketOutbox, TicketStatus, TicketTask
from callcenter.tickets import outbox, service
from callcenter.tickets.states import WITH_BACK_OFFICE
from web.auth import audit, current_user, requires, sessions
from web.tickets import act, due_class, now, rules, sweep

bp = Blueprint("backoffice", __name__, url_prefix="/backoffice")
BACKOFFICE_ROLES = (Role.BACKOFFICE, Role.SUPERVISOR)
OUTBOX_SHOWN = 50


def my_groups() -> list[str]:
    user = current_user()
    if user.role is Role.SUPERVISOR:
        return list(rules().groups)
    return rules().groups_of(user.login)


@bp.get("/")
@requires(*BACKOFFICE_ROLES)
def queue():
    groups = my_groups()
    with transaction(sessions()) as db:
        sweep(db)
    with sessions()() as db:
        waiting = service.by_due_date(db.scalars(select(Ticket).where(
            Ticket.backoffice_group.in_(groups), Ticket.status == TicketStatus.DISPATCHED)))
        working = service.by_due_date(db.scalars(select(Ticket).where(
            Ticket.worker_agent_id == current_user().id, Ticket.status.in_(WITH_BACK_OFFICE))))
        escalated, unowned = [], []
        if current_user().role is Role.SUPERVISOR:
            escalated = service.escalated(db)
            unowned = db.scalars(select(TicketTask).join(Ticket).where(
                TicketTask.kind == service.INFORM, TicketTask.agent_id.is_(None),
                TicketTask.done_at.is_(None), Ticket.owner_group.is_(None))  # a team's: it takes it
                .order_by(TicketTask.created_at)).all()
        messages = db.scalars(select(TicketOutbox).order_by(TicketOutbox.id.desc())
                              .limit(OUTBOX_SHOWN)).all()
        return render_template("backoffice.html", groups=[rules().groups[g] for g in groups],
                               waiting=waiting, working=working, escalated=escalated,
                               unowned=unowned,
                               messages=messages, due_class=due_class, now=now())


def _worker_only(ticket: Ticket) -> None:
    if ticket.worker_agent_id != current_user().id:
        raise service.TicketFormError("agent", _("accept the ticket first: it is not yours"))


def _in_my_groups(ticket: Ticket) -> None:
    if ticket.backoffice_group not in my_groups():
        abort(403)


@bp.post("/tickets/<number>/accept")
@requires(*BACKOFFICE_ROLES)
def accept(number: str):
    def take(db, ticket):
        _in_my_groups(ticket)
        service.accept(db, ticket, current_user().id, now())
    return act(number, take, _("Ticket accepted: it is yours to work."))


@bp.post("/tickets/<number>/start")
@requires(*BACKOFFICE_ROLES)
def start(number: str):
    def begin(db, ticket):
        _worker_only(ticket)
        service.start(db, ticket, current_user().id, now())
    return act(number, begin, _("Work started."))


@bp.post("/tickets/<number>/answer")
@requires(*BACKOFFICE_ROLES)
def answer(number: str):
    result, code = request.form.get("result", ""), request.form.get("result_code")

    told_by: list[str] = []

    def reply(db, ticket):
        _worker_only(ticket)
        told_by.append(service.answer_back(db, ticket, current_user().id, result, rules(), now(),
                                           code).kind)

    def done() -> str:
        if told_by == [service.AGENTLESS]:
            return _("Answered back: an automated call will tell the customer.")
        return _("Answered back: the owner will tell the customer.")
    return act(number, reply, done, back=url_for("backoffice.queue"))


@bp.post("/tickets/<number>/send-back")
@requires(*BACKOFFICE_ROLES)
def send_back(number: str):
    reason = request.form.get("reason", "")

    def give_back(db, ticket):
        _in_my_groups(ticket)
        if ticket.worker_agent_id not in (None, current_user().id):
            _worker_only(ticket)
        service.send_back(db, ticket, current_user().id, reason, now())
    return act(number, give_back, _("Sent back to the center."), back=url_for("backoffice.queue"))


@bp.post("/outbox/<int:message_id>/retry")
@requires(*BACKOFFICE_ROLES)
def retry(message_id: int):
    try:
        with transaction(sessions()) as db:
            outbox.retry(db, message_id, now())
            audit(db, "outbox_retry", "ticket_outbox", message_id)
        flash(_("The message will be sent again."), "ok")
    except LookupError:
        abort(404)
    except ValueError:
        flash(_("The message was already delivered."), "error")
    return redirect(url_for("backoffice.queue"))
