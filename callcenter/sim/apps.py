"""Dialplan applications a simulated channel can run: how one is run, the simple
ones and park. The others: media in apps_media.py, digits in apps_digits.py,
transfer, bridge and eavesdrop in apps_bridge.py.

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

from . import apps_digits, apps_limit, apps_media  # noqa: F401  (importing them registers their applications)
from .app_registry import APPS, app, int_arg
from .apps_bridge import transfer_to  # noqa: F401  (for the simulator's uuid_transfer)
from .channel import QUIET, Channel, ChannelHangup, Interrupted
from .media import ENDLESS

log = logging.getLogger(__name__)


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
    ch.wait(int_arg(data, 0) / 1000.0, breakable=False)


@app("log")
@app("info")
def _noop(ch: Channel, data: str) -> None:
    return None


@app("echo")
def _echo(ch: Channel, data: str) -> None:
    ch.wait(ENDLESS, breakable=False)


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
