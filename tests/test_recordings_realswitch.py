"""Whole-call recording and masking on a real FreeSWITCH (the project's kit): the
engine's SwitchCallControl starts `uuid_record` on a parked caller, masks it
(`uuid_record ... mask`) while a secret is keyed with RFC 2833 DTMF, and the
file FreeSWITCH writes is silent exactly there while the prompts around it are
heard; and the whole engine records a password-services call (a SIPp caller
keys 1, 5) from the IVR to the hang-up.

Skipped (with the reason) when no FreeSWITCH binary is found (PATH or
$FREESWITCH_BIN) or SIPp is missing. Run one real switch at a time:
flock /tmp/realswitch.lock .venv/bin/pytest tests/test_recordings_realswitch.py"""
from __future__ import annotations

import array
import re
import wave

import pytest
from sqlalchemy import select

from callcenter.esl.call_control import SwitchCallControl
from callcenter.esl.events import RecordingStopped
from callcenter.ivr.control import PromptAudio
from callcenter.models import Call, Recording
from realswitch import dtmf_caller_scenario, skip_without_freeswitch, skip_without_sipp
from esl_fixtures import wait_until
from test_realswitch_esl import engine, place_call, switch  # noqa: F401  (fixtures)
from test_realswitch_engine import dial_hotline, events, hotline, rendered_prompts  # noqa: F401
from test_realswitch_engine import wait_until as wait_for

pytestmark = [pytest.mark.realswitch, skip_without_freeswitch, skip_without_sipp]


def _peaks_per_quarter_second(path: str, channel: int) -> list[int]:
    with wave.open(path) as reader:
        channels, rate = reader.getnchannels(), reader.getframerate()
        samples = array.array("h", reader.readframes(reader.getnframes()))[channel::channels]
    step = rate // 4
    return [max((abs(s) for s in samples[i:i + step]), default=0)
            for i in range(0, len(samples) - step + 1, step)]


def test_a_whole_call_recording_is_masked_while_a_secret_is_keyed(switch, engine, tmp_path):  # noqa: F811
    # the caller keys 123456# about 1.5 s into the password prompt (after a 3 s tone)
    caller, uuid = place_call(switch, engine, tmp_path,
                              dtmf_caller_scenario([(4500, "123456#")], hold_ms=12000))
    masks = []
    control = SwitchCallControl(engine.switch, uuid, on_masked=masks.append)
    path = str(tmp_path / "whole.wav")
    menu = str(switch.prompts_dir / "menu.wav")  # a 3 s tone
    control.record_whole_call(path)
    engine.switch.playback(uuid, menu)  # heard before the secret
    prompt = PromptAudio("enter_password", "en", "Enter your password", menu)
    result = control.collect(prompt, min_digits=6, max_digits=6, tries=1, timeout=6,
                             terminators="#", pattern=r"^\d{6}$", invalid_prompt=None, secret=True)
    assert result.digits == "123456" and masks == [True, False]
    engine.switch.playback(uuid, menu)  # heard after it
    assert engine.switch.hangup(uuid)
    assert wait_until(lambda: engine.seen(RecordingStopped, uuid=uuid), 10), "no RECORD_STOP"
    caller.join(timeout=15)

    # stereo (the dialplan sets RECORD_STEREO): right = what the caller heard. Unmasked,
    # the password prompt's first 1.5 s would be heard between the two 3 s tones.
    heard = _peaks_per_quarter_second(path, 1)
    runs = "".join("x" if peak > 1000 else "." if peak == 0 else "?" for peak in heard).strip(".")
    assert runs.count("x") <= 26, f"more than the two tones were heard: {runs}"
    tones = [len(run) for run in re.findall("x+", runs)]
    assert len(tones) == 2 and all(11 <= n <= 13 for n in tones), runs  # two 3 s tones
    assert "." * 10 in runs, runs  # the masked prompt and the keyed digits: silence


def test_a_password_services_call_is_recorded_whole_by_the_engine(hotline, tmp_path):  # noqa: F811
    """The engine on a real switch: the caller chooses Mandarin (1), then password
    services (5); the flow marks the call and the engine records it from there on,
    through the notice and the queue, until the caller hangs up."""
    engine, switch, _ = hotline
    caller = dial_hotline(switch, tmp_path, [(2500, "1"), (3500, "5")], hold_ms=14000)
    wait_for(lambda: "recording_started" in _event_kinds(engine), 20,
             "the whole-call recording never started")
    assert caller.get(timeout=40).returncode == 0
    with engine.services.sessions() as db:
        call, recording = db.execute(select(Call, Recording).join(Recording)
                                     .where(Recording.kind == "whole_call")).one()
        uuid = call.uuid
    wait_for(lambda: _measured(engine, recording.id), 15, "the recording was never closed")
    with engine.services.sessions() as db:
        call = db.scalar(select(Call).where(Call.uuid == uuid))
        recording = db.get(Recording, recording.id)
        queued, ended = call.queued_at, call.ended_at
    assert recording.started_at < queued  # before the queue: in the IVR
    with wave.open(recording.path) as reader:
        seconds = reader.getnframes() / reader.getframerate()
    assert seconds == pytest.approx((ended - recording.started_at).total_seconds(), abs=1.5)


def _event_kinds(engine) -> set[str]:
    engine.calllog.flush()
    with engine.services.sessions() as db:
        uuids = list(db.scalars(select(Call.uuid)))
    return {kind for uuid in uuids for kind, _ in events(engine, uuid)}


def _measured(engine, recording_id):
    engine.calllog.flush()
    with engine.services.sessions() as db:
        return db.get(Recording, recording_id).sha256
