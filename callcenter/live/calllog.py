"""Writes what happens to calls into the database: Call rows and the
append-only CallEvent log (the source of replays and reports), agent state
changes, callback requests; and carries the other live writes (recordings,
the ACD's saved picture) on the same queue.

Nothing here waits on the database: every write becomes an op on one ordered
write-behind queue (callcenter.live.writebehind), written in batches within
BATCH_DELAY seconds, kept and retried in order while the database is away,
spooled to ``<data directory>/calllog-spool.jsonl`` past MAX_PENDING ops.
``backlog()`` gives the lag figures.
"""
from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.hooks import run_with_timeout
from callcenter.live import writeops as ops
from callcenter.live.writebehind import BATCH_DELAY, MAX_PENDING, WriteBehind
from callcenter.models import (Account, Call, CallbackStatus, CallDirection, Customer, CustomerPhone)
from callcenter.phone import InvalidPhoneNumber, normalize_phone

log = logging.getLogger(__name__)
SPOOL_FILE = "calllog-spool.jsonl"
ENDED_REMEMBERED = 20_000  # calls whose end this process queued, for ended()

__all__ = ["BATCH_DELAY", "CallLog", "CustomerLookup", "KnownCustomer", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class KnownCustomer:
    id: int
    name: str
    tier: str
    language: str
    account_number: str = ""

    def hook_values(self) -> dict[str, Any]:
        """What the stock customer_by_number hook answers for this customer."""
        return {"customer_id": str(self.id), "customer_name": self.name,
                "customer_tier": self.tier, "customer_language": self.language,
                "account_number": self.account_number}


@dataclass(frozen=True)
class CustomerLookup:
    answered: bool  # False: the database did not answer (the caller is served unidentified)
    customer: KnownCustomer | None = None


_first_account = (select(Account.number).where(Account.customer_id == Customer.id)
                  .order_by(Account.id).limit(1).correlate(Customer).scalar_subquery())
_customer_by_phone = (select(Customer.id, Customer.name, Customer.tier, Customer.language,
                             _first_account.label("account_number"))
                      .join(CustomerPhone, CustomerPhone.customer_id == Customer.id)
                      .where(CustomerPhone.number == bindparam("n")))


class CallLog:
    def __init__(self, sessions: sessionmaker[Session], spool_directory: str | Path | None = None,
                 *, max_pending: int = MAX_PENDING, **writer_options: Any) -> None:
        """``spool_directory``: where ops past ``max_pending`` (and those a stop during a
        database outage could not write) are kept; None: nowhere (they are dropped)."""
        self.sessions = sessions
        spool = Path(spool_directory) / SPOOL_FILE if spool_directory else None
        self.applier = ops.SqlApplier()
        self.writer = WriteBehind(sessions.kw["bind"], self.applier, spool,
                                  max_pending=max_pending, **writer_options)
        self._ended: OrderedDict[str, dict[str, Any]] = OrderedDict()  # uuid -> its end's fields
        self._lookup_failing = False

    # --- calls --------------------------------------------------------------------------
    def start(self, uuid: str, direction: CallDirection, caller: str, dialled: str,
              at: datetime | None = None, **fields: Any) -> None:
        """Create the call's row with a "created" event (nothing if the row exists: a
        resync sees calls again). ``at``: when the switch took the call (default: now).
        Queued: returns at once."""
        _check_fields(fields)
        # an end logged before the row (the hang-up handled while the IVR's take was on its
        # way) would update nothing: the row carries it
        fields = {**self._ended.get(uuid, {}), **fields}
        self.put({"op": ops.CALL, "uuid": uuid, "direction": CallDirection(direction).value,
                  "caller": caller, "dialled": dialled, "at": at or utcnow(), "fields": fields})

    def update(self, uuid: str, **fields: Any) -> None:
        _check_fields(fields)
        if fields.get("ended_at") is not None:
            self._remember_ended(uuid, {name: fields[name] for name in ("ended_at", "hangup_cause")
                                        if name in fields})
        self.put({"op": ops.UPDATE, "uuid": uuid, "fields": fields})

    def event(self, uuid: str, kind: str, data: dict[str, Any] | None = None,
              at: datetime | None = None) -> None:
        """Append to the call's event log; ``at``: when it happened (default: now)."""
        self.put({"op": ops.EVENT, "uuid": uuid, "kind": kind, "data": data,
                  "at": at or utcnow()})

    def ended(self, uuid: str) -> bool:
        """Whether this process has recorded the call's end (ended_at) already."""
        return uuid in self._ended

    def _remember_ended(self, uuid: str, end: dict[str, Any]) -> None:
        self._ended[uuid] = end
        if len(self._ended) > ENDED_REMEMBERED:
            self._ended.popitem(last=False)

    def agent_state(self, agent_id: int, record: Any) -> None:
        """One line of the append-only agent state log (an acd TransitionRecord)."""
        self.put({"op": ops.AGENT_STATE, "agent_id": agent_id,
                  "at": datetime.fromtimestamp(record.time, timezone.utc),
                  "from_state": record.from_state.value if record.from_state else None,
                  "to_state": record.to_state.value, "reason": record.reason,
                  "call_uuid": record.call_id})

    def callback_request(self, uuid: str, request: Any) -> None:
        try:
            phone = normalize_phone(request.caller)
        except InvalidPhoneNumber:
            phone = request.caller
        self.put({"op": ops.CALLBACK, "uuid": uuid, "phone": phone,
                  "customer_id": request.customer_id, "need": request.need, "at": utcnow()})
        self.event(uuid, "callback_requested", {"need": request.need})

    def callback_progress(self, uuid: str, status: CallbackStatus, attempt: bool = False,
                          outcome: str | None = None, next_attempt_at: datetime | None = None,
                          reason: str | None = None) -> None:
        """The callback request of call ``uuid``: dialling (one more attempt), done, failed
        (``reason``), or pending again at ``next_attempt_at`` after a dial that ended
        ``outcome`` or without a dial (outside its window; ``outcome`` None); the request
        then gets a call of its own at its next attempt."""
        op = {"op": ops.CALLBACK_PROGRESS, "uuid": uuid, "status": CallbackStatus(status).value,
              "attempt": attempt}
        if outcome is not None or reason is not None:
            op.update(outcome=outcome, next_attempt_at=next_attempt_at, reason=reason)
        self.put(op)

    # --- the queue ------------------------------------------------------------------------
    def put(self, op: dict[str, Any]) -> None:
        """Queue one op (see callcenter.live.writeops for the kinds)."""
        self.writer.put(op)

    def flush(self) -> bool:
        """Write everything pending now; False if the database refused (kept, retried)."""
        return self.writer.flush()

    def close(self) -> None:
        """At a stop: write what can be written, spool the rest for the next run."""
        self.writer.close()

    def backlog(self) -> dict[str, Any]:
        """Lag figures: pending and spooled ops, the oldest one's age, the last write error."""
        return self.writer.backlog()

    # --- reads ---------------------------------------------------------------------------
    def get(self, uuid: str) -> Call | None:
        """The call's row as written (pending writes are flushed first)."""
        self.flush()
        with self.sessions() as session:
            return session.scalar(select(Call).where(Call.uuid == uuid))

    def find_customer(self, number: str) -> CustomerLookup:
        """The customer whose phone this is (None when unknown), and whether the database
        answered: when it did not, the call goes on as an unidentified caller."""
        try:
            digits = normalize_phone(number)
        except InvalidPhoneNumber:
            return CustomerLookup(True)
        def read():
            with self.sessions.kw["bind"].connect() as connection:
                return connection.execute(_customer_by_phone, {"n": digits}).first()
        try:  # in a worker thread: a database that hangs must not stall every call on the hub
            row = run_with_timeout(read, LOOKUP_TIMEOUT)
        except Exception as error:
            if not self._lookup_failing:
                log.warning("customer lookup failed, callers are served as unidentified until "
                            "the database answers: %s", str(error).splitlines()[0])
                self._lookup_failing = True
            return CustomerLookup(False)
        if self._lookup_failing:
            log.info("customer lookups work again")
            self._lookup_failing = False
        if row is None:
            return CustomerLookup(True)
        return CustomerLookup(True, KnownCustomer(row.id, row.name, row.tier.value, row.language,
                                                  row.account_number or ""))


LOOKUP_TIMEOUT = 2.0  # seconds a caller's lookup may take before the call goes on without it


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - ops.CALL_COLUMNS
    if unknown:
        raise ValueError(f"not columns of calls: {sorted(unknown)}")
