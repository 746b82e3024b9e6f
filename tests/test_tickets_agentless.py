"""Tickets told by an agentless answer-back call (回告, ``tell: call``): the rules
file's option, the verdict table, and the ticket's customer fed to the answer-back
campaign when the back office answers; the ticket closed when the dialer is done.
Real database (SQLite, or PostgreSQL with CALLCENTER_TEST_DATABASE_URL); clocks pinned."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import (Campaign, CampaignContact, CampaignKind, CampaignStatus,
                               ContactStatus as C, Customer, CustomerPhone, Ticket, TicketCategory,
                               TicketStatus as S, TicketTask)
from callcenter.tickets import agentless, next_ticket_number, service
from callcenter.tickets.dispatch import DispatchRulesError, parse_rules
from callcenter.tickets.telling import NOT_REACHED, TOLD, VERDICTS, verdict
from test_tickets_dispatch import GOOD
from test_tickets_service import MONDAY, people  # noqa: F401  (fixture)

BY_CALL = GOOD.replace("{category: fault, group: repair}", "{category: fault, group: repair, tell: call}") \
    + "inform:\n  campaign: ticket_answer_back\n  results: {repaired: 故障已修复, resolved: 已解决}\n"
RULES = parse_rules(BY_CALL, "rules.yaml")


# --- the rules file --------------------------------------------------------------------------

def test_a_rule_says_who_tells_the_customer():
    assert RULES.tells_by_call("fault") and not RULES.tells_by_call("complaint")
    assert RULES.inform_campaign == "ticket_answer_back"
    assert RULES.results == {"repaired": "故障已修复", "resolved": "已解决"}
    assert not parse_rules(GOOD).tells_by_call("fault")  # the default: the owner calls


@pytest.mark.parametrize("text,where,message", [
    (BY_CALL.replace("tell: call", "tell: robot"), "rules.yaml:12:",
     "tell must be agent (the owner calls) or call (an agentless call), got 'robot'"),
    (BY_CALL.replace("  campaign: ticket_answer_back\n", ""), "rules.yaml:",
     "a rule says 'tell: call' but 'inform: campaign:' (the answer-back campaign) is not set"),
    (BY_CALL.replace("  results: {repaired: 故障已修复, resolved: 已解决}\n", ""), "rules.yaml:",
     "'inform: results:' (the result codes the call can say) is empty"),
    (BY_CALL.replace("repaired: 故障已修复", "Repaired!: 故障已修复"), "rules.yaml:24:13:",
     "a result code is lower-case letters, digits and _"),
    (BY_CALL.replace("campaign: ticket_answer_back", "agentless: [fault]"), "rules.yaml:23:3:",
     "inform.agentless was replaced by 'tell: call'"),
])
def test_mistakes_in_telling_are_reported_with_file_and_line(text, where, message):
    with pytest.raises(DispatchRulesError) as refused:
        parse_rules(text, "rules.yaml")
    matching = [p for p in refused.value.problems if message in p]
    assert matching and matching[0].startswith(where), refused.value.problems


# --- the verdict table -------------------------------------------------------------------------

@pytest.mark.parametrize("status,result,outcome", [
    (C.PENDING, None, None), (C.DIALING, None, None), (C.PENDING, "no_answer", None),
    (C.DONE, "heard_flow", TOLD), (C.DONE, "to_agent", TOLD),
    (C.DONE, "hung_up_in_flow", NOT_REACHED), (C.DONE, "no_flow", NOT_REACHED),
    (C.EXHAUSTED, "no_answer", NOT_REACHED), (C.EXHAUSTED, "busy", NOT_REACHED),
    (C.FAILED, "unallocated", NOT_REACHED), (C.SKIPPED, "do_not_call", NOT_REACHED),
    (C.SKIPPED, "opted_out", NOT_REACHED),
])
def test_was_the_customer_told(status, result, outcome):
    assert verdict(status, result) == outcome


def test_the_table_covers_every_contact_status():
    assert {status for status, _heard in VERDICTS} == set(C)


# --- on the database ---------------------------------------------------------------------------

@pytest.fixture
def campaign(sessions):
    with transaction(sessions) as db:
        row = Campaign(name="ticket_answer_back", kind=CampaignKind.ANSWER_BACK, flow="ticket_answer_back",
                       status=CampaignStatus.RUNNING, max_attempts=3)
        db.add(row)
        db.flush()
        return row.id


def fault_ticket(sessions, people, phone="8613900000007") -> str:
    with transaction(sessions) as db:
        customer = Customer(name="Li Lei", language="zh")
        db.add(customer)
        db.flush()
        if phone:
            db.add(CustomerPhone(customer_id=customer.id, number=phone))
        ticket = Ticket(number=next_ticket_number(db, MONDAY), category=TicketCategory.FAULT,
                        priority=3, subject="no dial tone", owner_agent_id=people["agent01"],
                        customer_id=customer.id, created_at=MONDAY)
        db.add(ticket)
        db.flush()
        service.dispatch_by_rule(db, ticket, RULES, MONDAY)
        service.accept(db, ticket, people["bo_complaints"], MONDAY)
        return ticket.number


def answer(sessions, people, number, code="repaired", at=MONDAY + timedelta(hours=2)):
    with transaction(sessions) as db:
        task = service.answer_back(db, service.find(db, number), people["bo_complaints"],
                                   "line card replaced", RULES, at, code)
        return task.kind, task.agent_id


def contact_of(sessions, number) -> CampaignContact:
    with sessions() as db:
        task = db.scalar(select(TicketTask).join(Ticket).where(Ticket.number == number))
        return db.get(CampaignContact, task.campaign_contact_id)


def finish_call(sessions, number, status, result, attempts=1) -> None:
    with transaction(sessions) as db:
        task = db.scalar(select(TicketTask).join(Ticket).where(Ticket.number == number))
        contact = db.get(CampaignContact, task.campaign_contact_id)
        contact.status, contact.result, contact.attempts = status, result, attempts


def test_answering_back_puts_the_customer_on_the_answer_back_campaign(sessions, people, campaign):
    number = fault_ticket(sessions, people)
    assert answer(sessions, people, number) == (service.AGENTLESS, None)  # not on the owner's desk
    contact = contact_of(sessions, number)
    assert (contact.campaign_id, contact.phone, contact.status) == (campaign, "8613900000007", C.PENDING)
    assert contact.data == {"ticket_number": number, "result_code": "repaired"}
    assert (contact.name, contact.language) == ("Li Lei", "zh")
    with sessions() as db:
        ticket = service.find(db, number)
        assert (ticket.status, ticket.result_code) == (S.ANSWERED_BACK, "repaired")
        assert ticket.history[-1].action == "answer_back_call"


def test_a_told_customer_closes_the_ticket_with_history(sessions, people, campaign):
    number = fault_ticket(sessions, people)
    answer(sessions, people, number)
    with transaction(sessions) as db:  # the dialer is not done: nothing moves
        assert agentless.settle_calls(db, RULES, MONDAY + timedelta(hours=3)) == []
    finish_call(sessions, number, C.DONE, "heard_flow", attempts=2)
    at = MONDAY + timedelta(hours=4)
    with transaction(sessions) as db:
        assert agentless.settle_calls(db, RULES, at) == [(number, TOLD)]
    with transaction(sessions) as db:  # once
        assert agentless.settle_calls(db, RULES, at + timedelta(hours=1)) == []
    with sessions() as db:
        ticket = service.find(db, number)
        assert (ticket.status, ticket.informed_at, ticket.closed_at, ticket.not_reached) == \
            (S.CLOSED, at, at, False)
        assert [(h.action, h.to_status, h.agent_id) for h in ticket.history[-2:]] == \
            [("inform", "customer_informed", None), ("close", "closed", None)]
        assert "2 call(s)" in ticket.history[-2].note
        assert (ticket.tasks[0].outcome, ticket.tasks[0].attempts) == (TOLD, 2)


def test_attempts_run_out_the_ticket_closes_flagged_not_reached(sessions, people, campaign):
    number = fault_ticket(sessions, people)
    answer(sessions, people, number)
    finish_call(sessions, number, C.EXHAUSTED, "no_answer", attempts=3)
    with transaction(sessions) as db:
        assert agentless.settle_calls(db, RULES, MONDAY + timedelta(days=1)) == [(number, NOT_REACHED)]
    with sessions() as db:
        ticket = service.find(db, number)
        assert (ticket.status, ticket.not_reached, ticket.informed_at) == (S.CLOSED, True, None)
        assert ticket.history[-1].action == "give_up" and "3 call(s): no_answer" in ticket.history[-1].note


def test_the_result_code_is_required_and_known(sessions, people, campaign):
    number = fault_ticket(sessions, people)
    for code in (None, "fixed"):
        with pytest.raises(service.TicketFormError) as refused:
            answer(sessions, people, number, code)
        assert refused.value.field == "result_code"
    with sessions() as db:
        assert service.find(db, number).status is S.ACCEPTED  # nothing moved


@pytest.mark.parametrize("why", ["no campaign", "stopped", "no phone"])
def test_no_call_possible_the_owner_tells_the_customer(sessions, people, campaign, why):
    with transaction(sessions) as db:
        if why == "no campaign":
            db.get(Campaign, campaign).name = "renamed"
        elif why == "stopped":
            db.get(Campaign, campaign).status = CampaignStatus.STOPPED
    number = fault_ticket(sessions, people, phone=None if why == "no phone" else "8613900000007")
    assert answer(sessions, people, number) == (service.INFORM, people["agent01"])
    with sessions() as db:
        note = service.find(db, number).history[-1].note
        assert note.endswith(": the owner tells the customer"), note


def test_a_second_ticket_for_a_number_already_waiting_goes_to_the_owner(sessions, people, campaign):
    first = fault_ticket(sessions, people)
    answer(sessions, people, first)
    with transaction(sessions) as db:
        second_ticket = service.find(db, fault_ticket(sessions, people, phone=None))
        second_ticket.customer_id = service.find(db, first).customer_id
        second = second_ticket.number
    assert answer(sessions, people, second) == (service.INFORM, people["agent01"])
    # once the first call is over, the number is called again for a third ticket
    finish_call(sessions, first, C.DONE, "heard_flow")
    with transaction(sessions) as db:
        third_ticket = service.find(db, fault_ticket(sessions, people, phone=None))
        third_ticket.customer_id = service.find(db, first).customer_id
        third = third_ticket.number
    assert answer(sessions, people, third) == (service.AGENTLESS, None)
    with sessions() as db:
        assert service.find(db, first).status is S.CLOSED  # settled before the contact was reused
        assert contact_of(sessions, third).data["ticket_number"] == third


def test_a_reopened_ticket_withdraws_the_call_not_yet_made(sessions, people, campaign):
    number = fault_ticket(sessions, people)
    answer(sessions, people, number)
    with transaction(sessions) as db:
        service.reopen(db, service.find(db, number), people["agent01"], "still no dial tone", RULES,
                       MONDAY + timedelta(hours=3))
    contact = contact_of(sessions, number)
    assert (contact.status, contact.reason) == (C.SKIPPED, "ticket reopened")
    with transaction(sessions) as db:  # the skipped contact does not move the reopened ticket
        assert agentless.settle_calls(db, RULES, MONDAY + timedelta(hours=4)) == []
    with sessions() as db:
        assert service.find(db, number).status is S.DISPATCHED


def test_the_shipped_flow_says_every_result_code_of_the_shipped_rules():
    """Each code the back office can pick has its own recorded phrase in the flow (a code
    the flow does not know would get the general 'dealt with' phrase)."""
    from pathlib import Path

    import yaml

    from callcenter.tickets.dispatch import default_rules
    flow = yaml.safe_load((Path(__file__).resolve().parent.parent / "ivr_flows" /
                           "ticket_answer_back.yaml").read_text(encoding="utf-8"))
    cases = {case["when"]["equals"]: case["next"] for case in flow["nodes"]["result"]["cases"]}
    assert default_rules().inform_campaign == "ticket_answer_back"
    for code in default_rules().results:
        assert flow["nodes"][cases[code]]["prompts"] == [f"ticket_result_{code}"]
        assert set(flow["prompts"][f"ticket_result_{code}"]) == {"zh", "en"}
    assert flow["nodes"]["result"]["else"] == "result_other"
