"""The console's side of the live port: finding it, mapping its errors to HTTP,
and the floor board (live snapshot + queue figures from the call log, web.floor)."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, abort, current_app, jsonify, render_template, request

from acd.queue_config import QueueConfigError, load_queues
from web import data, kpi, reasons
from web.auth import current_user, services, sessions
from web.ports import (IllegalTransition, LiveCall, LiveError, LivePort, NoSuchCall,
                       SwitchUnavailable)

log = logging.getLogger(__name__)

STATUS = {NoSuchCall: 404, IllegalTransition: 409, SwitchUnavailable: 503}


class NoLiveEngine(LiveError):
    """The console runs without an engine (e.g. `callcenter run` before the ACD exists)."""


def port_of(services_: Any) -> LivePort | None:
    return getattr(services_, "live", None) or services_.extras.get("live")


def live() -> LivePort:
    port = port_of(services())
    if port is None:
        raise NoLiveEngine("the live engine is not running")
    return port


def own_call(uuid: str) -> LiveCall:
    """The agent's current call, if ``uuid`` is it; an agent never reaches another's call."""
    call = live().current_call(current_user().id)
    if call is None or call.uuid != uuid:
        abort(404, description="no such call on your desk")
    return call


def _status_for(exc: LiveError) -> int:
    for cls, status in STATUS.items():
        if isinstance(exc, cls):
            return status
    return 503


def init_app(app: Flask) -> None:
    @app.errorhandler(LiveError)
    def live_error(exc: LiveError):
        status = _status_for(exc)
        if request.path.startswith("/api/"):
            return jsonify(error=str(exc), kind=type(exc).__name__), status
        return render_template("error.html", code=status, message=str(exc)), status

    @app.errorhandler(400)
    @app.errorhandler(403)
    @app.errorhandler(404)
    @app.errorhandler(405)
    def http_error(exc):
        if request.path.startswith("/api/"):
            return jsonify(error=exc.description), exc.code
        return render_template("error.html", code=exc.code, message=exc.description), exc.code


def local_zone() -> ZoneInfo:
    return ZoneInfo(services().config.general.timezone)


def day_start(now: datetime) -> datetime:
    local = now.astimezone(local_zone())
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)


def service_level_seconds() -> dict[str, float]:
    """Each queue's service-level threshold (``service_level.seconds``) from the
    ACD queues file (config ``acd.queues_file``), re-read when the file changes.
    A queue the file does not name (or an unreadable file, logged) gets
    kpi.DEFAULT_THRESHOLD_SECONDS."""
    path = Path(services().config.acd.queues_file)
    cached = current_app.extensions.get("callcenter.service_levels")
    try:
        stamp = (str(path), path.stat().st_mtime_ns)
    except OSError as error:
        if cached is None or cached[0] is not None:
            log.warning("queues file %s unreadable (%s); service level counts %g s",
                        path, error.strerror, kpi.DEFAULT_THRESHOLD_SECONDS)
        current_app.extensions["callcenter.service_levels"] = (None, {})
        return {}
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        queues = load_queues(path).queues
    except QueueConfigError as error:
        log.warning("queues file %s is invalid, service level counts %g s: %s",
                    path, kpi.DEFAULT_THRESHOLD_SECONDS, error)
        levels: dict[str, float] = {}
    else:
        levels = {name: queue.service_level.seconds for name, queue in queues.items()}
    current_app.extensions["callcenter.service_levels"] = (stamp, levels)
    return levels


def floor_board() -> dict[str, Any]:
    snapshot = live().floor()
    now = snapshot.at
    thresholds = service_level_seconds()
    from web.floor import display_names, queue_figures, waiting_list
    from web.wallboard import floor_alerts
    kpis = queue_figures(now, thresholds)  # from the call log, as the reports count
    queue_names_shown = display_names()
    with sessions()() as db:
        handled = data.calls_handled_today(db, day_start(now))
        names = data.agent_names(db)
    queue_names = sorted({q.name for q in snapshot.queues} | set(kpis))
    live_queues = {q.name: q for q in snapshot.queues}
    queues = []
    for name in queue_names:
        k, q = kpis.get(name, {}), live_queues.get(name)
        queues.append({"name": name, "display_name": queue_names_shown.get(name, name),
                       "waiting": q.waiting if q else 0,
                       "service_level_seconds": thresholds.get(name,
                                                               kpi.DEFAULT_THRESHOLD_SECONDS),
                       "longest_wait": round(q.longest_wait_seconds) if q else 0,
                       "service_level_today": kpi.percent(k.get("service_level_today")),
                       "service_level_30min": kpi.percent(k.get("service_level_30min")),
                       "abandoned": k.get("abandoned", 0), "offered": k.get("offered", 0),
                       "asa": kpi.seconds(k.get("asa")), "aht": kpi.seconds(k.get("aht"))})
    by_state: dict[str, int] = {}
    agents = []
    calls = {c.agent_id: c for c in snapshot.calls if c.agent_id is not None}
    for status in snapshot.agents:
        by_state[status.state] = by_state.get(status.state, 0) + 1
        if status.state == "logged_out":
            continue  # counted, not listed: the board is for people at work
        who = names.get(status.agent_id, {"login": str(status.agent_id), "name": ""})
        call = calls.get(status.agent_id)
        agents.append({"id": status.agent_id, **who, "state": status.state,
                       "reason": status.reason, "phone": phone_json(status.phone),
                       "pending_reason": status.pending_reason,
                       "seconds_in_state": int((now - status.since).total_seconds()),
                       "handled_today": handled.get(status.agent_id, 0),
                       "call_uuid": call.uuid if call else None})
    in_progress = [{"uuid": c.uuid, "caller_number": c.caller_number, "queue": c.queue,
                    "state": c.state, "agent_id": c.agent_id,
                    "agent": names.get(c.agent_id, {}).get("name") if c.agent_id else None,
                    "routing_reason": reasons.words(c.routing_reason_parts, c.routing_reason,
                                                   queue_names_shown)}
                   for c in snapshot.calls]
    return {"at": now.isoformat(), "queues": queues, "agents_by_state": by_state,
            "agents": agents, "calls": in_progress,
            "waiting": waiting_list(live(), queue_names_shown), "alerts": floor_alerts(snapshot)}


def phone_json(phone) -> dict[str, Any] | None:
    """An agent's phone (web.ports.PhoneStatus) for the desk and the floor."""
    if phone is None:
        return None
    return {"registered": phone.registered, "since": phone.since.isoformat() if phone.since else None,
            "reason": phone.reason, "user_agent": phone.user_agent, "contact": phone.contact}
