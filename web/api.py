"""/api/v1: the JSON API behind the pages, for a CRM or another front end.

Cookie-authenticated like the pages; every POST/PATCH needs the X-CSRF-Token
header (GET /api/v1/me returns it). Described in web/openapi.py, served at
/api/v1/openapi.json.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import Agent, Customer, Ticket
from web import csrf, data, staff
from web.auth import (ADMIN_ROLES, ALL_ROLES, DESK_ROLES, FLOOR_ROLES, audit, current_user,
                      requires, sessions)
from web.live import floor_board, live, local_zone, own_call
from web.openapi import spec
from web.ports import EAVESDROP_MODES, NOT_READY_REASONS, TransferTarget

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def body() -> dict[str, Any]:
    payload = request.get_json(silent=True)
    if payload is None:
        payload = request.form.to_dict()
    if not isinstance(payload, dict):
        abort(400, description="the request body must be a JSON object")
    return payload


@bp.get("/openapi.json")
def openapi():
    return jsonify(spec())


@bp.get("/me")
@requires(*ALL_ROLES)
def me():
    user = current_user()
    return jsonify(id=user.id, login=user.login, display_name=user.display_name,
                   role=user.role.value, language=user.language, csrf_token=csrf.token())


# --- agent desk ------------------------------------------------------------

@bp.get("/desk")
@requires(*DESK_ROLES)
def desk_status():
    user = current_user()
    status = live().agent_status(user.id)
    call = live().current_call(user.id)
    pop = None
    if call is not None:
        with sessions()() as db:
            pop = data.screen_pop(db, call)
    return jsonify(state=status.state, reason=status.reason, since=status.since.isoformat(),
                   call=pop)


@bp.post("/desk/state")
@requires(*DESK_ROLES)
def desk_state():
    payload = body()
    state, reason = payload.get("state"), payload.get("reason") or None
    if state not in ("ready", "not_ready"):
        abort(400, description="state: 'ready' or 'not_ready'")
    if state == "not_ready" and reason not in NOT_READY_REASONS:
        abort(400, description="reason: one of " + ", ".join(NOT_READY_REASONS))
    user = current_user()
    status = live().set_agent_state(user.id, state, reason if state == "not_ready" else None,
                                    by_agent_id=user.id)
    return jsonify(state=status.state, reason=status.reason, since=status.since.isoformat())


@bp.post("/desk/calls/<uuid>/hold")
@requires(*DESK_ROLES)
def desk_hold(uuid: str):
    held = bool(body().get("held", True))
    live().hold(current_user().id, own_call(uuid).uuid, held)
    return jsonify(ok=True, held=held)


def _target(payload: dict[str, Any]) -> TransferTarget:
    try:
        agent_id = payload.get("agent_id")
        return TransferTarget(need=payload.get("need") or None,
                              agent_id=int(agent_id) if agent_id not in (None, "") else None)
    except (TypeError, ValueError) as exc:
        abort(400, description=f"target: {exc}")


@bp.post("/desk/calls/<uuid>/transfer")
@requires(*DESK_ROLES)
def desk_transfer(uuid: str):
    payload = body()
    live().transfer(current_user().id, own_call(uuid).uuid, _target(payload),
                    str(payload.get("note", ""))[:500])
    return jsonify(ok=True)


@bp.post("/desk/calls/<uuid>/consult")
@requires(*DESK_ROLES)
def desk_consult(uuid: str):
    live().consult(current_user().id, own_call(uuid).uuid, _target(body()))
    return jsonify(ok=True)


@bp.post("/desk/calls/<uuid>/hangup")
@requires(*DESK_ROLES)
def desk_hangup(uuid: str):
    live().hangup(current_user().id, own_call(uuid).uuid)
    return jsonify(ok=True)


@bp.post("/desk/calls/<uuid>/wrapup")
@requires(*DESK_ROLES)
def desk_wrapup(uuid: str):
    """Record the disposition (required), notes and an optional callback; with
    ``end`` (the default) also end wrap-up early. Works on the agent's current
    call, or on one of its own past calls once the engine's wrap-up time ran out."""
    payload, user = body(), current_user()
    current = live().current_call(user.id)
    try:
        with transaction(sessions()) as db:
            data.wrap_up(db, call_uuid=uuid, agent_id=user.id,
                         disposition=str(payload.get("disposition", "")),
                         notes=str(payload.get("notes", "")),
                         callback_at=payload.get("callback_at") or None,
                         live=current is not None and current.uuid == uuid,
                         zone=local_zone())
    except data.FormError as exc:
        return jsonify(error=exc.message, field=exc.field), 400
    except (LookupError, PermissionError):
        abort(404, description="no such call on your desk")
    status = live().agent_status(user.id)
    if payload.get("end", True) and status.state == "wrapup" and status.call_uuid in (None, uuid):
        status = live().end_wrapup(user.id)
    return jsonify(ok=True, state=status.state)


@bp.post("/desk/wrapup/end")
@requires(*DESK_ROLES)
def desk_end_wrapup():
    """End wrap-up early; refused (409) until the call's disposition is recorded."""
    user = current_user()
    call = live().current_call(user.id)
    if call is not None:
        with sessions()() as db:
            if not data.has_disposition(db, call.uuid):
                return jsonify(error="record the call's disposition first",
                               field="disposition"), 409
    status = live().end_wrapup(user.id)
    return jsonify(state=status.state)


# --- customers and tickets ----------------------------------------------------------

@bp.get("/customers/<int:customer_id>")
@requires(*DESK_ROLES, *FLOOR_ROLES)
def customer(customer_id: int):
    with sessions()() as db:
        row = db.get(Customer, customer_id)
        if row is None:
            abort(404, description=f"no customer {customer_id}")
        return jsonify(customer=data.customer_summary(db, row),
                       bills=data.recent_bills(db, row.id, limit=12),
                       tickets=data.open_tickets(db, row.id), contacts=data.last_contacts(db, row.id))


@bp.post("/tickets")
@requires(*DESK_ROLES)
def ticket_create():
    payload, user = body(), current_user()
    customer_id = payload.get("customer_id")
    try:
        customer_id = int(customer_id) if customer_id not in (None, "") else None
        with transaction(sessions()) as db:
            ticket = data.create_ticket(db, category=str(payload.get("category", "")),
                                        description=str(payload.get("description", "")),
                                        owner_id=user.id, customer_id=customer_id,
                                        call_uuid=payload.get("call_uuid") or None)
            audit(db, "ticket_create", "ticket", ticket.number)
            result = data.ticket_dict(ticket)
    except ValueError as exc:
        field = getattr(exc, "field", "customer_id")
        return jsonify(error=getattr(exc, "message", str(exc)), field=field), 400
    return jsonify(result), 201


@bp.get("/tickets/<number>")
@requires(*DESK_ROLES, *FLOOR_ROLES)
def ticket_get(number: str):
    with sessions()() as db:
        ticket = db.scalar(select(Ticket).where(Ticket.number == number))
        if ticket is None:
            abort(404, description=f"no ticket {number}")
        return jsonify(data.ticket_dict(ticket, with_history=True))


@bp.post("/tickets/<number>/notes")
@requires(*DESK_ROLES, *FLOOR_ROLES)
def ticket_note(number: str):
    try:
        with transaction(sessions()) as db:
            ticket = data.add_ticket_note(db, number, current_user().id,
                                          str(body().get("note", "")))
            result = data.ticket_dict(ticket, with_history=True)
    except data.FormError as exc:
        return jsonify(error=exc.message, field=exc.field), 400
    except LookupError as exc:
        abort(404, description=str(exc))
    return jsonify(result), 201


# --- supervisor floor --------------------------------------------------------------

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


# --- agent management (admin) ------------------------------------------------------------

@bp.get("/agents")
@requires(*ADMIN_ROLES)
def agents_list():
    with sessions()() as db:
        return jsonify(agents=[staff.agent_dict(a) for a in
                               db.scalars(select(Agent).order_by(Agent.login))],
                       skills=staff.skill_names(db))


@bp.post("/agents")
@requires(*ADMIN_ROLES)
def agents_create():
    try:
        with transaction(sessions()) as db:
            agent = staff.create_agent(db, body())
            result = staff.agent_dict(agent)
            audit(db, "agent_create", "agent", agent.id,
                  {k: v for k, v in result.items() if k != "id"})
    except data.FormError as exc:
        return jsonify(error=exc.message, field=exc.field), 400
    return jsonify(result), 201


@bp.post("/skills")
@requires(*ADMIN_ROLES)
def skills_create():
    try:
        with transaction(sessions()) as db:
            skill = staff.create_skill(db, body())
            audit(db, "skill_create", "skill", skill.id, {"name": skill.name})
            result = {"id": skill.id, "name": skill.name, "description": skill.description}
    except data.FormError as exc:
        return jsonify(error=exc.message, field=exc.field), 400
    return jsonify(result), 201


@bp.patch("/agents/<int:agent_id>")
@requires(*ADMIN_ROLES)
def agents_update(agent_id: int):
    try:
        with transaction(sessions()) as db:
            agent = db.get(Agent, agent_id)
            if agent is None:
                abort(404, description=f"no agent {agent_id}")
            changes = staff.update_agent(db, agent, body())
            if changes:
                audit(db, "agent_update", "agent", agent.id, changes)
            result = staff.agent_dict(agent)
    except data.FormError as exc:
        return jsonify(error=exc.message, field=exc.field), 400
    return jsonify(result)
