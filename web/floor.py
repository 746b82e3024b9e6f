"""The supervisor floor: queues, agents, calls in progress; force state, listen in.

floor.js renders /events/floor snapshots and acts through /api/v1/floor/..."""
from __future__ import annotations

from flask import Blueprint, render_template

from web.auth import FLOOR_ROLES, requires
from web.ports import EAVESDROP_MODES, NOT_READY_REASONS

bp = Blueprint("floor", __name__, url_prefix="/floor")


@bp.get("/")
@requires(*FLOOR_ROLES)
def board():
    return render_template("floor.html", reasons=NOT_READY_REASONS, modes=EAVESDROP_MODES)
