"""/api/v1: the agent desk: state, call controls, wrap-up."""
from __future__ import annotations

from typing import Any

from flask import abort, jsonify

from callcenter.db import transaction
from web import data
from web.api import body, bp
from web.auth import DESK_ROLES, current_user, requires, sessions
from web.live import live, local_zone, own_call, phone_json
from web.ports import NOT_READY_REASONS, IllegalTransition, TransferTarget


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
                   call_uuid=status.call_uuid, call=pop, phone=phone_json(status.phone),
                   pending_reason=status.pending_reason, **wrapup_json(status))


def wrapup_json(status) -> dict[str, Any]:
    return {"wrapup_until": status.wrapup_until.isoformat() if status.wrapup_until else None,
            "wrapup_extendable": status.wrapup_extendable}


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
    return jsonify(state=status.state, reason=status.reason, since=status.since.isoformat(),
                   pending_reason=status.pending_reason)


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
    """Hang up a connected call. A call still ringing at the agent's phone is
    refused here (409), before the engine: hanging it up would cut the caller
    off instead of declining the offer (answer or decline it on the phone)."""
    call = own_call(uuid)
    if call.state == "offered":
        raise IllegalTransition("the call is still ringing at your phone: answer it first")
    live().hangup(current_user().id, call.uuid)
    return jsonify(ok=True)


@bp.post("/desk/calls/<uuid>/wrapup")
@requires(*DESK_ROLES)
def desk_wrapup(uuid: str):
    """Record the disposition (required), notes and an optional callback; with
    ``end`` (the default) also end wrap-up early. Works on the agent's current
    call, or on one of its own past calls once the engine's wrap-up time ran out."""
    payload, user = body(), current_user()
    status = live().agent_status(user.id)
    current = live().current_call(user.id)
    engine_says_mine = (current is not None and current.uuid == uuid) or (
        status.state == "wrapup" and status.call_uuid == uuid)
    try:
        with transaction(sessions()) as db:
            data.wrap_up(db, call_uuid=uuid, agent_id=user.id,
                         disposition=str(payload.get("disposition", "")),
                         notes=str(payload.get("notes", "")),
                         callback_at=payload.get("callback_at") or None,
                         live=engine_says_mine,
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
    call, status = live().current_call(user.id), live().agent_status(user.id)
    uuid = call.uuid if call is not None else status.call_uuid
    if uuid is not None:
        with sessions()() as db:
            if not data.has_disposition(db, uuid):
                return jsonify(error="record the call's disposition first",
                               field="disposition"), 409
    status = live().end_wrapup(user.id)
    return jsonify(state=status.state)


@bp.post("/desk/wrapup/extend")
@requires(*DESK_ROLES)
def desk_extend_wrapup():
    """Lengthen wrap-up once by the queue's wrap_up_extension (409 if not in wrap-up or
    extended already)."""
    status = live().extend_wrapup(current_user().id)
    return jsonify(state=status.state, since=status.since.isoformat(), **wrapup_json(status))
