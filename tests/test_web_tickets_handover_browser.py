"""Ownership hand-over and the desk's detail field in the browser: the owner hands a ticket to a named agent
with a note; the history says who, when, from, to and the note; the new owner
finds it in "my tickets"; a hand-over to someone who cannot own it is refused
with a clear message and changes nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import Agent, Ticket, TicketCategory
from callcenter.tickets import next_ticket_number, notifications, service
from callcenter.tickets.dispatch import load_rules
from web_live_fixtures import *  # noqa: F401,F403
from web_live_fixtures import CONSOLE_PASSWORD, log_in
from test_web_backoffice_browser import MONDAY_10, console, english  # noqa: F401,E402

pytestmark = pytest.mark.browser


def ticket_of(sessions, owner_login: str) -> str:
    with transaction(sessions) as db:
        owner = db.scalar(select(Agent).where(Agent.login == owner_login))
        ticket = Ticket(number=next_ticket_number(db, MONDAY_10), category=TicketCategory.FAULT,
                        priority=3, subject="no signal at home", description="since Friday",
                        owner_agent_id=owner.id, created_at=MONDAY_10)
        db.add(ticket)
        db.flush()
        service.dispatch_by_rule(db, ticket, load_rules(), MONDAY_10)
        return ticket.number


def hand_over(page, to: str, note: str) -> None:
    page.fill("#hand-over-form input[name=agent]", to)
    page.fill("#hand-over-form input[name=note]", note)
    page.click("#hand-over-form button[type=submit]")


def test_a_ticket_handed_over_to_a_named_agent_with_a_note(console, browser, sessions):
    number = ticket_of(sessions, "agent01")
    owner = log_in(browser, console.url, "agent01", CONSOLE_PASSWORD)
    owner.set_default_timeout(20_000)
    owner.wait_for_url("**/desk/")
    english(owner)
    owner.goto(f"{console.url}/tickets/{number}")

    hand_over(owner, "bo_complaints", "please take it")  # the back office owns no first contact
    refused = owner.wait_for_selector(".flash.error")
    assert refused.text_content() == "Agent: no active agent bo_complaints"
    with sessions() as db:
        assert service.find(db, number).owner.login == "agent01"

    hand_over(owner, "agent02", "I am on leave from tomorrow")
    assert owner.wait_for_selector(".flash.ok").text_content() == "Ticket handed over."
    row = owner.locator("#history tr.hand_over")
    assert row.count() == 1
    cells = [row.locator("td").nth(i).text_content().strip() for i in range(5)]
    assert cells[0] == "2026-11-23 10:00"  # when: the tickets' clock, in the center's time
    assert cells[1] == console.agent("agent01").display_name  # who
    assert cells[4] == "agent01 -> agent02: I am on leave from tomorrow"  # from, to, note

    successor = log_in(browser, console.url, "agent02", CONSOLE_PASSWORD)
    successor.set_default_timeout(20_000)
    successor.wait_for_url("**/desk/")
    successor.goto(f"{console.url}/tickets/")
    successor.wait_for_selector(f"#ticket-list tr[data-number='{number}']")
    owner.goto(f"{console.url}/tickets/")
    assert owner.locator(f"#ticket-list tr[data-number='{number}']").count() == 0


def test_the_desk_ticket_form_offers_the_categorys_details(console, browser, sessions):
    desk = log_in(browser, console.url, "agent01", CONSOLE_PASSWORD)
    desk.set_default_timeout(20_000)
    desk.wait_for_url("**/desk/")
    english(desk)
    desk.wait_for_selector("#conn.up")
    desk.select_option("#ticket-category", "fault")
    assert desk.locator("#ticket-detail option[value=billing]").is_disabled()
    desk.select_option("#ticket-category", "complaint")
    desk.select_option("#ticket-detail", "billing")
    desk.fill("#ticket-description", "Charged twice in November")
    desk.click("#btn-ticket")
    desk.wait_for_selector("#message:has-text('Ticket created')")
    number = desk.text_content("#message").split()[-1]
    with sessions() as db:
        ticket = service.find(db, number)
        assert (ticket.detail, ticket.backoffice_group) == ("billing", "billing_adjustments")


def test_a_ticket_handed_over_to_a_team_is_taken_and_its_messages_read(console, browser, sessions):
    number = ticket_of(sessions, "agent01")  # a fault: 24 hours, warned 4 hours before
    owner = log_in(browser, console.url, "agent01", CONSOLE_PASSWORD)
    owner.set_default_timeout(20_000)
    owner.wait_for_url("**/desk/")
    english(owner)
    owner.goto(f"{console.url}/tickets/{number}")
    owner.select_option("#hand-over-team-form select[name=team]", "complaints_team")
    owner.fill("#hand-over-team-form input[name=note]", "the customer asked for Liu Yang")
    owner.click("#hand-over-team-form button[type=submit]")
    assert owner.wait_for_selector(".flash.ok").text_content() == "Ticket handed over to the team."
    assert "until one of its agents takes it" in owner.text_content("#owner")

    # the deadline nears while nobody has taken it: the whole team is told
    with transaction(sessions) as db:  # what the engine's tickets timer does
        service.sweep_deadlines(db, load_rules(), MONDAY_10 + timedelta(hours=21))
    member = log_in(browser, console.url, "agent04", CONSOLE_PASSWORD)
    member.set_default_timeout(20_000)
    member.wait_for_url("**/desk/")
    english(member)
    member.goto(f"{console.url}/tickets/")
    # (the engine's own timer runs on the real clock, days after this ticket's deadline:
    # it may have escalated it too)
    with sessions() as db:
        unread = notifications.unread(db, console.agent("agent04").id)
    assert unread >= 1 and member.text_content("#notice-count").strip() == str(unread)
    member.click(f"#team-tickets tr[data-number='{number}'] button[type=submit]")
    assert member.wait_for_selector(".flash.ok").text_content() == "The ticket is yours now."
    assert member.text_content("#owner").strip() == console.agent("agent04").display_name
    member.goto(f"{console.url}/tickets/")
    member.wait_for_selector(f"#ticket-list tr[data-number='{number}']")
    with sessions() as db:
        assert service.find(db, number).owner.login == "agent04"

    member.click("#nav-notifications")
    row = member.wait_for_selector("#notifications tr.unread.deadline_warning")
    assert f"Ticket {number} must be answered back by 2026-11-24 10:00." in row.text_content()
    member.click("#notifications tr.unread.deadline_warning button[type=submit]")
    member.wait_for_selector("#notifications tr.deadline_warning:not(.unread)")
    assert member.text_content("#notice-count").strip() == str(unread - 1)
    member.click("#read-all")
    member.wait_for_selector(".flash.ok")
    assert member.is_hidden("#notice-count") and member.locator("#notifications tr.unread").count() == 0
