"""Deadline warnings and escalations pushed as messages to people (their desks show
an unread count, the list, and mark them read). Who gets which: ``audience``.

SQL only through SQLAlchemy; ``now`` is passed in. The text is not stored: the
desk words it in the reader's language from the kind and the ticket.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from callcenter.models import Agent, Role, Ticket, TicketNotification
from callcenter.tickets import teams
from callcenter.tickets.audience import People, audience
from callcenter.tickets.dispatch import DispatchRules

SHOWN = 50  # the newest this many on the list


def ids_of(db: Session, logins: tuple[str, ...] | list[str]) -> tuple[int, ...]:
    if not logins:
        return ()
    return tuple(sorted(db.scalars(select(Agent.id).where(Agent.login.in_(list(logins)),
                                                          Agent.active.is_(True)))))


def people_of(db: Session, ticket: Ticket, rules: DispatchRules) -> People:
    group = rules.groups.get(ticket.backoffice_group or "")
    supervisors = db.scalars(select(Agent.id).where(Agent.role == Role.SUPERVISOR,
                                                    Agent.active.is_(True)))
    return People(ticket.owner_agent_id, teams.member_ids(db, ticket.owner_group),
                  ticket.worker_agent_id, ids_of(db, group.members if group else ()),
                  tuple(sorted(supervisors)))


def push(db: Session, ticket: Ticket, flag: str, rules: DispatchRules, now: datetime) -> list[int]:
    """One message per person the table names; returns their agent ids."""
    told = audience(flag, people_of(db, ticket, rules))
    for agent_id, why in told:
        db.add(TicketNotification(agent_id=agent_id, ticket_id=ticket.id, kind=flag, why=why,
                                  created_at=now))
    return [agent_id for agent_id, _why in told]


def unread(db: Session, agent_id: int) -> int:
    return db.scalar(select(func.count()).select_from(TicketNotification).where(
        TicketNotification.agent_id == agent_id, TicketNotification.read_at.is_(None))) or 0


def latest(db: Session, agent_id: int, only_unread: bool = False) -> list[TicketNotification]:
    query = select(TicketNotification).where(TicketNotification.agent_id == agent_id)
    if only_unread:
        query = query.where(TicketNotification.read_at.is_(None))
    return list(db.scalars(query.order_by(TicketNotification.id.desc()).limit(SHOWN)))


def mark_read(db: Session, agent_id: int, now: datetime, notification_id: int | None = None) -> int:
    """Mark one message (or all) of this person read; the number marked. LookupError: no
    such message of theirs."""
    query = update(TicketNotification).where(TicketNotification.agent_id == agent_id,
                                             TicketNotification.read_at.is_(None))
    if notification_id is not None:
        mine = db.scalar(select(TicketNotification.id).where(
            TicketNotification.id == notification_id, TicketNotification.agent_id == agent_id))
        if mine is None:
            raise LookupError(f"no message {notification_id}")
        query = query.where(TicketNotification.id == notification_id)
    done = db.execute(query.values(read_at=now).execution_options(synchronize_session=False))
    return done.rowcount or 0
