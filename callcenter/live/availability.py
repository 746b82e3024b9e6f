"""The engine's own up/down record (availability_log) for 系统可用率: engine started
and stopped, switch connected and lost, and a heartbeat a minute so that a crash is
dated by the run's last sign of life (callcenter/reports/availability.py)."""
from __future__ import annotations

import logging
import uuid as uuidlib
from datetime import datetime, timedelta, timezone
from typing import Callable

import gevent
from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.models import AvailabilityRecord
from callcenter.reports.availability import (CONNECTED, HEARTBEAT, LOST, STARTED, STOPPED, Record,
                                             redundant_heartbeats)

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 60.0
# Heartbeats older than this are pruned when no figure needs them (redundant_heartbeats);
# the last week keeps every beat, for whoever reads the log by hand.
PRUNE_KEEP = timedelta(days=7)
PRUNE_EVERY = timedelta(days=1)
DELETE_CHUNK = 1000
READ_PAGE = 20_000
MAX_PENDING = 10_000  # records kept while the database is away (~a week of heartbeats)


class AvailabilityLog:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], float],
                 heartbeat_seconds: float = HEARTBEAT_SECONDS) -> None:
        self.sessions, self.clock, self.heartbeat_seconds = sessions, clock, heartbeat_seconds
        self.run = str(uuidlib.uuid4())
        self._pending: list[AvailabilityRecord] = []
        self._beating: gevent.Greenlet | None = None

    def started(self) -> None:
        self.record(STARTED)
        self._beating = gevent.spawn(self._heartbeat_forever)

    def stopped(self) -> None:
        if self._beating is not None:
            self._beating.kill(block=True, timeout=2)
        self.record(STOPPED)

    def switch_connected(self) -> None:
        """Stamps the time now, writes in a greenlet: a slow database must not hold up
        the resync that follows a reconnection."""
        gevent.spawn(self._write, self._new(CONNECTED, None))

    def switch_lost(self, reason: str) -> None:
        """Called from the connection's reader (no waiting there): as switch_connected."""
        gevent.spawn(self._write, self._new(LOST, reason))

    def record(self, kind: str, detail: str | None = None) -> None:
        self._write(self._new(kind, detail))

    def _new(self, kind: str, detail: str | None) -> AvailabilityRecord:
        at = datetime.fromtimestamp(self.clock(), timezone.utc)
        return AvailabilityRecord(at=at, kind=kind, run=self.run, detail=(detail or None) and detail[:200])

    def _write(self, record: AvailabilityRecord) -> None:
        """Writes the record and any kept back while the database was away; on failure
        keeps them (the oldest are dropped past MAX_PENDING, with a warning)."""
        self._pending.append(record)
        batch, self._pending = self._pending, []
        try:
            with self.sessions() as session:
                session.add_all(batch)
                session.commit()
        except Exception as error:  # the database is away: retried with the next record
            log.warning("availability record not written yet (%s): %s", record.kind,
                        str(error).splitlines()[0] if str(error) else type(error).__name__)
            kept = [AvailabilityRecord(at=r.at, kind=r.kind, run=r.run, detail=r.detail)
                    for r in batch]  # fresh objects: the failed session may have spoilt them
            self._pending = (kept + self._pending)[-MAX_PENDING:]  # others may have come meanwhile

    def _heartbeat_forever(self) -> None:
        beats_between_prunes = max(1, round(PRUNE_EVERY.total_seconds() / self.heartbeat_seconds))
        beats = 0
        while True:
            if beats % beats_between_prunes == 0:
                self.prune()
            gevent.sleep(self.heartbeat_seconds)
            self.record(HEARTBEAT)
            beats += 1

    def prune(self) -> int:
        """Drop the heartbeats older than PRUNE_KEEP that no figure needs, in a worker thread
        (the first run may go through a year of them); a failure is logged and retried
        at the next prune."""
        before = datetime.fromtimestamp(self.clock(), timezone.utc) - PRUNE_KEEP
        try:
            return gevent.get_hub().threadpool.apply(prune_heartbeats, (self.sessions, before))
        except Exception as error:  # the database is away: the next prune tries again
            log.warning("availability heartbeats not pruned: %s", str(error).splitlines()[0]
                        if str(error) else type(error).__name__)
            return 0


def prune_heartbeats(sessions: sessionmaker[Session], before: datetime) -> int:
    """Delete the heartbeats older than ``before`` that no availability figure needs
    (callcenter.reports.availability.redundant_heartbeats); returns how many. The log is
    append-only for the ORM; this retention step deletes through Core on purpose."""
    table = AvailabilityRecord.__table__
    with sessions() as session:
        doomed = redundant_heartbeats(_log_rows(session, before))
        for start in range(0, len(doomed), DELETE_CHUNK):
            session.execute(delete(table).where(table.c.id.in_(doomed[start:start + DELETE_CHUNK])))
        session.commit()
    if doomed:
        log.info("availability log: %d heartbeats before %s pruned (no figure needs them)",
                 len(doomed), before.isoformat())
    return len(doomed)


def _log_rows(session: Session, before: datetime):
    """(id, Record) of the records older than ``before`` in the log's order, a page at a
    time (a year of heartbeats is never held at once), then the one record after them."""
    table = AvailabilityRecord.__table__
    query = select(table.c.id, table.c.at, table.c.kind, table.c.run).order_by(table.c.at, table.c.id)
    last = None
    while True:
        page_query = query.where(table.c.at < before).limit(READ_PAGE)
        if last is not None:
            page_query = page_query.where(or_(table.c.at > last.at,
                                              and_(table.c.at == last.at, table.c.id > last.id)))
        page = session.execute(page_query).all()
        yield from ((row.id, Record(row.at, row.kind, row.run)) for row in page)
        if len(page) < READ_PAGE:
            break
        last = page[-1]
    for row in session.execute(query.where(table.c.at >= before).limit(1)):
        yield row.id, Record(row.at, row.kind, row.run)
