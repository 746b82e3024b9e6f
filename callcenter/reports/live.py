"""Today's figures, kept up to date incrementally from the log.

Each refresh reads only the call events written since the last one (by id), re-derives
the visits of the calls they belong to with the same pure code the rebuild uses, and
regroups: so the live figures are a rebuild of today, done a few calls at a time.
(The write-behind queue is the log's one writer: ids grow in commit order.)"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from callcenter.models import Call, CallEvent
from callcenter.reports.facts import CallRecord, Visit, visits_of
from callcenter.reports.indicators import IntervalKey, Sums, interval_sums
from callcenter.reports.intervals import day_start, interval_start, local_day
from callcenter.reports.store import CALL_MARGIN, Settings, call_columns, calls_with_events


class LiveFigures:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine, self.settings = engine, settings
        self.day = None
        self._lock = threading.Lock()  # a gevent lock once patched: one refresh at a time
        self._reset(None)

    def _reset(self, day) -> None:
        self.day = day
        self.last_event_id = 0
        self.calls: dict[int, CallRecord] = {}
        self.visits: dict[int, list[Visit]] = {}

    def refresh(self, now: datetime) -> None:
        with self._lock:
            self._refresh(now)

    def _refresh(self, now: datetime) -> None:
        day = local_day(now, self.settings.zone)
        if day != self.day:
            self._reset(day)
        start = self.start
        with self.engine.connect() as connection:
            if self.last_event_id == 0:
                first = connection.scalar(select(func.min(Call.id)).where(
                    Call.created_at >= start - CALL_MARGIN))
                if first is None:
                    return
                self.last_event_id = (connection.scalar(select(func.min(CallEvent.id)).where(
                    CallEvent.call_id >= first)) or 1) - 1
            touched = set(connection.scalars(select(CallEvent.call_id).where(
                CallEvent.id > self.last_event_id)))
            newest = connection.scalar(select(func.max(CallEvent.id)))
            rows = []
            ids = sorted(touched)
            for chunk in range(0, len(ids), 500):
                rows += connection.execute(select(*call_columns()).where(
                    Call.id.in_(ids[chunk:chunk + 500]),
                    Call.created_at >= start - CALL_MARGIN).order_by(Call.id)).all()
            for row, record in zip(rows, self._records(connection, rows)):
                self.calls[row.id] = record
                self.visits[row.id] = [v for v in visits_of(record) if v.offered_at >= start]
            self.last_event_id = max(self.last_event_id, newest or 0)

    def _records(self, connection, rows) -> list[CallRecord]:
        out: list[CallRecord] = []
        for chunk in range(0, len(rows), 500):  # contiguous id ranges keep the query small
            out += calls_with_events(connection, rows[chunk:chunk + 500])
        return out

    @property
    def start(self) -> datetime:
        return day_start(self.day, self.settings.zone)

    def all_visits(self) -> list[Visit]:
        return [v for visits in self.visits.values() for v in visits]

    def interval_sums(self) -> dict[IntervalKey, Sums]:
        s = self.settings
        return interval_sums(self.all_visits(), s.rules, s.minutes, s.zone)

    def current_interval(self, now: datetime) -> datetime:
        return interval_start(now, self.settings.minutes, self.settings.zone)

    def interval_end(self, now: datetime) -> datetime:
        return self.current_interval(now) + timedelta(minutes=self.settings.minutes)


def cached(holder: dict, engine: Engine, settings: Settings) -> LiveFigures:
    """One LiveFigures per (engine, settings) kept in ``holder`` (e.g. app.extensions)."""
    key = ("callcenter.live_figures", id(engine))
    figures = holder.get(key)
    if figures is None or figures.settings != settings:
        figures = holder[key] = LiveFigures(engine, settings)
    return figures

