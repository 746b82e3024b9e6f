"""Writes what happens to calls into the database: Call rows and the
append-only CallEvent log (the source of replays and reports)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.db import transaction
from callcenter.models import (AgentStateChange, Call, CallbackRequest, CallbackStatus,
                               CallDirection, CallEvent, Customer, CustomerPhone)
from callcenter.phone import InvalidPhoneNumber, normalize_phone

log = logging.getLogger(__name__)


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
        with transaction(self.sessions) as session:
            call_id = session.scalar(select(Call.id).where(Call.uuid == uuid))
            if call_id is None:
                log.warning("[%s] no call row for event %s", uuid, kind)
                return
            session.add(CallEvent(call_id=call_id, kind=kind, data=data))

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
        """One line of the append-only agent state log (an acd TransitionRecord)."""
        with transaction(self.sessions) as session:
            session.add(AgentStateChange(
                agent_id=agent_id, at=datetime.fromtimestamp(record.time, timezone.utc),
                from_state=record.from_state.value, to_state=record.to_state.value,
                reason=record.reason, call_uuid=record.call_id))

    def callback_request(self, uuid: str, request: Any) -> None:
        with transaction(self.sessions) as session:
            call_id = session.scalar(select(Call.id).where(Call.uuid == uuid))
            try:
                phone = normalize_phone(request.caller)
            except InvalidPhoneNumber:
                phone = request.caller
            session.add(CallbackRequest(phone=phone, customer_id=request.customer_id,
                                        call_id=call_id, need=request.need))
            if call_id is not None:
                session.add(CallEvent(call_id=call_id, kind="callback_requested",
                                      data={"need": request.need}))

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
