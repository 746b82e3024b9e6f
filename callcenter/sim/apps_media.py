"""Media applications: playback, endless_playback, say and record. No audio is
rendered: a prompt lasts its simulated duration (callcenter/sim/media.py), a
recording is a WAV of the simulated length."""
from __future__ import annotations

import logging
import math

from .app_registry import app, int_arg
from .channel import Channel
from .media import ENDLESS, prompt_seconds, write_wav

log = logging.getLogger(__name__)


def play(ch: Channel, path: str, *, dtmf_stops: bool = False) -> str:
    """Play one file; returns 'done', 'break' or 'dtmf'."""
    path = path.strip()
    seconds = prompt_seconds(path, ch.sim.default_prompt_seconds)
    if ch.sim.fast_media and not math.isinf(seconds):
        seconds = 0.0
    ch.files_played.append(path)
    ch.emit("PLAYBACK_START", [("Playback-File-Path", path)])
    outcome = "done"
    try:
        result = ch.wait(seconds, dtmf=dtmf_stops)
        outcome = {"timeout": "done"}.get(result, result)
    finally:
        status = "done" if outcome == "done" else "break"
        ms = 0 if math.isinf(seconds) else int(seconds * 1000)
        ch.variables.update(playback_ms=str(ms), playback_seconds=str(ms // 1000),
                            playback_samples=str(ms * 8))
        ch.emit("PLAYBACK_STOP", [("Playback-File-Path", path), ("Playback-Status", status)])
    return outcome


@app("playback")
def _playback(ch: Channel, data: str) -> str:
    # Simplified: DTMF does not stop a plain playback unless the channel has
    # playback_terminators set (then any digit stops it); the digit stays queued.
    stops = bool(ch.variables.get("playback_terminators", "").strip()) and \
        ch.variables.get("playback_terminators") != "none"
    result = play(ch, data, dtmf_stops=stops)
    return "FILE PLAYED" if result == "done" else "PLAYBACK ERROR"


@app("endless_playback")
def _endless(ch: Channel, data: str) -> str:
    while play(ch, data) == "done":
        if math.isinf(prompt_seconds(data, 1.0)) or ch.sim.fast_media:
            ch.wait(ENDLESS)
    return "FILE PLAYED"


@app("say")
def _say(ch: Channel, data: str) -> None:
    """say <module> <type> <method> <value>: lasts 0.4 s per character of
    the value (instant in fast_media); recorded in files_played as
    `say:<module>:<type>:<method>:<value>`."""
    parts = data.split(None, 3)
    if len(parts) < 4:
        log.warning("sim channel %s: say needs <module> <type> <method> <value>, got %r", ch.uuid, data)
        return
    module, kind, method, value = parts
    seconds = 0.0 if ch.sim.fast_media else 0.4 * max(1, len(value))
    label = f"say:{module}:{kind}:{method}:{value}"
    ch.files_played.append(label)
    ch.emit("PLAYBACK_START", [("Playback-File-Path", label)])
    try:
        ch.wait(seconds)
    finally:
        ch.emit("PLAYBACK_STOP", [("Playback-File-Path", label), ("Playback-Status", "done")])


@app("record")
def _record(ch: Channel, data: str) -> str:
    """record <path> [<time_limit_secs>] ...: the caller "speaks" until it
    presses a digit, hangs up, or the limit passes (default 60 s). Writes a
    mono WAV of that many simulated seconds. Silence detection not simulated."""
    import time
    parts = data.split()
    if not parts:
        return "_none_"
    path = parts[0]
    limit = int_arg(parts[1], 60) if len(parts) > 1 else 60
    started = time.monotonic()
    ch.emit("RECORD_START", [("Record-File-Path", path)])
    try:
        result = ch.wait(limit, dtmf=True, breakable=True)
        if result == "dtmf":
            ch.dtmf.pop(0)
    finally:
        seconds = min(float(limit), ch.sim.clock.sim_elapsed(started, time.monotonic()))
        size = write_wav(path, seconds, 1)
        ch.recorded_paths.append(path)
        ch.variables.update(record_seconds=str(int(seconds)), record_ms=str(int(seconds * 1000)),
                            record_file_size=str(size))
        ch.emit("RECORD_STOP", [("Record-File-Path", path)])
    return "_none_"
