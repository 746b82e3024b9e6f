"""The report's other tables as the exports write them (pure): teams, system
availability per day, campaigns, answer-back and inquiry accuracy. Numbers stay numbers
(percent and seconds rounded to 0.1, times in minutes rounded to 0.1); no data is an
empty cell. Each table is (column keys, rows); the web layer names the columns."""
from __future__ import annotations

from typing import Any, Mapping

from callcenter.reports.report import Report, export_rows
from callcenter.reports.teams import NO_TEAM

TABLES = ("service", "teams", "availability", "campaigns", "answer_back", "accuracy")
COLUMNS = {
    "teams": ("team", "agents", "logged_in_min", "ready_min", "talk_min", "hold_min",
              "wrap_up_min", "not_ready_min", "occupancy", "answered", "answered_in_limit_rate",
              "asa_seconds", "aht_seconds", "transfers"),
    "availability": ("day", "availability", "measured_seconds", "down_seconds", "down_spans"),
    "campaigns": ("campaign", "dials", "answered", "abandoned", "abandon_rate", "talk_min"),
    "answer_back": ("due", "in_time", "late", "not_told", "answer_back_rate"),
    "accuracy": ("scored", "accurate", "accuracy_rate"),
}


def percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def tenth(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def minutes(ms: int) -> float:
    return round(ms / 60000, 1)


def team_rows(report: Report, no_team: str) -> list[list[Any]]:
    out = []
    for key, t in sorted(report.teams.items(), key=lambda item: (item[0] == NO_TEAM, item[0])):
        w = t.work
        aht = w.handle_ms / 1000 / w.handled if w.handled else None
        out.append([report.team_names.get(key, key) if key != NO_TEAM else no_team, len(t.agents),
                    minutes(w.logged_in_ms), minutes(w.ready_ms), minutes(w.talk_ms),
                    minutes(w.hold_ms), minutes(w.wrap_up_ms), minutes(t.not_ready_total_ms),
                    percent(w.occupancy), t.answered, percent(t.answered_in_limit_rate),
                    tenth(t.asa_seconds), tenth(aht), w.transfers])
    return out


def availability_rows(report: Report, total_label: str) -> list[list[Any]]:
    out = []
    pairs = list(report.availability)
    if report.availability_total is not None:
        pairs.append((None, report.availability_total))
    for day, a in pairs:
        measured = a.measured_seconds
        out.append([day.isoformat() if day else total_label, percent(a.rate), round(measured),
                    round(measured - a.up_seconds) if a.rate is not None else None, len(a.down)])
    return out


def campaign_rows(report: Report, names: Mapping[int, str]) -> list[list[Any]]:
    return [[names.get(key, str(key)), c.dials, c.answered, c.abandoned, percent(c.abandon_rate),
             minutes(c.talk_ms)] for key, c in sorted(report.campaigns.items())]


def tables(report: Report, zone: Any, queue_names: Mapping[str, str],
           campaign_names: Mapping[int, str], labels: Mapping[str, str]) -> dict[str, list[list[Any]]]:
    """Table name -> its rows. ``labels``: the words for "Period total" and "No team"."""
    service = export_rows(report, zone, queue_names)
    service[-1][0] = labels["total"]
    a, q = report.answer_back, report.accuracy
    return {"service": service, "teams": team_rows(report, labels["no_team"]),
            "availability": availability_rows(report, labels["total"]),
            "campaigns": campaign_rows(report, campaign_names),
            "answer_back": [[a.due, a.in_time, a.late, a.not_told, percent(a.rate)]],
            "accuracy": [[q.scored, q.accurate, percent(q.rate)]]}
