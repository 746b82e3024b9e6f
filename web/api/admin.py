"""/api/v1: agent and skill management (admin).

A generated SIP password comes back once, as ``sip_password`` in the answer
(with Cache-Control: no-store); only its digest hash is stored."""
from __future__ import annotations

from flask import abort, jsonify
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import Agent
from web import data, staff
from web.admin import agents_changed
from web.api import body, bp
from web.auth import ADMIN_ROLES, audit, requires, sessions


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
            agent, sip_password = staff.create_agent(db, body())
            result = staff.agent_dict(agent)
            audit(db, "agent_create", "agent", agent.id,
                  {k: v for k, v in result.items() if k != "id"})
    except data.FormError as exc:
        return jsonify(error=exc.message, field=exc.field), 400
    agents_changed()
    return _once(result, sip_password), 201


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
            changes, sip_password = staff.update_agent(db, agent, body())
            if changes:
                audit(db, "agent_update", "agent", agent.id, changes)
            result = staff.agent_dict(agent)
    except data.FormError as exc:
        return jsonify(error=exc.message, field=exc.field), 400
    agents_changed()
    return _once(result, sip_password)


@bp.post("/agents/<int:agent_id>/sip-password")
@requires(*ADMIN_ROLES)
def agents_sip_password(agent_id: int):
    """Rotate the phone's SIP password: {"sip_password": "..."} sets it, an empty body generates one."""
    try:
        with transaction(sessions()) as db:
            agent = db.get(Agent, agent_id)
            if agent is None:
                abort(404, description=f"no agent {agent_id}")
            generated = staff.rotate_sip_password(db, agent, str(body().get("sip_password") or ""))
            audit(db, "sip_password_rotate", "agent", agent.id,
                  {"sip_extension": agent.sip_extension, "generated": generated is not None})
            result = staff.agent_dict(agent)
    except data.FormError as exc:
        return jsonify(error=exc.message, field=exc.field), 400
    agents_changed()
    return _once(result, generated)


def _once(result: dict, sip_password: str | None):
    reply = jsonify({**result, "sip_password": sip_password} if sip_password else result)
    if sip_password:
        reply.headers["Cache-Control"] = "no-store"
    return reply
