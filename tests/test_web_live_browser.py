"""The console on the real engine, in Debian's headless chromium: a call placed
on the switch simulator reaches a ready agent's desk with the customer's bills,
the agent opens a ticket and wraps up with a disposition and a callback time,
and a supervisor sees the call on the floor with its routing reason and barges
in (the simulator shows the supervisor's leg eavesdropping in barge mode).

CALLCENTER_SCREENSHOTS=docs/screenshots rewrites login.png, agent-desk.png and
supervisor-floor.png from this run."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from callcenter.models import (Account, Bill, CallbackRequest, Customer, CustomerPhone,
                               CustomerTier, Ticket, TicketCategory)
from callcenter.phone import normalize_phone
from callcenter.tickets.deadlines import deadline
from callcenter.tickets.dispatch import default_rules
from web_live_fixtures import *  # noqa: F401,F403
from web_live_fixtures import (CONSOLE_PASSWORD, SUPERVISOR_EXTENSION, fits, log_in, press_ready,
                               open_page)

pytestmark = pytest.mark.browser
VIP_CALLER = "13800000004"  # seeded VIP 3: the IVR sends the call straight to the queue
SHANGHAI = ZoneInfo("Asia/Shanghai")  # config general.timezone; the browser's zone too


def _customer_and_latest_bill(console):
    with console.services.sessions() as db:
        customer = db.scalar(select(Customer).join(CustomerPhone)
                             .where(CustomerPhone.number == normalize_phone(VIP_CALLER)))
        bill = db.scalar(select(Bill).join(Account).where(Account.customer_id == customer.id)
                         .order_by(Bill.period.desc()).limit(1))
        return customer.id, customer.name, customer.tier, bill.amount_due_cents


def in_english(page):
    if page.get_attribute("html", "lang") != "en":
        page.select_option("#language-switch", "en")
        page.click("form:has(#language-switch) button")
        page.wait_for_selector("html[lang='en']")


def _barging(console):
    return [c for c in console.sim.channels() if c.eavesdrop_mode == "barge" and not c.gone]


def reason_shown(desk, seconds: float = 10.0) -> str:
    """The pop's routing reason once the reloaded desk has drawn it ('—' until then); polled
    from here: the console's CSP refuses the string evaluation wait_for_function would use."""
    for _ in range(int(seconds / 0.1)):
        text = desk.text_content("#routing-reason") or ""
        if len(text) > 1:
            return text
        desk.wait_for_timeout(100)
    return desk.text_content("#routing-reason") or ""


def test_a_real_call_pops_is_ticketed_wrapped_up_and_barged_into(live_console, browser, shots):
    console = live_console
    agent = console.agent("agent01")
    customer_id, customer_name, tier, latest_due = _customer_and_latest_bill(console)
    assert tier is CustomerTier.VIP3
    console.register_phone(agent.sip_extension, "answer:1")
    console.register_phone(SUPERVISOR_EXTENSION, "answer:1")

    login = open_page(browser)
    login.goto(console.url + "/login")
    assert "simulator" in login.text_content("#sim-banner")
    login.screenshot(path=shots / "login.png")

    desk = log_in(browser, console.url, "agent01", CONSOLE_PASSWORD)
    desk.set_default_timeout(20_000)
    desk.wait_for_url("**/desk/")
    in_english(desk)  # the seed makes agent01 a Mandarin speaker; the switcher is on every page
    desk.wait_for_selector("#state.logged_out")
    desk.wait_for_selector("#conn.up")  # the event stream is open: the offer will arrive
    press_ready(desk)
    assert console.engine.live.agent_status(agent.id).state == "ready"

    uuid = console.sim.place_call(VIP_CALLER, "10000", "wait:600 hangup")
    desk.wait_for_selector("#pop.is-vip")
    desk.wait_for_selector("#state.on_call")  # the agent's phone answered
    console.wait(lambda: console.sim.channel(uuid).bridged_to, 10,
                 "the caller bridged to the agent")
    assert desk.text_content("#caller-number") == VIP_CALLER
    assert desk.text_content("#customer-name").strip() == customer_name
    assert f"{latest_due / 100:.2f}" in desk.text_content("#bills")
    reason = console.engine.live.current_call(agent.id).routing_reason
    assert reason and desk.text_content("#routing-reason") == reason
    # the Mandarin desk words the same reason in Mandarin (issue 14), then back to English
    desk.select_option("#language-switch", "zh")
    desk.click("form:has(#language-switch) button")
    desk.wait_for_selector("html[lang='zh-CN']")
    mandarin = reason_shown(desk)
    assert mandarin != reason and any("\u4e00" <= ch <= "\u9fff" for ch in mandarin), mandarin
    in_english(desk)
    assert reason_shown(desk) == reason
    call = console.call(uuid)
    assert call.agent_id == agent.id and call.customer_id == customer_id
    assert fits(desk)
    desk.screenshot(path=shots / "agent-desk.png")

    desk.select_option("#ticket-category", "complaint")
    desk.fill("#ticket-description", "Billed twice for November roaming")
    desk.click("#btn-ticket")
    desk.wait_for_selector("#message:has-text('Ticket created')")
    with console.services.sessions() as db:
        ticket = db.scalar(select(Ticket).where(Ticket.call_id == call.id))
    assert ticket is not None, "no ticket on the call"
    assert ticket.owner_agent_id == agent.id and ticket.customer_id == customer_id
    assert ticket.category is TicketCategory.COMPLAINT
    rules = default_rules()  # dispatched by rule: two working days for a complaint
    assert ticket.answer_back_deadline == deadline(
        ticket.created_at, rules.limit("complaint", ticket.priority), rules.calendar)

    floor = log_in(browser, console.url, "lead1", CONSOLE_PASSWORD)
    floor.set_default_timeout(20_000)
    floor.wait_for_url("**/floor/")
    in_english(floor)
    row = f"#calls tr[data-call='{uuid}']"
    floor.wait_for_selector(row)
    assert reason in floor.text_content(row) and VIP_CALLER in floor.text_content(row)
    assert "Wang Fang" in floor.text_content(row)
    floor.wait_for_selector(f"#agents tr[data-agent='{agent.id}'] .state-on_call")
    floor.click(f"#agents tr[data-agent='{agent.id}'] button[data-mode='barge']")
    floor.wait_for_selector("#message:has-text('Barged in')")
    console.wait(lambda: _barging(console), 15, "the supervisor's leg barging in")
    leg = _barging(console)[0]
    assert leg.destination == SUPERVISOR_EXTENSION and leg.answered  # lead1's phone rang
    agent_leg = console.sim.channel(uuid).bridged_to
    assert ("eavesdrop", agent_leg) in leg.applications  # the agent's leg of the call being handled
    assert fits(floor)
    floor.screenshot(path=shots / "supervisor-floor.png")

    callback_local = (datetime.now(SHANGHAI) + timedelta(days=1)).replace(
        hour=10, minute=30, second=0, microsecond=0)
    desk.keyboard.press("F9")  # hang up
    desk.wait_for_selector("#state.wrapup")
    console.wait(lambda: console.sim.channel(uuid).gone, 10, "the caller's leg hung up")
    desk.select_option("#disposition", "callback")
    desk.fill("#wrapup-notes", "Double roaming charge; ticket opened")
    desk.fill("#callback-at", callback_local.strftime("%Y-%m-%dT%H:%M"))
    desk.click("#btn-wrapup")
    desk.wait_for_selector("#state.ready")
    assert console.engine.live.agent_status(agent.id).state == "ready"
    call = console.call(uuid)
    assert call.disposition == "callback"
    assert call.wrapup_notes == "Double roaming charge; ticket opened"
    with console.services.sessions() as db:
        callback = db.scalar(select(CallbackRequest).where(CallbackRequest.call_id == call.id))
    assert callback is not None and callback.phone == VIP_CALLER
    assert callback.scheduled_for == callback_local.astimezone(timezone.utc)
    floor.wait_for_selector(row, state="detached")  # the call left the board
    console.wait(lambda: not _barging(console), 10, "the barge leg ended with the call")


def test_the_floor_and_the_desk_show_a_phone_going_offline_and_coming_back(live_console, browser):
    console = live_console
    agent = console.agent("agent02")
    console.register_phone(agent.sip_extension, "answer:1")
    desk = log_in(browser, console.url, "agent02", CONSOLE_PASSWORD)
    desk.set_default_timeout(15_000)
    desk.wait_for_url("**/desk/")
    in_english(desk)
    desk.wait_for_selector("#conn.up")
    press_ready(desk)
    floor = log_in(browser, console.url, "lead1", CONSOLE_PASSWORD)
    floor.set_default_timeout(15_000)
    floor.wait_for_url("**/floor/")
    in_english(floor)
    phone = f"#agents tr[data-agent='{agent.id}'] .phone"
    floor.wait_for_selector(phone + ".phone-online")

    console.sim.unregister_phone(agent.sip_extension)  # the softphone is closed
    floor.wait_for_selector(phone + ".phone-offline")
    assert "signed out" in floor.text_content(phone)
    desk.wait_for_selector("#phone.phone-offline")
    assert desk.text_content("#state") == "Ready", "the agent's own state changed with the phone"

    console.sim.register_phone(agent.sip_extension, "answer:1")  # and opened again
    floor.wait_for_selector(phone + ".phone-online")
    desk.wait_for_selector("#phone.phone-online")
    assert console.engine.shell.core.agent("agent02").available


def test_the_desk_says_when_the_caller_hangs_up_while_the_agents_phone_rings(live_console, browser):
    console = live_console
    agent = console.agent("agent10")
    console.register_phone(agent.sip_extension, "answer:600")  # rings on, nobody picks up
    desk = log_in(browser, console.url, "agent10", CONSOLE_PASSWORD)
    desk.set_default_timeout(15_000)
    desk.wait_for_url("**/desk/")
    in_english(desk)
    desk.wait_for_selector("#conn.up")
    press_ready(desk)

    uuid = console.sim.place_call(VIP_CALLER, "10000", "wait:600 hangup")
    desk.wait_for_selector("#state.offered")
    console.sim.hangup_call(uuid)  # the caller gives up while agent10's phone rings
    desk.wait_for_selector("#state.ready")
    assert desk.text_content("#message") == "The caller hung up before you answered"
    assert "The caller hung up before you answered" in desk.text_content("#state-reason")
    console.wait(lambda: not any(c.variables.get("cc_agent") == "agent10" and not c.gone
                                 for c in console.sim.channels()), 10, "agent10's phone still rings")
