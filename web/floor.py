"""The supervisor floor: queues, agents, calls in progress, callers waiting and why;
force state, listen in.

floor.js renders /events/floor snapshots and acts through /api/v1/floor/...
The queues' figures come from the call log (callcenter.reports: the same visits the
reports count), for the center's day (general.timezone)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping

from flask import Blueprint, render_template
from flask_babel import get_locale

from callcenter.reports.current import live_figures, queue_configs
from callcenter.reports.indicators import Figures, Sums
from web.auth import FLOOR_ROLES, requires, services
from web.ports import EAVESDROP_MODES, NOT_READY_REASONS

bp = Blueprint("floor", __name__, url_prefix="/floor")
RECENT = timedelta(minutes=30)


@bp.get("/")
@requires(*FLOOR_ROLES)
def board():
    return render_template("floor.html", reasons=NOT_READY_REASONS, modes=EAVESDROP_MODES)


def queue_figures(now: datetime, limits: Mapping[str, float]) -> dict[str, dict[str, Any]]:
    """Per queue, today (the center's day) and the last 30 minutes, from the log:
    offered, abandoned, service levels, abandon rate, ASA and AHT (None: no data)."""
    figures = live_figures(services(), limits)
    figures.refresh(now)
    rules = figures.settings.rules
    today: dict[str, Sums] = {}
    recent: dict[str, Sums] = {}
    for visit in figures.all_visits():
        if visit.direction != "inbound" or visit.offered_at > now:
            continue
        today.setdefault(visit.queue, Sums()).add_visit(visit, rules)
        if visit.offered_at >= now - RECENT:
            recent.setdefault(visit.queue, Sums()).add_visit(visit, rules)
    out = {}
    for queue, sums in today.items():
        day = Figures(sums, rules.count_short_abandons)
        out[queue] = {"offered": sums.offered, "abandoned": sums.abandoned,
                      "service_level_today": day.service_level,
                      "service_level_30min": Figures(recent.get(queue, Sums()),
                                                     rules.count_short_abandons).service_level,
                      "abandon_rate": day.abandon_rate, "asa": day.asa_seconds,
                      "aht": day.aht_seconds}
    return out


def display_names() -> dict[str, str]:
    """Queue -> its name in the reader's language (queues.yaml display_name)."""
    language = str(get_locale())
    return {name: q.shown(language) for name, q in
            queue_configs(services().config.acd.queues_file).items()}


def waiting_list(port: Any, names: Mapping[str, str]) -> list[dict[str, Any]]:
    """The callers waiting, with flags and the router's reason (if the port knows them)."""
    method = getattr(port, "waiting_callers", None)
    if method is None:
        return []
    return [{"uuid": c.uuid, "caller_number": c.caller_number, "queue": c.queue,
             "queue_name": names.get(c.queue, c.queue), "waited": round(c.waited_seconds),
             "vip": c.priority_class.startswith("vip"), "tier": c.priority_class,
             "transferred": c.transferred or c.priority_class == "transferred",
             "callback": c.callback, "why": why_waiting(c.why)} for c in method()]


def why_waiting(why: Mapping[str, Any]) -> str:
    """explain()'s answer in one line: the step, then each relevant agent's reason."""
    if not why:
        return ""
    if why.get("nobody_logged_in"):
        head = "nobody with the skill is logged in"
    else:
        head = str(why.get("step_rule") or "")
    agents = [f"{login}: {reason}" for login, reason in sorted((why.get("agents") or {}).items())]
    lacking = why.get("others_lacking_skill") or 0
    tail = [f"{lacking} other agents lack the skill"] if lacking else []
    return "; ".join([part for part in [head] if part] + agents + tail)
