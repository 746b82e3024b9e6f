"""The answer-back call through the console: the back office picks the result code
the call will say (required, from the rules file), the ticket page says an automated
call will tell the customer, and a ticket closed "customer not reached" shows on its
owner's My tickets and on the floor. Flask test client, real database, pinned clock."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import (Campaign, CampaignContact, CampaignKind, CampaignStatus,
                               ContactStatus, TicketStatus, TicketTask)
from callcenter.tickets import agentless
from callcenter.tickets.dispatch import DEFAULT_RULES
from web import create_app
from web.tickets import rules
from web_fixtures import *  # noqa: F401,F403
from test_web_backoffice import MONDAY_10, Clock, as_user, create, form, people, status_of  # noqa: F401


@pytest.fixture
def clock():
    return Clock(MONDAY_10)


@pytest.fixture
def app(web_services, clock, tmp_path, sessions):
    text = DEFAULT_RULES.read_text(encoding="utf-8").replace(
        "{category: fault, group: network_repair}", "{category: fault, group: network_repair, tell: call}")
    path = tmp_path / "dispatch.yaml"
    path.write_text(text, encoding="utf-8")
    with transaction(sessions) as db:
        db.add(Campaign(name="ticket_answer_back", kind=CampaignKind.ANSWER_BACK,
                        flow="ticket_answer_back", status=CampaignStatus.RUNNING))
    return create_app(web_services, {"TESTING": True, "LOGIN_FAILURE_DELAY": 0.0,
                                     "TICKETS_CLOCK": clock, "TICKET_RULES": str(path)})


def accepted_fault(app, people) -> tuple[str, object]:
    number = create(as_user(app, "agent01"), people["customer"], category="fault")
    office = as_user(app, "bo_network")
    form(office, f"/backoffice/tickets/{number}/accept")
    return number, office


def test_the_back_office_picks_the_result_the_call_says(app, sessions, people):
    number, office = accepted_fault(app, people)
    page = office.get(f"/tickets/{number}").get_data(as_text=True)
    assert 'name="result_code"' in page and 'value="repaired"' in page

    refused = form(office, f"/backoffice/tickets/{number}/answer", result="Line card replaced.")
    assert status_of(sessions, number) is TicketStatus.ACCEPTED
    shown = office.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Result the call will say: choose the result the call will say" in shown

    reply = form(office, f"/backoffice/tickets/{number}/answer", result="Line card replaced.",
                 result_code="repaired")
    assert status_of(sessions, number) is TicketStatus.ANSWERED_BACK
    assert "an automated call will tell the customer" in \
        office.get(reply.headers["Location"]).get_data(as_text=True)
    page = as_user(app, "agent01").get(f"/tickets/{number}").get_data(as_text=True)
    assert 'id="answer-back-call"' in page and 'id="result-code"' in page
    assert 'id="inform-form"' not in page  # the owner does not call: the automated call does
    mine = as_user(app, "agent01").get("/tickets/").get_data(as_text=True)
    assert number not in mine.split('id="tasks"')[1].split("</section>")[0]


def test_a_complaint_still_goes_to_its_owner(app, sessions, people):
    number = create(as_user(app, "agent01"), people["customer"], category="complaint")
    office = as_user(app, "bo_complaints")
    form(office, f"/backoffice/tickets/{number}/accept")
    assert 'name="result_code"' not in office.get(f"/tickets/{number}").get_data(as_text=True)
    form(office, f"/backoffice/tickets/{number}/answer", result="Refunded.")
    mine = as_user(app, "agent01").get("/tickets/").get_data(as_text=True)
    assert number in mine.split('id="tasks"')[1].split("</section>")[0]


def test_not_reached_shows_on_the_owners_desk_and_the_floor(app, sessions, people, clock):
    number, office = accepted_fault(app, people)
    form(office, f"/backoffice/tickets/{number}/answer", result="Fixed.", result_code="repaired")
    assert 'id="not-reached"' not in as_user(app, "agent01").get("/tickets/").get_data(as_text=True)
    with transaction(sessions) as db:  # what the dialer leaves after the campaign's attempts
        contact = db.get(CampaignContact, db.scalar(select(TicketTask.campaign_contact_id)))
        contact.status, contact.result, contact.attempts = ContactStatus.EXHAUSTED, "no_answer", 3
    clock.at = MONDAY_10 + timedelta(hours=3)
    with app.app_context(), transaction(sessions) as db:  # the engine's tickets timer
        assert agentless.settle_calls(db, rules(), clock.at) == [(number, "not_reached")]
    mine = as_user(app, "agent01").get("/tickets/").get_data(as_text=True)
    assert number in mine.split('id="not-reached"')[1].split("</section>")[0]
    assert 'id="not-reached"' not in as_user(app, "agent02").get("/tickets/").get_data(as_text=True)
    floor = as_user(app, "lead").get("/floor/").get_data(as_text=True)
    panel = floor.split('id="not-reached-tickets"')[1].split("</section>")[0]
    assert 'id="not-reached-count">1<' in panel and f'href="/tickets/{number}"' in panel
    clock.at += timedelta(days=8)  # a week later it is off the lists
    assert number not in as_user(app, "lead").get("/floor/").get_data(as_text=True)
