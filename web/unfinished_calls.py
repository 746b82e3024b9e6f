"""The agent's answered calls still without a disposition (their wrap-up ran out
first), and the desk's counts for its link to My tickets."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callcenter.models import Call, TicketTask
from web.auth import current_user, services, sessions
from web.live import port_of


def desk_counts() -> dict[str, int]:
    """For the desk's link to My tickets: call-back tasks and calls still to finish."""
    user = current_user()
    with sessions()() as db:
        tasks = db.scalar(select(func.count()).select_from(TicketTask).where(
            TicketTask.agent_id == user.id, TicketTask.done_at.is_(None)))
        return {"callback_tasks": int(tasks or 0), "calls_to_finish": len(to_finish(db, user.id))}


def to_finish(db: Session, agent_id: int) -> list[Call]:
    """The agent's answered calls that ended without a disposition (wrap-up ran out first);
    not the call being wrapped up right now, which the desk's wrap-up form has."""
    query = select(Call).where(Call.agent_id == agent_id, Call.ended_at.is_not(None),
                               Call.agent_answered_at.is_not(None), Call.disposition.is_(None))
    wrapping = wrapping_up_uuid(agent_id)
    if wrapping:
        query = query.where(Call.uuid != wrapping)
    return db.scalars(query.order_by(Call.ended_at.desc()).limit(50)).all()


def wrapping_up_uuid(agent_id: int) -> str | None:
    port = port_of(services())
    status = port.agent_status(agent_id) if port is not None else None
    return status.call_uuid if status is not None and status.state == "wrapup" else None
