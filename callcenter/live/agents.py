"""Who the agents are: login, database id, SIP extension and skills."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from callcenter.models import Agent, AgentSkill, Role


@dataclass(frozen=True)
class AgentCard:
    id: int
    login: str
    display_name: str
    extension: str | None
    role: str
    skills: Mapping[str, int]
    simulated: bool = False


class AgentDirectory:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._by_id: dict[int, AgentCard] = {}
        self._by_login: dict[str, AgentCard] = {}
        self._by_extension: dict[str, AgentCard] = {}

    def reload(self) -> None:
        with self.sessions() as session:
            agents = session.scalars(select(Agent).where(Agent.active.is_(True)).options(
                selectinload(Agent.skills).selectinload(AgentSkill.skill))).all()
            cards = [AgentCard(a.id, a.login, a.display_name, a.sip_extension, a.role.value,
                               {s.skill.name: s.level for s in a.skills}, a.simulated)
                     for a in agents]
        self._by_id = {c.id: c for c in cards}
        self._by_login = {c.login: c for c in cards}
        self._by_extension = {c.extension: c for c in cards if c.extension}

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

    def call_takers(self) -> list[AgentCard]:
        return [c for c in self._by_id.values() if c.extension and c.role == Role.AGENT.value]
