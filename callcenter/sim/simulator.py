"""The switch simulator: an Event Socket server plus a model of channels,
registered phones and external parties. For tests and the demo only.

Deliberate departures from the real switch are commented where they happen;
the main ones:
- `stop()` loses every channel silently by default (a restarted FreeSWITCH
  has no calls; nobody is connected to hear events); `stop(keep_channels=True)`
  and `drop_connections()` model an ESL connection loss where calls go on.
- one CHANNEL_BRIDGE / CHANNEL_UNBRIDGE per bridge, sent for the A leg with
  Bridge-A-Unique-ID / Bridge-B-Unique-ID, as in park_trace.txt.
- when one leg of a bridge hangs up, the other is hung up (NORMAL_CLEARING)
  unless it has park_after_bridge=true or hangup_after_bridge=false, in which
  case it is parked (the real switch would continue its dialplan, which legs
  joined by uuid_bridge do not have).
- finished legs stay visible to tests through `channel(uuid)` (gone=True).
"""
from __future__ import annotations

import logging
import time
import uuid as uuidlib
from pathlib import Path
from typing import Callable

import gevent
from gevent.server import StreamServer

from .bridging import BridgingMixin
from .channel import Channel, ChannelSnapshot
from .apps_limit import RateWindows
from .clock import Clock
from .connection import EslConnection
from .dialplan import load_dialplans, load_global_vars, route
from .events import EventsMixin
from .originate import OriginateResult, originate, originate_leg
from .phones import PhonesMixin, Registration
from .scripts import CallerScript, PhoneBehaviour
from .server import ServerMixin

log = logging.getLogger(__name__)

FORBIDDEN_PASSWORDS = {"", "ClueCon"}


class Simulator(ServerMixin, EventsMixin, PhonesMixin, BridgingMixin):
    """See callcenter/sim/__init__.py for the public API summary."""

    def __init__(self, password: str, host: str = "127.0.0.1", port: int = 0, speed: float = 1.0,
                 fast_media: bool = False, dialplan_dir: str | None = "dialplans",
                 default_prompt_seconds: float = 2.0, heartbeat_interval: float = 20.0,
                 hostname: str = "fs1", global_vars: dict[str, str] | None = None) -> None:
        if password in FORBIDDEN_PASSWORDS:
            raise ValueError("Simulator: refusing an empty or default ('ClueCon') ESL password")
        self.password = password
        self.host = host
        self.port = port
        self.clock = Clock(speed)
        self.fast_media = fast_media
        self.dialplan_dir = dialplan_dir
        self.default_prompt_seconds = default_prompt_seconds
        self.heartbeat_interval = heartbeat_interval
        self.hostname = hostname
        self.core_uuid = str(uuidlib.uuid4())
        self.global_vars = {"cc_domain": "callcenter", "domain": "callcenter", "cc_park_timeout": "30",
                            "cc_max_new_calls_per_second": "50"}  # vars.xml's, when it is not beside
        if dialplan_dir is not None:
            self.global_vars.update(load_global_vars(Path(dialplan_dir).parent / "freeswitch-conf" / "vars.xml"))
        self.global_vars.update(global_vars or {})
        self.extensions = load_dialplans(dialplan_dir)
        self.rate_windows = RateWindows()  # the `limit` application's counts (apps_limit.py)
        if dialplan_dir is not None and not self.extensions:
            log.warning("sim: no dialplan extensions in %s: every inbound call will be rejected "
                        "(NO_ROUTE_DESTINATION)", Path(dialplan_dir).resolve())
        self._scheduled: dict[str, list[gevent.Greenlet]] = {}
        self.registrations: dict[str, Registration] = {}
        self.external_parties: dict[str, PhoneBehaviour] = {}
        self._channels: dict[str, Channel] = {}
        self._finished: dict[str, ChannelSnapshot] = {}
        self.keep_finished = 2000
        self._connections: set[EslConnection] = set()
        self._server: StreamServer | None = None
        self._greenlets: set[gevent.Greenlet] = set()
        self._heartbeat: gevent.Greenlet | None = None
        self._sequence = 0
        self._session_id = 0
        self.session_count = 0
        self.peak_sessions = 0
        self.started_at = time.monotonic()
        self.unresponsive = False
        self.silent_events = False

    # ---- channels ----------------------------------------------------------------

    def next_session_id(self) -> int:
        self._session_id += 1
        return self._session_id

    def live_channel(self, uuid: str | None) -> Channel | None:
        return self._channels.get(uuid or "")

    def live_channels(self) -> list[Channel]:
        return list(self._channels.values())

    def add_channel(self, ch: Channel) -> None:
        self._channels[ch.uuid] = ch
        self.session_count += 1
        self.peak_sessions = max(self.peak_sessions, len(self._channels))

    def forget(self, ch: Channel) -> None:
        self._channels.pop(ch.uuid, None)
        self.unschedule(ch.uuid)
        self._finished[ch.uuid] = ch.snapshot(gone=True)
        while len(self._finished) > self.keep_finished:  # bounded for long demos
            self._finished.pop(next(iter(self._finished)))
        ch.other_leg = None  # gone: no more events; breaks reference chains

    def channel(self, uuid: str) -> ChannelSnapshot | None:
        ch = self._channels.get(uuid)
        if ch is not None:
            return ch.snapshot()
        return self._finished.get(uuid)

    def channels(self) -> list[ChannelSnapshot]:
        return [ch.snapshot() for ch in self._channels.values()]

    def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Poll `predicate` (real seconds) until true or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate():
                return True
            if time.monotonic() >= deadline:
                return False
            gevent.sleep(0.005)

    def reload_dialplans(self) -> None:
        self.extensions = load_dialplans(self.dialplan_dir)

    def route(self, destination: str, context: str | None = None) -> list[tuple[str, str]] | None:
        return route(self.extensions, destination, context, self.global_vars)

    def schedule(self, group: str, sim_seconds: float, fn: Callable[[], None]) -> None:
        """Run fn after sim_seconds unless `sched_del <group>` comes first."""
        def later() -> None:
            self.clock.sleep(sim_seconds)
            fn()
        g = self.spawn(later)
        self._scheduled.setdefault(group, []).append(g)
        g.link(lambda done: self._scheduled.get(group, []).remove(done) if done in self._scheduled.get(group, []) else None)

    def unschedule(self, group: str) -> int:
        tasks = self._scheduled.pop(group, [])
        for g in tasks:
            g.kill(block=False)
        return len(tasks)

    # ---- callers -------------------------------------------------------------------

    def place_call(self, caller: str, destination: str, script: "str | CallerScript" = "",
                   caller_name: str = "Caller", context: str = "public") -> str:
        """An inbound call from `caller` to `destination`, run through the
        dialplans; the caller then follows `script`. Returns the Unique-ID."""
        parsed = CallerScript.parse(script, f"caller script for {caller}")
        name = f"sofia/internal/{caller}@127.0.0.1:5080"
        ch = Channel(self, uuid=None, direction="inbound", cid_name=caller_name, cid_number=caller,
                     destination=destination, name=name, context=context, variables={
                         "sip_from_user": caller, "sip_from_host": "127.0.0.1",
                         "sip_req_user": destination, "sip_to_user": destination,
                         "sip_from_display": caller_name, "dtmf_type": "rfc2833",
                         "caller_id_number": caller, "destination_number": destination,
                     })
        self.add_channel(ch)
        ch.emit("CHANNEL_STATE")
        ch.set_state("CS_INIT")
        ch.emit("CHANNEL_CREATE")
        ch.set_call_state("RINGING")
        ch.set_state("CS_ROUTING")
        actions = self.route(destination, context)
        ch.start()
        if actions is None:
            log.info("sim: no dialplan route for %s, rejecting call %s", destination, ch.uuid)
            ch.hangup("NO_ROUTE_DESTINATION", from_executor=False)
            return ch.uuid
        ch.set_state("CS_EXECUTE")
        for app, data in actions:
            ch.execute(app, data)
        self.spawn(self.run_script, ch, parsed)
        return ch.uuid

    def press(self, uuid: str, digits: str) -> None:
        """DTMF from the far end of `uuid`, now (for tests)."""
        ch = self._require(uuid)
        for d in digits:
            ch.receive_dtmf(d)

    def hangup_call(self, uuid: str, cause: str = "NORMAL_CLEARING") -> None:
        """The far end of `uuid` hangs up (for tests)."""
        self._require(uuid).hangup(cause, from_executor=False)

    def _require(self, uuid: str) -> Channel:
        ch = self._channels.get(uuid)
        if ch is None:
            raise KeyError(f"no live channel {uuid!r}")
        return ch

    def run_script(self, ch: Channel, script: CallerScript) -> None:
        for step in script.steps:
            if ch.hangup_cause is not None:
                return
            if step.kind == "wait":
                if ch.done.wait(self.clock.real(step.seconds)):
                    return
            elif step.kind == "press":
                for digit in step.digits:
                    ch.receive_dtmf(digit)
                    self.clock.sleep(0.1)
            elif step.kind == "hangup":
                ch.hangup("NORMAL_CLEARING", from_executor=False)
                return
            elif step.kind == "until_bridged":
                gevent.wait([ch.in_a_bridge, ch.done], count=1)

    # ---- originate (callcenter/sim/originate.py) -------------------------------------

    def originate(self, arg: str) -> str:
        """`originate <dial string> <&app(arg) | extension> [XML <context>]`
        -> '+OK <uuid>\\n' or '-ERR <CAUSE>\\n', once the leg answered or failed."""
        return originate(self, arg)

    def originate_leg(self, dial: str, caller: Channel | None = None) -> OriginateResult:
        return originate_leg(self, dial, caller)


__all__ = ["Simulator", "OriginateResult", "Registration"]
