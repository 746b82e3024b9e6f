#!/usr/bin/env python3
"""Capture tests/traces/hold_trace.txt on a real FreeSWITCH (how: tests/traces/README.md).

    FREESWITCH_BIN=/opt/freeswitch/bin/freeswitch .venv/bin/python scripts/capture_hold_trace.py

Starts the kit on free ports (tests/realswitch.py), registers Debian's baresip as
agent 1008 (tests/baresip.py), places a SIPp caller that talks, bridges it to the
agent's leg and records the Event Socket session while: `uuid_hold` / `uuid_hold off`
on the agent's leg; the engine's hold (park the caller, music to it) and resume; the
phone's own hold and resume. tshark counts the RTP packets sent toward the caller in
each phase; they are printed and written to tests/traces/hold_rtp.txt.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

from baresip import BaresipPhone  # noqa: E402
from callcenter.freeswitch.directory import DirectoryUser, render_user  # noqa: E402
from callcenter.security import sip_a1_hash  # noqa: E402
from callcenter.seed import SIP_REALM  # noqa: E402
from esl_trace import TraceRecorder  # noqa: E402
from realswitch import RealSwitch, sipp, speaking_caller_scenario  # noqa: E402
from test_realswitch_kit import write_tone_wav  # noqa: E402

EVENTS = ("CHANNEL_PARK CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_HOLD CHANNEL_UNHOLD CHANNEL_CALLSTATE "
          "CHANNEL_HANGUP BACKGROUND_JOB")
AGENT_LEG = "0a9e7c1e-1008-4c3f-9d6a-000000000001"


def main() -> int:
    work = Path("/tmp/callcenter-hold-trace")
    shutil.rmtree(work, ignore_errors=True)
    switch = RealSwitch(work / "freeswitch")
    switch.prepare()
    write_tone_wav(switch.prompts_dir / "moh" / "hold.wav", seconds=5)
    (switch.users_dir / "1008.xml").write_text(render_user(DirectoryUser(
        "1008", sip_a1_hash("1008", SIP_REALM, "trace-1008"), "agent08", "Agent 8")))
    switch.start()
    phone = BaresipPhone(work, switch, "1008", "trace-1008").start()
    pcap = work / "rtp.pcap"
    capture = subprocess.Popen(["tshark", "-i", "lo", "-f", "udp", "-w", str(pcap), "-q"],
                               stderr=subprocess.DEVNULL)
    time.sleep(2)
    phases: list[tuple[str, float, float]] = []
    try:
        with TraceRecorder("127.0.0.1", switch.ports.esl, switch.password) as trace:
            trace.send(f"event plain {EVENTS}")
            threading.Thread(target=sipp, daemon=True, args=(
                work / "caller", speaking_caller_scenario(20000), f"127.0.0.1:{switch.ports.public_sip}")).start()
            park = trace.wait_for(b"Event-Name: CHANNEL_PARK", 10)
            caller = re.search(rb"Unique-ID: ([0-9a-f-]+)", park).group(1).decode()
            port = int(switch.api(f"uuid_getvar {caller} remote_media_port").strip())
            trace.send(f"bgapi originate {{origination_uuid={AGENT_LEG}}}user/1008 &park()")
            trace.wait_for(b"Event-Name: BACKGROUND_JOB", 15)
            mark = trace.mark()
            trace.send(f"api uuid_bridge {caller} {AGENT_LEG}")
            trace.wait_for(b"Event-Name: CHANNEL_BRIDGE", 5, mark)
            time.sleep(0.5)

            def phase(name: str, start: list[str], stop: list[str], seconds: float = 1.5) -> None:
                for command in start:
                    trace.send(command)
                began = time.time()
                time.sleep(seconds)
                phases.append((name, began, time.time()))
                for command in stop:
                    trace.send(command)
                time.sleep(0.5)

            phase("uuid_hold on the agent's leg (B)", [f"api uuid_hold {AGENT_LEG}"],
                  [f"api uuid_hold off {AGENT_LEG}"])
            phase("engine's hold: caller parked, music broadcast",
                  [f"api uuid_setvar_multi {AGENT_LEG} park_after_bridge=true", f"api uuid_park {caller}",
                   f"api uuid_broadcast {caller} local_stream://moh aleg"],
                  [f"api uuid_break {caller} all", f"api uuid_bridge {caller} {AGENT_LEG}",
                   f"api uuid_setvar_multi {AGENT_LEG} park_after_bridge=false"])
            phone.command("hold")
            began = time.time()
            time.sleep(1.5)
            phases.append(("the agent's phone holds (re-INVITE a=sendonly)", began, time.time()))
            phone.command("resume")
            time.sleep(0.5)
            trace.send(f"api uuid_kill {caller}")
            time.sleep(1)
        trace.write(ROOT / "tests" / "traces" / "hold_trace.txt",
                    rewrite={str(work): "/var/lib/freeswitch", switch.password: "TraceCapture"})
    finally:
        capture.terminate()
        capture.wait(10)
        phone.stop()
        switch.stop(quick=True)
    times = [float(t) for t in subprocess.run(
        ["tshark", "-r", str(pcap), "-Y", f"udp.dstport=={port}", "-T", "fields", "-e", "frame.time_epoch"],
        capture_output=True).stdout.decode().split()]
    lines = []
    for name, began, ended in phases:
        # the first 0.4 s of a phase left out: the switch's own reaction time
        count = sum(1 for t in times if began + 0.4 < t < ended)
        lines.append(f"{name}: {count} RTP packets toward the caller in {ended - began - 0.4:.1f} s")
    (ROOT / "tests" / "traces" / "hold_rtp.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
