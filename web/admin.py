"""Agent and skill management (admin), server-rendered forms.

A rejected form is shown again with what was typed and the field named;
nothing is written (the transaction rolls back)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import Agent, Role
from web import staff
from web.auth import ADMIN_ROLES, audit, requires, sessions
from web.data import FormError

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _form() -> dict[str, Any]:
    form = {k: v for k, v in request.form.items() if k != "csrf_token"}
    form["active"] = "active" in request.form
    return form


def _render(agent: dict[str, Any] | None, form: dict[str, Any] | None = None,
            error: FormError | None = None, status: int = 200):
    with sessions()() as db:
        skills = staff.skill_names(db)
    return render_template("agent_form.html", agent=agent, form=form or agent or {},
                           skills=skills, roles=[r.value for r in Role],
                           languages=staff.LANGUAGES, error=error), status


@bp.get("/agents")
@requires(*ADMIN_ROLES)
def agents():
    with sessions()() as db:
        rows = [staff.agent_dict(a) for a in db.scalars(select(Agent).order_by(Agent.login))]
        skills = staff.skill_names(db)
    return render_template("agents.html", agents=rows, skills=skills)


@bp.post("/skills")
@requires(*ADMIN_ROLES)
def skill_new():
    try:
        with transaction(sessions()) as db:
            skill = staff.create_skill(db, request.form)
            audit(db, "skill_create", "skill", skill.id, {"name": skill.name})
            name = skill.name
    except FormError as exc:
        flash(_("Skill not created: %(field)s — %(message)s", field=exc.field,
                message=exc.message), "error")
        return redirect(url_for("admin.agents", skill_name=request.form.get("name", "")))
    flash(_("Skill %(name)s created.", name=name), "ok")
    return redirect(url_for("admin.agents"))


@bp.route("/agents/new", methods=["GET", "POST"])
@requires(*ADMIN_ROLES)
def agent_new():
    if request.method == "GET":
        return _render(None, {"role": "agent", "language": "zh", "active": True, "skills": {}})
    form = _form()
    try:
        with transaction(sessions()) as db:
            agent = staff.create_agent(db, form)
            audit(db, "agent_create", "agent", agent.id,
                  {k: v for k, v in staff.agent_dict(agent).items() if k != "id"})
            login = agent.login
    except FormError as exc:
        return _render(None, _with_skills(form), exc, 400)
    flash(_("Agent %(login)s created.", login=login), "ok")
    return redirect(url_for("admin.agents"))


@bp.route("/agents/<int:agent_id>", methods=["GET", "POST"])
@requires(*ADMIN_ROLES)
def agent_edit(agent_id: int):
    with sessions()() as db:
        row = db.get(Agent, agent_id)
        if row is None:
            abort(404, description=f"no agent {agent_id}")
        current = staff.agent_dict(row)
    if request.method == "GET":
        return _render(current)
    form = _form()
    try:
        with transaction(sessions()) as db:
            agent = db.get(Agent, agent_id)
            changes = staff.update_agent(db, agent, form)
            if changes:
                audit(db, "agent_update", "agent", agent.id, changes)
    except FormError as exc:
        return _render(current, _with_skills(form), exc, 400)
    flash(_("Agent %(login)s saved.", login=current["login"]), "ok")
    return redirect(url_for("admin.agents"))


def _with_skills(form: dict[str, Any]) -> dict[str, Any]:
    """Re-show what was typed, skills included."""
    skills = {k[6:]: v for k, v in form.items() if k.startswith("skill_")}
    return {**form, "skills": skills}
