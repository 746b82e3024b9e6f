"""The closed loop on a real SQLite database: dispatch by rule, accept, answer back,
the owner's task, closing only when told or out of attempts, hand-over, reopen,
the deadline sweep. Every clock is pinned."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import (Agent, Role, Ticket, TicketCategory, TicketOutbox, TicketStatus as S,
                               TicketTask)
from callcenter.tickets import next_ticket_number, service
from callcenter.tickets.dispatch import load_rules
from callcenter.tickets.states import IllegalTicketTransition

RULES = load_rules()  # the shipped file: complaints 2 working days, roaming forwarded
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai


@pytest.fixture
def people(sessions):
    with transaction(sessions) as db:
        rows = {login: Agent(login=login, display_name=login, password_hash="-",
                             role=role)
                for login, role in (("agent01", Role.AGENT), ("agent02", Role.AGENT),
                                    ("bo_complaints", Role.BACKOFFICE), ("lead", Role.SUPERVISOR))}
        db.add_all(rows.values())
        db.flush()
        return {login: agent.id for login, agent in rows.items()}


def open_ticket(sessions, people, category=TicketCategory.COMPLAINT, detail=None, at=MONDAY,
                priority=3) -> str:
    with transaction(sessions) as db:
        ticket = Ticket(number=next_ticket_number(db, at), category=category, detail=detail,
                        priority=priority, subject="no signal at home", description="since Friday",
                        owner_agent_id=people["agent01"], created_at=at)
        db.add(ticket)
        db.flush()
        service.dispatch_by_rule(db, ticket, RULES, at)
        return ticket.number


def steps(db, number):
    return [(h.action, h.from_status, h.to_status) for h in service.find(db, number).history]


def test_the_whole_loop_with_who_and_when(sessions, people):
    number = open_ticket(sessions, people)
    bo, later = people["bo_complaints"], MONDAY + timedelta(hours=1)
    with transaction(sessions) as db:
        ticket = service.find(db, number)
        assert (ticket.status, ticket.backoffice_group) == (S.DISPATCHED, "complaints_desk")
        # two working days from Monday 10:00 in Shanghai: Wednesday 10:00
        assert ticket.answer_back_deadline == datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)
        service.accept(db, ticket, bo, later)
        service.add_note(db, ticket, bo, "checked the cell site", later)
        service.start(db, ticket, bo, later)
        task = service.answer_back(db, ticket, bo, "the cell site was repaired", RULES, later)
    assert task.agent_id == people["agent01"] and task.kind == service.INFORM
    with transaction(sessions) as db:
        task = db.scalar(select(TicketTask))
        service.inform_attempt(db, task, people["agent01"], True, "", RULES, later + timedelta(hours=1))
    with sessions() as db:
        ticket = service.find(db, number)
        assert ticket.status is S.CLOSED and ticket.informed_at and not ticket.not_reached
        assert steps(db, number) == [
            ("dispatch", "new", "dispatched"), ("accept", "dispatched", "accepted"),
            ("note", None, None), ("start", "accepted", "in_progress"),
            ("answer_back", "in_progress", "answered_back"),
            ("inform", "answered_back", "customer_informed"), ("close", "customer_informed", "closed")]
        who = [h.agent_id for h in ticket.history]
        assert who == [None, bo, bo, bo, bo, people["agent01"], people["agent01"]]
        assert ticket.history[1].at == later


def test_illegal_steps_are_refused_and_change_nothing(sessions, people):
    number = open_ticket(sessions, people)
    with pytest.raises(IllegalTicketTransition, match="'answer_back' is not allowed on a ticket "
                                                      "that is dispatched"):
        with transaction(sessions) as db:
            service.answer_back(db, service.find(db, number), people["bo_complaints"], "done",
                                RULES, MONDAY)
    with sessions() as db:
        assert service.find(db, number).status is S.DISPATCHED and not db.scalars(select(TicketTask)).all()


def test_closing_waits_for_the_attempts_to_run_out(sessions, people):
    number = open_ticket(sessions, people, category=TicketCategory.FAULT)
    with transaction(sessions) as db:
        ticket = service.find(db, number)
        service.accept(db, ticket, people["bo_complaints"], MONDAY)
        service.answer_back(db, ticket, people["bo_complaints"], "fixed", RULES, MONDAY)
    for attempt in range(1, RULES.inform_attempts + 1):
        with transaction(sessions) as db:
            task = db.scalar(select(TicketTask))
            service.inform_attempt(db, task, people["agent01"], False, "no answer", RULES, MONDAY)
            expected = S.CLOSED if attempt == RULES.inform_attempts else S.ANSWERED_BACK
            assert task.ticket.status is expected
    with sessions() as db:
        ticket = service.find(db, number)
        assert ticket.not_reached and ticket.tasks[0].outcome == "not_reached"


def test_send_back_needs_a_reason_and_returns_to_the_center(sessions, people):
    number = open_ticket(sessions, people)
    with pytest.raises(service.TicketFormError) as refused:
        with transaction(sessions) as db:
            service.send_back(db, service.find(db, number), people["bo_complaints"], "  ", MONDAY)
    assert refused.value.field == "reason"
    with transaction(sessions) as db:
        ticket = service.find(db, number)
        service.send_back(db, ticket, people["bo_complaints"], "not a network fault", MONDAY)
        assert ticket.status is S.RETURNED
        service.redispatch(db, ticket, "billing_adjustments", people["lead"], "billing issue",
                           RULES, MONDAY)
        assert (ticket.status, ticket.backoffice_group) == (S.DISPATCHED, "billing_adjustments")
    with pytest.raises(service.TicketFormError, match="unknown group"):
        with transaction(sessions) as db:
            service.redispatch(db, service.find(db, number), "nowhere", people["lead"], "x",
                               RULES, MONDAY)


def test_hand_over_is_explicit_with_a_note_and_moves_the_tasks(sessions, people):
    number = open_ticket(sessions, people)
    with transaction(sessions) as db:
        ticket = service.find(db, number)
        service.accept(db, ticket, people["bo_complaints"], MONDAY)
        service.answer_back(db, ticket, people["bo_complaints"], "refund made", RULES, MONDAY)
    with pytest.raises(service.TicketFormError, match="needs a note"):
        with transaction(sessions) as db:
            service.hand_over(db, service.find(db, number), people["agent01"], "agent02", "", MONDAY)
    with pytest.raises(service.TicketFormError, match="no active agent 'bo_complaints'"):
        with transaction(sessions) as db:
            service.hand_over(db, service.find(db, number), people["agent01"], "bo_complaints",
                              "on leave", MONDAY)
    with transaction(sessions) as db:
        ticket = service.find(db, number)
        service.hand_over(db, ticket, people["agent01"], "agent02", "on leave from tomorrow", MONDAY)
    with sessions() as db:
        ticket = service.find(db, number)
        assert ticket.owner_agent_id == people["agent02"] and ticket.tasks[0].agent_id == people["agent02"]
        last = ticket.history[-1]
        assert (last.action, last.agent_id, last.at, last.note) == (
            "hand_over", people["agent01"], MONDAY, "agent01 -> agent02: on leave from tomorrow")


def test_reopening_an_answered_ticket_drops_the_call_back_task(sessions, people):
    number = open_ticket(sessions, people)
    with transaction(sessions) as db:
        ticket = service.find(db, number)
        service.accept(db, ticket, people["bo_complaints"], MONDAY)
        service.answer_back(db, ticket, people["bo_complaints"], "refunded", RULES, MONDAY)
        service.reopen(db, ticket, people["agent01"], "the refund never came", RULES, MONDAY)
        assert service.open_tasks(ticket) == [] and ticket.tasks[0].outcome == "reopened"


def test_reopen_sends_it_back_to_the_group_with_a_new_deadline(sessions, people):
    number = open_ticket(sessions, people)
    later = MONDAY + timedelta(days=3)
    with transaction(sessions) as db:
        ticket = service.find(db, number)
        service.accept(db, ticket, people["bo_complaints"], MONDAY)
        service.answer_back(db, ticket, people["bo_complaints"], "fixed", RULES, MONDAY)
        service.inform_attempt(db, ticket.tasks[0], people["agent01"], True, "", RULES, MONDAY)
        service.reopen(db, ticket, people["agent01"], "still no signal", RULES, later)
        assert ticket.status is S.DISPATCHED and ticket.closed_at is None
        assert ticket.answer_back_deadline > later
    with sessions() as db:
        assert [a for a, *_ in steps(db, number)][-2:] == ["reopen", "dispatch"]


def test_roaming_complaints_are_put_in_the_outbox_with_the_ticket(sessions, people):
    roaming = open_ticket(sessions, people, detail="roaming")
    open_ticket(sessions, people, detail="billing")
    with sessions() as db:
        messages = db.scalars(select(TicketOutbox)).all()
        assert [m.payload["ticket"] for m in messages] == [roaming]
        assert messages[0].status == "pending"


def test_the_sweep_warns_then_escalates_each_once(sessions, people):
    number = open_ticket(sessions, people, category=TicketCategory.FAULT)  # 24 h, warned 4 h before
    with transaction(sessions) as db:
        assert service.sweep_deadlines(db, RULES, MONDAY + timedelta(hours=19)) == []
        assert service.sweep_deadlines(db, RULES, MONDAY + timedelta(hours=21)) == [(number, "warning")]
        assert service.sweep_deadlines(db, RULES, MONDAY + timedelta(hours=22)) == []
        assert service.sweep_deadlines(db, RULES, MONDAY + timedelta(hours=25)) == [(number, "escalated")]
        assert service.sweep_deadlines(db, RULES, MONDAY + timedelta(hours=26)) == []
    with sessions() as db:
        ticket = service.find(db, number)
        assert ticket.escalated_at == MONDAY + timedelta(hours=25)
        assert [h.action for h in ticket.history][-2:] == ["deadline_warning", "escalated"]


def test_an_answered_ticket_is_not_escalated(sessions, people):
    number = open_ticket(sessions, people, category=TicketCategory.FAULT)
    with transaction(sessions) as db:
        ticket = service.find(db, number)
        service.accept(db, ticket, people["bo_complaints"], MONDAY)
        service.answer_back(db, ticket, people["bo_complaints"], "fixed", RULES, MONDAY)
        assert service.sweep_deadlines(db, RULES, MONDAY + timedelta(days=5)) == []
