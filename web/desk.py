"""The agent desk page: state, screen pop, call controls, ticket, wrap-up.

The page is a shell; desk.js fills it from /api/v1/desk and /events/desk and
acts through the JSON API (same CSRF token, same role checks)."""
from __future__ import annotations

from flask import Blueprint, render_template

from callcenter.models import TicketCategory
from web.auth import DESK_ROLES, requires
from web.data import DISPOSITIONS
from web.ports import NOT_READY_REASONS
from web.tickets import desk_counts

bp = Blueprint("desk", __name__, url_prefix="/desk")

QUEUES = ("billing", "complaints", "service_orders", "password", "general")


@bp.get("/")
@requires(*DESK_ROLES)
def desk():
    return render_template("desk.html", reasons=NOT_READY_REASONS, dispositions=DISPOSITIONS,
                           categories=[c.value for c in TicketCategory], queues=QUEUES,
                           **desk_counts())
