"""Keeps the ACD's picture in the database so a restarted engine can rebuild
it: every waiting or connected call (QueueMember, in order) and every
agent's state (AgentPresence)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.db import transaction
from callcenter.models import AgentPresence, QueueMember
from callcenter.live.agents import AgentDirectory


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


class PresenceStore:
    def __init__(self, sessions: sessionmaker[Session], agents: AgentDirectory) -> None:
        self.sessions, self.agents = sessions, agents

    def save(self, snapshot: Mapping[str, Any], legs: Mapping[str, Mapping[str, Any]]) -> None:
        rows = {}
        for order, call in enumerate(snapshot["calls"]):
            rows[call["call_id"]] = (call["queue"], call, {"state": "waiting", "order": order})
        for entry in snapshot["active"]:
            call = entry["call"]
            rows[call["call_id"]] = (call["queue"], call, {"state": "active", "agent": entry["agent"],
                                                           "answered_at": entry["answered_at"]})
        with transaction(self.sessions) as session:
            existing = {m.call_uuid: m for m in session.scalars(select(QueueMember))}
            for call_id, member in existing.items():
                if call_id not in rows:
                    session.delete(member)
            for call_id, (queue, call, extra) in rows.items():
                context = {"acd": call, "shell": dict(legs.get(call_id, {})), **extra,
                           "seq": snapshot["seq"]}
                member = existing.get(call_id)
                if member is None:
                    session.add(QueueMember(call_uuid=call_id, queue_name=queue,
                                            entered_at=_at(call["entered_at"]),
                                            announced_position=call.get("last_position"),
                                            callback_requested=bool(call.get("callback")),
                                            context=context))
                else:
                    member.queue_name, member.context = queue, context
                    member.announced_position = call.get("last_position")
                    member.callback_requested = bool(call.get("callback"))
            presence = {p.agent_id: p for p in session.scalars(select(AgentPresence))}
            for agent in snapshot["agents"]:
                card = self.agents.by_login(agent["login"])
                if card is None:
                    continue
                row = presence.get(card.id) or AgentPresence(agent_id=card.id)
                if row.state != agent["state"] or row.details != agent:
                    row.state, row.reason = agent["state"], agent.get("not_ready_reason")
                    row.since, row.call_uuid = _at(agent["state_since"]), agent.get("call_id")
                    row.missed_in_a_row, row.details = agent.get("missed_in_row", 0), agent
                    session.add(row)

    def load(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(calls in their saved order with the shell's notes, agents' records)."""
        with self.sessions() as session:
            members = session.scalars(select(QueueMember)).all()
            presence = session.scalars(select(AgentPresence)).all()
            calls = sorted((dict(m.context) for m in members if m.context),
                           key=lambda c: (c.get("state") != "active", c.get("order", 0)))
            agents = [dict(p.details) for p in presence if p.details]
        return calls, agents

    def forget_calls(self, call_ids: list[str]) -> None:
        if call_ids:
            with transaction(self.sessions) as session:
                session.execute(delete(QueueMember).where(QueueMember.call_uuid.in_(call_ids)))
