"""Ticket rules: numbers callers can key in, answer-back deadlines (回告时限)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callcenter.models import Ticket, TicketCategory

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
    """Digits only, date first: 'YYMMDD' + a 4-digit sequence of that day (e.g. 2611210007)."""
    prefix = opened_at.strftime("%y%m%d")
    highest = session.scalar(select(func.max(Ticket.number)).where(Ticket.number.like(f"{prefix}%")))
    sequence = int(highest[len(prefix):]) + 1 if highest else 1
    return f"{prefix}{sequence:04d}"
