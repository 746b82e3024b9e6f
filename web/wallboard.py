"""The wallboard: big figures for a wall screen, and alerts (service level under target
in the current interval, longest wait over the limit, an agent not ready too long, a
queue with callers and no agent who could take them). Read-only; refreshes itself
(meta refresh: no script needed on a kiosk screen)."""
from __future__ import annotations

import hmac
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, jsonify, render_template, request, session
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from callcenter.models import Agent, AgentSkill, Skill
from callcenter.reports.current import (Alert, AlertLimits, alerts, limits_of, live_figures, per_queue,
                                        queue_configs, targets_of)
from web.auth import FLOOR_ROLES, KIOSK_ROLES, audit, requires, services, sessions
from web.live import live

bp = Blueprint("wallboard", __name__, url_prefix="/wallboard")
REFRESH_SECONDS = 5


def board(snapshot: Any = None) -> dict[str, Any]:
    """The wallboard's figures and alerts at the live engine's time (``snapshot``: a
    floor snapshot already taken, else one is)."""
    config = services().config
    snapshot = snapshot or live().floor()
    now = snapshot.at
    queues_config = queue_configs(config.acd.queues_file)
    figures = per_queue(live_figures(services(), limits_of(queues_config)), now)
    skills, names = _skills_and_names()
    working = [s for s in snapshot.agents if s.state != "logged_out"]
    waiting = {q.name: (q.waiting, q.longest_wait_seconds) for q in snapshot.queues}
    eligible = {name: sum(_can_take(skills.get(s.agent_id, {}), q.skills) for s in working)
                for name, q in queues_config.items()}
    not_ready = [(names.get(s.agent_id, str(s.agent_id)), (now - s.since).total_seconds())
                 for s in snapshot.agents if s.state == "not_ready"]
    limits = AlertLimits(targets_of(queues_config), float(config.reports.longest_wait_alert_seconds),
                         float(config.reports.not_ready_alert_seconds))
    rows = []
    for name in sorted(set(queues_config) | set(waiting) | set(figures)):
        count, longest = waiting.get(name, (0, 0.0))
        f = figures.get(name, {})
        queue = queues_config.get(name)
        rows.append({"name": name, "display_name": queue.shown(str(get_locale())) if queue else name,
                     "waiting": count, "longest_wait": longest, "eligible": eligible.get(name),
                     "interval": f.get("interval"), "today": f.get("today"),
                     "target": limits.service_level_target.get(name, 0.8)})
    by_state: dict[str, int] = {}
    for status in working:
        by_state[status.state] = by_state.get(status.state, 0) + 1
    names = {name: getattr(q, "display_name", name) for name, q in queues_config.items()}
    found = alerts(figures, waiting, eligible, not_ready, limits)
    return {"at": now, "queues": rows, "by_state": by_state, "limits": limits,
            "alerts": [{"kind": a.kind, "subject": a.subject, "text": alert_text(a, names)}
                       for a in found], "names": names}


def alert_text(alert: Alert, names: dict[str, str]) -> str:
    queue = names.get(alert.subject, alert.subject)
    if alert.kind == "service_level":
        return _("%(queue)s: service level %(value)s%% this interval, target %(limit)s%%",
                 queue=queue, value=round(alert.value * 100), limit=round(alert.limit * 100))
    if alert.kind == "longest_wait":
        return _("%(queue)s: a caller has waited %(value)s s (limit %(limit)s s)",
                 queue=queue, value=round(alert.value), limit=round(alert.limit))
    if alert.kind == "no_agent":
        return _("%(queue)s: %(value)s callers waiting and no agent logged in who could take them",
                 queue=queue, value=int(alert.value))
    return _("%(agent)s has been not ready for %(value)s min (limit %(limit)s min)",
             agent=alert.subject, value=round(alert.value / 60), limit=round(alert.limit / 60))


def floor_alerts(snapshot: Any) -> list[dict[str, str]]:
    """The same alerts, for the floor board."""
    return board(snapshot)["alerts"]


def _can_take(agent_skills: dict[str, int], required: Any) -> bool:
    return all(agent_skills.get(skill, 0) >= level for skill, level in dict(required).items())


def _skills_and_names() -> tuple[dict[int, dict[str, int]], dict[int, str]]:
    with sessions()() as db:
        skills: dict[int, dict[str, int]] = {}
        for agent_id, skill, level in db.execute(
                select(AgentSkill.agent_id, Skill.name, AgentSkill.level).join(Skill)):
            skills.setdefault(agent_id, {})[skill] = level
        names = dict(db.execute(select(Agent.id, Agent.display_name)).all())
    return skills, names


@bp.get("/screen/<key>")
def screen(key: str):
    """The read-only link for a wall screen (no login): only with the configured
    ``reports.wallboard_key``; any other key, or none configured, is a 404."""
    expected = services().config.reports.wallboard_key
    if not expected or not hmac.compare_digest(key.encode(), expected.encode()):
        abort(404)
    if not session.get("wallboard_screen"):  # audited once per screen, not every refresh
        with sessions()() as db:
            audit(db, "wallboard_screen_opened", "wallboard", details={
                "user_agent": (request.user_agent.string or "")[:200]})
            db.commit()
        session["wallboard_screen"] = True
    return _render()


@bp.get("/")
@requires(*FLOOR_ROLES, *KIOSK_ROLES)
def wallboard():
    return _render()


@bp.get("/data.json")
@requires(*FLOOR_ROLES, *KIOSK_ROLES)
def data():
    """The wallboard's figures and alerts as JSON (for a screen that draws its own)."""
    found = board()

    def level(figures: Any) -> float | None:
        return None if figures is None else figures.service_level
    return jsonify(at=found["at"].isoformat(), alerts=found["alerts"], agents=found["by_state"],
                   queues=[{"name": q["name"], "display_name": q["display_name"],
                            "waiting": q["waiting"], "longest_wait_seconds": q["longest_wait"],
                            "eligible_agents": q["eligible"], "target": q["target"],
                            "service_level_interval": level(q["interval"]),
                            "service_level_today": level(q["today"]),
                            "offered_today": q["today"].sums.offered if q["today"] else 0,
                            "abandoned_today": q["today"].sums.abandoned if q["today"] else 0}
                           for q in found["queues"]])


def _render():
    data = board()
    return render_template("wallboard.html", board=data, refresh=REFRESH_SECONDS,
                           zone=ZoneInfo(services().config.general.timezone))
