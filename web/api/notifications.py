"""/api/v1: my messages about tickets (deadline near, escalated)."""
from __future__ import annotations

from flask import abort, jsonify, request

from callcenter.db import transaction
from callcenter.tickets import notifications
from web.api import bp
from web.auth import audit, current_user, requires, sessions
from web.notifications import NOTICE_ROLES, as_dict
from web.tickets import now


@bp.get("/notifications")
@requires(*NOTICE_ROLES)
def notifications_list():
    only_unread = request.args.get("unread") in ("1", "true", "yes")
    with sessions()() as db:
        items = notifications.latest(db, current_user().id, only_unread)
        return jsonify(unread=notifications.unread(db, current_user().id),
                       items=[as_dict(n) for n in items])


@bp.post("/notifications/<int:notification_id>/read")
@requires(*NOTICE_ROLES)
def notification_read(notification_id: int):
    try:
        with transaction(sessions()) as db:
            notifications.mark_read(db, current_user().id, now(), notification_id)
            audit(db, "notification_read", "ticket_notification", notification_id)
            unread = notifications.unread(db, current_user().id)
    except LookupError:
        abort(404, description=f"no message {notification_id}")
    return jsonify(unread=unread)
