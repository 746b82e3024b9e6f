"""The center's agent teams (班组) a ticket can be handed over to: the database's
teams (Admin → Agents → Teams), each agent in at most one (``Agent.team_id``). A
ticket handed to a team keeps the team's key in ``Ticket.owner_group`` until one of
the team's active agents takes it. The one source for teams: the rules file has none.

SQL only through SQLAlchemy with bound parameters.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.models import Agent, Team


def find(db: Session, key: str | None) -> Team | None:
    if not key:
        return None
    return db.scalar(select(Team).where(Team.key == key))


def names(db: Session) -> dict[str, str]:
    """Team key -> display name, by display name (the desk's choices)."""
    return dict(db.execute(select(Team.key, Team.display_name)
                           .order_by(Team.display_name, Team.key)).all())


def member_ids(db: Session, key: str | None) -> tuple[int, ...]:
    """The active agents of the team (none for no team or an unknown key)."""
    if not key:
        return ()
    return tuple(sorted(db.scalars(select(Agent.id).join(Team, Team.id == Agent.team_id)
                                   .where(Team.key == key, Agent.active.is_(True)))))


def key_of(db: Session, agent_id: int) -> str | None:
    """The key of the agent's team (None: in no team)."""
    return db.scalar(select(Team.key).join(Agent, Agent.team_id == Team.id)
                     .where(Agent.id == agent_id))
