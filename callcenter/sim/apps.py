"""Dialplan applications a simulated channel can run.

Each application gets the channel and its argument string and returns the
Application-Response text (FreeSWITCH sends `_none_` for most). Simplified on
purpose, and said so at each place: no audio is rendered, durations are
simulated; DTMF comes only from caller scripts / phone behaviours.
"""
from __future__ import annotations

import logging
import math
import re
import uuid as uuidlib
from typing import Callable

from .channel import QUIET, Channel, ChannelHangup, Interrupted
from .media import ENDLESS, prompt_seconds, write_wav

log = logging.getLogger(__name__)

App = Callable[[Channel, str], "str | None"]
APPS: dict[str, App] = {}


def app(name: str):
    def register(fn: App) -> App:
        APPS[name] = fn
        return fn
    return register


def expand(ch: Channel, data: str) -> str:
    """${var} expansion from channel variables (unknown -> empty), as the
    switch does before it runs an application."""
    def sub(m: re.Match) -> str:
        name = m.group(1)
        if name == "uuid":
            return ch.uuid
        if name == "destination_number":
            return ch.destination
        if name == "caller_id_number":
            return ch.cid_number
        return ch.variables.get(name, "")
    return re.sub(r"\$\{([^}]+)\}", sub, data)


def run_application(ch: Channel, name: str, data: str, event_uuid: str | None) -> None:
    """Run one application with CHANNEL_EXECUTE / CHANNEL_EXECUTE_COMPLETE
    around it; Application-UUID is the sendmsg's Event-UUID when given."""
    quiet = event_uuid == QUIET
    app_uuid = str(uuidlib.uuid4()) if quiet or not event_uuid else event_uuid
    data = expand(ch, data or "")
    nested = ch.parked  # run from inside park (sendmsg on a parked channel)
    ch.current_app, ch.current_app_data = name, data
    ch.variables["current_application"] = name
    ch.variables["current_application_data"] = data
    ch.applications.append((name, data))
    ch.state = "CS_EXECUTE"
    ch.clear_break()  # a uuid_break aimed at an earlier app does not stop this one
    if not quiet:
        ch.emit("CHANNEL_EXECUTE", [("Application", name), ("Application-Data", data),
                                    ("Application-UUID", app_uuid)])
    response = "_none_"
    handler = APPS.get(name)
    try:
        if handler is None:
            log.warning("sim channel %s: application %r is not simulated", ch.uuid, name)
            response = "-ERR Invalid Application"
        else:
            response = handler(ch, data) or "_none_"
    except Interrupted:
        if not quiet:
            _complete(ch, name, data, response, app_uuid)
        if nested:  # bridge/transfer pulls the leg out of park as well
            raise
        return
    except ChannelHangup:
        if not quiet:
            _complete(ch, name, data, response, app_uuid)
        raise
    if not quiet:
        _complete(ch, name, data, response, app_uuid)


def _complete(ch: Channel, name: str, data: str, response: str, app_uuid: str) -> None:
    ch.emit("CHANNEL_EXECUTE_COMPLETE", [
        ("Application", name), ("Application-Data", data),
        ("Application-Response", response), ("Application-UUID", app_uuid)])


# ---- simple ones -------------------------------------------------------------

@app("set")
def _set(ch: Channel, data: str) -> None:
    name, _, value = data.partition("=")
    name = name.strip()
    if not name:
        return
    if value == "":
        ch.variables.pop(name, None)
    else:
        ch.variables[name] = value


@app("export")
def _export(ch: Channel, data: str) -> None:
    # Simplified: exported variables are set here and copied to legs this
    # channel originates with the bridge application.
    name, _, value = data.partition("=")
    local = not name.startswith("nolocal:")
    name = name.removeprefix("nolocal:").strip()
    ch.exports[name] = value
    if local:
        _set(ch, f"{name}={value}")


@app("unset")
def _unset(ch: Channel, data: str) -> None:
    ch.variables.pop(data.strip(), None)


@app("answer")
def _answer(ch: Channel, data: str) -> None:
    ch.answer()


@app("pre_answer")
@app("ring_ready")
def _ring_ready(ch: Channel, data: str) -> None:
    ch.ring()


@app("hangup")
def _hangup(ch: Channel, data: str) -> None:
    ch.hangup(data.strip() or "NORMAL_CLEARING")


@app("sleep")
def _sleep(ch: Channel, data: str) -> None:
    ch.wait(_int(data, 0) / 1000.0, breakable=False)


@app("log")
@app("info")
def _noop(ch: Channel, data: str) -> None:
    return None


# ---- park --------------------------------------------------------------------

@app("park")
def _park(ch: Channel, data: str) -> None:
    """Park: wait for messages (sendmsg execute runs inside park, as in
    switch_ivr_park) until bridged, transferred or hung up. park_timeout
    `<seconds>[:<cause>]` hangs up when it expires (cause default
    ALLOTTED_TIMEOUT); the real switch can also transfer, not simulated."""
    import time
    ch.parked = True
    ch.emit("CHANNEL_PARK")
    timeout = ch.variables.get("park_timeout", "")
    seconds, _, cause = timeout.partition(":")
    deadline = None
    if seconds.strip().isdigit() and int(seconds) > 0:
        deadline = time.monotonic() + ch.sim.clock.real(int(seconds))
    try:
        while True:
            remaining = math.inf if deadline is None else max(0.0, (deadline - time.monotonic()) * ch.sim.clock.speed)
            if ch.wait(remaining, messages=True, breakable=False) == "timeout":
                ch.hangup(cause or "ALLOTTED_TIMEOUT")
            name, arg, event_uuid = ch.queue.get()
            run_application(ch, name, arg, event_uuid)
            ch.current_app, ch.current_app_data = "park", ""
    finally:
        ch.parked = False
        ch.emit("CHANNEL_UNPARK")


# ---- media -------------------------------------------------------------------

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


# ---- digits ------------------------------------------------------------------

def collect(ch: Channel, min_digits: int, max_digits: int, prompt: str, timeout_ms: int,
            terminators: str, digit_timeout_ms: int, var_name: str = "") -> tuple[str, str]:
    """switch_ivr_read: play the prompt (a digit stops it), then collect up
    to max_digits; `timeout_ms` for the first digit, `digit_timeout_ms`
    between digits; a terminator ends input (read_terminator_used). Returns
    (digits, status) with status success | timeout | too_small, sets
    read_result (success | timeout | failure) and var_name when digits came."""
    for name in ("read_result", "read_terminator_used", var_name):
        ch.variables.pop(name, None)
    max_digits = max(max_digits, min_digits)
    if prompt and prompt != "silence":
        play(ch, prompt, dtmf_stops=True)
    digits, status = "", "success"
    while len(digits) < max_digits:
        wait_ms = digit_timeout_ms if digits else timeout_ms
        if not ch.dtmf and ch.wait(wait_ms / 1000.0, dtmf=True, breakable=False) == "timeout":
            status = "timeout"
            break
        digit = ch.dtmf.pop(0)
        if digit in terminators:
            ch.variables["read_terminator_used"] = digit
            break
        digits += digit
    if min_digits and len(digits) < min_digits:
        status = "too_small"
    ch.variables["read_result"] = {"success": "success", "timeout": "timeout"}.get(status, "failure")
    if var_name and digits:
        ch.variables[var_name] = digits
    return digits, status


@app("play_and_get_digits")
def _pagd(ch: Channel, data: str) -> str:
    """play_and_get_digits <min> <max> <tries> <timeout> <terminators> <file>
    <invalid_file> <var_name> <regexp> [<digit_timeout>] [<transfer_on_failure>],
    counted as switch_play_and_get_digits does: a try fails on no input, too
    few digits or no regex match (then var_name is cleared and
    <var_name>_invalid holds the digits); every failed try, the last one
    included, plays invalid_file."""
    args = data.split()
    if len(args) < 7:
        log.warning("sim channel %s: play_and_get_digits needs at least 7 arguments, got %r", ch.uuid, data)
        return "_none_"
    min_d, max_d, tries, timeout = (_int(a, d) for a, d in zip(args[:4], (0, 1, 1, 5000)))
    terminators = "" if args[4] == "none" else args[4]
    prompt, invalid = args[5], args[6]
    var_name = args[7] if len(args) > 7 else "pagd_input"
    regex = args[8] if len(args) > 8 else ""
    digit_timeout = (_int(args[9], 0) if len(args) > 9 else 0) or timeout
    failure = args[10:]
    if regex:
        ch.variables.pop(f"{var_name}_invalid", None)
    while tries > 0:
        digits, status = collect(ch, min_d, max_d, prompt, timeout, terminators, digit_timeout, var_name)
        if status == "timeout" and len(digits) >= min_d:
            status = "success"
        if min_d == 0 and not digits and "read_terminator_used" in ch.variables:
            return "_none_"
        if status == "success" and digits:
            if not regex or re.search(regex, digits):
                return "_none_"
            ch.variables.pop(var_name, None)
            ch.variables[f"{var_name}_invalid"] = digits
        if invalid and invalid != "silence":
            play(ch, invalid)
        tries -= 1
    if failure:
        transfer_to(ch, failure[0], failure[2] if len(failure) > 2 else None)
    return "_none_"


@app("read")
def _read(ch: Channel, data: str) -> str:
    """read <min> <max> <sound_file> <var_name> <timeout_ms> <terminators>: one try."""
    args = data.split()
    if len(args) < 4:
        log.warning("sim channel %s: read needs <min> <max> <file> <var>, got %r", ch.uuid, data)
        return "_none_"
    min_d, max_d = _int(args[0], 0), _int(args[1], 1)
    timeout = _int(args[4], 5000) if len(args) > 4 else 5000
    terminators = args[5] if len(args) > 5 else "#"
    collect(ch, min_d, max_d, args[2], timeout, terminators, timeout, args[3])
    return "_none_"


# ---- record ------------------------------------------------------------------

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
    limit = _int(parts[1], 60) if len(parts) > 1 else 60
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


# ---- transfer, bridge, eavesdrop -------------------------------------------

def transfer_to(ch: Channel, dest: str, context: str | None = None) -> None:
    """Run the dialplan for `dest` in `context` (simplified: dialplans/*.xml
    by destination number; 'park:' inline goes straight to park)."""
    while not ch.queue.empty():
        ch.queue.get()
    dest = dest.strip().strip("'")
    if dest.startswith("park:") or dest == "park":
        ch.execute("park")
        return
    if context:
        ch.context = context
    actions = ch.sim.route(dest, ch.context)
    if actions is None:
        ch.hangup("NO_ROUTE_DESTINATION")
        return
    ch.destination = dest
    for name, arg in actions:
        ch.execute(name, arg)


@app("transfer")
def _transfer_app(ch: Channel, data: str) -> None:
    """transfer <dest> [XML <context>]; runs after this application ends."""
    words = data.split()
    if words:
        transfer_to(ch, words[0], words[2] if len(words) > 2 else None)


def _schedule_args(ch: Channel, data: str) -> tuple[float, list[str]] | None:
    words = data.split()
    if not words or not words[0].lstrip("+").replace(".", "", 1).isdigit():
        log.warning("sim channel %s: expected +<seconds> first, got %r", ch.uuid, data)
        return None
    # "+N" is relative; an absolute epoch is treated as relative too (simplified)
    return float(words[0].lstrip("+")), words[1:]


@app("sched_transfer")
def _sched_transfer(ch: Channel, data: str) -> None:
    """sched_transfer +<sec> <dest> [XML <context>]; cancelled by `sched_del <uuid>`."""
    parsed = _schedule_args(ch, data)
    if parsed and parsed[1]:
        seconds, words = parsed
        dest, context = words[0], (words[2] if len(words) > 2 else None)

        def fire() -> None:
            if ch.hangup_cause is None:
                ch.sim.transfer(ch, dest, context)
        ch.sim.schedule(ch.uuid, seconds, fire)


@app("sched_hangup")
def _sched_hangup(ch: Channel, data: str) -> None:
    parsed = _schedule_args(ch, data)
    if parsed:
        seconds, words = parsed
        cause = words[0] if words else "ALLOTTED_TIMEOUT"
        ch.sim.schedule(ch.uuid, seconds, lambda: ch.hangup(cause, from_executor=False))


@app("echo")
def _echo(ch: Channel, data: str) -> None:
    ch.wait(ENDLESS, breakable=False)


@app("bridge")
def _bridge(ch: Channel, data: str) -> str:
    """bridge <dial string>: originate the B leg, bridge, wait until the bridge
    ends. Afterwards hangup_after_bridge (default true here) hangs up;
    park_after_bridge=true parks instead."""
    result = ch.sim.originate_leg(data, caller=ch)
    if not result.ok:
        ch.variables["originate_disposition"] = result.cause
        ch.variables["last_bridge_hangup_cause"] = result.cause
        return "_none_"
    ch.in_bridge_app = True
    try:
        ch.sim.bridge(ch, result.channel)
        try:
            ch.wait(ENDLESS, breakable=False)
        except Interrupted as exc:
            if str(exc) != "unbridged":  # pulled away (uuid_transfer, uuid_bridge)
                return "_none_"
    finally:
        ch.in_bridge_app = False
    if ch.variables.get("park_after_bridge") == "true":
        ch.execute("park")
    elif ch.variables.get("hangup_after_bridge", "true") != "false":
        ch.hangup("NORMAL_CLEARING")
    return "_none_"


@app("intercept")
def _intercept(ch: Channel, data: str) -> str:
    """intercept <uuid>: answer, then bridge this channel with <uuid> (as uuid_bridge).
    A missing target ends the application at once and the originated leg hangs up
    (nothing left to run); with intercept_unbridged_only=true a target already in a
    bridge is left alone. Simplified: no -bleg, and a bridged target's partner is not
    hung up (PICKED_OFF)."""
    target = ch.sim.live_channel(data.strip())
    unbridged_only = ch.variables.get("intercept_unbridged_only") == "true"
    if target is None or target.hangup_cause is not None or target is ch or (
            unbridged_only and target.bridged_to):
        # the originated leg has nothing left to run: FreeSWITCH hangs it up
        ch.hangup("NORMAL_CLEARING")
        return "_none_"
    ch.answer()
    ch.sim.bridge(ch, target, via_api=True)
    return "_none_"


EAVESDROP_DTMF = {"0": "listen", "1": "whisper", "2": "whisper", "3": "barge"}


@app("eavesdrop")
def _eavesdrop(ch: Channel, data: str) -> str:
    """eavesdrop <uuid>: listen to a leg until it ends. The mode starts as
    listen, whisper (eavesdrop_whisper_aleg/bleg=true) or barge
    (eavesdrop_bridge_aleg=true and eavesdrop_bridge_bleg=true) and changes with
    the supervisor's DTMF: 0 listen, 1/2 whisper, 3 barge (the real switch
    distinguishes which leg hears the whisper; simplified to one 'whisper')."""
    target = ch.sim.live_channel(data.strip())
    if target is None:
        return "_none_"
    v = ch.variables
    if v.get("eavesdrop_bridge_aleg") == "true" and v.get("eavesdrop_bridge_bleg") == "true":
        ch.eavesdrop_mode = "barge"
    elif v.get("eavesdrop_whisper_aleg") == "true" or v.get("eavesdrop_whisper_bleg") == "true":
        ch.eavesdrop_mode = "whisper"
    else:
        ch.eavesdrop_mode = "listen"
    ch.variables["eavesdrop_target"] = target.uuid
    try:
        while not target.done.is_set():
            if ch.wait(0.05 * ch.sim.clock.speed, dtmf=True) == "dtmf":
                digit = ch.dtmf.pop(0)
                ch.eavesdrop_mode = EAVESDROP_DTMF.get(digit, ch.eavesdrop_mode)
    finally:
        ch.eavesdrop_mode = None
    return "_none_"


def _int(text: str, default: int) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return default

