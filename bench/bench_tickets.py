"""Tickets: deadline arithmetic and the deadline sweep. Prints figures (it is not a test).

- ``deadline()`` per ticket for the shipped rules (working hours across weekends and
  holidays, and on the wall clock), opened at random moments over a year;
- ``sweep_deadlines`` over N open tickets in a scratch SQLite file: the first sweep
  (every ticket warned or escalated) and a second one (nothing new to flag), as run
  when a work list is shown or by ``callcenter tickets sweep``.

    .venv/bin/python bench/bench_tickets.py [--tickets 5000]
"""
from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from callcenter import db
from callcenter.models import Ticket, TicketCategory, TicketStatus
from callcenter.tickets import service
from callcenter.tickets.deadlines import deadline
from callcenter.tickets.dispatch import load_rules

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def bench_deadlines(rules, rng: random.Random, count: int = 50_000) -> None:
    for category in ("complaint", "fault", "service_order", "inquiry"):
        for priority in (1, 3):
            limit = rules.limit(category, priority)
            moments = [START + timedelta(minutes=rng.randrange(365 * 24 * 60)) for _ in range(count)]
            began = time.perf_counter()
            for moment in moments:
                deadline(moment, limit, rules.calendar)
            took = time.perf_counter() - began
            print(f"deadline {category:13} p{priority} ({limit.counted:13} {str(limit.within):>15}): "
                  f"{count / took:10,.0f} /s  ({took / count * 1e6:6.1f} us each)")


def bench_sweep(rules, rng: random.Random, tickets: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = db.make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        db.upgrade(engine)
        sessions = db.session_factory(engine)
        with db.transaction(sessions) as session:
            for number in range(tickets):
                opened = START + timedelta(minutes=rng.randrange(30 * 24 * 60))
                session.add(Ticket(number=f"26010{number:05d}", category=TicketCategory.FAULT,
                                   status=TicketStatus.DISPATCHED, created_at=opened,
                                   answer_back_deadline=opened + timedelta(days=1)))
        for label, at in (("sweep, all on time", START), ("first sweep", START + timedelta(days=40)),
                          ("second sweep", START + timedelta(days=40))):
            began = time.perf_counter()
            with db.transaction(sessions) as session:
                flagged = service.sweep_deadlines(session, rules, at)
            took = time.perf_counter() - began
            print(f"{label} over {tickets} open tickets: {len(flagged)} flagged in {took * 1000:.0f} ms")
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=5000)
    args = parser.parse_args()
    rules, rng = load_rules(), random.Random(14)
    bench_deadlines(rules, rng)
    bench_sweep(rules, rng, args.tickets)


if __name__ == "__main__":
    main()
