"""/api/v1: the supervisor floor: board, forced states, listening in."""
from __future__ import annotations

from flask import abort, jsonify

from callcenter.db import transaction
from callcenter.models import Agent
from web.api import body, bp
from web.auth import FLOOR_ROLES, audit, current_user, requires, sessions
from web.live import floor_board, live
from web.ports import EAVESDROP_MODES, NOT_READY_REASONS


@bp.get("/floor")
@requires(*FLOOR_ROLES)
def floor():
    return jsonify(floor_board())


@bp.post("/floor/agents/<int:agent_id>/state")
@requires(*FLOOR_ROLES)
def floor_force_state(agent_id: int):
    payload = body()
    state, reason = payload.get("state"), payload.get("reason") or None
    if state not in ("ready", "not_ready", "logged_out"):
        abort(400, description="state: 'ready', 'not_ready' or 'logged_out'")
    if state == "not_ready" and reason not in NOT_READY_REASONS:
        abort(400, description="reason: one of " + ", ".join(NOT_READY_REASONS))
    _agent_or_404(agent_id)
    status = live().set_agent_state(agent_id, state, reason, by_agent_id=current_user().id)
    with transaction(sessions()) as db:
        audit(db, "force_state", "agent", agent_id, {"state": state, "reason": reason})
    return jsonify(state=status.state, reason=status.reason)


@bp.post("/floor/agents/<int:agent_id>/eavesdrop")
@requires(*FLOOR_ROLES)
def floor_eavesdrop(agent_id: int):
    mode = body().get("mode")
    if mode not in EAVESDROP_MODES:
        abort(400, description="mode: one of " + ", ".join(EAVESDROP_MODES))
    _agent_or_404(agent_id)
    live().eavesdrop(current_user().id, agent_id, mode)
    with transaction(sessions()) as db:
        audit(db, f"eavesdrop_{mode}", "agent", agent_id)
    return jsonify(ok=True, mode=mode)


def _agent_or_404(agent_id: int) -> None:
    with sessions()() as db:
        if db.get(Agent, agent_id) is None:
            abort(404, description=f"no agent {agent_id}")
