"""An agent on a real softphone (Debian's baresip) on a real FreeSWITCH running the kit:
it registers with digest auth, auto-answers the routed call, and hold works as the
caller and the agent expect — from the desk (the caller hears the music: RTP keeps
flowing toward the caller and the recording's caller-side channel carries it, with no
gap) and from the phone itself (the engine sees it and the desk shows it); the phone
quits and comes back, and its agent is offered calls again without pressing Ready.

Skipped (with the reason) without a FreeSWITCH binary, SIPp or baresip."""
from __future__ import annotations

import array
import math
import subprocess
import time
import wave
from pathlib import Path

import gevent
import pytest
from sqlalchemy import select

from baresip import BaresipPhone, skip_without_baresip
from callcenter.models import Agent, Call
from realswitch import SipCapture, skip_without_freeswitch, skip_without_sipp
from test_realswitch_engine import (AGENT, call_row, dial_hotline, events, hotline,  # noqa: F401
                                    recording_of, rendered_prompts, wait_until)

pytestmark = [pytest.mark.realswitch, skip_without_freeswitch, skip_without_sipp, skip_without_baresip]


def softphone_ready(engine, switch, credentials, tmp_path) -> tuple[Agent, BaresipPhone]:
    phone = BaresipPhone(tmp_path, switch, "1008", credentials[AGENT]).start()
    with engine.services.sessions() as session:
        agent = session.scalar(select(Agent).where(Agent.login == AGENT))
    wait_until(lambda: engine.shell.core.agent(AGENT).phone_registered, 5,
               "the engine never saw the softphone register")
    wait_until(lambda: engine.switch.is_registered("1008"), 5, "the switch never listed the softphone")
    engine.live.set_agent_state(agent.id, "ready")
    return agent, phone


def connected_call(engine, switch, tmp_path, hold_ms: int) -> tuple[str, gevent.Greenlet]:
    caller = dial_hotline(switch, tmp_path, [(2500, "1"), (3500, "0")], hold_ms=hold_ms)
    wait_until(lambda: engine.runner.calls, 15, "the caller never reached the ACD")
    uuid = next(iter(engine.runner.calls))
    wait_until(lambda: (call_row(engine, uuid) or Call()).agent_answered_at is not None, 20,
               f"the softphone never answered: {events(engine, uuid)}")
    return uuid, caller


def packet_times(pcap: Path, port: int) -> list[float]:
    completed = subprocess.run(["tshark", "-r", str(pcap), "-Y", f"udp.dstport=={port}", "-T", "fields",
                                "-e", "frame.time_epoch"], capture_output=True, timeout=120)
    return [float(line) for line in completed.stdout.decode().split()]


def loudness(path: Path, channel: int, start: float, end: float) -> int:
    """RMS of one channel of a 16-bit stereo WAV between two offsets (seconds)."""
    with wave.open(str(path)) as w:
        rate = w.getframerate()
        w.setpos(int(start * rate))
        frames = w.readframes(int((end - start) * rate))
    samples = array.array("h", frames)[channel::2]
    return int(math.sqrt(sum(x * x for x in samples) / max(1, len(samples))))


def test_hold_from_the_desk_gives_the_caller_music_and_the_recording_no_gap(hotline, tmp_path):
    engine, switch, credentials = hotline
    agent, phone = softphone_ready(engine, switch, credentials, tmp_path)
    try:
        uuid, caller = connected_call(engine, switch, tmp_path, hold_ms=14000)
        media_port = int(switch.api(f"uuid_getvar {uuid} remote_media_port").strip())
        capture = SipCapture(tmp_path / "rtp.pcap", (media_port,)).start()
        time.sleep(1.5)

        held_at = time.time()
        engine.live.hold(agent.id, uuid, True)
        wait_until(lambda: engine.shell.core.agent(AGENT).state.value == "on_hold", 5, "not on hold")
        time.sleep(4)
        resumed_at = time.time()
        engine.live.hold(agent.id, uuid, False)
        wait_until(lambda: engine.shell.core.agent(AGENT).state.value == "on_call", 5, "still on hold")
        assert caller.get(timeout=30).returncode == 0
        capture.stop()

        toward_caller = [t for t in packet_times(capture.path, media_port) if held_at + 0.5 < t < resumed_at]
        # 20 ms packets: about 175 in 3.5 s; the old hold (the caller's leg held) sent none
        everything = packet_times(capture.path, media_port)
        assert len(toward_caller) > 100, \
            f"{len(toward_caller)} RTP packets to the caller while on hold ({held_at}-{resumed_at}; {everything[:1]}..{everything[-1:]})"

        wait_until(lambda: engine.calllog.flush() or "resumed" in dict(events(engine, uuid)), 5, "no 'resumed'")
        wait_until(lambda: (recording_of(engine, uuid) or Call()).sha256 if recording_of(engine, uuid) else None,
                   15, "the recording was never finished")
        recording = recording_of(engine, uuid)
        call = call_row(engine, uuid)
        talk = (call.ended_at - call.agent_answered_at).total_seconds()
        assert recording.duration_ms / 1000 >= talk - 1.0, \
            f"a {recording.duration_ms} ms recording for {talk:.1f} s of talk: the hold is missing"
        offset = (held_at - call.agent_answered_at.timestamp())
        # the caller-side (write) channel carries the music during the hold
        assert loudness(Path(recording.path), 1, offset + 0.8, offset + 3.5) > 300
    finally:
        phone.stop()


def test_hold_pressed_on_the_softphone_is_seen_by_the_engine(hotline, tmp_path):
    engine, switch, credentials = hotline
    agent, phone = softphone_ready(engine, switch, credentials, tmp_path)
    try:
        uuid, caller = connected_call(engine, switch, tmp_path, hold_ms=12000)
        time.sleep(1)
        phone.command("hold")
        wait_until(lambda: engine.shell.core.agent(AGENT).state.value == "on_hold", 5,
                   "the engine missed the phone's hold")
        assert engine.live.current_call(agent.id).state == "held"
        time.sleep(1)
        phone.command("resume")
        wait_until(lambda: engine.shell.core.agent(AGENT).state.value == "on_call", 5,
                   "the engine missed the phone's resume")
        wait_until(lambda: engine.calllog.flush() or "resumed" in dict(events(engine, uuid)), 5, "no 'resumed'")
        held = [data for kind, data in events(engine, uuid) if kind in ("held", "resumed")]
        assert [d["by"] for d in held] == ["phone", "phone"], held
        caller.kill()
    finally:
        phone.stop()


def test_the_softphone_quits_and_comes_back_and_its_agent_is_offered_calls_again(hotline, tmp_path):
    engine, switch, credentials = hotline
    agent, phone = softphone_ready(engine, switch, credentials, tmp_path)
    try:
        phone.quit()  # un-REGISTER
        wait_until(lambda: not engine.live.agent_status(agent.id).phone.registered, 5,
                   "the engine still shows the phone registered")
        status = engine.live.agent_status(agent.id)
        assert (status.state, status.phone.reason) == ("ready", "unregistered")
        assert "baresip" in (status.phone.user_agent or "")

        caller = dial_hotline(switch, tmp_path, [(2500, "1"), (3500, "0")], hold_ms=20000)
        wait_until(lambda: engine.runner.calls, 15, "the caller never reached the ACD")
        uuid = next(iter(engine.runner.calls))
        time.sleep(1)
        assert (call_row(engine, uuid) or Call()).agent_answered_at is None, "an offline phone got the call"

        phone.start()  # the agent opens the softphone again; they never press Ready
        wait_until(lambda: engine.live.agent_status(agent.id).phone.registered, 10, "the phone's return unseen")
        wait_until(lambda: (call_row(engine, uuid) or Call()).agent_answered_at is not None, 15,
                   f"the agent was not offered the waiting call: {events(engine, uuid)}")
        caller.kill()
    finally:
        phone.stop()
