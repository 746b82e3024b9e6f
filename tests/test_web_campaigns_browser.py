"""The campaigns desk in Debian's headless chromium, on the REAL engine and switch
simulator: a supervisor creates a collections campaign, uploads a list whose two
bad rows are reported by line (nothing imported), uploads it corrected, starts
the campaign and watches the simulated customers being called."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from dialer_fixtures import CONSOLE_PASSWORD, outbound_at, served_console  # noqa: F401  (fixture)
from web_live_fixtures import browser, log_in, shots  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
MONDAY_MORNING = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
HEADER = "phone,name,amount_due,due_date\n"
ROWS = [f"139000000{n:02d},Customer {n},{100 + n}.50,2026-11-{10 + n % 10}" for n in range(12)]


@pytest.fixture
def console(outbound_at):
    out = outbound_at(MONDAY_MORNING)
    with served_console(out) as url:
        yield out, url


def test_a_supervisor_uploads_a_list_starts_a_campaign_and_watches_it(console, browser, shots,
                                                                      tmp_path):
    out, url = console
    for n in range(12):
        out.customers.add(f"86139000000{n:02d}", "answers" if n % 3 else "busy", after=2)
    bad = tmp_path / "november-bad.csv"
    bad.write_text(HEADER + "\n".join(ROWS[:1] + ["13900000099,Broken,12.5.0,2026-11-10"]
                                      + ROWS[1:5] + ["139000000100,Too long,1.00,2026-11-31"]
                                      + ROWS[5:]) + "\n")
    good = tmp_path / "november.csv"
    good.write_text(HEADER + "\n".join(ROWS) + "\n")

    page = log_in(browser, url, "lead1", CONSOLE_PASSWORD)
    page.select_option("#language-switch", "en")  # lead1 works in Mandarin; this test reads English
    page.click("#language-switch + button")
    page.click("#nav-campaigns")
    page.click("#new-campaign")
    page.fill("#name", "overdue november")
    page.select_option("#kind", "collections")
    page.fill("#max_lines", "4")
    page.click("#create")
    page.wait_for_selector("#upload-form")

    page.set_input_files("#contacts", str(bad))
    page.click("#upload")
    page.wait_for_selector("#bad-rows")
    lines = page.locator("#bad-rows tbody tr td.num").all_inner_texts()
    assert lines == ["3", "8"], lines  # the header is line 1
    assert "amount_due" in page.inner_text("#bad-rows") and "due_date" in page.inner_text("#bad-rows")
    assert page.inner_text("#contacts-pending") == "0"
    page.screenshot(path=shots / "campaign-list-errors.png", full_page=True)

    page.set_input_files("#contacts", str(good))
    page.click("#upload")
    page.wait_for_selector("#imported")
    assert "12 contacts added" in page.inner_text("#imported")
    page.click("#start")
    page.wait_for_selector("#pause")
    assert page.inner_text("#status") == "running"

    # the page polls its figures: the customers are being called, without a reload
    shown = lambda selector: int(page.inner_text(selector))  # noqa: E731
    until(page, lambda: shown("#dials") >= 12, "the dials never reached 12 on the page")
    until(page, lambda: shown("#contacts-done") >= 8, "fewer than 8 contacts shown done")
    assert page.inner_text("#abandon").startswith("0.0% / 3.0%")
    page.reload()  # the chart (polled every 30 s) drawn from the attempts of this quarter hour
    page.wait_for_selector("#timeline svg")
    assert page.locator("#timeline rect.bar-dials").count() == 25  # 6 h of quarters, both ends
    heights = [float(h) for h in page.eval_on_selector_all(
        "#timeline rect.bar-dials", "bars => bars.map(b => b.getAttribute('height'))")]
    assert sum(1 for h in heights if h > 0) == 1  # every dial in the current quarter hour
    page.screenshot(path=shots / "campaign-live.png", full_page=True)


def until(page, predicate, what: str, seconds: float = 30) -> None:
    """Poll the page (the console's CSP forbids Playwright's evaluated predicates)."""
    for _ in range(int(seconds * 4)):
        if predicate():
            return
        page.wait_for_timeout(250)
    assert predicate(), what
