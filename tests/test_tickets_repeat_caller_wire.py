"""Rule 7 on the wire: a customer who calls again about an open ticket is offered
to the ticket's owner first when the owner is ready (even where the queue's own
routing would pick a specialist), the ticket travelling with the call; an owner
who is not ready does not hold the caller up. Real engine, simulator, database."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from callcenter.db import transaction
from callcenter.live.states import describe_reason  # the desk pop's routing reason
from callcenter.models import Agent, Ticket, TicketCategory, TicketStatus
from engine_fixtures import hotline  # noqa: F401  (fixture)
from test_engine_routing import BILLING_LINE_TO_AN_AGENT, REGULAR


def open_ticket_of(hotline, number: str, owner: str, days_ago: float = 1) -> str:
    customer = hotline.engine.calllog.find_customer(number).customer
    with transaction(hotline.services.sessions) as db:
        agent = db.scalar(select(Agent).where(Agent.login == owner))
        ticket = Ticket(number=f"26112{owner[-2:]}001", category=TicketCategory.COMPLAINT,
                        status=TicketStatus.DISPATCHED, customer_id=customer.id,
                        owner_agent_id=agent.id, subject="charged twice",
                        created_at=datetime.now(timezone.utc) - timedelta(days=days_ago))
        db.add(ticket)
        return ticket.number


def test_a_repeat_caller_reaches_the_ready_owner_first(hotline):
    ticket = open_ticket_of(hotline, REGULAR, "agent10")
    hotline.agent_ready("agent10")  # general 5: not the billing line's specialist
    hotline.agent_ready("agent02")  # billing 7: whom the billing line picks otherwise
    uuid = hotline.sim.place_call(REGULAR, "10001", BILLING_LINE_TO_AN_AGENT + " wait:30 hangup")

    hotline.wait(lambda: hotline.agent_on(uuid), 25, "the repeat caller was never connected")
    assert hotline.agent_on(uuid) == "agent10"
    routed = hotline.event(uuid, "routed")
    assert routed["agent"] == "agent10" and routed["rule"] == "ticket_owner"
    assert routed["tie_break"] == f"ticket {ticket}"
    assert describe_reason(routed) == f"calls again about this agent's open ticket; ticket {ticket}"
    assert hotline.state_of("agent02") == "ready"
    assert hotline.engine.runner.calls[uuid].extras["owner_ticket"] == ticket


def test_an_owner_who_is_not_ready_does_not_hold_the_caller(hotline):
    open_ticket_of(hotline, REGULAR, "agent10")  # agent10 never logs in
    hotline.agent_ready("agent02")
    uuid = hotline.sim.place_call(REGULAR, "10001", BILLING_LINE_TO_AN_AGENT + " wait:30 hangup")
    hotline.wait(lambda: hotline.agent_on(uuid), 25, "the caller was never connected")
    routed = hotline.event(uuid, "routed")
    assert (routed["agent"], routed["rule"]) == ("agent02", "specialist")


def test_an_old_ticket_does_not_route(hotline):
    open_ticket_of(hotline, REGULAR, "agent10", days_ago=8)  # the period is 7 days
    hotline.agent_ready("agent10")
    hotline.agent_ready("agent02")
    uuid = hotline.sim.place_call(REGULAR, "10001", BILLING_LINE_TO_AN_AGENT + " wait:30 hangup")
    hotline.wait(lambda: hotline.agent_on(uuid), 25, "the caller was never connected")
    assert hotline.event(uuid, "routed")["agent"] == "agent02"
