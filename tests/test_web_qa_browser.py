"""The QA desk in Debian's headless chromium (Playwright): an inspector finds a
call, plays its recording (206 range responses; the element's duration is the
file's), scores it with a critical item failed (total 0); the agent disputes,
the inspector answers; the admin sees the listen in the access log."""
from __future__ import annotations

import os
import wave
from datetime import datetime, timezone
from pathlib import Path

import pytest
from gevent.pywsgi import WSGIServer
from sqlalchemy import select

from callcenter.models import QaEvaluation, RecordingAccess, Role
from qa_fixtures import add_recorded_call, make_app
from web_fixtures import PASSWORD, add_agent
from web_fixtures import fake_live  # noqa: F401
from web_live_fixtures import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser
VIEWPORT = {"width": 1366, "height": 900}


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        # the test presses play from a script, not a hand: let the page start audio
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS + ["--autoplay-policy=no-user-gesture-required"])
        yield chromium
        chromium.close()


@pytest.fixture
def server(db_engine, sessions, write_config, fake_live, tmp_path):
    app = make_app(db_engine, sessions, write_config, fake_live, tmp_path / "recordings")
    wsgi = WSGIServer(("127.0.0.1", 0), app, log=None)
    wsgi.start()
    yield f"http://127.0.0.1:{wsgi.server_port}"
    wsgi.stop(timeout=1)


def log_in(browser, base, login):
    page = browser.new_page(viewport=VIEWPORT, locale="en-US", timezone_id="Asia/Shanghai")
    page.goto(base + "/login")
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    return page


@pytest.fixture
def shots(tmp_path):
    """Screenshots: a scratch folder, or $CALLCENTER_SCREENSHOTS when set."""
    folder = Path(os.environ.get("CALLCENTER_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_inspector_scores_agent_disputes_inspector_answers(server, browser, sessions, tmp_path,
                                                           shots):
    add_agent(sessions, "qa1", role=Role.QA, name="Inspector Li")
    agent = add_agent(sessions, "agent01", extension="1007", name="Wang Fang")
    add_agent(sessions, "admin", role=Role.ADMIN)
    folder = tmp_path / "recordings"
    call_id, recording_id = add_recorded_call(
        sessions, folder, "complaint-call", agent_id=agent, seconds=4.0, disposition="complaint",
        started=datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc))
    with wave.open(str(folder / "complaint-call-call.wav")) as reader:
        file_seconds = reader.getnframes() / reader.getframerate()

    qa = log_in(browser, server, "qa1")
    qa.wait_for_url("**/qa/")  # the inspector's home is the QA desk
    qa.fill("input[name=from]", "2026-11-24")
    qa.fill("input[name=to]", "2026-11-24")
    qa.fill("input[name=agent]", "1007")
    qa.select_option("select[name=evaluated]", "no")
    qa.click("#btn-search")
    qa.wait_for_selector(f"#results tr[data-call='{call_id}']")
    assert "1 calls" in qa.text_content("#result-count")

    audio_statuses = []
    qa.on("response", lambda r: audio_statuses.append(r.status) if "/qa/audio/" in r.url else None)
    qa.click(f"#results tr[data-call='{call_id}'] a")
    qa.wait_for_selector("#timeline .mark-hold")  # drawn from the stored duration at first
    assert qa.locator("#timeline .masked-span").count() == 1  # the recording paused for a secret
    assert audio_statuses == []  # opening the page fetches no audio: only playing does
    qa.evaluate("document.getElementById('audio').play()")
    qa.wait_for_function("() => document.getElementById('audio').currentTime > 0.5")
    duration = qa.evaluate("document.getElementById('audio').duration")
    assert duration == pytest.approx(file_seconds, abs=0.01)
    qa.check("#mute-left")  # the caller's channel muted; the agent's still heard
    qa.select_option("#speed", "1.5")
    assert qa.evaluate("document.getElementById('audio').playbackRate") == 1.5
    qa.click("#timeline .mark-hold")
    qa.wait_for_function("() => Math.abs(document.getElementById('audio').currentTime - 1.0) < 0.3")
    assert 206 in audio_statuses

    qa.evaluate("document.getElementById('audio').pause()")
    qa.click("#add-moment")
    qa.fill("#moments input[name=moment_text]", "Bill discussed before verifying")
    for item, answer in (("greeting", "yes"), ("verified_customer", "no"), ("understood_need", "5"),
                         ("correct_answer", "4"), ("ticket_when_needed", "na"),
                         ("hold_etiquette", "yes"), ("courtesy", "5"),
                         ("no_secret_read_aloud", "yes")):
        qa.check(f"input[name=item_{item}][value='{answer}']")
    qa.fill("#comments", "Verify the account holder first.")
    qa.screenshot(path=shots / "qa-call.png", full_page=True)
    qa.click("#btn-score")
    qa.wait_for_selector("#total-value")
    assert qa.text_content("#total-value") == "0"
    assert "A critical item failed" in qa.text_content("#total")
    assert "Bill discussed before verifying" in qa.text_content("#moment-list")

    desk = log_in(browser, server, "agent01")
    desk.goto(server + "/qa/mine")
    desk.click("#my-evaluations a")
    desk.wait_for_selector("#dispute-form")
    assert desk.text_content("#total-value") == "0"
    desk.fill("#reason", "The caller was verified by the IVR password.")
    desk.click("#btn-dispute")
    desk.wait_for_selector(".dispute-reason")
    assert "Waiting for QA's answer" in desk.text_content("#disputes")

    qa.goto(server + "/qa/worklist")
    qa.click("#open-disputes a")
    qa.fill("#answer", "The IVR check does not cover the bill: ask the account name too.")
    qa.click("#btn-answer")
    qa.wait_for_selector(".dispute-answer")

    desk.reload()
    assert "ask the account name too" in desk.text_content(".dispute-answer")
    desk.screenshot(path=shots / "qa-evaluation-agent.png", full_page=True)
    desk.click("#btn-acknowledge")
    desk.wait_for_selector("#status:has-text('acknowledged')")

    admin = log_in(browser, server, "admin")
    admin.goto(server + "/qa/access-log")
    row = admin.text_content("#access-log tbody tr")
    assert "qa1" in row and "listened" in row and "complaint-call" in row
    with sessions() as db:
        assert db.scalar(select(QaEvaluation)).status.value == "acknowledged"
        assert [a.action for a in db.scalars(select(RecordingAccess))] == ["listen"]
