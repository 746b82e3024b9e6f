"""API commands (`api` / `bgapi`), answering with the texts of the real switch."""
from __future__ import annotations

import json
import logging
import re
import time
from typing import TYPE_CHECKING, Callable

from . import wire

if TYPE_CHECKING:  # pragma: no cover
    from .simulator import Simulator

log = logging.getLogger(__name__)
ApiFn = Callable[["Simulator", str], str]
COMMANDS: dict[str, ApiFn] = {}
NO_CHANNEL = "-ERR No such channel!\n"


def command(name: str):
    def register(fn: ApiFn) -> ApiFn:
        COMMANDS[name] = fn
        return fn
    return register


def run_api(sim: "Simulator", line: str) -> str:
    name, _, arg = line.strip().partition(" ")
    fn = COMMANDS.get(name)
    if fn is None:
        return f"-ERR {name} Command not found!\n"
    try:
        return fn(sim, arg.strip())
    except Exception as exc:  # a simulator bug must not kill the ESL session
        log.exception("sim: api %r failed", line)
        return f"-ERR {type(exc).__name__}: {exc}\n"


@command("status")
def _status(sim: "Simulator", arg: str) -> str:
    up = int(time.monotonic() - sim.started_at)
    days, rest = divmod(up, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    return (f"UP 0 years, {days} days, {hours} hours, {minutes} minutes, {seconds} seconds, "
            f"0 milliseconds, 0 microseconds\n"
            f"FreeSWITCH (Version 1.11.2-dev callcenter-sim 64bit) is ready\n"
            f"{sim.session_count} session(s) since startup\n"
            f"{len(sim.live_channels())} session(s) - peak {sim.peak_sessions}, last 5min {sim.peak_sessions} \n"
            f"0 session(s) per Sec out of max 200, peak 1, last 5min 1 \n"
            f"2000 session(s) max\nmin idle cpu 0.00/99.00\nCurrent Stack Size/Max 240K/8192K\n")


@command("version")
def _version(sim: "Simulator", arg: str) -> str:
    return "FreeSWITCH Version 1.11.2-dev+callcenter-sim (simulator)\n"


@command("hostname")
def _hostname(sim: "Simulator", arg: str) -> str:
    return sim.hostname


@command("reloadxml")
def _reloadxml(sim: "Simulator", arg: str) -> str:
    sim.reload_dialplans()
    return "+OK [Success]\n"


@command("show")
def _show(sim: "Simulator", arg: str) -> str:
    words = arg.split()
    as_json = words[-2:] == ["as", "json"]
    what = words[0] if words else ""
    if what == "channels":
        rows = [ch.describe() for ch in sim.live_channels()]
    elif what == "registrations":
        rows = [reg.row(sim.hostname) for reg in sim.registrations.values()]
    else:
        return "-USAGE: show channels|registrations [as json]\n"
    if as_json:
        if not rows:
            return json.dumps({"row_count": 0}, separators=(",", ":"))
        return json.dumps({"row_count": len(rows), "rows": rows}, separators=(",", ":"))
    if not rows:
        return "\n0 total.\n"
    head = ",".join(rows[0].keys())
    body = "\n".join(",".join(str(v) for v in row.values()) for row in rows)
    return f"{head}\n{body}\n\n{len(rows)} total.\n"


@command("sofia_contact")
def _sofia_contact(sim: "Simulator", arg: str) -> str:
    user = arg.split("/")[-1].split("@")[0]
    reg = sim.registrations.get(user)
    return f"sofia/internal/{reg.sip_uri}" if reg else "error/user_not_registered"


@command("originate")
def _originate(sim: "Simulator", arg: str) -> str:
    return sim.originate(arg)


def _channel(sim: "Simulator", arg: str):
    uuid = arg.split()[0] if arg.split() else ""
    return sim.live_channel(uuid), arg.split()[1:]


@command("uuid_exists")
def _uuid_exists(sim: "Simulator", arg: str) -> str:
    return "true" if sim.live_channel(arg.strip()) else "false"


@command("uuid_kill")
def _uuid_kill(sim: "Simulator", arg: str) -> str:
    ch, rest = _channel(sim, arg)
    if ch is None:
        return NO_CHANNEL
    ch.hangup(rest[0] if rest else "NORMAL_CLEARING", from_executor=False)
    return "+OK\n"


@command("uuid_setvar")
def _uuid_setvar(sim: "Simulator", arg: str) -> str:
    parts = arg.split(None, 2)
    if len(parts) < 2:
        return "-USAGE: <uuid> <var> [value]\n"
    ch = sim.live_channel(parts[0])
    if ch is None:
        return NO_CHANNEL
    if len(parts) == 3 and parts[2] != "":
        ch.variables[parts[1]] = parts[2]
    else:
        ch.variables.pop(parts[1], None)
    return "+OK\n"


@command("uuid_setvar_multi")
def _uuid_setvar_multi(sim: "Simulator", arg: str) -> str:
    parts = arg.split(None, 1)
    ch = sim.live_channel(parts[0]) if parts else None
    if ch is None:
        return NO_CHANNEL
    for pair in (parts[1] if len(parts) > 1 else "").split(";"):
        name, _, value = pair.partition("=")
        if name.strip():
            ch.variables[name.strip()] = value
    return "+OK\n"


@command("uuid_getvar")
def _uuid_getvar(sim: "Simulator", arg: str) -> str:
    ch, rest = _channel(sim, arg)
    if ch is None:
        return NO_CHANNEL
    if not rest:
        return "-USAGE: <uuid> <var>\n"
    return ch.variables.get(rest[0], "_undef_")


@command("uuid_dump")
def _uuid_dump(sim: "Simulator", arg: str) -> str:
    ch, rest = _channel(sim, arg)
    if ch is None:
        return NO_CHANNEL
    headers = ch.event_headers("CHANNEL_DATA")
    if rest and rest[0] == "json":
        return json.dumps(dict(headers))
    return "".join(f"{k}: {wire.url_encode(v)}\n" for k, v in headers)


@command("uuid_bridge")
def _uuid_bridge(sim: "Simulator", arg: str) -> str:
    parts = arg.split()
    if len(parts) != 2:
        return "-USAGE: <uuid> <other_uuid>\n"
    a, b = sim.live_channel(parts[0]), sim.live_channel(parts[1])
    if a is None or b is None:
        return f"-ERR Invalid uuid {parts[0] if a is None else parts[1]}\n"
    if a is b:
        return "-ERR cannot bridge a channel to itself\n"
    sim.bridge(a, b, via_api=True)
    return f"+OK {b.uuid}\n"


@command("uuid_transfer")
def _uuid_transfer(sim: "Simulator", arg: str) -> str:
    parts = arg.split()
    if len(parts) < 2:
        return "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n"
    ch = sim.live_channel(parts[0])
    if ch is None:
        return NO_CHANNEL
    legs = [ch]
    rest = parts[1:]
    if rest[0] in ("-bleg", "-both"):
        peer = sim.live_channel(ch.bridged_to) if ch.bridged_to else None
        legs = ([peer] if rest[0] == "-bleg" else [ch, peer]) if peer else legs
        rest = rest[1:]
    if not rest:
        return "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n"
    dest = rest[0]
    context = rest[2] if len(rest) > 2 else None
    if len(rest) > 1 and rest[1] == "inline":
        dest, context = ("park:" if dest.strip("'").startswith("park") else dest), None
    for leg in legs:
        sim.transfer(leg, dest, context)
    return "+OK\n"


@command("sched_del")
def _sched_del(sim: "Simulator", arg: str) -> str:
    # as FreeSWITCH: a count, and '+OK Deleted: 0' (not an error) when nothing was scheduled
    return f"+OK Deleted: {sim.unschedule(arg.strip())}\n"


@command("uuid_hold")
def _uuid_hold(sim: "Simulator", arg: str) -> str:
    parts = arg.split()
    mode = "on"
    if parts and parts[0] in ("off", "toggle"):
        mode, parts = parts[0], parts[1:]
    ch = sim.live_channel(parts[0]) if parts else None
    if ch is None:
        return NO_CHANNEL
    hold = (not ch.held) if mode == "toggle" else (mode == "on")
    sim.hold(ch, hold)
    return "+OK Success\n"


@command("uuid_break")
def _uuid_break(sim: "Simulator", arg: str) -> str:
    ch, rest = _channel(sim, arg)
    if ch is None:
        return NO_CHANNEL
    ch.break_media(flush=bool(rest and rest[0] == "all"))
    return "+OK\n"


@command("uuid_broadcast")
def _uuid_broadcast(sim: "Simulator", arg: str) -> str:
    parts = arg.split()
    if len(parts) < 2:
        return "-USAGE: <uuid> <path> [aleg|bleg|both]\n"
    ch = sim.live_channel(parts[0])
    if ch is None:
        return NO_CHANNEL
    leg = parts[2] if len(parts) > 2 else "aleg"
    peer = sim.live_channel(ch.bridged_to) if ch.bridged_to else None
    targets = {"aleg": [ch], "bleg": [peer], "both": [ch, peer]}.get(leg, [ch])
    path = parts[1]
    app, sep, app_arg = path.partition("::")
    for target in targets:
        if target is None:
            continue
        if sep:
            target.execute(app, app_arg.replace("!", " "), quiet=True)
        else:
            target.execute("playback", path, quiet=True)
    return "+OK Message sent\n"


@command("uuid_record")
def _uuid_record(sim: "Simulator", arg: str) -> str:
    parts = arg.split()
    if len(parts) < 3:
        return "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>]\n"
    ch = sim.live_channel(parts[0])
    if ch is None:
        return NO_CHANNEL
    action, path = parts[1], parts[2]
    if action == "start":
        # Simplified: stereo unless RECORD_STEREO=false (the real default is
        # mono; the engine sets RECORD_STEREO=true for caller/agent channels).
        channels = 1 if ch.variables.get("RECORD_STEREO", "true") == "false" else 2
        ch.start_recording(path, channels)
        return "+OK Success\n"
    if action == "stop":
        paths = list(ch.recordings) if path == "all" else [path]
        stopped = [p for p in paths if ch.stop_recording(p)]
        return "+OK Success\n" if stopped else "-ERR Cannot stop record session!\n"
    rec = ch.recordings.get(path)
    if rec is None:
        return "-ERR Cannot find record session!\n"
    if action == "mask" and rec.mask_started is None:
        rec.mask_started = time.monotonic()
    elif action == "unmask" and rec.mask_started is not None:
        rec.masked.append((rec.mask_started, time.monotonic()))
        rec.mask_started = None
    elif action not in ("mask", "unmask"):
        return "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>]\n"
    return "+OK Success\n"


@command("uuid_answer")
def _uuid_answer(sim: "Simulator", arg: str) -> str:
    ch, _ = _channel(sim, arg)
    if ch is None:
        return NO_CHANNEL
    ch.answer()
    return "+OK\n"


@command("uuid_park")
def _uuid_park(sim: "Simulator", arg: str) -> str:
    ch, _ = _channel(sim, arg)
    if ch is None:
        return NO_CHANNEL
    sim.transfer(ch, "park:")
    return "+OK\n"


def split_args(text: str) -> list[str]:
    """An api command's arguments split on blanks, single quotes grouping (and removed),
    as FreeSWITCH's switch_separate_string does: `{a='x y'}user/1 &park()` is two."""
    words, word, quoted, started = [], [], False, False
    for ch in text:
        if ch == "'":
            quoted, started = not quoted, True
        elif ch.isspace() and not quoted:
            if started:
                words.append("".join(word))
            word, started = [], False
        else:
            word.append(ch)
            started = True
    if started:
        words.append("".join(word))
    return words


def parse_dial_string(text: str) -> tuple[dict[str, str], str]:
    """`{a=1,b=2}[c=3]user/1001` -> ({a,b,c}, 'user/1001'). Simplified: only
    the first endpoint of a `,` / `|` list is dialled; `^^` separators and
    quoted values with commas are not supported."""
    variables: dict[str, str] = {}
    text = text.strip()
    while text[:1] in ("{", "[", "<"):
        close = {"{": "}", "[": "]", "<": ">"}[text[0]]
        end = text.find(close)
        if end < 0:
            raise ValueError(f"unterminated {text[0]} in dial string {text!r}")
        for pair in text[1:end].split(","):
            name, _, value = pair.partition("=")
            if name.strip():
                variables[name.strip()] = value.strip().strip("'")
        text = text[end + 1:]
    endpoint = re.split(r"[,|]", text)[0].strip()
    return variables, endpoint
