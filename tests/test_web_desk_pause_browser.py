"""The desk's "Pause recording" button in Debian's headless chromium, on the real
engine and the switch simulator: the agent on a recorded call pauses the recording
(the switch masks it) and resumes it; both are in the call's events."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from callcenter.models import Call, CallEvent

from web_live_fixtures import *  # noqa: F401,F403
from web_live_fixtures import CONSOLE_PASSWORD, log_in, press_ready

pytestmark = pytest.mark.browser
VIP_CALLER = "13800000004"  # seeded VIP 3: the IVR sends the call straight to the queue


def _switch_recording(console):
    """The simulator's record of the (one) recording under way."""
    (recording,) = [rec for channel in console.sim.live_channels()
                    for rec in channel.recordings.values()]
    return recording


def test_the_agent_pauses_and_resumes_the_recording_from_the_desk(live_console, browser):
    console = live_console
    agent = console.agent("agent01")
    console.register_phone(agent.sip_extension, "answer:1")
    desk = log_in(browser, console.url, "agent01", CONSOLE_PASSWORD)
    desk.set_default_timeout(20_000)
    desk.wait_for_url("**/desk/")
    desk.wait_for_selector("#state.logged_out")
    desk.wait_for_selector("#conn.up")
    assert desk.is_disabled("#btn-pause-rec")  # no call, nothing to pause
    press_ready(desk)

    uuid = console.sim.place_call(VIP_CALLER, "10000", "wait:600 hangup")
    desk.wait_for_selector("#state.on_call")
    console.wait(lambda: console.engine.live.recording_state(agent.id)["recorded"], 10,
                 "the call's recording started")
    desk.wait_for_selector("#btn-pause-rec:not([disabled])")
    desk.click("#btn-pause-rec")
    desk.wait_for_selector("#btn-pause-rec[aria-pressed='true']")
    assert _switch_recording(console).mask_started is not None  # the switch masks it
    label = desk.text_content("#pause-rec-label")
    assert label == desk.get_attribute("#btn-pause-rec", "data-resume")

    desk.click("#btn-pause-rec")
    desk.wait_for_selector("#btn-pause-rec[aria-pressed='false']")
    recording = _switch_recording(console)
    assert recording.mask_started is None and len(recording.masked) == 1  # one masked span
    console.engine.calllog.flush()
    with console.services.sessions() as db:
        kinds = db.scalars(select(CallEvent.kind).join(Call).where(
            Call.uuid == uuid, CallEvent.kind.like("recording_%")).order_by(CallEvent.id)).all()
    assert kinds == ["recording_paused", "recording_resumed"]

    desk.keyboard.press("F9")
    desk.wait_for_selector("#state.wrapup")
    desk.wait_for_selector("#btn-pause-rec[disabled]")
