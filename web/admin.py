"""Agent and skill management (admin), server-rendered forms.

A rejected form is shown again with what was typed and the field named;
nothing is written (the transaction rolls back). A generated SIP password is
shown once, on the answer to the POST itself (never in a flash message, which
lives in the readable session cookie), and stored only as its digest hash."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import Agent, Role
from web import staff
from web.auth import ADMIN_ROLES, audit, requires, services, sessions
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
        teams = staff.teams(db)
    return render_template("agent_form.html", agent=agent, form=form or agent or {},
                           skills=skills, teams=teams, roles=[r.value for r in Role],
                           languages=staff.LANGUAGES, error=error), status


@bp.get("/agents")
@requires(*ADMIN_ROLES)
def agents():
    with sessions()() as db:
        rows = [staff.agent_dict(a) for a in db.scalars(select(Agent).order_by(Agent.login))]
        skills = staff.skill_names(db)
        teams = staff.teams(db)
        leads, supervisors = staff.team_leads(db), staff.supervisors(db)
    return render_template("agents.html", agents=rows, skills=skills, teams=teams, leads=leads,
                           supervisors=supervisors)


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


@bp.post("/teams")
@requires(*ADMIN_ROLES)
def team_new():
    try:
        with transaction(sessions()) as db:
            team = staff.create_team(db, request.form)
            audit(db, "team_create", "team", team.id, {"key": team.key, "name": team.display_name,
                                                       "lead": team.lead.login if team.lead else None})
            key = team.key
    except FormError as exc:
        flash(_("Team not created: %(field)s — %(message)s", field=exc.field,
                message=exc.message), "error")
        return redirect(url_for("admin.agents"))
    flash(_("Team %(key)s created.", key=key), "ok")
    return redirect(url_for("admin.agents"))


@bp.post("/teams/lead")
@requires(*ADMIN_ROLES)
def team_lead():
    """Set or clear a team's lead (the supervisor who sees its members' calls in QA)."""
    try:
        with transaction(sessions()) as db:
            team, change = staff.set_team_lead(db, request.form)
            if change[0] != change[1]:
                audit(db, "team_lead", "team", team.id, {"key": team.key, "lead": change})
            key, lead = team.key, change[1]
    except FormError as exc:
        flash(_("Team lead not set: %(field)s — %(message)s", field=exc.field,
                message=exc.message), "error")
        return redirect(url_for("admin.agents"))
    if lead:
        flash(_("%(lead)s leads team %(key)s.", lead=lead, key=key), "ok")
    else:
        flash(_("Team %(key)s has no lead.", key=key), "ok")
    return redirect(url_for("admin.agents"))


@bp.route("/agents/new", methods=["GET", "POST"])
@requires(*ADMIN_ROLES)
def agent_new():
    if request.method == "GET":
        return _render(None, {"role": "agent", "language": "zh", "active": True, "skills": {}})
    form = _form()
    try:
        with transaction(sessions()) as db:
            agent, sip_password = staff.create_agent(db, form)
            audit(db, "agent_create", "agent", agent.id,
                  {k: v for k, v in staff.agent_dict(agent).items() if k != "id"})
            login, agent_id, extension = agent.login, agent.id, agent.sip_extension
    except FormError as exc:
        return _render(None, _with_skills(form), exc, 400)
    agents_changed()
    if sip_password:
        return _show_once(agent_id, login, extension, sip_password)
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
            changes, sip_password = staff.update_agent(db, agent, form)
            if changes:
                audit(db, "agent_update", "agent", agent.id, changes)
            extension = agent.sip_extension
    except FormError as exc:
        return _render(current, _with_skills(form), exc, 400)
    agents_changed()
    if sip_password:
        return _show_once(agent_id, current["login"], extension, sip_password)
    flash(_("Agent %(login)s saved.", login=current["login"]), "ok")
    return redirect(url_for("admin.agents"))


@bp.post("/agents/<int:agent_id>/sip-password")
@requires(*ADMIN_ROLES)
def sip_password_rotate(agent_id: int):
    """A new SIP password for the agent's phone: the typed one, else a generated one."""
    try:
        with transaction(sessions()) as db:
            agent = db.get(Agent, agent_id)
            if agent is None:
                abort(404, description=f"no agent {agent_id}")
            generated = staff.rotate_sip_password(db, agent, request.form.get("sip_password", ""))
            audit(db, "sip_password_rotate", "agent", agent.id,
                  {"sip_extension": agent.sip_extension, "generated": generated is not None})
            login, extension = agent.login, agent.sip_extension
    except FormError as exc:
        with sessions()() as db:
            current = staff.agent_dict(db.get(Agent, agent_id))
        return _render(current, None, exc, 400)
    agents_changed()
    if generated:
        return _show_once(agent_id, login, extension, generated)
    flash(_("SIP password of %(login)s changed.", login=login), "ok")
    return redirect(url_for("admin.agent_edit", agent_id=agent_id))


def agents_changed() -> None:
    """Tell the engine in this process at once (it also finds changes by itself within seconds)."""
    notify = services().extras.get("agents_changed")
    if notify is not None:
        notify()


def _show_once(agent_id: int, login: str, extension: str | None, password: str):
    reply = make_response(render_template("sip_password.html", agent_id=agent_id, login=login,
                                          extension=extension, password=password))
    reply.headers["Cache-Control"] = "no-store"
    return reply


def _with_skills(form: dict[str, Any]) -> dict[str, Any]:
    """Re-show what was typed, skills included."""
    skills = {k[6:]: v for k, v in form.items() if k.startswith("skill_")}
    return {**form, "skills": skills}
