"""Keeps the ACD's picture in the database so a restarted engine can rebuild
it: every waiting caller (one QueueMember row each, which the IVR's
queue_wait hook counts), every connected call (with its agent, in
AgentPresence.details["active_call"], so talking callers never make a queue
look long), and every agent's state (AgentPresence).

Saving is incremental: the store remembers what it wrote last and touches
only rows that changed, so the ACD loop can save after every input."""
from __future__ import annotations

import logging
from dataclasses import fields
from datetime import datetime, timezone
from typing import Any, Mapping

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from acd.core import AcdCore
from acd.errors import AcdError
from callcenter.db import transaction
from callcenter.live.agents import AgentDirectory
from callcenter.models import AgentPresence, QueueMember

log = logging.getLogger(__name__)
ACTIVE_CALL = "active_call"  # key in AgentPresence.details: the connected call the agent handles
_FIELDS: dict[type, tuple[str, ...]] = {}


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def _plain(record: Any) -> dict[str, Any]:
    names = _FIELDS.get(type(record))
    if names is None:
        names = _FIELDS[type(record)] = tuple(f.name for f in fields(record))
    return {name: getattr(record, name) for name in names}


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
            logins: set[str] | None = None) -> dict[str, Any]:
    """What AcdCore.snapshot() gives, for what a restart needs, without deep-copying every
    call's context on every input. ``active_records``: call id -> the call's record taken
    when it was answered (the core keeps answered calls out of waiting()). ``logins``:
    only these agents (and their connected calls) changed; None: all of them."""
    calls = [call_record(call) for call in core.waiting()]
    active = []
    for call_id, record in active_records.items():
        entry = core.active_call(call_id)
        if entry is not None and (logins is None or entry[1] in logins):
            active.append({"call": dict(record), "agent": entry[1], "answered_at": entry[2]})
    if logins is None:
        agents = core.agents()
    else:
        agents = [info for info in core.agents() if info.login in logins] if len(logins) > 8 \
            else [core.agent(login) for login in logins if _known(core, login)]
    return {"calls": calls, "active": active, "agents": [agent_record(a) for a in agents]}


def _known(core: AcdCore, login: str) -> bool:
    try:
        core.agent(login)
    except AcdError:
        return False
    return True


class PresenceStore:
    def __init__(self, sessions: sessionmaker[Session], agents: AgentDirectory) -> None:
        self.sessions, self.agents = sessions, agents
        self._members: dict[str, dict[str, Any]] | None = None  # call id -> context written
        self._presence: dict[int, dict[str, Any]] | None = None  # agent id -> details written

    def save(self, snapshot: Mapping[str, Any], legs: Mapping[str, Mapping[str, Any]]) -> None:
        """Write ``snapshot`` (AcdCore.snapshot() or picture()) and the shell's notes."""
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
        try:
            self._write(rows, agents)
        except Exception:
            self._members = self._presence = None  # unsure what was written: compare afresh next time
            raise

    def _write(self, rows: dict[str, dict[str, Any]], agents: dict[int, dict[str, Any]]) -> None:
        if self._members is None or self._presence is None:
            self._load_written()
        gone = [call_id for call_id in self._members if call_id not in rows]
        changed = {call_id: context for call_id, context in rows.items()
                   if self._members.get(call_id) != context}
        moved = {agent_id: details for agent_id, details in agents.items()
                 if self._presence.get(agent_id) != details}
        if not (gone or changed or moved):
            return
        with transaction(self.sessions) as session:
            if gone:
                session.execute(delete(QueueMember).where(QueueMember.call_uuid.in_(gone)))
            existing = {m.call_uuid: m for m in session.scalars(
                select(QueueMember).where(QueueMember.call_uuid.in_(list(changed))))} if changed else {}
            for call_id, context in changed.items():
                call = context["acd"]
                member = existing.get(call_id) or QueueMember(call_uuid=call_id,
                                                              entered_at=_at(call["entered_at"]))
                member.queue_name, member.context = call["queue"], context
                member.announced_position = call.get("last_position")
                member.callback_requested = bool(call.get("callback"))
                session.add(member)
            for agent_id, details in moved.items():
                row = session.get(AgentPresence, agent_id) or AgentPresence(agent_id=agent_id)
                row.state, row.reason = details["state"], details.get("not_ready_reason")
                row.since, row.call_uuid = _at(details["state_since"]), details.get("call_id")
                row.missed_in_a_row, row.details = details.get("missed_in_row", 0), details
                session.add(row)
        for call_id in gone:
            self._members.pop(call_id, None)
        self._members.update(changed)
        self._presence.update(moved)

    def _load_written(self) -> None:
        with self.sessions() as session:
            self._members = {m.call_uuid: m.context for m in session.scalars(select(QueueMember))}
            self._presence = {p.agent_id: p.details for p in session.scalars(select(AgentPresence))}

    def load(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(calls: the connected ones first, then the waiting ones in their order of entry,
        each with the shell's notes; agents' records)."""
        with self.sessions() as session:
            members = session.scalars(select(QueueMember)).all()
            presence = session.scalars(select(AgentPresence)).all()
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
        self._members = self._presence = None
        return active + waiting, agents

    def forget_calls(self, call_ids: list[str]) -> None:
        if call_ids:
            with transaction(self.sessions) as session:
                session.execute(delete(QueueMember).where(QueueMember.call_uuid.in_(call_ids)))
            self._members = None
