"""The engine's own up/down record (availability_log) for 系统可用率: engine started
and stopped, switch connected and lost, and a heartbeat a minute so that a crash is
dated by the run's last sign of life (callcenter/reports/availability.py)."""
from __future__ import annotations

import logging
import uuid as uuidlib
from datetime import datetime, timezone
from typing import Callable

import gevent
from sqlalchemy.orm import Session, sessionmaker

from callcenter.models import AvailabilityRecord
from callcenter.reports.availability import (CONNECTED, HEARTBEAT, LOST, STARTED, STOPPED)

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 60.0
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
        while True:
            gevent.sleep(self.heartbeat_seconds)
            self.record(HEARTBEAT)
