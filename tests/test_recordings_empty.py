"""A call hung up as it is connected leaves FreeSWITCH no audio frame to record: it
deletes the file it opened and says so on RECORD_STOP (switch_ivr_async.c,
record_callback: "Discarding empty file", RECORD_DISCARDED=true, completion cause
"empty-file"). The engine marks the recording empty, not missing; `recordings verify`
does not count it missing; the QA pages say there is no audio. At the wire level
(the engine against the switch simulator over real sockets) and in its parts."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.esl.events import RecordingStopped, parse_event
from callcenter.models import Call, Recording
from callcenter.qa import housekeeping
from callcenter.qa.storage import RecordingPaths
from callcenter.sim.api import run_api
from engine_fixtures import start_hotline, stop_hotline
from qa_fixtures import add_recorded_call
from sim_fixtures import client, dialplan_dir, sim  # noqa: F401  (fixtures)

REGULAR = "13800000001"
TO_AN_AGENT = "wait:0.5 press:1 wait:1 press:0"  # Mandarin, then 0 for an agent


@pytest.fixture
def hotline_in_real_time(sessions, db_engine, write_config, tmp_path, monkeypatch):
    """The simulator at a quarter of real speed: its 20 ms audio packet lasts 80 ms here,
    so a caller who hangs up the instant the legs are bridged does so within the first
    one even on a busy machine (measured: about 1.4 ms from the bridge to the hang-up)."""
    line = start_hotline(sessions, db_engine, write_config, tmp_path, monkeypatch, speed=0.25)
    yield line
    stop_hotline(line)


def _recording(hotline, uuid: str) -> Recording | None:
    with hotline.services.sessions() as db:
        return db.scalar(select(Recording).join(Call).where(Call.uuid == uuid))


def test_a_caller_who_hangs_up_as_the_agent_is_connected_leaves_an_empty_recording_not_a_missing_one(
        hotline_in_real_time, caplog):
    hotline = hotline_in_real_time
    caplog.set_level(logging.INFO)
    hotline.agent_ready("agent08")  # its phone rings 1 s: the caller waits for the agent by then
    uuid = hotline.sim.place_call(REGULAR, "10000", TO_AN_AGENT + " until:bridged hangup")

    hotline.wait(lambda: hotline.event(uuid, "connected") is not None, 40, "the call never connected")
    hotline.wait(lambda: _recording(hotline, uuid) is not None and _recording(hotline, uuid).empty,
                 10, "the recording was never marked empty")
    recording = _recording(hotline, uuid)
    assert recording.sha256 is None and recording.size_bytes is None and recording.duration_ms == 0
    assert not Path(recording.path).exists(), "the switch deletes the empty file"
    assert f"[{uuid}] recording {recording.path} is empty, discarded by the switch" in caplog.text
    assert "missing on disk" not in caplog.text

    paths = RecordingPaths.from_config(hotline.services.config)
    with hotline.services.sessions() as db:
        report = housekeeping.verify(db, paths)
    assert report.missing == [] and report.ok
    assert report.empty == [(recording.id, str(paths.local(recording.path)))]


def test_the_simulator_discards_a_recording_that_got_no_audio_frame_as_freeswitch_does(
        sim, client, tmp_path):
    caller = sim.place_call(REGULAR, "10000")
    client.wait_event("CHANNEL_PARK", Unique_ID=caller)
    path = tmp_path / "empty.wav"
    # the recording starts (as an agent leg's api_on_answer starts it) and the caller hangs
    # up in the same instant, before the first 20 ms packet
    assert run_api(sim, f"uuid_record {caller} start {path}") == "+OK Success\n"
    sim.hangup_call(caller)

    stop = client.wait_event("RECORD_STOP", Unique_ID=caller)
    assert stop["Record-File-Path"] == str(path)
    assert stop["Record-Completion-Cause"] == "empty-file"
    assert stop["variable_RECORD_DISCARDED"] == "true"
    assert (stop["variable_record_samples"], stop["variable_record_ms"]) == ("0", "0")
    assert not path.exists()
    assert sim.channel(caller).recordings == ()


def _record_stop(*headers: tuple[str, str]) -> bytes:
    lines = [("Event-Name", "RECORD_STOP"), ("Unique-ID", "c-1"), ("Record-File-Path", "/r/c-1.wav"),
             *headers]
    return "".join(f"{name}: {value}\n" for name, value in lines).encode()


@pytest.mark.parametrize("headers, discarded", [
    ([("variable_RECORD_DISCARDED", "true"), ("Record-Completion-Cause", "empty-file")], True),
    ([("Record-Completion-Cause", "input-too-short")], True),  # shorter than RECORD_MIN_SEC
    ([("Record-Completion-Cause", "success-silence")], False),
    # RECORD_DISCARDED stays on the channel from an earlier recording: this one was kept
    ([("variable_RECORD_DISCARDED", "true"), ("Record-Completion-Cause", "no-input-timeout")], False),
    # the `record` application's RECORD_STOP: no cause, and it never deletes its file
    ([("variable_RECORD_DISCARDED", "true")], False),
    ([], False),
])
def test_record_stop_says_whether_the_switch_discarded_the_file(headers, discarded):
    event = parse_event(_record_stop(*headers))
    assert isinstance(event, RecordingStopped) and event.path == "/r/c-1.wav"
    assert event.discarded is discarded


def test_verify_lists_an_empty_recording_apart_and_passes(sessions, tmp_path):
    folder = tmp_path / "recordings"
    _, kept = add_recorded_call(sessions, folder, "kept")
    _, empty = add_recorded_call(sessions, folder, "empty")
    (folder / "empty-call.wav").unlink()  # the switch deleted it: there never was audio
    with transaction(sessions) as db:
        db.get(Recording, empty).empty = True
    with sessions() as db:
        report = housekeeping.verify(db, RecordingPaths(folder))
    assert report.ok and report.missing == [] and report.checked == 1
    assert report.empty == [(empty, str(folder / "empty-call.wav"))]
