"""The log in the database -> the pure core's records; rebuild of stored interval sums.

Reads call_events (with the call's row for direction, queue time and flow) and
agent_state_changes through SQLAlchemy Core: a month of calls is read in one
pass, no ORM objects."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection, Engine

from callcenter.models import Agent, AgentStateChange, Call, CallEvent, ServiceInterval
from callcenter.reports.agents import StateChange
from callcenter.reports.facts import CallRecord, Event, Visit, visits_of_all
from callcenter.reports.indicators import SUM_FIELDS, IntervalKey, Rules, Sums, interval_sums
from callcenter.reports.intervals import check_minutes, day_start

# A visit offered in a period may belong to a call that started before it (a long IVR,
# a transfer): calls are read from this long before the period.
CALL_MARGIN = timedelta(hours=6)
CHUNK = 1000


@dataclass(frozen=True)
class Settings:
    rules: Rules
    minutes: int
    zone: ZoneInfo

    @classmethod
    def from_config(cls, config: Any, limits: dict[str, float] | None = None) -> Settings:
        reports = config.reports
        if limits is None:
            limits = queue_limits(config.acd.queues_file)
        return cls(Rules(limits, float(reports.short_abandon_seconds),
                         bool(reports.count_short_abandons)),
                   check_minutes(reports.interval_minutes), ZoneInfo(config.general.timezone))

    def period(self, first: date, last: date) -> tuple[datetime, datetime]:
        """The center's days ``first`` to ``last`` (inclusive) as a UTC range."""
        return day_start(first, self.zone), day_start(last + timedelta(days=1), self.zone)


def queue_limits(queues_file: str | Path) -> dict[str, float]:
    """Each queue's answer time limit (service_level.seconds in the ACD queues file)."""
    from acd.queue_config import load_queues
    return {name: q.service_level.seconds for name, q in load_queues(queues_file).queues.items()}


def call_columns():
    return (Call.id, Call.uuid, Call.direction, Call.queued_at, Call.queue_name, Call.ivr_flow,
            Call.survey_score)


def _record(row: Any, events: list[Event]) -> CallRecord:
    return CallRecord(row.uuid, row.direction.value if hasattr(row.direction, "value")
                      else str(row.direction), tuple(events), row.queued_at, row.queue_name,
                      row.ivr_flow, row.survey_score)


def load_calls(connection: Connection, start: datetime, end: datetime) -> list[CallRecord]:
    """Calls that started in [start - CALL_MARGIN, end), with their events in written order."""
    rows = connection.execute(select(*call_columns()).where(
        Call.created_at >= start - CALL_MARGIN, Call.created_at < end).order_by(Call.id)).all()
    return calls_with_events(connection, rows)


def calls_with_events(connection: Connection, rows: list[Any]) -> list[CallRecord]:
    events: dict[int, list[Event]] = defaultdict(list)
    if rows:
        low, high = rows[0].id, rows[-1].id
        query = (select(CallEvent.call_id, CallEvent.at, CallEvent.kind, CallEvent.data)
                 .where(CallEvent.call_id >= low, CallEvent.call_id <= high)
                 .order_by(CallEvent.id))
        wanted = {row.id for row in rows}
        for call_id, at, kind, data in connection.execute(query):
            if call_id in wanted:
                events[call_id].append(Event(at, kind, data or {}))
    return [_record(row, events.get(row.id, [])) for row in rows]


def load_changes(connection: Connection, start: datetime,
                 end: datetime) -> tuple[list[StateChange], dict[str, StateChange]]:
    """Agents' state changes in [start, end) and each agent's last change before start."""
    logins = dict(connection.execute(select(Agent.id, Agent.login)).all())

    def change(row: Any) -> StateChange:
        return StateChange(logins.get(row.agent_id, str(row.agent_id)), row.at, row.to_state,
                           row.reason)
    columns = (AgentStateChange.agent_id, AgentStateChange.at, AgentStateChange.to_state,
               AgentStateChange.reason)
    inside = [change(r) for r in connection.execute(select(*columns).where(
        AgentStateChange.at >= start, AgentStateChange.at < end).order_by(AgentStateChange.id))]
    last_before = (select(func.max(AgentStateChange.id)).where(AgentStateChange.at < start)
                   .group_by(AgentStateChange.agent_id))
    before = {c.agent: c for c in (change(r) for r in connection.execute(
        select(*columns).where(AgentStateChange.id.in_(last_before))))}
    return inside, before


def visits_between(connection: Connection, start: datetime, end: datetime,
                   calls: list[CallRecord] | None = None) -> list[Visit]:
    calls = load_calls(connection, start, end) if calls is None else calls
    return [v for v in visits_of_all(calls) if start <= v.offered_at < end]


def compute(connection: Connection, settings: Settings, start: datetime,
            end: datetime) -> dict[IntervalKey, Sums]:
    visits = visits_between(connection, start, end)
    return interval_sums(visits, settings.rules, settings.minutes, settings.zone)


def rebuild(engine: Engine, settings: Settings, start: datetime, end: datetime,
            now: datetime | None = None) -> int:
    """Recompute [start, end) from the log and replace its stored rows (one transaction).
    Returns the number of interval rows stored."""
    now = now or datetime.now(timezone.utc)
    with engine.connect() as connection:
        sums = compute(connection, settings, start, end)
    rows = [{"start": key[0], "minutes": settings.minutes, "queue_name": key[1],
             "direction": key[2], "rebuilt_at": now, **s.as_dict()}
            for key, s in sorted(sums.items())]
    with engine.begin() as connection:
        connection.execute(delete(ServiceInterval).where(
            ServiceInterval.minutes == settings.minutes, ServiceInterval.start >= start,
            ServiceInterval.start < end))
        for chunk in range(0, len(rows), CHUNK):
            connection.execute(ServiceInterval.__table__.insert(), rows[chunk:chunk + CHUNK])
    return len(rows)


def stored(connection: Connection, minutes: int, start: datetime,
           end: datetime) -> dict[IntervalKey, Sums]:
    table = ServiceInterval.__table__
    query = select(table).where(table.c.minutes == minutes, table.c.start >= start,
                                table.c.start < end)
    return {(row.start, row.queue_name, row.direction):
            Sums(**{name: getattr(row, name) for name in SUM_FIELDS})
            for row in connection.execute(query)}


def stored_period(connection: Connection, minutes: int) -> tuple[datetime, datetime] | None:
    first, last = connection.execute(select(func.min(ServiceInterval.start),
                                            func.max(ServiceInterval.start))
                                     .where(ServiceInterval.minutes == minutes)).one()
    return None if first is None else (first, last)


def same(a: dict[IntervalKey, Sums], b: dict[IntervalKey, Sums]) -> bool:
    return {k: v.as_dict() for k, v in a.items()} == {k: v.as_dict() for k, v in b.items()}


def calls_by_uuid(connection: Connection, uuids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """What a drill-down list shows of each call beyond its visit (caller, agent's name)."""
    uuids = list(uuids)
    out: dict[str, dict[str, Any]] = {}
    for chunk in range(0, len(uuids), 500):
        query = (select(Call.uuid, Call.caller_number, Call.id, Agent.display_name)
                 .outerjoin(Agent, Agent.id == Call.agent_id)
                 .where(Call.uuid.in_(uuids[chunk:chunk + 500])))
        for uuid, caller, call_id, agent in connection.execute(query):
            out[uuid] = {"caller": caller, "id": call_id, "agent_name": agent}
    return out


def load_availability(connection: Connection, start: datetime):
    """The availability records from the last engine start at or before ``start`` on
    (all of them when there is none): what the pure core needs for any period from ``start``."""
    from callcenter.models import AvailabilityRecord as A
    from callcenter.reports.availability import STARTED, Record
    anchor = connection.scalar(select(func.max(A.at)).where(A.kind == STARTED, A.at <= start))
    query = select(A.at, A.kind, A.run).order_by(A.at, A.id)
    if anchor is not None:
        query = query.where(A.at >= anchor)
    return [Record(at, kind, run) for at, kind, run in connection.execute(query)]


def campaign_names(connection: Connection) -> dict[int, str]:
    from callcenter.models import Campaign
    return dict(connection.execute(select(Campaign.id, Campaign.name)).all())


def load_answer_back(connection: Connection, start: datetime, end: datetime):
    """Tickets whose answer-back deadline falls in [start, end)."""
    from callcenter.models import Ticket as T
    from callcenter.reports.answerback import TicketDeadline
    rows = connection.execute(select(T.number, T.answer_back_deadline, T.informed_at, T.not_reached)
                              .where(T.answer_back_deadline >= start, T.answer_back_deadline < end))
    return [TicketDeadline(number, deadline, informed, bool(not_reached))
            for number, deadline, informed, not_reached in rows]


def load_accuracy_scores(connection: Connection, start: datetime, end: datetime):
    """The accuracy item's scores in the QA evaluations of the calls that started in
    [start, end)."""
    from callcenter.models import QaEvaluation as E, QaEvaluationItem as I
    from callcenter.reports.accuracy import ACCURACY_ITEM, ItemScore
    rows = connection.execute(
        select(E.status, I.earned_milli, I.possible, E.id, Call.uuid).join(I, I.evaluation_id == E.id)
        .join(Call, Call.id == E.call_id)
        .where(I.item == ACCURACY_ITEM, Call.created_at >= start, Call.created_at < end)
        .order_by(E.id))
    return [ItemScore(getattr(status, "value", status), earned, possible, evaluation, uuid)
            for status, earned, possible, evaluation, uuid in rows]


def load_teams(connection: Connection) -> tuple[dict[str, str], dict[str, str]]:
    """(agent login -> team key, "" for none; team key -> display name)."""
    from callcenter.models import Team
    team_of = {login: key or "" for login, key in connection.execute(
        select(Agent.login, Team.key).outerjoin(Team, Team.id == Agent.team_id))}
    names = dict(connection.execute(select(Team.key, Team.display_name)).all())
    return team_of, names
