"""Ticket numbers callers can key in; the flat answer-back limit used before the rules file (回告时限)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callcenter.models import Ticket, TicketCategory, TicketSequence

# How long the centre has to answer the customer back, per category.
ANSWER_BACK_LIMIT = {
    TicketCategory.COMPLAINT: timedelta(days=2),
    TicketCategory.FAULT: timedelta(days=1),
    TicketCategory.SERVICE_ORDER: timedelta(days=3),
    TicketCategory.INQUIRY: timedelta(days=1),
}


def answer_back_deadline(category: TicketCategory, opened_at: datetime) -> datetime:
    return opened_at + ANSWER_BACK_LIMIT[category]


def next_ticket_number(session: Session, opened_at: datetime) -> str:
    """Digits only, date first: 'YYMMDD' + a 4-digit sequence of that day (e.g. 2611210007).

    The day's counter is bumped with one UPDATE ... RETURNING, which the
    database serialises, so two calls opening tickets at once get different
    numbers."""
    prefix = opened_at.strftime("%y%m%d")
    bumped = session.execute(update(TicketSequence).where(TicketSequence.day == prefix)
                             .values(last=TicketSequence.last + 1)
                             .returning(TicketSequence.last)).scalar()
    if bumped is None:
        highest = session.scalar(select(func.max(Ticket.number)).where(Ticket.number.like(f"{prefix}%")))
        bumped = int(highest[len(prefix):]) + 1 if highest else 1
        try:
            with session.begin_nested():
                session.add(TicketSequence(day=prefix, last=bumped))
        except IntegrityError:  # another transaction started the day's counter first
            return next_ticket_number(session, opened_at)
    return f"{prefix}{bumped:04d}"
