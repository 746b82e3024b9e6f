"""Ticket numbers: digits callers can key in, never given twice."""
from datetime import datetime, timezone

import gevent
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.hooks import HookRunner
from callcenter.models import Ticket, TicketCategory
from callcenter.tickets import answer_back_deadline, next_ticket_number

DAY = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)


def test_numbers_are_date_then_a_daily_sequence(sessions):
    with transaction(sessions) as session:
        first = next_ticket_number(session, DAY)
        second = next_ticket_number(session, DAY)
        next_day = next_ticket_number(session, datetime(2026, 11, 22, tzinfo=timezone.utc))
    assert (first, second, next_day) == ("2611210001", "2611210002", "2611220001")


def test_counter_continues_after_tickets_numbered_before_it_existed(sessions):
    with transaction(sessions) as session:
        session.add(Ticket(number="2611210041", category=TicketCategory.FAULT,
                           answer_back_deadline=answer_back_deadline(TicketCategory.FAULT, DAY)))
    with transaction(sessions) as session:
        assert next_ticket_number(session, DAY) == "2611210042"


def test_concurrent_ticket_creation_never_reuses_a_number(sessions):
    """The IVR's create_ticket hook runs in real threads: twelve callers at once."""
    runner = HookRunner(sessions)
    args = {"category": "complaint", "customer_id": "", "caller_number": "13800000001",
            "recording": "", "call_id": ""}
    jobs = [gevent.spawn(runner.call, "create_ticket", args, 20.0) for _ in range(12)]
    gevent.joinall(jobs, timeout=60)
    results = [job.value for job in jobs]
    assert all(result.status == "found" for result in results), [r.error for r in results]
    numbers = [result.values["ticket_number"] for result in results]
    assert len(set(numbers)) == 12
    with sessions() as session:
        assert sorted(session.scalars(select(Ticket.number))) == sorted(numbers)
