"""Preview dialing in Debian's headless chromium, on the REAL engine and switch simulator:
the agent sees a preview card (contact, amount due, script), presses Call, their phone
rings first and the customer is bridged to them; they talk, hang up and disposition in
wrap-up; the next card is skipped with a reason and that contact is skipped."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from callcenter.models import Call, CampaignKind, ContactStatus
from dialer_fixtures import CONSOLE_PASSWORD, Row, outbound_at, served_console  # noqa: F401  (fixture)
from web_live_fixtures import browser, fits, log_in, shots  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
MONDAY_MORNING = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SETTINGS = {"windows": {day: ["09:00-20:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
            "script": "Remind the customer of the overdue bill.", "preview_timeout": 600}


@pytest.fixture
def console(outbound_at):
    out = outbound_at(MONDAY_MORNING)
    with served_console(out) as url:
        yield out, url


def test_an_agent_previews_calls_talks_dispositions_and_skips_the_next(console, browser, shots):
    out, url = console
    agent = out.line.agent_ready("agent11")
    out.customers.add("8613700000001", "answers", after=1, then="wait:400 hangup")
    campaign = out.campaign("overdue preview", [Row("8613700000001", "Li Si", amount_cents=12000),
                                                Row("8613700000002", "Wang Wu", amount_cents=3000)],
                            kind=CampaignKind.COLLECTIONS, flow=None, queue_name="billing",
                            max_lines=5, ring_timeout=20, max_attempts=2, pacing="preview",
                            settings=SETTINGS)
    out.start(campaign)

    desk = log_in(browser, url, "agent11", CONSOLE_PASSWORD)
    desk.set_default_timeout(20_000)
    desk.wait_for_selector("#preview:not([hidden])")
    assert desk.text_content("#preview-name") == "Li Si"
    assert desk.text_content("#preview-amount") == "120.00"
    assert desk.text_content("#preview-left") in ("10:00", "9:59", "9:58")  # 600 s on the dialer's clock
    assert "overdue bill" in desk.text_content("#preview-script")
    assert out.customers.dials == []
    assert fits(desk)
    desk.screenshot(path=shots / "desk-preview-card.png")

    desk.click("#btn-preview-call")
    desk.wait_for_selector("#state.on_call")
    out.line.wait(lambda: len(out.customers.dials_to("8613700000001")) == 1, 10, "customer not dialled")
    out.line.wait(lambda: out.contacts(campaign)[0].status == ContactStatus.DONE, 20,
                  "the customer never reached the agent")  # settled answered once bridged
    attempt = out.attempts(campaign)[0]
    assert attempt.outcome == "answered"
    desk.keyboard.press("F9")  # the agent ends the talk
    desk.wait_for_selector("#state.wrapup")
    customer_leg = out.customers.dials_to("8613700000001")[0].uuid
    out.line.wait(lambda: out.line.sim.channel(customer_leg).gone, 10, "the customer's leg stayed up")
    desk.select_option("#disposition", "information_given")
    desk.fill("#wrapup-notes", "Promised to pay on Friday")
    desk.click("#btn-wrapup")
    desk.wait_for_selector("#state.ready")  # the console took the wrap-up (the click does not wait)

    def saved():
        out.engine.calllog.flush()
        with out.sessions() as session:
            call = session.scalar(select(Call).where(Call.uuid == attempt.uuid))
            return (call.disposition, call.wrapup_notes)
    out.line.wait(lambda: saved() == ("information_given", "Promised to pay on Friday"), 10,
                  "the disposition and notes were never saved")
    desk.wait_for_selector("#preview-name:has-text('Wang Wu')")
    desk.click("#btn-preview-skip")  # no reason: refused, nothing changes
    desk.wait_for_selector("#message.error")
    assert out.contacts(campaign)[1].status == ContactStatus.PENDING
    desk.select_option("#preview-reason", "already_paid")
    desk.click("#btn-preview-skip")
    desk.wait_for_selector("#preview", state="hidden")
    second = out.contacts(campaign)[1]
    assert (second.status, second.reason) == (ContactStatus.SKIPPED, "preview_skip:already_paid")
    assert out.customers.dials_to("8613700000002") == []
