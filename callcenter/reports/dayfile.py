"""Day files: a period's calls (with their events) and agents' state changes as JSON
lines, for published test days and benchmarks; and writing one into the database
as the engine would have (calls, call_events, agent_state_changes)."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.engine import Connection

from callcenter.models import Agent, AgentStateChange, Call, CallDirection, CallEvent, Role
from callcenter.reports.agents import StateChange
from callcenter.reports.facts import CallRecord, Event


class DayFileError(ValueError):
    pass


def read(path: str | Path) -> tuple[list[CallRecord], list[StateChange]]:
    calls, changes = [], []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                if row["type"] == "call":
                    calls.append(_call(row))
                elif row["type"] == "agent_state":
                    changes.append(StateChange(row["agent"], _when(row["at"]), row["to_state"],
                                               row.get("reason")))
                else:
                    raise DayFileError(f"unknown type {row['type']!r}")
            except (KeyError, ValueError, TypeError) as error:
                raise DayFileError(f"{path}:{number}: {error}") from None
    return calls, changes


def _when(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"time without a zone: {text!r}")
    return when


def _call(row: dict) -> CallRecord:
    return CallRecord(row["uuid"], row.get("direction", "inbound"),
                      tuple(Event(_when(e["at"]), e["kind"], e.get("data") or {})
                            for e in row["events"]),
                      queue_name=row.get("queue"), ivr_flow=row.get("ivr_flow"),
                      survey_score=row.get("survey_score"))


def write(path: str | Path, calls: Iterable[CallRecord], changes: Iterable[StateChange]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for call in calls:
            handle.write(json.dumps({
                "type": "call", "uuid": call.uuid, "direction": call.direction,
                "queue": call.queue_name, "ivr_flow": call.ivr_flow,
                "events": [{"at": e.at.isoformat(), "kind": e.kind, "data": dict(e.data)}
                           for e in call.events]}, ensure_ascii=False) + "\n")
        for change in changes:
            handle.write(json.dumps({"type": "agent_state", "agent": change.agent,
                                     "at": change.at.isoformat(), "to_state": change.to_state,
                                     "reason": change.reason}) + "\n")


def store(connection: Connection, calls: Iterable[CallRecord],
          changes: Iterable[StateChange]) -> None:
    """Write the day as the engine would: agents (created when missing, by login),
    call rows with their end state, events in order, state changes."""
    calls, changes = list(calls), list(changes)
    logins = {c.agent for c in changes} | {str(e.data["agent"]) for call in calls
                                           for e in call.events if e.data.get("agent")}
    ids = _agents(connection, logins)
    call_rows = [_call_row(call, ids) for call in calls]
    call_ids = {}
    for start in range(0, len(call_rows), 2000):
        chunk = call_rows[start:start + 2000]
        connection.execute(Call.__table__.insert(), chunk)
        uuids = [row["uuid"] for row in chunk]
        call_ids.update(connection.execute(select(Call.uuid, Call.id)
                                           .where(Call.uuid.in_(uuids))).all())
    events = [{"call_id": call_ids[call.uuid], "at": e.at, "kind": e.kind, "data": dict(e.data)}
              for call in calls for e in call.events]
    for start in range(0, len(events), 5000):
        connection.execute(CallEvent.__table__.insert(), events[start:start + 5000])
    if changes:
        connection.execute(AgentStateChange.__table__.insert(), [
            {"agent_id": ids[c.agent], "at": c.at, "to_state": c.to_state, "reason": c.reason}
            for c in changes])


def _agents(connection: Connection, logins: set[str]) -> dict[str, int]:
    known = dict(connection.execute(select(Agent.login, Agent.id)).all())
    missing = sorted(logins - set(known))
    if missing:
        connection.execute(Agent.__table__.insert(), [
            {"login": login, "display_name": login.title(), "password_hash": "!", "role": Role.AGENT,
             "active": True, "language": "zh", "simulated": False, "failed_logins": 0,
             "created_at": datetime.now().astimezone()} for login in missing])
        known = dict(connection.execute(select(Agent.login, Agent.id)).all())
    return known


def _call_row(call: CallRecord, agent_ids: dict[str, int]) -> dict:
    events = call.events
    first = events[0].at if events else call.queued_at
    row = {"uuid": call.uuid, "direction": CallDirection(call.direction),
           "caller_number": "", "dialled_number": "10000", "created_at": first,
           "ivr_flow": call.ivr_flow, "queue_name": call.queue_name, "priority": 0,
           "abandoned": any(e.kind == "abandoned" for e in events),
           "survey_score": call.survey_score, "queued_at": None, "agent_answered_at": None,
           "ended_at": None, "agent_id": None}
    for event in events:
        if event.kind in ("queued", "ivr_finished") and row["queued_at"] is None and (
                event.kind == "queued" or event.data.get("outcome") == "queue"):
            row["queued_at"] = event.at
        elif event.kind == "connected":
            row["agent_answered_at"] = event.at
            row["agent_id"] = agent_ids.get(str(event.data.get("agent")))
        elif event.kind in ("ended", "abandoned"):
            row["ended_at"] = event.at
    return row
