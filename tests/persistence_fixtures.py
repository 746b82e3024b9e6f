"""Helpers for the write-behind tests: a call log on the test database, a switch that
makes the database fail as an outage would, and readers of what was written."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import gevent
from sqlalchemy import Engine, event, select

from callcenter.models import AgentStateChange, Call, CallEvent, QueueMember

FAST_RETRY = {"batch_delay": 0.01, "retry_first": 0.02, "retry_max": 0.1}


class Outage:
    """While on, every statement on ``engine`` fails as if the server were gone (the
    driver raises OperationalError). Works the same on SQLite and PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self.on, self.refused = engine, False, 0
        self._lock = threading.Lock()
        event.listen(engine, "before_cursor_execute", self._refuse)

    def _refuse(self, connection, cursor, statement, parameters, context, executemany) -> None:
        if self.on:
            with self._lock:
                self.refused += 1
            error = connection.dialect.loaded_dbapi.OperationalError
            raise error("simulated outage: server closed the connection unexpectedly")

    @contextmanager
    def during(self) -> Iterator["Outage"]:
        self.on = True
        try:
            yield self
        finally:
            self.on = False

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._refuse)


@dataclass(frozen=True)
class Agentless:
    """An acd TransitionRecord stand-in for CallLog.agent_state."""
    time: float
    from_state: object
    to_state: object
    reason: str | None = None
    call_id: str | None = None


class State:
    def __init__(self, value: str) -> None:
        self.value = value


def events_of(sessions, uuid: str) -> list[tuple[str, dict | None]]:
    with sessions() as session:
        call_id = session.scalar(select(Call.id).where(Call.uuid == uuid))
        if call_id is None:
            return []
        return [(e.kind, e.data) for e in session.scalars(
            select(CallEvent).where(CallEvent.call_id == call_id).order_by(CallEvent.id))]


def call_row(sessions, uuid: str) -> Call | None:
    with sessions() as session:
        return session.scalar(select(Call).where(Call.uuid == uuid))


def call_count(sessions) -> int:
    with sessions() as session:
        return len(session.scalars(select(Call.id)).all())


def members(sessions) -> dict[str, str]:
    with sessions() as session:
        return {m.call_uuid: m.queue_name for m in session.scalars(select(QueueMember))}


def state_log(sessions, agent_id: int) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(AgentStateChange.to_state).where(
            AgentStateChange.agent_id == agent_id).order_by(AgentStateChange.id)))


def wait_for(predicate, timeout: float, what: str) -> None:
    with gevent.Timeout(timeout, AssertionError(f"timed out: {what}")):
        while not predicate():
            gevent.sleep(0.02)
