"""Messages about tickets (deadline near, escalated), pushed by the deadline sweep to
the owner, the back-office group and, for escalations, the supervisors
(callcenter.tickets.audience). Agents, supervisors and back-office workers see
their own: an unread count in the menu (kept fresh by notifications.js polling
/api/v1/notifications), the list, mark one or all read."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from callcenter.db import transaction
from callcenter.models import Role, TicketNotification
from callcenter.tickets import notifications
from web.auth import DESK_ROLES, audit, current_user, requires, sessions
from web.tickets import now, ticket_time

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
NOTICE_ROLES = (*DESK_ROLES, Role.BACKOFFICE)


def text_of(notice: TicketNotification) -> str:
    """The message in the reader's language (the kind and the ticket; nothing stored as text)."""
    number, due = notice.ticket.number, ticket_time(notice.ticket.answer_back_deadline)
    if notice.kind == "escalated":
        return _("Ticket %(number)s passed its answer-back deadline (%(due)s): escalated.",
                 number=number, due=due)
    return _("Ticket %(number)s must be answered back by %(due)s.", number=number, due=due)


def why_of(notice: TicketNotification) -> str:
    return {"owner": _("you own it"), "group": _("your group works it"),
            "supervisor": _("you supervise")}.get(notice.why, notice.why)


def as_dict(notice: TicketNotification) -> dict[str, Any]:
    return {"id": notice.id, "ticket": notice.ticket.number, "kind": notice.kind,
            "why": notice.why, "text": text_of(notice), "why_text": why_of(notice),
            "created_at": notice.created_at.isoformat(), "read": notice.read_at is not None}


@bp.app_template_global("unread_notices")
def unread_notices() -> int:
    user = current_user()
    if user is None or user.role not in NOTICE_ROLES:
        return 0
    with sessions()() as db:
        return notifications.unread(db, user.id)


@bp.get("/")
@requires(*NOTICE_ROLES)
def inbox():
    with sessions()() as db:
        items = [as_dict(n) for n in notifications.latest(db, current_user().id)]
        return render_template("notifications.html", items=items,
                               unread=notifications.unread(db, current_user().id))


@bp.post("/<int:notification_id>/read")
@requires(*NOTICE_ROLES)
def read(notification_id: int):
    try:
        with transaction(sessions()) as db:
            notifications.mark_read(db, current_user().id, now(), notification_id)
            audit(db, "notification_read", "ticket_notification", notification_id)
    except LookupError:
        abort(404)
    return redirect(url_for("notifications.inbox"))


@bp.post("/read-all")
@requires(*NOTICE_ROLES)
def read_all():
    with transaction(sessions()) as db:
        marked = notifications.mark_read(db, current_user().id, now())
        audit(db, "notification_read_all", "ticket_notification", str(marked))
    flash(_("Every message is marked read."), "ok")
    return redirect(url_for("notifications.inbox"))
