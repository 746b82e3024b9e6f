"""What each write-behind op does in SQL (SQLAlchemy Core: no ORM objects).

A batch is applied in one transaction, kind by kind, each kind in one or a few
statements (executemany; a multi-row INSERT where RETURNING is needed):

  1. call rows inserted (ON CONFLICT DO NOTHING: a resync may see a call again),
     their ids learnt from RETURNING;
  2. ids of the other calls the batch names, in one SELECT;
  3. call updates, merged per call in order, UPDATE ... WHERE uuid = :uuid;
  4. call events (a call's "created" event first), in the batch's order;
  5. agent state changes; callback requests, then their progress;
     recordings started, then finished (the file hashed here, in the writer's
     thread) or found empty (the switch discarded the file); queue members and agent presence
     (the last op per row wins).

All but the rare statements (ids looked up, callback progress) are pre-rendered
SQL (driversql): Core's CPU per statement and per value was most of the writer's.

Doing kind by kind gives the same result as doing the ops one by one in order,
because each kind only depends on kinds before it (a call's row before its
updates and events, a request before its progress, a recording before its
figures) and updates merged in order keep the last value of each field.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

from sqlalchemy import func, select, update

from callcenter.live import driversql as sql
from callcenter.models import (AgentPresence, AgentStateChange, Call, CallbackRequest,
                               CallbackStatus, CallEvent, QueueMember, Recording)
from callcenter.qa.storage import measure

CALL, UPDATE, EVENT, AGENT_STATE = "call", "update", "event", "agent_state"
CALLBACK, CALLBACK_PROGRESS = "callback", "callback_progress"
RECORDING, RECORDING_DONE = "recording", "recording_done"
RECORDING_MASKED = "recording_masked"  # the spans the recording was paused (masked) for
RECORDING_EMPTY = "recording_empty"  # the switch wrote no audio and deleted the file
MEMBER_PUT, MEMBER_DELETE, PRESENCE_PUT = "member_put", "member_delete", "presence_put"
KINDS = (CALL, UPDATE, EVENT, AGENT_STATE, CALLBACK, CALLBACK_PROGRESS, RECORDING,
         RECORDING_DONE, RECORDING_MASKED, RECORDING_EMPTY, MEMBER_PUT, MEMBER_DELETE, PRESENCE_PUT)

calls, events = Call.__table__, CallEvent.__table__
state_changes, callbacks = AgentStateChange.__table__, CallbackRequest.__table__
recordings, members, presence = Recording.__table__, QueueMember.__table__, AgentPresence.__table__
CALL_COLUMNS = frozenset(calls.c.keys())
ID_CACHE = 20_000  # call uuid -> id entries kept
SELECT_CHUNK = 500
EVENT_KEYS = ("call_id", "at", "kind", "data")
STATE_KEYS = ("agent_id", "at", "from_state", "to_state", "reason", "call_uuid", "by_agent_id")
RECORDING_KEYS = ("call_id", "path", "kind", "started_at", "retain_until")
CALLBACK_KEYS = ("phone", "customer_id", "call_id", "need", "requested_at", "status", "attempts")
FIGURES = ("size_bytes", "sha256", "duration_ms")
EMPTY_FIGURES = ("empty", "duration_ms")  # no file: no size or sha256
MEMBER_KEYS = ("call_uuid", "queue_name", "priority", "entered_at", "announced_position",
               "callback_requested", "context")
PRESENCE_KEYS = ("agent_id", "state", "reason", "since", "call_uuid", "missed_in_a_row", "details")


def _measured(op: dict[str, Any], notes: list[str]) -> bool:
    """A closed recording's figures, read from its file once (kept in the op, so a batch
    retried after an outage does not hash it again); False, with a note, if it is missing."""
    if "sha256" not in op:
        figures = measure(op.get("local") or op["path"], op.get("duration_ms"))
        if figures is None:
            notes.append(f"recording {op['path']} is missing on disk")
            return False
        op.update(figures)
    return True


def _by_keys(rows: Iterable[dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """executemany needs the same keys in every row."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(sorted(row))].append(row)
    return groups


class SqlApplier:
    def __init__(self) -> None:
        self.ids: dict[str, int] = {}  # call uuid -> calls.id (committed rows only)
        self._learnt: dict[str, int] = {}  # ids learnt in the transaction under way
        self._created: set[str] = set()

    # --- the protocol of writebehind.Applier -------------------------------------------
    def settle(self, committed: bool) -> None:
        if committed:
            self.ids.update(self._learnt)
            if len(self.ids) > ID_CACHE:
                for uuid in list(islice_keys(self.ids, len(self.ids) - ID_CACHE // 2)):
                    del self.ids[uuid]
        self._learnt = {}

    def apply(self, connection: Any, ops: list[dict[str, Any]]) -> list[str]:
        notes: list[str] = []
        kinds: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for op in ops:
            kinds[op["op"]].append(op)
        self._created = set()
        if kinds[CALL]:
            self._insert_calls(connection, kinds[CALL])
        self._resolve(connection, {op["uuid"] for kind in (UPDATE, EVENT, CALLBACK, CALLBACK_PROGRESS,
                                                            RECORDING) for op in kinds[kind]})
        if kinds[UPDATE]:
            self._update_calls(connection, kinds[UPDATE])
        if kinds[EVENT] or self._created:
            self._insert_events(connection, ops, notes)
        if kinds[AGENT_STATE]:
            sql.insert(connection, state_changes, STATE_KEYS, [
                op if "by_agent_id" in op else {**op, "by_agent_id": None}
                for op in kinds[AGENT_STATE]])
        if kinds[CALLBACK]:
            self._insert_callbacks(connection, kinds[CALLBACK], notes)
        for op in kinds[CALLBACK_PROGRESS]:
            self._callback_progress(connection, op, notes)
        if kinds[RECORDING]:
            self._insert_recordings(connection, kinds[RECORDING], notes)
        done = [op for op in kinds[RECORDING_DONE] if _measured(op, notes)]
        if done:
            sql.update(connection, recordings, FIGURES, "path").run(connection, done)
        if kinds[RECORDING_MASKED]:
            sql.update(connection, recordings, ("masked_spans",), "path").run(
                connection, kinds[RECORDING_MASKED])
        if kinds[RECORDING_EMPTY]:
            sql.update(connection, recordings, EMPTY_FIGURES, "path").run(
                connection, [{"path": op["path"], "empty": True, "duration_ms": 0}
                             for op in kinds[RECORDING_EMPTY]])
        if kinds[MEMBER_PUT] or kinds[MEMBER_DELETE]:
            self._members(connection, ops)
        if kinds[PRESENCE_PUT]:
            self._presence(connection, kinds[PRESENCE_PUT])
        return notes

    # --- calls ---------------------------------------------------------------------------
    def _id(self, uuid: str) -> int | None:
        return self._learnt.get(uuid) or self.ids.get(uuid)

    def _insert_calls(self, connection: Any, ops: list[dict[str, Any]]) -> None:
        rows, seen = [], set()
        for op in ops:
            if op["uuid"] in seen or self._id(op["uuid"]) is not None:
                continue  # the row exists: a resync saw the call again
            seen.add(op["uuid"])
            row = dict(op["fields"])
            row.update(uuid=op["uuid"], direction=op["direction"], caller_number=op["caller"],
                       dialled_number=op["dialled"], created_at=op["at"])
            rows.append(row)
        for keys, group in _by_keys(rows).items():
            for call_id, uuid in sql.insert(connection, calls, keys, group, conflict="nothing:uuid",
                                            returning=("id", "uuid")):
                self._learnt[uuid] = call_id
                self._created.add(uuid)

    def _resolve(self, connection: Any, uuids: set[str]) -> None:
        missing = [uuid for uuid in uuids if self._id(uuid) is None]
        for start in range(0, len(missing), SELECT_CHUNK):
            chunk = missing[start:start + SELECT_CHUNK]
            for call_id, uuid in connection.execute(select(calls.c.id, calls.c.uuid)
                                                    .where(calls.c.uuid.in_(chunk))):
                self._learnt[uuid] = call_id

    def _update_calls(self, connection: Any, ops: list[dict[str, Any]]) -> None:
        merged: dict[str, dict[str, Any]] = {}
        for op in ops:
            merged.setdefault(op["uuid"], {}).update(op["fields"])
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for uuid, fields in merged.items():
            if fields:
                groups[tuple(sorted(fields))].append({**fields, "uuid": uuid})
        for keys, group in groups.items():
            sql.update(connection, calls, keys, "uuid").run(connection, group)

    def _insert_events(self, connection: Any, ops: list[dict[str, Any]], notes: list[str]) -> None:
        rows = []
        for op in ops:
            if op["op"] == CALL and op["uuid"] in self._created:
                self._created.discard(op["uuid"])  # its "created" event, once
                rows.append({"call_id": self._id(op["uuid"]), "at": op["at"], "kind": "created",
                             "data": {"caller": op["caller"], "dialled": op["dialled"]}})
            elif op["op"] == EVENT:
                call_id = self._id(op["uuid"])
                if call_id is None:
                    notes.append(f"[{op['uuid']}] no call row for event {op['kind']}")
                    continue
                rows.append({"call_id": call_id, "at": op["at"], "kind": op["kind"],
                             "data": op["data"]})
        if rows:
            sql.insert(connection, events, EVENT_KEYS, rows)

    # --- callbacks and recordings -------------------------------------------------------
    def _insert_callbacks(self, connection: Any, ops: list[dict[str, Any]], notes: list[str]) -> None:
        sql.insert(connection, callbacks, CALLBACK_KEYS, [
            {"phone": op["phone"], "customer_id": op["customer_id"], "call_id": self._id(op["uuid"]),
             "need": op["need"], "requested_at": op["at"], "status": CallbackStatus.PENDING,
             "attempts": 0} for op in ops])

    def _callback_progress(self, connection: Any, op: dict[str, Any], notes: list[str]) -> None:
        call_id = self._id(op["uuid"])
        latest = select(func.max(callbacks.c.id)).where(callbacks.c.call_id == call_id) \
            .scalar_subquery()
        values: dict[str, Any] = {"status": CallbackStatus(op["status"])}
        if op.get("attempt"):
            values["attempts"] = func.coalesce(callbacks.c.attempts, 0) + 1
        if op.get("outcome"):
            values["last_outcome"] = op["outcome"]
        if op.get("outcome") or op.get("reason"):
            values["reason"] = (op.get("reason") or "")[:200] or None
            if values["status"] is CallbackStatus.PENDING:  # the next attempt: a new call
                values.update(scheduled_for=op["next_attempt_at"], dial_uuid=None)
        done = connection.execute(update(callbacks).where(callbacks.c.id == latest).values(values))
        if call_id is None or done.rowcount == 0:
            notes.append(f"[{op['uuid']}] no callback request to mark {op['status']}")

    def _insert_recordings(self, connection: Any, ops: list[dict[str, Any]], notes: list[str]) -> None:
        rows = []
        for op in ops:
            call_id = self._id(op["uuid"])
            if call_id is None:
                notes.append(f"[{op['uuid']}] no call row for recording {op['path']}")
                continue
            rows.append({"call_id": call_id, "path": op["path"], "kind": op["kind"],
                         "started_at": op["at"], "retain_until": op["retain_until"]})
        if rows:
            sql.insert(connection, recordings, RECORDING_KEYS, rows, conflict="nothing:path")

    # --- the ACD's saved picture ----------------------------------------------------------
    def _members(self, connection: Any, ops: list[dict[str, Any]]) -> None:
        last: dict[str, dict[str, Any] | None] = {}
        for op in ops:
            if op["op"] == MEMBER_PUT:
                last[op["row"]["call_uuid"]] = op["row"]
            elif op["op"] == MEMBER_DELETE:
                for call_uuid in op["call_uuids"]:
                    last[call_uuid] = None
        sql.delete(connection, members, "call_uuid").run(
            connection, [{"call_uuid": call_uuid} for call_uuid in last])
        rows = [row for row in last.values() if row is not None]
        if rows:
            sql.insert(connection, members, MEMBER_KEYS, rows)

    def _presence(self, connection: Any, ops: list[dict[str, Any]]) -> None:
        last = {op["row"]["agent_id"]: op["row"] for op in ops}
        sql.insert(connection, presence, PRESENCE_KEYS, list(last.values()),
                   conflict="update:agent_id")


def islice_keys(mapping: dict[str, int], count: int) -> Iterable[str]:
    """The ``count`` oldest keys (dicts keep insertion order)."""
    for n, key in enumerate(mapping):
        if n >= count:
            return
        yield key
