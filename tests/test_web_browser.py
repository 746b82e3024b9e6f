"""The console in Debian's headless chromium (Playwright), served by gevent's
WSGIServer in this process; the live engine is the in-memory FakeLive.

Screenshots go to a temporary folder, or to $CALLCENTER_SCREENSHOTS (e.g.
docs/screenshots) when set: agent-desk-zh.png, agent-management.png and
agent-form-error.png. The login, desk and floor shots in docs come from the run
on the real engine (test_web_live_browser.py); this test's go to a scratch folder."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from gevent.pywsgi import WSGIServer
from sqlalchemy import select

from callcenter.models import Call, Role, Ticket
from web.ports import IvrStep, LiveCall, QueueLive
from web_fixtures import *  # noqa: F401,F403
from web_fixtures import PASSWORD, add_agent, add_call, add_customer
from web_live_fixtures import browser  # noqa: F401  (the Debian chromium fixture)

pytestmark = pytest.mark.browser
VIEWPORT = {"width": 1366, "height": 768}


@pytest.fixture
def server(app):
    wsgi = WSGIServer(("127.0.0.1", 0), app, log=None)
    wsgi.start()
    yield f"http://127.0.0.1:{wsgi.server_port}"
    wsgi.stop(timeout=1)


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("CALLCENTER_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def scratch(tmp_path):
    return tmp_path


def log_in(browser, base, login):
    page = browser.new_page(viewport=VIEWPORT, locale="en-US", timezone_id="Asia/Shanghai")
    page.goto(base + "/login")
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    return page


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_call_from_ready_to_wrap_up_with_a_supervisor_barging_in(server, browser, shots,
                                                                   scratch, sessions, fake_live):
    agent = add_agent(sessions, "agent01", skills={"billing": 9}, extension="1001",
                      name="Wang Fang")
    lead = add_agent(sessions, "lead1", role=Role.SUPERVISOR, name="Ma Jun")
    add_agent(sessions, "admin", role=Role.ADMIN, name="Administrator",
              skills={"complaints": 6})
    customer = add_customer(sessions)
    add_call(sessions, "yesterday", "13800000001", customer, agent_id=agent, queued_ago=90000)

    login_page = browser.new_page(viewport=VIEWPORT, locale="en-US", timezone_id="Asia/Shanghai")
    login_page.goto(server + "/login")
    login_page.screenshot(path=scratch / "login.png")

    desk = log_in(browser, server, "agent01")
    desk.wait_for_url("**/desk/")
    desk.wait_for_selector("#state.logged_out")
    desk.wait_for_selector("#conn.up")  # the event stream is open: offers will arrive
    desk.keyboard.press("F2")  # ready, from the keyboard
    desk.wait_for_selector("#state.ready")
    assert fake_live.agent_status(agent).state == "ready"

    add_call(sessions, "call-1", "13800000001", customer, agent_id=agent, wait=None)
    fake_live.queues["billing"] = QueueLive("billing", 3, 42)
    fake_live.offer(agent, LiveCall(
        uuid="call-1", caller_number="13800000001", state="offered", agent_id=None,
        queue="billing", need="billing", customer_id=customer,
        ivr_path=(IvrStep("main", "Main menu", "1"), IvrStep("pin", "Service password", None, True),
                  IvrStep("bill", "Bill inquiry: this month", "1")),
        routing_reason="Billing specialist, level 9; VIP 3 customer served first"))
    desk.wait_for_selector("#pop.is-vip")
    assert desk.text_content("#caller-number") == "13800000001"
    assert "96.50" in desk.text_content("#bills")  # the overdue September bill
    assert "Zhang San" in desk.text_content("#customer-name")
    fake_live.connect(agent)
    desk.wait_for_selector("#state.on_call")
    assert fits(desk)
    desk.screenshot(path=scratch / "agent-desk.png")

    desk.select_option("#ticket-category", "complaint")
    desk.fill("#ticket-description", "Billed twice for September roaming")
    desk.click("#btn-ticket")
    desk.wait_for_selector("#message:has-text('Ticket created')")

    floor = log_in(browser, server, "lead1")
    floor.wait_for_url("**/floor/")
    floor.wait_for_selector("#calls tr[data-call='call-1']")
    assert "VIP 3 customer served first" in floor.text_content("#calls")
    assert "Wang Fang" in floor.text_content("#agents")
    floor.wait_for_selector("#queues td:has-text('billing')")
    assert fits(floor)
    floor.screenshot(path=scratch / "supervisor-floor.png")
    floor.click(f"#agents tr[data-agent='{agent}'] button[data-mode='barge']")
    floor.wait_for_selector("#message:has-text('Barged in')")
    assert ("eavesdrop", lead, agent, "barge") in fake_live.actions
    reason = f"#agents tr[data-agent='{agent}'] .force-reason"
    floor.select_option(reason, "training")
    shown = floor.text_content("#updated")
    floor.wait_for_function("shown => document.getElementById('updated').textContent !== shown",
                            arg=shown)
    assert floor.input_value(reason) == "training"  # a new snapshot keeps what was chosen

    desk.keyboard.press("F9")  # hang up
    desk.wait_for_selector("#state.wrapup")
    desk.select_option("#disposition", "ticket_created")
    desk.fill("#wrapup-notes", "Ticket for the double roaming charge")
    desk.click("#btn-wrapup")
    desk.wait_for_selector("#state.ready")
    with sessions() as db:
        call = db.scalar(select(Call).where(Call.uuid == "call-1"))
        ticket = db.scalar(select(Ticket))
    assert call.disposition == "ticket_created"
    assert ticket.owner_agent_id == agent and ticket.call_id == call.id

    desk.select_option("#language-switch", "zh")  # the agent switches to Mandarin
    desk.click("form:has(#language-switch) button")
    desk.wait_for_selector("#btn-ready:has-text('就绪')")
    desk.wait_for_selector("#conn.up")
    fake_live.offer(agent, LiveCall(uuid="call-2", caller_number="13800000001", state="offered",
                                    agent_id=None, queue="complaints", customer_id=customer,
                                    ivr_path=(IvrStep("main", "主菜单", "3"),),
                                    routing_reason="投诉专席无空闲；综合台，等级 4"))
    desk.wait_for_selector("#pop.is-vip")
    assert "逾期" in desk.text_content("#bills")  # the overdue bill, in Mandarin
    assert "投诉" in desk.text_content("#tickets")  # the complaint opened on the first call
    desk.screenshot(path=shots / "agent-desk-zh.png")

    admin = log_in(browser, server, "admin")
    admin.wait_for_url("**/floor/")
    admin.goto(server + "/admin/agents")
    assert "Wang Fang" in admin.text_content("#agent-list")
    assert fits(admin)
    admin.screenshot(path=shots / "agent-management.png")
    admin.click("text=New agent")
    admin.fill("#login", "agent30")
    admin.fill("#display_name", "Qian Li")
    admin.fill("#password", "long enough pw")
    admin.fill("#sip_extension", "1001")  # Wang Fang's
    admin.fill("#skill_complaints", "7")
    admin.click("button[type=submit].primary")
    admin.wait_for_selector("#sip_extension-error")
    assert admin.input_value("#display_name") == "Qian Li"  # nothing typed is lost
    assert admin.input_value("#skill_complaints") == "7"
    admin.screenshot(path=shots / "agent-form-error.png")
