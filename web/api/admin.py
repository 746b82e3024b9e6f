"""/api/v1: agent and skill management (admin)."""
from __future__ import annotations

from flask import abort, jsonify
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import Agent
from web import data, staff
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
