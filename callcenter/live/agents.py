"""Who the agents are: login, database id, SIP extension and skills.

Every reload compares the new roster with the one held and tells the
listeners (`on_change`) what changed, whichever reload found it: the
periodic one (callcenter.live.roster) or one a lookup of an unknown agent
caused. Listeners must not block: they run in the caller's greenlet."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.models import Agent, AgentSkill, Role, Skill

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AgentCard:
    id: int
    login: str
    display_name: str
    extension: str | None
    role: str
    skills: Mapping[str, int]
    simulated: bool = False
    sip_a1_hash: str | None = field(default=None, repr=False)  # for the SIP directory, never logged


@dataclass(frozen=True)
class RosterChange:
    """What one reload found: agents activated, deactivated, and changed (before, after)."""
    added: tuple[AgentCard, ...] = ()
    removed: tuple[AgentCard, ...] = ()
    changed: tuple[tuple[AgentCard, AgentCard], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def roster_change(before: Mapping[int, AgentCard], after: Mapping[int, AgentCard]) -> RosterChange:
    return RosterChange(
        added=tuple(after[i] for i in after.keys() - before.keys()),
        removed=tuple(before[i] for i in before.keys() - after.keys()),
        changed=tuple((before[i], after[i]) for i in sorted(before.keys() & after.keys())
                      if before[i] != after[i]))


class AgentDirectory:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._by_id: dict[int, AgentCard] = {}
        self._by_login: dict[str, AgentCard] = {}
        self._by_extension: dict[str, AgentCard] = {}
        self._listeners: list[Callable[[RosterChange], None]] = []
        self._loaded = False
        self._installs = 0

    def on_change(self, listener: Callable[[RosterChange], None]) -> None:
        self._listeners.append(listener)

    def reload(self, run: Callable[[Callable[[], list[AgentCard]]], list[AgentCard]] | None = None
               ) -> RosterChange:
        """``run``: where the database read runs (the periodic reload passes gevent's thread
        pool, so a slow database stalls no call); the swap and the listeners run here."""
        started = self._installs
        cards = run(self._read) if run is not None else self._read()
        if self._installs != started:  # a reload that began later has finished first: it is fresher
            return RosterChange()
        return self._install(cards)

    def _read(self) -> list[AgentCard]:
        """Plain rows, not ORM objects: several times cheaper, and this runs every few seconds
        (bench/bench_roster_reload.py)."""
        with self.sessions() as session:
            skills: dict[int, dict[str, int]] = {}
            for agent_id, name, level in session.execute(
                    select(AgentSkill.agent_id, Skill.name, AgentSkill.level)
                    .join(Skill, Skill.id == AgentSkill.skill_id)
                    .join(Agent, Agent.id == AgentSkill.agent_id).where(Agent.active.is_(True))):
                skills.setdefault(agent_id, {})[name] = level
            rows = session.execute(select(Agent.id, Agent.login, Agent.display_name, Agent.sip_extension,
                                          Agent.role, Agent.simulated, Agent.sip_a1_hash)
                                   .where(Agent.active.is_(True)))
            return [AgentCard(id_, login, name, extension, role.value, skills.get(id_, {}), simulated, a1)
                    for id_, login, name, extension, role, simulated, a1 in rows]

    def _install(self, cards: list[AgentCard]) -> RosterChange:
        before, first = self._by_id, not self._loaded
        self._by_id = {c.id: c for c in cards}
        self._by_login = {c.login: c for c in cards}
        self._by_extension = {c.extension: c for c in cards if c.extension}
        self._loaded = True
        self._installs += 1
        change = roster_change(before, self._by_id)
        if change and not first:
            for listener in self._listeners:
                try:
                    listener(change)
                except Exception:  # one listener's bug must not hide the change from the others
                    log.exception("roster listener failed")
        return change

    def by_id(self, agent_id: int) -> AgentCard | None:
        if agent_id not in self._by_id:
            self.reload()
        return self._by_id.get(agent_id)

    def by_login(self, login: str) -> AgentCard | None:
        if login not in self._by_login:
            self.reload()
        return self._by_login.get(login)

    def by_extension(self, extension: str) -> AgentCard | None:
        return self._by_extension.get(extension)

    def cards(self) -> list[AgentCard]:
        """Every active agent."""
        return list(self._by_id.values())

    def call_takers(self) -> list[AgentCard]:
        return [c for c in self._by_id.values() if c.extension and c.role == Role.AGENT.value]
