"""Pause / resume of a call's recording by its agent (issue 13), at the wire level: the
engine masks the recording on the switch simulator (`uuid_record ... mask|unmask`),
the file has silence where it was paused, the call's events have the pause and the
resume, and the recording's metadata has the masked span. Only the agent on the call
may pause it. The span bookkeeping itself is tested table-driven."""
from __future__ import annotations

import array
import wave
from datetime import datetime, timedelta, timezone

import gevent
import pytest
from sqlalchemy import select

from callcenter.live.recordings import RecordingStore
from callcenter.models import Call, Recording
from engine_fixtures import hotline  # noqa: F401  (fixture)
from web.ports import IllegalTransition, NoSuchCall

TO_AN_AGENT = "wait:0.5 press:1 wait:1 press:0"
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


class _Writer:
    def __init__(self):
        self.ops = []

    def put(self, op):
        self.ops.append(op)


def _store(tmp_path):
    return RecordingStore(None, str(tmp_path), 90, writer=_Writer())


@pytest.mark.parametrize("marks, expected", [
    ([], None),
    ([(True, 5), (False, 9)], [[5000, 9000]]),
    ([(True, 5), (True, 6), (False, 9)], [[5000, 9000]]),  # a second pause changes nothing
    ([(False, 3), (True, 5), (False, 9)], [[5000, 9000]]),  # a resume while running: nothing
    ([(True, 2), (False, 3), (True, 10), (False, 12)], [[2000, 3000], [10000, 12000]]),
])
def test_masked_spans_are_kept_in_ms_from_the_recordings_start(tmp_path, marks, expected):
    store = _store(tmp_path)
    store.started("call-1", "/r/call-1.wav")
    store.live["call-1"].started_at = T0  # pin the clock
    for paused, second in marks:
        store.mark_paused("call-1", paused, T0 + timedelta(seconds=second))
    store._close_spans("/r/call-1.wav")
    masked = [op for op in store.writer.ops if op["op"] == "recording_masked"]
    assert (masked[0]["masked_spans"] if masked else None) == expected
    assert store.recording_of("call-1") is None


def test_a_pause_still_open_when_the_file_closes_ends_with_it(tmp_path):
    store = _store(tmp_path)
    store.started("call-2", "/r/call-2.wav")
    store.live["call-2"].started_at = datetime.now(timezone.utc) - timedelta(seconds=30)
    store.mark_paused("call-2", True, store.live["call-2"].started_at + timedelta(seconds=10))
    store._close_spans("/r/call-2.wav")
    ((start, end),) = store.writer.ops[-1]["masked_spans"]
    assert start == 10000 and end == pytest.approx(30000, abs=2000)


def _recording(hotline, uuid):
    with hotline.services.sessions() as db:
        return db.scalar(select(Recording).join(Call).where(Call.uuid == uuid))


def _hang_up_and_close(hotline, uuid):
    hotline.sim.hangup_call(uuid)
    hotline.wait(lambda: (r := _recording(hotline, uuid)) is not None and r.sha256 and r.masked_spans,
                 15, "the recording was never closed with its masked span")


def _silent_seconds(path):
    with wave.open(path) as reader:
        rate, frames = reader.getframerate(), reader.readframes(reader.getnframes())
    left = array.array("h", frames)[0::2]
    peaks = [max(abs(s) for s in left[i:i + rate]) for i in range(0, len(left) - rate + 1, rate)]
    return peaks, [n for n, peak in enumerate(peaks) if peak == 0]


def test_the_agent_pauses_and_resumes_the_recording_of_their_call(hotline):  # noqa: F811
    agent = hotline.agent_ready("agent08")
    other = hotline.agent_ready("agent01")
    live = hotline.engine.live
    uuid = hotline.sim.place_call("13800000001", "10000", TO_AN_AGENT + " wait:60 hangup")
    hotline.wait(lambda: hotline.agent_on(uuid) == "agent08", 30, "never reached the agent")
    hotline.wait(lambda: live.recording_state(agent.id)["recorded"], 10, "never recorded")
    assert live.recording_state(agent.id) == {"call_uuid": uuid, "recorded": True, "paused": False}
    with pytest.raises(IllegalTransition):
        live.pause_recording(agent.id, uuid, False)  # not paused: nothing to resume
    with pytest.raises(NoSuchCall):
        live.pause_recording(other.id, uuid, True)  # not their call
    gevent.sleep(1.0)
    live.pause_recording(agent.id, uuid, True)
    assert live.recording_state(agent.id)["paused"] is True
    with pytest.raises(IllegalTransition):
        live.pause_recording(agent.id, uuid, True)
    gevent.sleep(1.0)
    live.pause_recording(agent.id, uuid, False)
    gevent.sleep(1.0)
    _hang_up_and_close(hotline, uuid)

    recording = _recording(hotline, uuid)
    ((start_ms, end_ms),) = recording.masked_spans
    assert 500 <= start_ms < end_ms and end_ms - start_ms == pytest.approx(1000, abs=400)
    kinds = [(kind, data) for kind, data in hotline.events(uuid) if kind.startswith("recording_")]
    assert [k for k, _ in kinds] == ["recording_paused", "recording_resumed"]
    assert all(d["agent"] == "agent08" and d["by"] == "agent" for _, d in kinds)
    paused_at = hotline.event_time(uuid, "recording_paused")
    resumed_at = hotline.event_time(uuid, "recording_resumed")
    assert (resumed_at - paused_at).total_seconds() * 1000 == pytest.approx(end_ms - start_ms, abs=50)

    # the file: heard before and after, one silent run as long as the pause (the
    # simulator's media run at its speed: a real second is `speed` seconds of file)
    peaks, silent = _silent_seconds(recording.path)
    assert silent, "no silent second: the pause did not mask the recording"
    assert peaks[0] > 0 and peaks[-1] > 0
    assert silent == list(range(silent[0], silent[-1] + 1))
    speed = hotline.sim.clock.speed
    assert len(silent) == pytest.approx((end_ms - start_ms) / 1000 * speed, abs=2)


def test_a_call_crossing_an_engine_restart_keeps_one_recording_and_its_pause(hotline):  # noqa: F811
    from web.qa_data import timeline
    agent = hotline.agent_ready("agent08")
    uuid = hotline.sim.place_call("13800000001", "10000", TO_AN_AGENT + " wait:60 hangup")
    hotline.wait(lambda: hotline.agent_on(uuid) == "agent08", 30, "never reached the agent")
    hotline.wait(lambda: _recording(hotline, uuid) is not None, 10, "no recording row")
    hotline.wait(lambda: hotline.engine.shell.core.active_call(uuid), 5, "not connected in the ACD")
    hotline.engine.live.pause_recording(agent.id, uuid, True)  # paused across the restart
    gevent.sleep(1.5)  # the connected pair is saved for a restart
    hotline.restart_engine()

    live = hotline.engine.live
    hotline.wait(lambda: live.recording_state(agent.id)["recorded"], 10,
                 "the restarted engine does not know the call's recording")
    assert live.recording_state(agent.id)["paused"] is True  # the switch still masks it
    live.pause_recording(agent.id, uuid, False)
    gevent.sleep(0.5)
    _hang_up_and_close(hotline, uuid)

    recording, call = _recording(hotline, uuid), hotline.call(uuid)
    with wave.open(recording.path) as reader:  # the switch recorded on: one file, no gap
        seconds = reader.getnframes() / reader.getframerate() / hotline.sim.clock.speed
    assert seconds == pytest.approx((call.ended_at - call.agent_answered_at).total_seconds(), abs=0.7)
    assert len(recording.masked_spans) == 1
    with hotline.services.sessions() as db:
        marks = timeline(db, db.merge(call), db.merge(recording))
    kinds = [m["kind"] for m in marks["events"]]
    assert "engine_restarted" in kinds
    assert kinds.index("recording_paused") < kinds.index("engine_restarted") < \
        kinds.index("recording_resumed")
    ((start_ms, end_ms),) = recording.masked_spans  # one span, across the restart
    assert end_ms - start_ms >= 1500 and len(marks["masked"]) == 1
