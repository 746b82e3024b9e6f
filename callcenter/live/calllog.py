"""Writes what happens to calls into the database: Call rows and the
append-only CallEvent log (the source of replays and reports)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import gevent
from gevent.lock import BoundedSemaphore
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.db import transaction
from callcenter.models import (AgentStateChange, Call, CallbackRequest, CallbackStatus,
                               CallDirection, CallEvent, Customer, CustomerPhone)
from callcenter.phone import InvalidPhoneNumber, normalize_phone

log = logging.getLogger(__name__)
BATCH_DELAY = 0.05  # seconds: how long call log rows wait to be written together


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class KnownCustomer:
    id: int
    name: str
    tier: str
    language: str


class CallLog:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._pending: list[tuple[str | None, Any]] = []  # (call uuid or None, row) to write
        self._writer: gevent.Greenlet | None = None
        self._flushing = BoundedSemaphore(1)

    def start(self, uuid: str, direction: CallDirection, caller: str, dialled: str,
              **fields: Any) -> int:
        """Create the call's row (or return the existing one: a resync sees calls again)."""
        with transaction(self.sessions) as session:
            call = session.scalar(select(Call).where(Call.uuid == uuid))
            if call is None:
                call = Call(uuid=uuid, direction=direction, caller_number=caller,
                            dialled_number=dialled, **fields)
                session.add(call)
                call.events.append(CallEvent(kind="created", data={"caller": caller,
                                                                   "dialled": dialled}))
                session.flush()
            return call.id

    def update(self, uuid: str, **fields: Any) -> None:
        with transaction(self.sessions) as session:
            call = session.scalar(select(Call).where(Call.uuid == uuid))
            if call is None:
                log.warning("[%s] no call row to update with %s", uuid, sorted(fields))
                return
            for name, value in fields.items():
                setattr(call, name, value)

    def event(self, uuid: str, kind: str, data: dict[str, Any] | None = None) -> None:
        """Append to the call's event log. Written behind, in batches (within
        BATCH_DELAY seconds, in order): a call produces a few dozen events and one
        transaction each would cost more than the rest of the call's handling."""
        self._pending.append((uuid, CallEvent(kind=kind, data=data, at=utcnow())))
        self._write_soon()

    def _write_soon(self) -> None:
        if self._writer is None:
            self._writer = gevent.spawn(self._drain)

    def _drain(self) -> None:
        try:
            while self._pending:
                gevent.sleep(BATCH_DELAY)
                self.flush()
        finally:
            self._writer = None

    def flush(self) -> None:
        """Write what is pending now (events, agent state changes) in one transaction."""
        with self._flushing:  # one batch at a time, so rows keep their order
            batch, self._pending = self._pending, []
            if batch:
                self._write(batch)

    def _write(self, batch: list[tuple[str | None, Any]]) -> None:
        try:
            with transaction(self.sessions) as session:
                uuids = {uuid for uuid, _ in batch if uuid is not None}
                ids = dict(session.execute(select(Call.uuid, Call.id).where(Call.uuid.in_(uuids))).all()) \
                    if uuids else {}
                for uuid, row in batch:
                    if uuid is not None:
                        if uuid not in ids:
                            log.warning("[%s] no call row for event %s", uuid, row.kind)
                            continue
                        row.call_id = ids[uuid]
                    session.add(row)
        except Exception:
            log.exception("could not write %d call log rows", len(batch))

    def get(self, uuid: str) -> Call | None:
        with self.sessions() as session:
            return session.scalar(select(Call).where(Call.uuid == uuid))

    def customer_by_number(self, number: str) -> KnownCustomer | None:
        try:
            digits = normalize_phone(number)
        except InvalidPhoneNumber:
            return None
        with self.sessions() as session:
            customer = session.scalar(select(Customer).join(CustomerPhone)
                                      .where(CustomerPhone.number == digits))
            if customer is None:
                return None
            return KnownCustomer(customer.id, customer.name, customer.tier.value, customer.language)

    def agent_state(self, agent_id: int, record: Any) -> None:
        """One line of the append-only agent state log (an acd TransitionRecord), written
        behind like the events."""
        self._pending.append((None, AgentStateChange(
            agent_id=agent_id, at=datetime.fromtimestamp(record.time, timezone.utc),
            from_state=record.from_state.value, to_state=record.to_state.value,
            reason=record.reason, call_uuid=record.call_id)))
        self._write_soon()

    def callback_request(self, uuid: str, request: Any) -> None:
        with transaction(self.sessions) as session:
            call_id = session.scalar(select(Call.id).where(Call.uuid == uuid))
            try:
                phone = normalize_phone(request.caller)
            except InvalidPhoneNumber:
                phone = request.caller
            session.add(CallbackRequest(phone=phone, customer_id=request.customer_id,
                                        call_id=call_id, need=request.need))
        self.event(uuid, "callback_requested", {"need": request.need})

    def callback_progress(self, uuid: str, status: CallbackStatus, attempt: bool = False) -> None:
        """The queue callback of call ``uuid``: dialling (one more attempt), done or failed."""
        with transaction(self.sessions) as session:
            request = session.scalar(select(CallbackRequest).join(Call, CallbackRequest.call_id == Call.id)
                                     .where(Call.uuid == uuid).order_by(CallbackRequest.id.desc()))
            if request is None:
                log.warning("[%s] no callback request to mark %s", uuid, status.value)
                return
            request.status = status
            if attempt:
                request.attempts = (request.attempts or 0) + 1
