"""Drill-down of the newer figures: the spans behind a day's system availability, a
campaign's dials, the tickets behind 回告时限 and the QA evaluations behind 查询准确率.
Same period arguments as the report; every list is the pure core's own classification,
so its rows add up to the figure on the page. Lists are audited like the call lists."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from flask import abort, current_app, render_template, request, url_for
from flask_babel import gettext as _

from callcenter.db import transaction
from callcenter.reports import report as reporting
from callcenter.reports.accuracy import ACCURATE, judge
from callcenter.reports.answerback import classify
from callcenter.reports.availability import STALE, UP, timeline
from callcenter.reports.campaigns import dial_of
from callcenter.reports.store import (calls_by_uuid, campaign_names, load_accuracy_scores,
                                     load_answer_back, load_availability, load_calls)
from web.auth import FLOOR_ROLES, audit, requires, services, sessions
from web.reports import bp, kept_args, query_from_args, settings


def _now() -> datetime:
    clock = current_app.config.get("CLOCK") or (lambda: datetime.now(timezone.utc))
    return clock()


def _period():
    s = settings()
    try:
        query = query_from_args(s)
    except reporting.BadPeriod as error:
        abort(400, description=str(error))
    return s, query, *s.period(query.first, query.last)


def _choice(field: str, allowed: tuple[str, ...]) -> str | None:
    value = request.args.get(field) or None
    if value is not None and value not in allowed:
        abort(400, description=f"{field}: one of " + ", ".join(allowed))
    return value


def _show(title: str, columns: list[str], rows: list[dict[str, Any]], what: str,
          details: dict[str, Any]):
    with transaction(sessions()) as db:
        audit(db, "report_drill_down", "report", what, {**details, "rows": len(rows)})
    return render_template("reports_list.html", title=title, columns=columns, rows=rows,
                           back=url_for("reports.index", **kept_args()))


def _time(moment: datetime | None, zone: Any) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


@bp.get("/availability/<day>")
@requires(*FLOOR_ROLES)
def availability_day(day: str):
    """The up and down spans behind one day's 系统可用率."""
    s = settings()
    try:
        when = date.fromisoformat(day)
    except ValueError:
        abort(400, description="day: give a day as YYYY-MM-DD")
    start, end = s.period(when, when)
    with services().db_engine.connect() as connection:
        records = load_availability(connection, start)
    spans = timeline(records, start, end, _now(), STALE)
    words = {UP: _("up"), "engine stopped": _("engine stopped"),
             "engine crashed": _("engine crashed"), "switch lost": _("switch lost"),
             "not connected": _("not connected")}
    rows = [{"cells": [_time(x.start, s.zone), _time(x.end, s.zone),
                       round((x.end - x.start).total_seconds()), words.get(x.reason, x.reason)],
             "data": x.reason} for x in spans]
    return _show(_("System availability on %(day)s", day=when.isoformat()),
                 [_("From"), _("To"), _("Seconds"), _("State")], rows, "availability",
                 {"day": when.isoformat()})


@bp.get("/campaign/<int:campaign_id>")
@requires(*FLOOR_ROLES)
def campaign_dials(campaign_id: int):
    """A campaign's dials started in the period, each with the outcome it counts as."""
    s, query, start, end = _period()
    outcome = _choice("outcome", ("answered", "abandoned", "not answered"))
    with services().db_engine.connect() as connection:
        calls = [c for c in load_calls(connection, start, end)
                 if c.events and start <= c.events[0].at < end]
        names = campaign_names(connection)
        dials = [d for d in map(dial_of, calls) if d is not None and d.campaign == campaign_id
                 and (outcome is None or d.outcome == outcome)]
        numbers = calls_by_uuid(connection, [d.call for d in dials])
    if campaign_id not in names:
        abort(404, description=f"no campaign {campaign_id}")
    words = {"answered": _("answered"), "abandoned": _("abandoned"),
             "not answered": _("not answered")}
    rows = [{"cells": [_time(d.started_at, s.zone), numbers.get(d.call, {}).get("caller", ""),
                       words[d.outcome], round(d.talk_ms / 1000), d.call], "data": d.call}
            for d in sorted(dials, key=lambda d: (d.started_at, d.call))]
    return _show(_("Dials of campaign %(name)s", name=names[campaign_id]),
                 [_("Started"), _("Number"), _("Outcome"), _("Talk s"), _("Call")], rows,
                 "campaign", {"campaign": campaign_id, "from": str(query.first),
                              "to": str(query.last), "outcome": outcome})


@bp.get("/answer-back")
@requires(*FLOOR_ROLES)
def answer_back_tickets():
    """The tickets behind 回告时限, each with how it counts."""
    s, query, start, end = _period()
    status = _choice("status", ("in_time", "late", "not_told"))
    now = _now()
    with services().db_engine.connect() as connection:
        tickets = load_answer_back(connection, start, end)
    words = {"in_time": _("told in time"), "late": _("told late"), "not_told": _("not told")}
    counted = [(t, classify(t, start, end, now)) for t in tickets]
    rows = [{"cells": [t.number, _time(t.deadline, s.zone), _time(t.informed_at, s.zone),
                       words[c]], "data": t.number,
             "href": url_for("tickets.detail", number=t.number)}
            for t, c in sorted(counted, key=lambda tc: (tc[0].deadline, tc[0].number))
            if c is not None and (status is None or c == status)]
    return _show(_("Tickets due for answer-back"), [_("Ticket"), _("Deadline"), _("Told"),
                                                   _("Counts as")], rows, "answer_back",
                 {"from": str(query.first), "to": str(query.last), "status": status})


@bp.get("/accuracy")
@requires(*FLOOR_ROLES)
def accuracy_evaluations():
    """The QA evaluations behind 查询准确率, each with its verdict on the accuracy item."""
    s, query, start, end = _period()
    verdict = _choice("verdict", ("accurate", "not_accurate"))
    with services().db_engine.connect() as connection:
        scores = load_accuracy_scores(connection, start, end)
    words = {ACCURATE: _("full marks"), "not_accurate": _("not full marks")}
    rows = [{"cells": [score.evaluation, score.call, "%g / %g" % (score.earned_milli / 1000,
                                                                 score.possible), words[v]],
             "data": str(score.evaluation),
             "href": url_for("qa.evaluation", evaluation_id=score.evaluation)}
            for score, v in ((x, judge(x)) for x in scores)
            if v is not None and (verdict is None or v == verdict)]
    return _show(_("QA evaluations scoring inquiry accuracy"),
                 [_("Evaluation"), _("Call"), _("Points"), _("Verdict")], rows, "accuracy",
                 {"from": str(query.first), "to": str(query.last), "verdict": verdict})
