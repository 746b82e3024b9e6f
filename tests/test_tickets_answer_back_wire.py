"""Wire test: the agentless answer-back call (回告) on the simulator, over real
sockets. The back office answers a fault ticket whose rule says ``tell: call``;
the engine's dialer calls the customer through the carrier gateway, the flow says
the ticket number and the result, the customer presses 1, and the engine's tickets
timer closes the ticket. A customer who never answers is called max_attempts times
and their ticket closes flagged "customer not reached". One pinned clock moves the
dialer and the tickets."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from callcenter import seed
from callcenter.config import load_config
from callcenter.db import transaction
from callcenter.dialer import store
from callcenter.engine import Engine, build_services
from callcenter.models import (Agent, Campaign, CampaignKind, CampaignStatus, Customer,
                               CustomerPhone, Role, Ticket, TicketCategory, TicketStatus as S)
from callcenter.sim import Simulator
from callcenter.sim.customers import Customers
from callcenter.tickets import next_ticket_number, service
from callcenter.tickets.dispatch import DEFAULT_RULES, load_rules
from dialer_fixtures import MovedClock, Outbound
from engine_fixtures import OPEN_HOURS, PASSWORD, ROOT, Hotline, _cheap_hash, stop_hotline, \
    write_engine_config

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_MORNING = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
EVERY_DAY = {day: ["09:00-20:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
LISTENER, NEVER_THERE = "8613900000101", "8613900000102"


def rules_file(tmp_path) -> str:
    text = DEFAULT_RULES.read_text(encoding="utf-8").replace(
        "  - {category: fault, group: network_repair}",
        "  - {category: fault, group: network_repair, tell: call}")
    assert "tell: call}" in text
    path = tmp_path / "dispatch.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
def line(sessions, db_engine, write_config, tmp_path, monkeypatch):
    monkeypatch.setattr(seed, "hash_password", _cheap_hash)
    monkeypatch.setattr(seed, "hash_service_password", _cheap_hash)
    seed.seed_demo(sessions, customers=3)
    sim = Simulator(PASSWORD, port=0, speed=20.0, fast_media=True,
                    dialplan_dir=str(ROOT / "dialplans"))
    sim.keep_finished = 1000
    clock = MovedClock(MONDAY_MORNING)
    customers = Customers(sim, clock=clock)
    port = sim.start()
    path = write_engine_config(write_config, tmp_path, db_engine, port, PASSWORD)
    rules = rules_file(tmp_path)
    with open(path, "a", encoding="utf-8") as config:
        config.write(f"tickets:\n  rules_file: {rules}\n  timer_seconds: 0.2\n")
    services = build_services(load_config(path, environ={}))
    hotline = Hotline(services, sim, lambda: Engine(services, ivr_clock=lambda: OPEN_HOURS,
                                                     dialer_clock=clock, tickets_clock=clock))
    hotline.engine.start()
    out = Outbound(hotline, customers, clock)
    out.rules = load_rules(rules)
    yield out
    stop_hotline(hotline)


def answer_back_campaign(out) -> int:
    with transaction(out.sessions) as db:
        campaign = Campaign(name="ticket_answer_back", kind=CampaignKind.ANSWER_BACK,
                            flow="ticket_answer_back", pacing="agentless", caller_id="10000",
                            max_attempts=3, ring_timeout=20, max_lines=5,
                            settings={"windows": EVERY_DAY, "retry_delays": {"no_answer": 600}})
        db.add(campaign)
        db.flush()
        store.set_status(db, campaign.id, CampaignStatus.RUNNING, out.clock())
        return campaign.id


def answered_fault_ticket(out, phone: str, code: str) -> str:
    """An agent's fault ticket, worked by the network group and answered with ``code``."""
    now = out.clock()
    with transaction(out.sessions) as db:
        worker = Agent(login="bo_network", display_name="BO", password_hash="-",
                       role=Role.BACKOFFICE) if phone == LISTENER else \
            db.scalar(select(Agent).where(Agent.login == "bo_network"))
        db.add(worker)
        customer = Customer(name=f"Customer {phone[-3:]}", language="zh",
                            phones=[CustomerPhone(number=phone)])
        db.add(customer)
        db.flush()
        owner = db.scalar(select(Agent).where(Agent.login == "agent01"))
        ticket = Ticket(number=next_ticket_number(db, now), category=TicketCategory.FAULT,
                        priority=3, subject="no dial tone", owner_agent_id=owner.id,
                        customer_id=customer.id, created_at=now)
        db.add(ticket)
        db.flush()
        service.dispatch_by_rule(db, ticket, out.rules, now)
        service.accept(db, ticket, worker.id, now)
        service.answer_back(db, ticket, worker.id, "replaced the line card", out.rules, now, code)
        return ticket.number


def ticket(out, number) -> Ticket:
    with out.sessions() as db:
        found = service.find(db, number)
        found.history  # loaded while the session is open
        return found


def test_the_answer_back_call_tells_the_customer_and_closes_the_ticket(line):
    out = line
    out.customers.add(LISTENER, "answers", after=2, then="wait:8 press:1")
    out.customers.add(NEVER_THERE, "never_answers")
    answer_back_campaign(out)
    told = answered_fault_ticket(out, LISTENER, "repaired")
    missed = answered_fault_ticket(out, NEVER_THERE, "no_fault_found")
    assert ticket(out, told).status is S.ANSWERED_BACK

    # the dialer calls both; the listener hears the ticket number and the result, presses 1
    out.run_clock(MONDAY_MORNING + timedelta(minutes=3), step=1, pause=0.1,
                  stop=lambda: ticket(out, told).status is S.CLOSED)
    out.line.wait(lambda: ticket(out, told).status is S.CLOSED, 20,
                  "the told customer's ticket did not close")
    dial = out.customers.dials_to(LISTENER)
    assert len(dial) == 1
    said = out.customers.said(dial[0].uuid)
    assert any(item.endswith(f":{told}") for item in said), said  # the ticket number, digit by digit
    played = out.line.sim.channel(dial[0].uuid).files_played
    assert any("ticket_result_repaired" in item for item in played), played
    closed = ticket(out, told)
    assert (closed.informed_at, closed.not_reached) == (closed.closed_at, False)
    assert MONDAY_MORNING <= closed.closed_at <= out.clock()  # the pinned clock, not the machine's
    assert [h.action for h in closed.history][-3:] == ["answer_back_call", "inform", "close"]
    assert ticket(out, missed).status is S.ANSWERED_BACK  # still being tried

    # the other customer never answers: three calls, ten minutes apart, then flagged
    out.run_clock(MONDAY_MORNING + timedelta(hours=1), step=10, pause=0.1,
                  stop=lambda: ticket(out, missed).status is S.CLOSED)
    out.line.wait(lambda: ticket(out, missed).status is S.CLOSED, 20,
                  "the unreached customer's ticket did not close")
    assert len(out.customers.dials_to(NEVER_THERE)) == 3
    flagged = ticket(out, missed)
    assert flagged.not_reached and flagged.informed_at is None
    assert flagged.history[-1].action == "give_up" and "3 call(s)" in flagged.history[-1].note
