"""Reports (supervisors, admins): a period's service figures per interval and queue,
a chart, drill-down to the calls, CSV and XLSX exports; agents and the IVR funnel.
Everything is computed from the log (callcenter.reports); definitions in
docs/indicators.md."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from callcenter.db import transaction
from callcenter.reports import report as reporting
from callcenter.reports.current import limits_of, queue_configs, targets_of
from callcenter.reports.intervals import DAY
from callcenter.reports.store import Settings, calls_by_uuid, campaign_names, load_teams
from callcenter.reports.teams import NO_TEAM, members
from web.auth import FLOOR_ROLES, audit, requires, services, sessions

bp = Blueprint("reports", __name__, url_prefix="/reports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KEPT_ARGS = ("from", "to", "interval", "queue", "team")  # what a drill-down and its way back keep
NO_TEAM_ARG = "_none"  # the team filter's value for agents without a team (no key starts with _)


def kept_args() -> dict[str, str]:
    return {k: v for k, v in request.args.items() if k in KEPT_ARGS}


def settings() -> Settings:
    config = services().config
    return Settings.from_config(config, limits_of(queue_configs(config.acd.queues_file)))


def display_names() -> dict[str, str]:
    """Queue -> its name in the reader's language (queues.yaml display_name)."""
    language = str(get_locale())
    return {name: q.shown(language) for name, q in queue_configs(services().config.acd.queues_file).items()}


def center_today(s: Settings) -> date:
    clock = current_app.config.get("CLOCK") or (lambda: datetime.now(timezone.utc))
    return clock().astimezone(s.zone).date()


def _day(field: str, default: date) -> date:
    text = request.args.get(field, "").strip()
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise reporting.BadPeriod(field, _("give a day as YYYY-MM-DD")) from None


def query_from_args(s: Settings) -> reporting.Query:
    default = reporting.yesterday(center_today(s))
    first = _day("from", default)
    last = _day("to", first)
    queue = request.args.get("queue") or None
    if queue is not None and queue not in display_names():
        raise reporting.BadPeriod("queue", _("no such queue"))
    minutes = request.args.get("interval", str(s.minutes))
    if minutes == "day":
        minutes = str(DAY)
    if not minutes.isdigit():
        raise reporting.BadPeriod("interval", _("15, 30 or 60 minutes, or day"))
    return reporting.Query(first, last, queue, int(minutes), team=_team_arg()).check()


def _team_arg() -> str | None:
    team = request.args.get("team") or None
    if team is None:
        return None
    if team == NO_TEAM_ARG:
        return NO_TEAM
    with services().db_engine.connect() as connection:
        team_names = load_teams(connection)[1]
    if team not in team_names:
        raise reporting.BadPeriod("team", _("no such team"))
    return team


def _build(s: Settings):
    query = query_from_args(s)
    clock = current_app.config.get("CLOCK") or (lambda: datetime.now(timezone.utc))
    with services().db_engine.connect() as connection:
        return reporting.build(connection, s, query, now=clock())


@bp.get("/")
@requires(*FLOOR_ROLES)
def index():
    s = settings()
    try:
        report = _build(s)
    except reporting.BadPeriod as error:
        return render_template("reports.html", report=None, error=error, names=display_names(),
                               zone=s.zone, args=request.args, chart=None, teams={},
                               no_team_arg=NO_TEAM_ARG), 400
    with services().db_engine.connect() as connection:
        campaigns = campaign_names(connection)
        teams = load_teams(connection)[1]
    return render_template("reports.html", report=report, error=None, names=display_names(),
                           zone=s.zone, args=request.args, chart=chart(report, s),
                           agent_names=_agent_names(), drill=_drill_args, campaign_names=campaigns,
                           teams=teams, no_team_arg=NO_TEAM_ARG, team_drill=_team_drill_args)


def chart(report: reporting.Report, s: Settings) -> dict[str, Any]:
    """Service level per interval as server-rendered SVG bars (no script, no CDN): each bar
    links to the calls offered in its interval."""
    width, height, left, bottom, top = 760, 230, 36, 24, 10
    usable = height - bottom - top
    rows = report.chart
    step = (width - left) / max(len(rows), 1)
    targets = targets_of(queue_configs(services().config.acd.queues_file))
    target = targets.get(report.query.queue, 0.8) if report.query.queue else 0.8
    bars = []
    for i, row in enumerate(rows):
        level = row.figures.service_level
        h = 0 if level is None else level * usable
        local = row.start.astimezone(s.zone)
        bars.append({"x": left + i * step + 1, "w": max(step - 2, 1), "h": h,
                     "y": top + usable - h, "level": level,
                     "label": local.strftime("%m-%d" if report.query.minutes == DAY else "%H:%M"),
                     "day": local.strftime("%m-%d"), "low": level is not None and level < target,
                     "offered": row.figures.sums.offered,
                     "href": url_for("reports.calls", **_drill_args(row.start, report.query.queue,
                                                                    "offered"))})
    ticks = [{"y": top + usable - f * usable, "label": f"{int(f * 100)}%"}
             for f in (0, 0.5, 1)]
    return {"width": width, "height": height, "bars": bars, "ticks": ticks, "left": left,
            "target_y": top + usable - target * usable, "every": max(len(rows) // 12, 1)}


def _team_drill_args(team: str, figure: str) -> dict[str, Any]:
    """A team figure's calls: the visits the team's agents answered."""
    args = {k: v for k, v in kept_args().items() if k != "team"}
    return {**args, "team": NO_TEAM_ARG if team == NO_TEAM else team, "figure": figure}


def _drill_args(start: datetime | None, queue: str | None, figure: str) -> dict[str, Any]:
    args = {k: v for k, v in kept_args().items() if k != "team"}
    if queue:
        args["queue"] = queue
    if start is not None:
        args["start"] = start.isoformat()
    args["figure"] = figure
    return args


def _agent_names() -> dict[str, str]:
    from sqlalchemy import select

    from callcenter.models import Agent
    with sessions()() as db:
        return dict(db.execute(select(Agent.login, Agent.display_name)).all())


@bp.get("/calls")
@requires(*FLOOR_ROLES)
def calls():
    s = settings()
    figure = request.args.get("figure", "offered")
    try:
        report = _build(s)
        start = _interval_arg()
        team = report.query.team
        visits = reporting.drill(report.visits, s.rules, report.query.minutes, s.zone, start,
                                 report.query.queue, figure,
                                 None if team is None else members(report.team_of, team))
    except (reporting.BadPeriod, ValueError) as error:
        abort(400, description=str(error))
    with services().db_engine.connect() as connection:
        details = calls_by_uuid(connection, {v.call for v in visits})
    with transaction(sessions()) as db:  # the list shows callers' numbers
        audit(db, "report_drill_down", "report", figure,
              {"from": str(report.query.first), "to": str(report.query.last),
               "interval": start.isoformat() if start else None, "queue": report.query.queue,
               "team": report.query.team, "calls": len(visits)})
    return render_template("reports_calls.html", visits=visits, details=details, zone=s.zone,
                           names=display_names(), figure=figure, start=start, report=report,
                           agent_names=_agent_names(), back=url_for("reports.index", **kept_args()))


@bp.get("/agent/<login>")
@requires(*FLOOR_ROLES)
def agent_spans(login: str):
    """The agent's state spans behind the agents' table (the period's, clipped to it)."""
    from callcenter.reports.agents import spans
    from callcenter.reports.store import load_changes
    s = settings()
    try:
        query = query_from_args(s)
    except reporting.BadPeriod as error:
        abort(400, description=str(error))
    start, end = s.period(query.first, query.last)
    with services().db_engine.connect() as connection:
        changes, before = load_changes(connection, start, end)
    mine = spans([c for c in changes if c.agent == login], start, end,
                 {k: v for k, v in before.items() if k == login})
    if not mine and login not in _agent_names():
        abort(404, description=f"no agent {login}")
    return render_template("reports_agent.html", login=login, name=_agent_names().get(login, login),
                           spans=sorted(mine, key=lambda x: x.start), zone=s.zone, query=query,
                           back=url_for("reports.index", **kept_args()))


def _interval_arg() -> datetime | None:
    text = request.args.get("start")
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise reporting.BadPeriod("start", "an interval start in ISO 8601") from None
    if when.tzinfo is None:
        raise reporting.BadPeriod("start", "an interval start with its time zone")
    return when.astimezone(timezone.utc)


@bp.get("/export.<kind>")
@requires(*FLOOR_ROLES)
def export(kind: str):
    """CSV: one table (``table``, default the service table), UTF-8 with BOM; XLSX: every
    table, a sheet each."""
    from web import reports_export
    if kind not in ("csv", "xlsx"):
        abort(404)
    table = request.args.get("table", "service")
    if table not in reports_export.TABLES:
        abort(400, description="table: one of " + ", ".join(reports_export.TABLES))
    s = settings()
    try:
        report = _build(s)
    except reporting.BadPeriod as error:
        abort(400, description=str(error))
    with services().db_engine.connect() as connection:
        campaigns = campaign_names(connection)
    tables = reports_export.tables_of(report, s.zone, display_names(), campaigns)
    name = f"service-{report.query.first}-{report.query.last}"
    with transaction(sessions()) as db:
        audit(db, "report_export", "report", kind, {"from": str(report.query.first),
                                                   "to": str(report.query.last),
                                                   "table": table if kind == "csv" else "all"})
    if kind == "csv":
        suffix = "" if table == "service" else f"-{table}"
        return Response(reports_export.csv_text(table, tables[table]), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}{suffix}.csv"'})
    return Response(reports_export.xlsx_bytes(tables), mimetype=XLSX, headers={
        "Content-Disposition": f'attachment; filename="{name}.xlsx"'})


from web import reports_lists  # noqa: E402,F401  (the newer figures' drill-downs, on this blueprint)
