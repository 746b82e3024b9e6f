"""The engine runs the tickets' timers itself: with nobody logged in, a ticket
nearing its answer-back deadline is warned, one past it escalated, and a roaming
complaint forwarded to the home center. Real engine, simulator over sockets,
real database; the tickets' clock is pinned and moved by the test."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from callcenter import seed
from callcenter.config import load_config
from callcenter.db import transaction
from callcenter.engine import Engine, build_services
from callcenter.models import Agent, Ticket, TicketCategory, TicketOutbox
from callcenter.sim import Simulator
from callcenter.tickets import next_ticket_number, service
from callcenter.tickets.dispatch import load_rules
from engine_fixtures import PASSWORD, ROOT, _cheap_hash, write_engine_config
from test_tickets_cli import rules_with_endpoint
from test_tickets_outbox import home  # noqa: F401  (the local endpoint fixture)
from test_web_backoffice import Clock

MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
TICK = 0.2


@pytest.fixture
def engine_with_timers(sessions, db_engine, write_config, tmp_path, monkeypatch, home):
    monkeypatch.setattr(seed, "hash_password", _cheap_hash)
    monkeypatch.setattr(seed, "hash_service_password", _cheap_hash)
    seed.seed_demo(sessions, customers=3)
    sim = Simulator(PASSWORD, port=0, speed=4.0, fast_media=True,
                    dialplan_dir=str(ROOT / "dialplans"))
    port = sim.start()
    path = write_engine_config(write_config, tmp_path, db_engine, port, PASSWORD)
    rules_file = rules_with_endpoint(tmp_path, home.url)
    with open(path, "a", encoding="utf-8") as config:
        config.write(f"tickets:\n  rules_file: {rules_file}\n  timer_seconds: {TICK}\n")
    clock = Clock(MONDAY)
    engine = Engine(build_services(load_config(path, environ={})), tickets_clock=clock)
    engine.start()
    yield engine, clock
    engine.stop()
    sim.close()


def open_ticket(sessions, category, detail=None) -> str:
    rules = load_rules()
    with transaction(sessions) as db:
        owner = db.scalar(select(Agent).where(Agent.login == "agent01"))
        ticket = Ticket(number=next_ticket_number(db, MONDAY), category=category, detail=detail,
                        priority=3, subject="no signal", description="since Friday",
                        owner_agent_id=owner.id, created_at=MONDAY)
        db.add(ticket)
        db.flush()
        service.dispatch_by_rule(db, ticket, rules, MONDAY)
        return ticket.number


def flags(sessions, number) -> tuple[bool, bool, list[str]]:
    with sessions() as db:
        ticket = service.find(db, number)
        return (ticket.warned_at is not None, ticket.escalated_at is not None,
                [h.action for h in ticket.history])


def wait_for(predicate, timeout=10.0) -> bool:
    import gevent
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return True
        gevent.sleep(0.05)
    return predicate()


def test_the_engine_warns_then_escalates_by_its_own_clock(engine_with_timers, sessions):
    engine, clock = engine_with_timers
    number = open_ticket(sessions, TicketCategory.FAULT)  # 24 calendar hours, warned 4 h before
    rounds = engine.ticket_timers.rounds
    assert wait_for(lambda: engine.ticket_timers.rounds >= rounds + 2)
    assert flags(sessions, number)[:2] == (False, False)  # Monday 10:00: far from the deadline

    clock.at = MONDAY + timedelta(hours=21)  # 3 hours before the deadline
    assert wait_for(lambda: flags(sessions, number)[0]), "no warning from the engine's timer"
    assert flags(sessions, number)[1] is False

    clock.at = MONDAY + timedelta(hours=24, minutes=1)
    assert wait_for(lambda: flags(sessions, number)[1]), "no escalation from the engine's timer"
    with sessions() as db:
        ticket = service.find(db, number)
        assert ticket.escalated_at == clock.at  # the tickets' clock, not the machine's
    rounds = engine.ticket_timers.rounds
    assert wait_for(lambda: engine.ticket_timers.rounds >= rounds + 2)
    actions = flags(sessions, number)[2]
    assert actions.count("deadline_warning") == 1 and actions.count("escalated") == 1


def test_the_engine_forwards_roaming_complaints(engine_with_timers, sessions, home):
    number = open_ticket(sessions, TicketCategory.COMPLAINT, detail="roaming")
    assert wait_for(lambda: [p["ticket"] for p, _key in home.received] == [number])
    with sessions() as db:
        assert wait_for(lambda: db.scalar(select(TicketOutbox.status)) == "sent")
