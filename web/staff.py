"""Agent and skill management rules (admin): validation names the field."""
from __future__ import annotations

import re
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter import sip_credentials
from callcenter.models import Agent, AgentSkill, Role, Skill, Team, utcnow
from callcenter.security import WeakPassword, hash_password
from web.data import FormError

LOGIN = re.compile(r"^[a-z][a-z0-9_.-]{1,59}$")
EXTENSION = re.compile(r"^[0-9]{2,20}$")
LANGUAGES = ("zh", "en")


def agent_dict(agent: Agent) -> dict[str, Any]:
    return {"id": agent.id, "login": agent.login, "display_name": agent.display_name,
            "role": agent.role.value, "sip_extension": agent.sip_extension,
            "language": agent.language, "active": agent.active,
            "team": agent.team.key if agent.team else None,
            "skills": {s.skill.name: s.level for s in agent.skills},
            "sip_password_set": bool(agent.sip_a1_hash),
            "sip_password_set_at": agent.sip_password_set_at.isoformat() if agent.sip_password_set_at else None}


def skill_names(db: Session) -> list[str]:
    return list(db.scalars(select(Skill.name).order_by(Skill.name)))


SKILL_NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def create_skill(db: Session, form: Mapping[str, Any]) -> Skill:
    name = str(form.get("name", "")).strip().lower()
    if not SKILL_NAME.match(name):
        raise FormError("name", "2-40 characters: lower-case letters, digits and _")
    if db.scalar(select(Skill.id).where(Skill.name == name)):
        raise FormError("name", f"skill {name!r} exists")
    description = str(form.get("description", "")).strip()
    if len(description) > 200:
        raise FormError("description", "at most 200 characters")
    skill = Skill(name=name, description=description)
    db.add(skill)
    db.flush()
    return skill


TEAM_KEY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def teams(db: Session) -> dict[str, str]:
    """Team key -> display name, by key."""
    return dict(db.execute(select(Team.key, Team.display_name).order_by(Team.key)).all())


def create_team(db: Session, form: Mapping[str, Any]) -> Team:
    key = str(form.get("key", "")).strip().lower()
    if not TEAM_KEY.match(key):
        raise FormError("key", "2-40 characters: lower-case letters, digits and _")
    if db.scalar(select(Team.id).where(Team.key == key)):
        raise FormError("key", f"team {key!r} exists")
    name = str(form.get("display_name", "")).strip()
    if not name or len(name) > 120:
        raise FormError("display_name", "a name of 1-120 characters")
    team = Team(key=key, display_name=name, lead=team_lead(db, form.get("lead")))
    db.add(team)
    db.flush()
    return team


def team_leads(db: Session) -> dict[str, str]:
    """Team key -> its lead's login (teams with a lead only)."""
    return dict(db.execute(select(Team.key, Agent.login).join(Agent, Agent.id == Team.lead_id)).all())


def supervisors(db: Session) -> list[str]:
    """The logins that may lead a team: active supervisors."""
    return list(db.scalars(select(Agent.login).where(Agent.role == Role.SUPERVISOR,
                                                     Agent.active.is_(True)).order_by(Agent.login)))


def team_lead(db: Session, login: Any) -> Agent | None:
    """The lead named by login (empty: none); FormError("lead") unless an active supervisor."""
    login = str(login or "").strip().lower()
    if not login:
        return None
    agent = db.scalar(select(Agent).where(Agent.login == login))
    if agent is None:
        raise FormError("lead", f"no agent {login!r}")
    if agent.role != Role.SUPERVISOR or not agent.active:
        raise FormError("lead", f"{login!r} is not an active supervisor; a team's lead must be one")
    return agent


def set_team_lead(db: Session, form: Mapping[str, Any]) -> tuple[Team, list[str | None]]:
    """Set (or clear, with an empty lead) a team's lead; the team and [old, new] lead logins."""
    key = str(form.get("team", "")).strip().lower()
    team = db.scalar(select(Team).where(Team.key == key)) if key else None
    if team is None:
        raise FormError("team", f"no team {key!r}")
    lead = team_lead(db, form.get("lead"))
    change = [team.lead.login if team.lead else None, lead.login if lead else None]
    team.lead = lead
    db.flush()
    return team, change


def create_agent(db: Session, form: Mapping[str, Any]) -> tuple[Agent, str | None]:
    """The new agent and the SIP password generated for it (to show once), if any."""
    login = str(form.get("login", "")).strip().lower()
    if not LOGIN.match(login):
        raise FormError("login", "2-60 characters: lower-case letters, digits, _ . - ; "
                                 "starting with a letter")
    if db.scalar(select(Agent.id).where(Agent.login == login)):
        raise FormError("login", f"{login!r} is taken")
    password = str(form.get("password", ""))
    try:
        password_hash = hash_password(password)
    except WeakPassword as exc:
        raise FormError("password", str(exc)) from None
    agent = Agent(login=login, password_hash=password_hash, display_name="", active=True)
    shown_once = _apply(db, agent, form)
    db.add(agent)
    db.flush()
    return agent, shown_once


def update_agent(db: Session, agent: Agent, form: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """Apply the changes; returns {field: [old, new]} for the audit log and the SIP
    password generated (to show once), if any."""
    before = agent_dict(agent)
    password = str(form.get("password") or "")
    if password:
        try:
            agent.password_hash = hash_password(password)
        except WeakPassword as exc:
            raise FormError("password", str(exc)) from None
    shown_once = _apply(db, agent, form)
    db.flush()
    after = agent_dict(agent)
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if password:
        changes["password"] = ["***", "***"]
    return changes, shown_once


def rotate_sip_password(db: Session, agent: Agent, typed: str = "") -> str | None:
    """A new SIP password for the agent's current extension: the typed one, or a generated
    one (returned, to show once). The old one stops working at FreeSWITCH's next reload."""
    if not agent.sip_extension:
        raise FormError("sip_extension", "the agent has no SIP extension: set one first")
    try:
        plan = sip_credentials.plan(agent.sip_extension, agent.sip_a1_hash, agent.sip_extension,
                                    typed_password=typed, generate=not typed)
    except sip_credentials.SipCredentialError as exc:
        raise FormError(exc.field, exc.message) from None
    _store_sip(agent, plan)
    db.flush()
    return plan.shown_once


def _store_sip(agent: Agent, plan: sip_credentials.Credentials) -> None:
    if not plan.changed:
        return
    agent.sip_extension = plan.extension  # first: a new extension drops the old hash (models)
    agent.sip_a1_hash = plan.ha1
    agent.sip_password_set_at = utcnow() if plan.ha1 else None


def _apply(db: Session, agent: Agent, form: Mapping[str, Any]) -> str | None:
    """Validate every field before touching the agent, so an error changes nothing.
    Returns the SIP password generated, to show once."""
    name = str(form.get("display_name", agent.display_name or "")).strip()
    if not name or len(name) > 120:
        raise FormError("display_name", "a name of 1-120 characters")
    try:
        role = Role(form.get("role", agent.role.value if agent.role else "agent"))
    except ValueError:
        raise FormError("role", "one of " + ", ".join(r.value for r in Role)) from None
    language = form.get("language", agent.language or "zh")
    if language not in LANGUAGES:
        raise FormError("language", "one of " + ", ".join(LANGUAGES))
    extension = str(form.get("sip_extension", agent.sip_extension or "") or "").strip() or None
    if extension and not EXTENSION.match(extension):
        raise FormError("sip_extension", "digits only")
    if extension and db.scalar(select(Agent.id).where(Agent.sip_extension == extension,
                                                      Agent.id != agent.id)):
        raise FormError("sip_extension", f"extension {extension} belongs to another agent")
    try:
        sip = sip_credentials.plan(agent.sip_extension, agent.sip_a1_hash, extension,
                                   typed_password=str(form.get("sip_password") or ""),
                                   generate=_ticked(form.get("generate_sip_password", False)))
    except sip_credentials.SipCredentialError as exc:
        raise FormError(exc.field, exc.message) from None
    levels = _levels(db, form)
    team = _team(db, form, agent)
    active = _ticked(form.get("active", agent.active))
    agent.display_name, agent.role, agent.language, agent.active = name, role, language, active
    agent.team = team
    _store_sip(agent, sip)
    _set_levels(agent, levels)
    return sip.shown_once


def _team(db: Session, form: Mapping[str, Any], agent: Agent) -> Team | None:
    """The team by its key; an empty value: no team; absent: unchanged."""
    if "team" not in form:
        return agent.team
    key = str(form.get("team") or "").strip().lower()
    if not key:
        return None
    team = db.scalar(select(Team).where(Team.key == key))
    if team is None:
        known = ", ".join(teams(db)) or "(none yet: create one on the agents page)"
        raise FormError("team", f"no team {key!r}; the teams are {known}")
    return team


def _ticked(value: Any) -> bool:
    return value if isinstance(value, bool) else value in (True, "1", "on", "true", "yes")


def _levels(db: Session, form: Mapping[str, Any]) -> dict[Skill, int] | None:
    """Skills come as a mapping {name: level} (JSON) or fields ``skill_<name>`` (forms);
    level 0 / empty removes the skill. None: the form did not touch skills."""
    skills = {s.name: s for s in db.scalars(select(Skill))}
    raw = form.get("skills")
    if raw is None:
        raw = {key[6:]: value for key, value in form.items() if key.startswith("skill_")}
        if not raw:
            return None
    if not isinstance(raw, Mapping):
        raise FormError("skills", "a mapping of skill name to level")
    out = {}
    for name, value in raw.items():
        if name not in skills:
            raise FormError(f"skill_{name}", f"no skill {name!r}")
        try:
            level = int(value or 0)
        except (TypeError, ValueError):
            raise FormError(f"skill_{name}", "a level from 1 to 10, or empty") from None
        if not 0 <= level <= 10:
            raise FormError(f"skill_{name}", "a level from 1 to 10, or empty")
        out[skills[name]] = level
    return out


def _set_levels(agent: Agent, levels: dict[Skill, int] | None) -> None:
    if levels is None:
        return
    current = {s.skill.name: s for s in agent.skills}
    for skill, level in levels.items():
        if level == 0:
            if skill.name in current:
                agent.skills.remove(current[skill.name])
        elif skill.name in current:
            current[skill.name].level = level
        else:
            agent.skills.append(AgentSkill(skill=skill, level=level))
