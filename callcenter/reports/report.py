"""A report of a period: the table, its chart series and exports' rows (plain data,
built from the log with the pure core; the web layer only renders it)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Mapping

from sqlalchemy.engine import Connection

from callcenter.reports.agents import AgentSums, agent_sums, spans
from callcenter.reports.availability import STALE, Availability, availability
from callcenter.reports.accuracy import Accuracy, accuracy
from callcenter.reports.answerback import AnswerBack, answer_back
from callcenter.reports.campaigns import CampaignSums, campaign_sums
from callcenter.reports.facts import CallRecord, Visit, visits_of_all
from callcenter.reports.funnel import FlowFunnel, funnel
from callcenter.reports.indicators import (Figures, Rules, Satisfaction, Sums, interval_sums,
                                           satisfaction, total)
from callcenter.reports.intervals import DAY, bucket_start, check_minutes
from callcenter.reports.store import (Settings, load_accuracy_scores, load_answer_back,
                                     load_availability, load_calls, load_changes, load_teams)
from callcenter.reports.teams import TeamFigures, members, team_figures

MAX_DAYS = 31


class BadPeriod(ValueError):
    def __init__(self, field_: str, message: str) -> None:
        super().__init__(f"{field_}: {message}")
        self.field, self.message = field_, message


@dataclass(frozen=True)
class Query:
    first: date
    last: date
    queue: str | None = None  # None: every queue
    minutes: int = 30
    direction: str = "inbound"
    team: str | None = None  # None: every team; teams.NO_TEAM: the agents without one

    def check(self) -> Query:
        if self.last < self.first:
            raise BadPeriod("to", "the last day is before the first")
        if (self.last - self.first).days >= MAX_DAYS:
            raise BadPeriod("to", f"a report covers at most {MAX_DAYS} days; "
                            "use `callcenter reports rebuild` for longer periods")
        if self.minutes != DAY:
            try:
                check_minutes(self.minutes)
            except ValueError as error:
                raise BadPeriod("interval", str(error)) from None
        return self


@dataclass(frozen=True)
class Row:
    start: datetime | None  # None: the total
    queue: str | None  # None: all queues chosen
    figures: Figures


@dataclass
class Report:
    query: Query
    start: datetime
    end: datetime
    rows: list[Row]  # per interval and queue, in order
    chart: list[Row]  # per interval, the queues chosen together
    total: Figures
    queues: list[str]
    agents: dict[str, AgentSums] = field(default_factory=dict)
    funnel: dict[str, FlowFunnel] = field(default_factory=dict)
    visits: list[Visit] = field(default_factory=list)
    satisfaction: Satisfaction = Satisfaction(0, 0)
    availability: list[tuple[date, Availability]] = field(default_factory=list)  # per day
    availability_total: Availability | None = None
    campaigns: dict[int, CampaignSums] = field(default_factory=dict)  # dials started in the period
    answer_back: AnswerBack = field(default_factory=AnswerBack)
    accuracy: Accuracy = field(default_factory=Accuracy)
    teams: dict[str, TeamFigures] = field(default_factory=dict)  # team key -> figures
    team_names: dict[str, str] = field(default_factory=dict)  # team key -> display name
    team_of: dict[str, str] = field(default_factory=dict)  # agent login -> team key


def build(connection: Connection, settings: Settings, query: Query,
          now: datetime | None = None) -> Report:
    query.check()
    zone = settings.zone
    start, end = settings.period(query.first, query.last)
    calls = load_calls(connection, start, end)
    visits = [v for v in visits_of_all(calls) if start <= v.offered_at < end
              and v.direction == query.direction and (query.queue is None or v.queue == query.queue)]
    rules, count_short = settings.rules, settings.rules.count_short_abandons
    sums = interval_sums(visits, rules, query.minutes, zone)
    rows = [Row(k[0], k[1], Figures(s, count_short)) for k, s in sorted(sums.items())]
    per_interval: dict[datetime, list[Sums]] = {}
    for (interval, _, _), s in sums.items():
        per_interval.setdefault(interval, []).append(s)
    chart = [Row(k, query.queue, Figures(total(v), count_short))
             for k, v in sorted(per_interval.items())]
    changes, before = load_changes(connection, start, end)
    agent_spans = spans(changes, start, end, before)
    in_period = [c for c in calls if _started_in(c, start, end)]
    team_of, team_names = load_teams(connection)
    agents = agent_sums(agent_spans, visits)
    teams = team_figures(agents, visits, rules, team_of)
    if query.team is not None:
        chosen = members(team_of, query.team)
        agents = {login: sums for login, sums in agents.items() if login in chosen}
        teams = {key: figures for key, figures in teams.items() if key == query.team}
    records = load_availability(connection, start)
    now = now or datetime.now(start.tzinfo)
    days = [query.first + timedelta(days=i) for i in range((query.last - query.first).days + 1)]
    per_day = [(day, availability(records, *settings.period(day, day), now, STALE)) for day in days]
    return Report(query, start, end, rows, chart, Figures(total(sums.values()), count_short),
                  sorted({v.queue for v in visits}), agents,
                  funnel(in_period), visits,
                  satisfaction(c.survey_score for c in in_period
                               if query.queue is None or c.queue_name == query.queue),
                  per_day, availability(records, start, end, now, STALE), campaign_sums(in_period),
                  answer_back(load_answer_back(connection, start, end), start, end, now),
                  accuracy(load_accuracy_scores(connection, start, end)),
                  teams, team_names, team_of)


def _started_in(call: CallRecord, start: datetime, end: datetime) -> bool:
    return bool(call.events) and start <= call.events[0].at < end


def drill(report_visits: Iterable[Visit], rules: Rules, minutes: int, zone: Any,
          interval: datetime | None, queue: str | None, figure: str,
          agents: set[str] | None = None) -> list[Visit]:
    """The visits behind a figure; ``agents``: only those these agents answered (a team's)."""
    from callcenter.reports.indicators import drill_down
    chosen = [v for v in report_visits
              if (interval is None or bucket_start(v.offered_at, minutes, zone) == interval)
              and (queue is None or v.queue == queue)
              and (agents is None or (v.outcome == "answered" and v.agent in agents))]
    return drill_down(chosen, rules, figure)


EXPORT_COLUMNS = (
    ("interval", "Interval"), ("queue", "Queue"), ("offered", "Offered"),
    ("answered", "Answered"), ("answered_in_limit", "Answered within limit"),
    ("abandoned", "Abandoned"), ("short_abandoned", "Short abandons"),
    ("no_answer_in_time", "No answer in time (久叫不应)"), ("callbacks", "Callbacks"),
    ("transferred_in", "Transferred in"), ("service_level", "Service level %"),
    ("over_limit_answer_rate", "Over-limit answer rate % (应答逾限率)"),
    ("connection_rate", "Connection rate % (接通率)"), ("abandon_rate", "Abandon rate %"),
    ("abandon_rate_without_short", "Abandon rate without short abandons %"),
    ("asa_seconds", "ASA s"), ("aht_seconds", "AHT s"),
)
PERCENT = {"service_level", "over_limit_answer_rate", "connection_rate", "abandon_rate",
           "abandon_rate_without_short"}


def export_rows(report: Report, zone: Any, names: Mapping[str, str]) -> list[list[Any]]:
    """The table as the exports write it: numbers as numbers (percent and seconds rounded
    to 0.1), no data as an empty cell; the last row is the period's total."""
    out = []
    for row in report.rows + [Row(None, None, report.total)]:
        values = row.figures.as_dict()
        shown = "%Y-%m-%d" if report.query.minutes == DAY else "%Y-%m-%d %H:%M"
        line: list[Any] = [row.start.astimezone(zone).strftime(shown) if row.start
                           else "Total", names.get(row.queue, row.queue) if row.queue else ""]
        for key, _ in EXPORT_COLUMNS[2:]:
            value = values[key]
            if value is None:
                line.append(None)
            elif key in PERCENT:
                line.append(round(value * 100, 1))
            elif key.endswith("_seconds"):
                line.append(round(value, 1))
            else:
                line.append(value)
        out.append(line)
    return out


def yesterday(today: date) -> date:
    return today - timedelta(days=1)
