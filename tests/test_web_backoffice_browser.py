"""The tickets' closed loop in two browsers (agent and back office) against the real
engine and the switch simulator: a caller complains, the agent creates the ticket
on the desk, the rule dispatches it, the back office accepts and answers back (in
Mandarin), the owner sees the call-back task, tells the customer, the ticket
closes; with the tickets' clock pinned, a second ticket passes its deadline and
is escalated on the supervisor's back-office page."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import Agent, Role, Ticket, TicketStatus
from callcenter.security import hash_password
from web_live_fixtures import *  # noqa: F401,F403
from web_live_fixtures import CONSOLE_PASSWORD, press_ready, fits, log_in, start_live_console

pytestmark = pytest.mark.browser
CALLER = "13800000004"  # a seeded VIP: the IVR sends the call straight to the queue
MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai


class Clock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def console(sessions, db_engine, write_config, tmp_path, monkeypatch):
    console, wsgi = start_live_console(sessions, db_engine, write_config, tmp_path, monkeypatch)
    console.clock = Clock(MONDAY_10)
    wsgi.application.config["TICKETS_CLOCK"] = console.clock
    with transaction(sessions) as db:
        db.add(Agent(login="bo_complaints", display_name="Li Na", role=Role.BACKOFFICE,
                     password_hash=hash_password(CONSOLE_PASSWORD), language="zh"))
    yield console
    wsgi.stop(timeout=1)
    console.engine.stop()
    console.sim.close()


def english(page):
    if page.get_attribute("html", "lang") != "en":
        page.select_option("#language-switch", "en")
        page.click("form:has(#language-switch) button")
        page.wait_for_selector("html[lang='en']")


def ticket(console, number) -> Ticket:
    with console.services.sessions() as db:
        return db.scalar(select(Ticket).where(Ticket.number == number))


def create_on_desk(desk, category, text):
    desk.select_option("#ticket-category", category)
    desk.fill("#ticket-description", text)
    desk.click("#btn-ticket")
    desk.wait_for_selector("#message:has-text('Ticket created')")
    return desk.text_content("#message").split()[-1]


def test_complaint_dispatched_answered_back_told_and_closed_then_one_escalated(console, browser,
                                                                             shots):
    agent = console.agent("agent01")
    console.register_phone(agent.sip_extension, "answer:1")
    desk = log_in(browser, console.url, "agent01", CONSOLE_PASSWORD)
    desk.set_default_timeout(20_000)
    desk.wait_for_url("**/desk/")
    english(desk)
    desk.wait_for_selector("#conn.up")
    press_ready(desk)

    uuid = console.sim.place_call(CALLER, "10000", "wait:600 hangup")
    desk.wait_for_selector("#state.on_call")
    number = create_on_desk(desk, "complaint", "Charged twice for November roaming")
    dispatched = ticket(console, number)
    assert dispatched.status is TicketStatus.DISPATCHED
    assert dispatched.backoffice_group == "complaints_desk"  # by the shipped rules file
    assert dispatched.call_id == console.call(uuid).id

    # the back office, in its own browser context, in Mandarin (the user's language)
    office = log_in(browser, console.url, "bo_complaints", CONSOLE_PASSWORD)
    office.set_default_timeout(20_000)
    office.goto(console.url + "/backoffice/")
    office.wait_for_selector("h2:has-text('待受理')")
    office.click(f"#waiting tr[data-number='{number}'] a")
    office.click("#btn-accept")
    office.wait_for_selector(".flash.ok:has-text('已受理')")
    office.fill("#result", "已核实重复扣费，11 月漫游费已退回。")
    assert fits(office)
    office.screenshot(path=shots / "backoffice-ticket-zh.png")
    office.click("#btn-answer")
    office.wait_for_selector(".flash.ok:has-text('已回单')")
    assert ticket(console, number).status is TicketStatus.ANSWERED_BACK

    desk.keyboard.press("F9")  # the call ends; the disposition is saved in wrap-up
    desk.wait_for_selector("#state.wrapup")
    desk.select_option("#disposition", "ticket_created")
    desk.click("#btn-wrapup")
    desk.wait_for_selector("#state.ready")

    desk.click("#nav-tickets")
    task = f"#tasks tr[data-number='{number}']"
    desk.wait_for_selector(task)
    assert "11 月漫游费已退回" in desk.text_content(task)
    assert fits(desk)
    desk.screenshot(path=shots / "my-tickets.png")
    desk.click(f"{task} button[value='told']")
    desk.wait_for_selector(".flash.ok:has-text('the ticket is closed')")
    closed = ticket(console, number)
    assert closed.status is TicketStatus.CLOSED and closed.informed_at == MONDAY_10

    # a fault must be answered within 24 h; nobody answers it
    desk.goto(console.url + "/desk/")
    desk.wait_for_selector("#conn.up")
    press_ready(desk)
    console.sim.place_call(CALLER, "10000", "wait:600 hangup")
    desk.wait_for_selector("#state.on_call")
    late = create_on_desk(desk, "fault", "No signal at home since yesterday")
    assert ticket(console, late).backoffice_group == "network_repair"
    console.clock.at = MONDAY_10 + timedelta(hours=25)
    desk.goto(console.url + "/tickets/")
    desk.wait_for_selector(f"#ticket-list tr.overdue.escalated[data-number='{late}']")
    assert ticket(console, late).escalated_at == MONDAY_10 + timedelta(hours=25)

    lead = log_in(browser, console.url, "lead1", CONSOLE_PASSWORD)
    lead.set_default_timeout(20_000)
    lead.goto(console.url + "/backoffice/")
    english(lead)
    lead.wait_for_selector(f"#escalated tr[data-number='{late}']")
    assert number not in lead.text_content("#escalated")
