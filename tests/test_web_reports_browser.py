"""The reports desk in Debian's headless chromium: a lead opens the synthetic day,
sees the chart, clicks the 09:00 bar for its calls, downloads CSV and XLSX (both
open and hold the page's figures); the wallboard shows an alert once the pinned
clock pushes a caller's wait over the limit. Screenshots: reports.png, wallboard.png
(in $CALLCENTER_SCREENSHOTS when set)."""
from __future__ import annotations

import csv
import os
from datetime import timedelta
from pathlib import Path

import pytest
from gevent.pywsgi import WSGIServer
from openpyxl import load_workbook

from callcenter.models import Role
from callcenter.reports import dayfile
from test_reports_synthetic_day import DAY_FILE
from test_web_reports import ClockedLive
from web.ports import AgentStatus
from web_fixtures import *  # noqa: F401,F403
from web_fixtures import PASSWORD, add_agent
from web_live_fixtures import browser  # noqa: F401  (the Debian chromium fixture)

pytestmark = pytest.mark.browser
VIEWPORT = {"width": 1366, "height": 900}


@pytest.fixture
def fake_live():
    return ClockedLive()


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


def log_in(browser, base, login):
    page = browser.new_page(viewport=VIEWPORT, locale="en-US", timezone_id="Asia/Shanghai",
                            accept_downloads=True)
    page.goto(base + "/login")
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/floor/")
    return page


def test_a_lead_reads_a_day_drills_into_a_bar_and_exports_it(server, browser, shots, sessions,
                                                             db_engine, tmp_path):
    add_agent(sessions, "lead1", role=Role.SUPERVISOR, name="Ma Jun")
    calls, changes = dayfile.read(DAY_FILE)
    with db_engine.begin() as connection:
        dayfile.store(connection, calls, changes)
    page = log_in(browser, server, "lead1")
    page.click("#nav-reports")
    page.fill("#from", "2026-11-16")
    page.fill("#to", "2026-11-16")
    page.select_option("#queue", "billing")
    page.click("#show")
    page.wait_for_selector("#sl-chart")
    nine = page.locator('#report-table tr[data-start="09:00"] td')
    on_page = [nine.nth(i).inner_text() for i in range(nine.count())]
    assert on_page[2:4] == ["8", "5"] and on_page[7] == "42.9%" and on_page[10] == "18.2 s"
    page.screenshot(path=shots / "reports.png", full_page=True)

    with page.expect_download() as csv_download:
        page.click("#export-csv")
    with page.expect_download() as xlsx_download:
        page.click("#export-xlsx")
    csv_file, xlsx_file = tmp_path / "day.csv", tmp_path / "day.xlsx"
    csv_download.value.save_as(csv_file)
    xlsx_download.value.save_as(xlsx_file)
    rows = list(csv.reader(csv_file.open(encoding="utf-8-sig")))
    from_csv = next(r for r in rows if r[0] == "2026-11-16 09:00")
    sheet = load_workbook(xlsx_file).active
    from_xlsx = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "2026-11-16 09:00")
    assert (from_csv[2], from_csv[3], from_csv[10], from_csv[15]) == ("8", "5", "42.9", "18.2")
    assert (from_xlsx[2], from_xlsx[3], from_xlsx[10], from_xlsx[15]) == (8, 5, 42.9, 18.2)

    page.click('#sl-chart a.bar-link[data-interval="09:00"]')
    page.wait_for_selector("#drill-table")
    listed = page.locator("#drill-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.call)")
    assert listed == ["A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8"]
    page.click("#back")
    page.wait_for_selector("#sl-chart")


def test_the_wallboard_shows_an_alert_when_the_clock_passes_the_wait_limit(server, browser, shots,
                                                                         sessions, fake_live):
    add_agent(sessions, "lead1", role=Role.SUPERVISOR, name="Ma Jun")
    agent = add_agent(sessions, "agent01", skills={"billing": 5})
    fake_live.status[agent] = AgentStatus(agent, "on_call", None, fake_live.at)
    fake_live.waiting_since["billing"] = [fake_live.at]
    fake_live.at += timedelta(seconds=30)
    page = log_in(browser, server, "lead1")
    page.goto(server + "/wallboard/")
    assert page.locator("#alerts li.none").count() == 1
    fake_live.at += timedelta(seconds=45)  # 75 s: over the 60 s limit
    page.reload()
    alert = page.locator('#alerts li[data-kind="longest_wait"]')
    assert "waited 75 s" in alert.inner_text()
    assert page.locator('section[data-queue="billing"] b.longest.bad').inner_text() == "75 s"
    page.screenshot(path=shots / "wallboard.png", full_page=True)


def test_a_lead_picks_a_team_and_follows_its_answered_calls(server, browser, shots, sessions,
                                                             db_engine):
    from sqlalchemy import select

    from callcenter.db import transaction
    from callcenter.models import Agent, Team
    add_agent(sessions, "lead1", role=Role.SUPERVISOR, name="Ma Jun")
    calls, changes = dayfile.read(DAY_FILE)
    with db_engine.begin() as connection:
        dayfile.store(connection, calls, changes)
    with transaction(sessions) as db:
        team = Team(key="desk_a", display_name="一组")
        for hand in db.scalars(select(Agent).where(Agent.login.in_(["hand01", "hand02"]))):
            hand.team = team
    page = log_in(browser, server, "lead1")
    page.click("#nav-reports")
    page.fill("#from", "2026-11-16")
    page.fill("#to", "2026-11-16")
    page.select_option("#queue", "billing")
    page.select_option("#team", "desk_a")
    page.click("#show")
    page.wait_for_selector("#team-table")
    assert page.locator("#agent-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.agent)") == ["hand01", "hand02"]
    row = page.locator('#team-table tr[data-team="desk_a"] td')
    assert [row.nth(i).inner_text() for i in (0, 7, 8, 9, 10)] == \
        ["一组", "5", "60.0%", "18.2 s", "156.0 s"]
    page.screenshot(path=shots / "reports-team.png", full_page=True)
    row.nth(7).locator("a").click()
    page.wait_for_selector("#drill-table")
    assert page.locator("#drill-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.call)") == ["A1", "A2", "A3", "A4", "A8"]
    page.click("#back")
    page.wait_for_selector("#team-table")
    assert page.locator("#team").input_value() == "desk_a"
