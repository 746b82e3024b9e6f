"""Keeps the ACD's picture in the database so a restarted engine can rebuild
it: every waiting caller (one QueueMember row each; the IVR's queue_wait
hook counts them when it runs without the live ACD), every connected call (with its agent, in
AgentPresence.details["active_call"], so talking callers never make a queue
look long), and every agent's state (AgentPresence).

Saving is incremental: the store remembers what it queued last and queues
only rows that changed, on the engine's ordered write-behind queue, so the
ACD loop can save after every input without waiting on the database."""
from __future__ import annotations

import logging
from dataclasses import fields
from operator import attrgetter
from datetime import datetime, timezone
from typing import Any, Iterator, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from acd.core import AcdCore
from callcenter.live import writeops as ops
from callcenter.live.agents import AgentDirectory
from callcenter.models import AgentPresence, QueueMember

log = logging.getLogger(__name__)
ACTIVE_CALL = "active_call"  # key in AgentPresence.details: the connected call the agent handles
_FIELDS: dict[type, tuple[tuple[str, ...], Any]] = {}  # record type -> (names, getter)


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def _plain(record: Any) -> dict[str, Any]:
    reader = _FIELDS.get(type(record))
    if reader is None:
        names = tuple(f.name for f in fields(record))
        reader = _FIELDS[type(record)] = (names, attrgetter(*names))
    return dict(zip(reader[0], reader[1](record)))


def call_record(call: Any) -> dict[str, Any]:
    """An acd CallInfo as AcdCore.snapshot() writes it (the context is shared, not copied:
    it does not change once the call is queued)."""
    data = _plain(call)
    data["declined_by"] = sorted(call.declined_by)
    return data


def agent_record(agent: Any) -> dict[str, Any]:
    data = _plain(agent)
    data["state"] = agent.state.value
    data["skills"] = dict(agent.skills)
    return data


def picture(core: AcdCore, active_records: Mapping[str, Mapping[str, Any]],
            logins: set[str] | None = None, call_ids: set[str] | None = None) -> dict[str, Any]:
    """What AcdCore.snapshot() gives, for what a restart needs, without deep-copying every
    call's context on every input. ``active_records``: call id -> the call's record taken
    when it was answered (the core keeps answered calls out of waiting()). ``logins``:
    only these agents (and their connected calls) changed; None: all of them.
    ``call_ids``: only these waiting calls changed; None: all of them."""
    if call_ids is None:
        calls = [call_record(call) for call in core.waiting()]
    else:  # not every waiting call on every input: that grows with the queue
        calls = [call_record(call) for call in map(core.waiting_call, call_ids) if call is not None]
    named = None if logins is None else [a for a in map(core.find_agent, logins) if a is not None]
    active = []
    if named is None:
        call_ids: Any = active_records
    else:  # the connected calls of these agents only, not of every agent
        call_ids = [agent.call_id for agent in named if agent.call_id]
    for call_id in call_ids:
        entry = core.active_call(call_id)
        record = active_records.get(call_id)
        if entry is not None and record is not None and (logins is None or entry[1] in logins):
            active.append({"call": dict(record), "agent": entry[1], "answered_at": entry[2]})
    if named is None:
        agents = core.agents()
    else:
        agents = [info for info in core.agents() if info.login in logins] if len(logins) > 8 \
            else named
    return {"calls": calls, "active": active, "agents": [agent_record(a) for a in agents]}


class PresenceStore:
    """The saved picture. Writes go on the engine's ordered write-behind queue (the
    CallLog's): saving costs the ACD loop a comparison and a few queued ops, never a wait
    on the database, and an outage delays the rows without losing or reordering them."""

    def __init__(self, sessions: sessionmaker[Session], agents: AgentDirectory,
                 writer: Any = None) -> None:
        from callcenter.live.calllog import CallLog
        self.sessions, self.agents = sessions, agents
        self.writer = writer if writer is not None else CallLog(sessions)  # .put(op), .flush()
        self._members: dict[str, dict[str, Any]] | None = None  # call id -> context queued
        self._presence: dict[int, dict[str, Any]] | None = None  # agent id -> details queued

    def save(self, snapshot: Mapping[str, Any], legs: Mapping[str, Mapping[str, Any]],
             calls_checked: set[str] | None = None) -> None:
        """Write ``snapshot`` (AcdCore.snapshot() or picture()) and the shell's notes.
        ``calls_checked``: the snapshot holds only these calls of the waiting ones (a
        picture(call_ids=...)): the others are left as they are; None: it holds them all."""
        rows = {}
        for call in snapshot["calls"]:
            rows[call["call_id"]] = {"acd": call, "shell": dict(legs.get(call["call_id"], {})),
                                     "state": "waiting"}
        active = {}
        for entry in snapshot["active"]:
            call = entry["call"]
            active[entry["agent"]] = {"acd": call, "shell": dict(legs.get(call["call_id"], {})),
                                      "state": "active", "agent": entry["agent"],
                                      "answered_at": entry["answered_at"]}
        agents = {}
        for agent in snapshot["agents"]:
            card = self.agents.by_login(agent["login"])
            if card is not None:
                details = dict(agent)
                if agent["login"] in active:
                    details[ACTIVE_CALL] = active[agent["login"]]
                agents[card.id] = details
        self._write(rows, agents, calls_checked)

    def _write(self, rows: dict[str, dict[str, Any]], agents: dict[int, dict[str, Any]],
               calls_checked: set[str] | None = None) -> None:
        """Queue only what differs from what was queued before."""
        if self._members is None or self._presence is None:
            self._load_written()
        checked = self._members if calls_checked is None else \
            [call_id for call_id in calls_checked if call_id in self._members]
        gone = [call_id for call_id in checked if call_id not in rows]
        if gone:
            self.writer.put({"op": ops.MEMBER_DELETE, "call_uuids": gone})
            for call_id in gone:
                del self._members[call_id]
        for call_id, context in rows.items():
            if self._members.get(call_id) != context:
                self.writer.put({"op": ops.MEMBER_PUT, "row": _member_row(call_id, context)})
                self._members[call_id] = context
        for agent_id, details in agents.items():
            if self._presence.get(agent_id) != details:
                self.writer.put({"op": ops.PRESENCE_PUT, "row": _presence_row(agent_id, details)})
                self._presence[agent_id] = details

    def _load_written(self) -> None:
        self.writer.flush()
        with self.sessions() as session:
            self._members = {m.call_uuid: m.context for m in session.scalars(select(QueueMember))}
            self._presence = {p.agent_id: p.details for p in session.scalars(select(AgentPresence))}

    def load(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(calls: the connected ones first, then the waiting ones in their order of entry,
        each with the shell's notes; agents' records). Writes still queued (a spool left
        by the previous run included) are written first."""
        if not self.writer.flush():
            log.warning("the saved ACD state is read with writes still pending: %s",
                        self.writer.backlog())
        with self.sessions() as session:
            members = session.scalars(select(QueueMember)).all()
            presence = session.scalars(select(AgentPresence)).all()
            self._members = {m.call_uuid: m.context for m in members}
            self._presence = {p.agent_id: p.details for p in presence}
            waiting = sorted((dict(m.context) for m in members if m.context),
                             key=lambda c: (c["acd"]["entered_at"], c["acd"]["seq"]))
            agents, active = [], []
            for row in presence:
                if not row.details:
                    continue
                details = dict(row.details)
                if details.get(ACTIVE_CALL):
                    active.append(dict(details[ACTIVE_CALL]))
                details.pop(ACTIVE_CALL, None)
                agents.append(details)
        return active + waiting, agents

    def forget_calls(self, call_ids: list[str]) -> None:
        if call_ids:
            self.writer.put({"op": ops.MEMBER_DELETE, "call_uuids": list(call_ids)})
            for call_id in call_ids:
                if self._members is not None:
                    self._members.pop(call_id, None)


def _member_row(call_id: str, context: dict[str, Any]) -> dict[str, Any]:
    call = context["acd"]
    return {"call_uuid": call_id, "queue_name": call["queue"], "priority": 0,
            "entered_at": _at(call["entered_at"]), "announced_position": call.get("last_position"),
            "callback_requested": bool(call.get("callback")), "context": context}


def _presence_row(agent_id: int, details: dict[str, Any]) -> dict[str, Any]:
    return {"agent_id": agent_id, "state": details["state"], "reason": details.get("not_ready_reason"),
            "since": _at(details["state_since"]), "call_uuid": details.get("call_id"),
            "missed_in_a_row": details.get("missed_in_row", 0), "details": details}


class AnsweredRecords(Mapping[str, dict[str, Any]]):
    """The ACD record of each answered call among ``calls`` (call id -> state)."""

    def __init__(self, calls: Mapping[str, Any]) -> None:
        self.calls = calls

    @staticmethod
    def _record(state: Any) -> dict[str, Any] | None:
        answered = state.acd_record is not None and state.leg is not None and state.leg.answered
        return state.acd_record if answered else None

    def __getitem__(self, call_id: str) -> dict[str, Any]:
        record = self._record(self.calls[call_id])
        if record is None:
            raise KeyError(call_id)
        return record

    def __iter__(self) -> Iterator[str]:
        return (call_id for call_id, state in list(self.calls.items()) if self._record(state) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)
