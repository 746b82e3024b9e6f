"""Applications that send a leg elsewhere or join it to another: transfer and
sched_transfer (and sched_hangup, scheduled the same way), bridge, intercept,
eavesdrop."""
from __future__ import annotations

import logging

from .app_registry import app
from .channel import Channel, Interrupted
from .media import ENDLESS

log = logging.getLogger(__name__)


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
