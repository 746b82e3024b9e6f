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
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import gevent
from gevent.server import StreamServer

from . import wire
from .channel import Channel, ChannelSnapshot
from .clock import Clock
from .connection import EslConnection
from .dialplan import load_dialplans, load_global_vars, route
from .originate import OriginateResult, originate, originate_leg
from .scripts import CallerScript, PhoneBehaviour

log = logging.getLogger(__name__)

FORBIDDEN_PASSWORDS = {"", "ClueCon"}
# where the real switch fires CHANNEL_HOLD / _UNHOLD for `uuid_hold` (FreeSWITCH 1.10 source)
IVR_HOLD = ("switch_ivr.c", "switch_ivr_hold", 1558)
IVR_UNHOLD = ("switch_ivr.c", "switch_ivr_unhold", 1638)


@dataclass
class Registration:
    extension: str
    behaviour: PhoneBehaviour
    call_id: str
    port: int
    expires_at: int

    @property
    def sip_uri(self) -> str:
        return f"sip:{self.extension}@127.0.0.1:{self.port}"

    def row(self, hostname: str) -> dict[str, str]:
        return {"reg_user": self.extension, "realm": "127.0.0.1", "token": self.call_id,
                "url": f"sofia/internal/{self.sip_uri}", "expires": str(self.expires_at),
                "network_ip": "127.0.0.1", "network_port": str(self.port),
                "network_proto": "udp", "hostname": hostname, "metadata": ""}


class Simulator:
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
        self.global_vars = {"cc_domain": "callcenter", "domain": "callcenter", "cc_park_timeout": "30"}
        if dialplan_dir is not None:
            self.global_vars.update(load_global_vars(Path(dialplan_dir).parent / "freeswitch-conf" / "vars.xml"))
        self.global_vars.update(global_vars or {})
        self.extensions = load_dialplans(dialplan_dir)
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

    # ---- server lifecycle --------------------------------------------------

    def start(self) -> int:
        """Listen; returns the port. After stop(), listens on the same port."""
        if self._server is not None:
            return self.port
        self._server = StreamServer((self.host, self.port), self._handle)
        self._server.reuse_addr = 1
        self._server.start()
        self.port = self._server.server_port
        self.started_at = time.monotonic()
        self.unresponsive = False
        self.silent_events = False
        self._heartbeat = gevent.spawn(self._heartbeat_loop)
        log.info("sim: switch simulator listening on %s:%d (speed %.1f)", self.host, self.port, self.clock.speed)
        return self.port

    def stop(self, keep_channels: bool = False) -> None:
        """Stop listening and close every ESL connection abruptly. By default
        every channel disappears too, without events, like a switch restart;
        keep_channels=True keeps the calls (an ESL-only outage)."""
        if self._server is not None:
            self._server.stop(timeout=0)
            self._server = None
        if self._heartbeat is not None:
            self._heartbeat.kill(block=False)
            self._heartbeat = None
        self.drop_connections()
        if not keep_channels:
            self.silent_events = True
            for ch in list(self._channels.values()):
                ch.hangup("SYSTEM_SHUTDOWN", from_executor=False)
            for ch in list(self._channels.values()):
                ch.done.wait(2.0)
            self.silent_events = False
            self.registrations.clear()  # phones re-register with a new switch

    def drop_connections(self) -> None:
        """Close every ESL socket (no goodbye); channels and calls go on."""
        for conn in list(self._connections):
            conn.close()
        self._connections.clear()

    def close(self) -> None:
        """Stop and kill every background greenlet (end of a test)."""
        self.stop()
        for g in list(self._greenlets):
            g.kill(block=False)

    def _handle(self, sock, address) -> None:
        conn = EslConnection(self, sock, address)
        self._connections.add(conn)
        conn.serve()

    def connection_closed(self, conn: EslConnection) -> None:
        self._connections.discard(conn)

    def session_ended(self, ch: Channel) -> None:
        """Tell `myevents <uuid>` listeners their channel is gone."""
        for conn in list(self._connections):
            conn.session_ended(ch.uuid, ch.name)

    def connection_count(self) -> int:
        return sum(1 for c in self._connections if not c.closed)

    def spawn(self, fn: Callable, *args) -> gevent.Greenlet:
        g = gevent.spawn(fn, *args)
        self._greenlets.add(g)
        g.link(lambda done: self._greenlets.discard(done))
        return g

    def _heartbeat_loop(self) -> None:
        while True:
            self.clock.sleep(self.heartbeat_interval)
            up = int(time.monotonic() - self.started_at)
            self.emit(self.base_headers("HEARTBEAT", "switch_core.c", "send_heartbeat", 80) + [
                ("Event-Info", "System Ready"), ("Up-Time", f"0 years, 0 days, 0 hours, 0 minutes, {up} seconds"),
                ("FreeSWITCH-Version", "1.11.2-dev"), ("Uptime-msec", str(up * 1000)),
                ("Session-Count", str(len(self._channels))), ("Max-Sessions", "2000"),
                ("Session-Per-Sec", "200"), ("Session-Since-Startup", str(self.session_count)),
                ("Idle-CPU", "99.000000"), ("Heartbeat-Interval", str(int(self.heartbeat_interval)))])

    # ---- fault injection -----------------------------------------------------

    def inject_fault(self, kind: str) -> None:
        """Send a malformed frame to every connected client. Kinds:
        bad_content_length, missing_content_length, truncated_body, non_utf8,
        header_without_colon."""
        frame = wire.FAULTS.get(kind)
        if frame is None:
            raise ValueError(f"unknown fault {kind!r}; known: {', '.join(sorted(wire.FAULTS))}")
        for conn in list(self._connections):
            if conn.authed:
                conn.send(frame)

    def send_raw(self, data: bytes) -> None:
        """Send arbitrary bytes to every authenticated client."""
        for conn in list(self._connections):
            if conn.authed:
                conn.send(data)

    def set_unresponsive(self, on: bool = True, events: bool = False) -> None:
        """Stop answering commands (they are read and dropped); with
        events=True also stop sending events. Calls go on meanwhile."""
        self.unresponsive = on
        self.silent_events = on and events

    # ---- events ----------------------------------------------------------------

    def base_headers(self, name: str, file: str = "switch_channel.c", function: str = "",
                     line: int = 0, subclass: str | None = None) -> list[tuple[str, str]]:
        self._sequence += 1
        now = time.time()
        headers = [("Event-Subclass", subclass)] if subclass else []
        headers += [
            ("Event-Name", name), ("Core-UUID", self.core_uuid),
            ("FreeSWITCH-Hostname", self.hostname), ("FreeSWITCH-Switchname", self.hostname),
            ("FreeSWITCH-IPv4", "127.0.0.1"), ("FreeSWITCH-IPv6", "::1"),
            ("Event-Date-Local", time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))),
            ("Event-Date-GMT", time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now))),
            ("Event-Date-Timestamp", str(int(now * 1_000_000))),
            ("Event-Calling-File", file), ("Event-Calling-Function", function),
            ("Event-Calling-Line-Number", str(line)), ("Event-Sequence", str(self._sequence)),
        ]
        return headers

    def emit(self, headers: list[tuple[str, str]], body: str | None = None) -> None:
        if self.silent_events:
            return
        lookup = dict(headers)
        name = lookup.get("Event-Name", "")
        subclass = lookup.get("Event-Subclass")
        listeners = [c for c in self._connections if c.authed and not c.closed and c.wants(name, subclass)]
        if not listeners:
            return  # nobody subscribed: skip the encoding
        frame = wire.plain_event(headers, body)
        for conn in listeners:
            conn.deliver(name, subclass, lookup, frame)

    def emit_api_event(self, line: str) -> None:
        name, _, arg = line.partition(" ")
        headers = self.base_headers("API", "switch_loadable_module.c", "switch_api_execute", 2954)
        headers.append(("API-Command", name))
        if arg:
            headers.append(("API-Command-Argument", arg))
        self.emit(headers)

    def emit_job(self, job_uuid: str, name: str, arg: str, result: str) -> None:
        headers = self.base_headers("BACKGROUND_JOB", "mod_event_socket.c", "api_exec", 1569)
        headers += [("Job-UUID", job_uuid), ("Job-Command", name)]
        if arg:
            headers.append(("Job-Command-Arg", arg))
        self.emit(headers, body=result)

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

    # ---- phones and external parties -------------------------------------------------

    def register_phone(self, extension: str, behaviour: "str | PhoneBehaviour" = "answer:1") -> None:
        parsed = PhoneBehaviour.parse(behaviour, f"phone {extension}")
        reg = Registration(extension, parsed, f"reg-{uuidlib.uuid4().hex[:10]}@127.0.0.1",
                           5070 + int(extension) % 1000 if extension.isdigit() else 5070,
                           int(time.time()) + 300)
        self.registrations[extension] = reg
        self._emit_registration("sofia::register", reg, "Registered(UDP)", "300")

    def set_phone_behaviour(self, extension: str, behaviour: "str | PhoneBehaviour") -> None:
        reg = self.registrations.get(extension)
        if reg is None:
            raise KeyError(f"phone {extension} is not registered")
        reg.behaviour = PhoneBehaviour.parse(behaviour, f"phone {extension}")

    def unregister_phone(self, extension: str) -> None:
        reg = self.registrations.pop(extension, None)
        if reg is not None:
            self._emit_registration("sofia::unregister", reg, "Unregistered(UDP)", "0")

    def expire_phone(self, extension: str) -> None:
        """The registration runs out without an unregister (phone unplugged):
        CUSTOM sofia::expire, as mod_sofia sends it."""
        reg = self.registrations.pop(extension, None)
        if reg is None:
            return
        headers = self.base_headers("CUSTOM", "sofia_reg.c", "sofia_reg_del_callback", 1158, "sofia::expire")
        headers += [
            ("profile-name", "internal"), ("call-id", reg.call_id), ("user", reg.extension),
            ("host", "127.0.0.1"), ("contact", f'"" <{reg.sip_uri}>'), ("expires", "0"),
            ("user-agent", "callcenter-sim-phone"),
        ]
        self.emit(headers)

    def _emit_registration(self, subclass: str, reg: Registration, status: str, expires: str) -> None:
        headers = self.base_headers("CUSTOM", "sofia_reg.c", "sofia_reg_handle_register_token", 2059, subclass)
        headers += [
            ("profile-name", "internal"), ("from-user", reg.extension), ("from-host", "127.0.0.1"),
            ("presence-hosts", "n/a"), ("contact", f'"" <{reg.sip_uri}>'), ("call-id", reg.call_id),
            ("rpid", "unknown"), ("status", status), ("expires", expires), ("to-user", reg.extension),
            ("to-host", "127.0.0.1"), ("network-ip", "127.0.0.1"), ("network-port", str(reg.port)),
            ("username", reg.extension), ("realm", "callcenter"), ("user-agent", "callcenter-sim-phone"),
        ]
        self.emit(headers)

    def add_external_party(self, number: str, behaviour: "str | PhoneBehaviour" = "answer:2 hangup:30") -> None:
        self.external_parties[number] = PhoneBehaviour.parse(behaviour, f"external party {number}")

    # ---- originate (callcenter/sim/originate.py) -------------------------------------

    def originate(self, arg: str) -> str:
        """`originate <dial string> <&app(arg) | extension> [XML <context>]`
        -> '+OK <uuid>\\n' or '-ERR <CAUSE>\\n', once the leg answered or failed."""
        return originate(self, arg)

    def originate_leg(self, dial: str, caller: Channel | None = None) -> OriginateResult:
        return originate_leg(self, dial, caller)

    # ---- bridge, transfer, hold ------------------------------------------------------------

    def bridge(self, a: Channel, b: Channel, via_api: bool = False) -> None:
        for leg in (a, b):
            peer = self.live_channel(leg.bridged_to) if leg.bridged_to else None
            if peer is not None and peer not in (a, b):
                self.unbridge(leg, peer)
        # The real switch links the legs (Other-Leg-* headers) before it pulls
        # them out of park, so CHANNEL_UNPARK already names the other leg.
        a.bridged_to, b.bridged_to = b.uuid, a.uuid
        a.bridge_is_a, b.bridge_is_a = True, False
        a.other_leg, b.other_leg = b, a
        for leg in (a, b):
            leg.interrupt("bridge")
        if via_api:
            for leg in (a, b):
                leg.emit("CHANNEL_EXECUTE", [("Application", "uuid_bridge"),
                                             ("Application-Data", (b if leg is a else a).uuid)])
        for leg in (a, b):
            if not leg.answered_us:
                leg.answer()
        now = int(time.time() * 1_000_000)
        b.call_uuid = a.uuid
        for leg, other in ((a, b), (b, a)):
            leg.bridged_us = now
            leg.state = "CS_EXCHANGE_MEDIA"
            leg.variables.update(bridge_uuid=other.uuid, last_bridge_to=other.uuid,
                                 bridge_channel=other.name, signal_bond=other.uuid,
                                 call_uuid=leg.call_uuid)
        log.info("sim: bridged %s <-> %s", a.uuid, b.uuid)
        a.emit("CHANNEL_BRIDGE", before=[("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)])

    def unbridge(self, leaving: Channel, staying: Channel) -> None:
        """`leaving` left the bridge (hung up or transferred)."""
        if leaving.bridged_to != staying.uuid:
            return
        a, b = (leaving, staying) if leaving.bridge_is_a else (staying, leaving)
        a.emit("CHANNEL_UNBRIDGE", before=[("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)])
        leaving.bridged_to = staying.bridged_to = None
        staying.held = staying.hearing_music = False
        if staying.hangup_cause is not None:
            return
        if staying.in_bridge_app:
            staying.interrupt("unbridged", wait=False)
        elif staying.variables.get("park_after_bridge") == "true" or \
                staying.variables.get("hangup_after_bridge") == "false":
            staying.execute("park")
        else:
            staying.hangup("NORMAL_CLEARING", from_executor=False)

    def transfer(self, ch: Channel, dest: str, context: str | None = None) -> None:
        from .apps import transfer_to
        peer = self.live_channel(ch.bridged_to) if ch.bridged_to else None
        if peer is not None:
            self.unbridge(ch, peer)
        ch.interrupt("transfer")
        transfer_to(ch, dest, context)

    def hold(self, ch: Channel, on: bool) -> None:
        """`uuid_hold [off] <uuid>` (switch_ivr_hold / _unhold): the channel's phone is sent
        a re-INVITE sendonly and hears nothing; a recording on the held channel skips the
        held time."""
        if ch.held == on:
            return
        ch.held = on
        for rec in ch.recordings.values():
            if on:
                rec.gap_started = time.monotonic()
            elif rec.gap_started is not None:
                rec.gaps.append((rec.gap_started, time.monotonic()))
                rec.gap_started = None
        # Measured on FreeSWITCH 1.10 (tests/traces/README.md): holding the B leg of a
        # bridge (the agent's) leaves its partner with no audio at all (CF_SUSPEND stops
        # the bridge); holding the A leg (the caller's) plays the music to the B leg.
        if ch.bridge_is_a or not on:
            self._music_to_partner(ch, on)
        ch.emit("CHANNEL_HOLD" if on else "CHANNEL_UNHOLD",
                calling=IVR_HOLD if on else IVR_UNHOLD)
        ch.set_call_state("HELD" if on else "ACTIVE")

    def phone_hold(self, uuid: str, on: bool) -> None:
        """The phone of channel ``uuid`` holds (a re-INVITE a=sendonly) or resumes: the
        switch marks the channel (CHANNEL_HOLD / CHANNEL_UNHOLD) and plays the hold music
        to its partner by itself; recordings go on."""
        ch = self._require(uuid)
        if ch.held == on:
            return
        ch.held = on
        self._music_to_partner(ch, on)
        ch.emit("CHANNEL_HOLD" if on else "CHANNEL_UNHOLD")
        ch.set_call_state("HELD" if on else "ACTIVE")

    def _music_to_partner(self, ch: Channel, on: bool) -> None:
        ch.variables.setdefault("hold_music", "local_stream://moh")
        peer = self.live_channel(ch.bridged_to) if ch.bridged_to else None
        if peer is not None:
            peer.hearing_music = on
            if on:
                peer.files_played.append(ch.variables["hold_music"])


__all__ = ["Simulator", "OriginateResult", "Registration"]
