"""A simulated call leg: its state, variables, events, and the greenlet that
runs its applications one after another (as a FreeSWITCH session thread does).

Waiting is cooperative: an application waits through `Channel.wait`, which
returns early on DTMF, a media break or a queued message, and raises
`ChannelHangup` / `Interrupted` when the leg is hung up or pulled out of its
application (uuid_bridge, uuid_transfer). So an application always ends with
CHANNEL_EXECUTE_COMPLETE, as on the real switch.
"""
from __future__ import annotations

import logging
import math
import time
import uuid as uuidlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import gevent
from gevent.event import Event
from gevent.queue import Queue

if TYPE_CHECKING:  # pragma: no cover
    from .simulator import Simulator

log = logging.getLogger(__name__)

STATE_NUMBERS = {
    "CS_NEW": 0, "CS_INIT": 1, "CS_ROUTING": 2, "CS_SOFT_EXECUTE": 3, "CS_EXECUTE": 4,
    "CS_EXCHANGE_MEDIA": 5, "CS_PARK": 6, "CS_CONSUME_MEDIA": 7, "CS_HIBERNATE": 8,
    "CS_RESET": 9, "CS_HANGUP": 10, "CS_REPORTING": 11, "CS_DESTROY": 12,
}
Q850 = {
    "NORMAL_CLEARING": 16, "USER_BUSY": 17, "NO_USER_RESPONSE": 18, "NO_ANSWER": 19,
    "CALL_REJECTED": 21, "NO_ROUTE_DESTINATION": 3, "UNALLOCATED_NUMBER": 1,
    "NORMAL_TEMPORARY_FAILURE": 41, "USER_NOT_REGISTERED": 606, "ORIGINATOR_CANCEL": 487,
    "MANAGER_REQUEST": 503, "SYSTEM_SHUTDOWN": 503, "LOSE_RACE": 502, "ATTENDED_TRANSFER": 0,
}
# Events the real switch sends without variable_* headers (see the traces).
NO_VARIABLES = {"DTMF", "CHANNEL_STATE", "CHANNEL_CALLSTATE", "PRIVATE_COMMAND", "CODEC", "CHANNEL_OUTGOING"}
CALLING = {
    "CHANNEL_CREATE": ("switch_core_state_machine.c", "switch_core_session_run", 627),
    "CHANNEL_ANSWER": ("switch_channel.c", "switch_channel_perform_mark_answered", 3848),
    "CHANNEL_PROGRESS": ("switch_channel.c", "switch_channel_perform_mark_ring_ready_value", 3540),
    "CHANNEL_EXECUTE": ("switch_core_session.c", "switch_core_session_exec", 2949),
    "CHANNEL_EXECUTE_COMPLETE": ("switch_core_session.c", "switch_core_session_exec", 2972),
    "CHANNEL_PARK": ("switch_ivr.c", "switch_ivr_park", 1002),
    "CHANNEL_UNPARK": ("switch_ivr.c", "switch_ivr_park", 1273),
    "CHANNEL_BRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1689),
    "CHANNEL_UNBRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1879),
    "CHANNEL_HANGUP": ("switch_channel.c", "switch_channel_perform_hangup", 3447),
    "CHANNEL_HANGUP_COMPLETE": ("switch_core_state_machine.c", "switch_core_session_reporting_state", 943),
    "CHANNEL_DESTROY": ("switch_core_session.c", "switch_core_session_perform_destroy", 1729),
    "CHANNEL_STATE": ("switch_channel.c", "switch_channel_perform_set_running_state", 2409),
    "CHANNEL_CALLSTATE": ("switch_channel.c", "switch_channel_perform_set_callstate", 311),
    "CHANNEL_ORIGINATE": ("switch_core_session.c", "switch_core_session_outgoing_channel", 729),
    "DTMF": ("switch_channel.c", "switch_channel_dequeue_dtmf", 678),
    "PLAYBACK_START": ("switch_ivr_play_say.c", "switch_ivr_play_file", 1649),
    "PLAYBACK_STOP": ("switch_ivr_play_say.c", "switch_ivr_play_file", 2093),
    "RECORD_START": ("switch_ivr_async.c", "record_callback", 1482),
    "RECORD_STOP": ("switch_ivr_async.c", "record_callback", 1612),
    # the phone held (a re-INVITE sendonly / inactive); uuid_hold: IVR_HOLD / IVR_UNHOLD
    "CHANNEL_HOLD": ("switch_channel.c", "switch_channel_mark_hold", 875),
    "CHANNEL_UNHOLD": ("switch_channel.c", "switch_channel_mark_hold", 875),
}


QUIET = "\x00quiet"  # marker in place of an Event-UUID: run without execute events


class ChannelHangup(Exception):
    """Raised inside the channel's greenlet once the leg is hung up."""


class Interrupted(Exception):
    """Raised inside the channel's greenlet when something pulls the leg out
    of its current application (bridge, transfer)."""


@dataclass(frozen=True)
class ChannelSnapshot:
    """What a test can see of a leg. `gone` is True once it was destroyed
    (the simulator keeps the last snapshot of finished legs for tests; the
    real switch forgets them)."""
    uuid: str
    direction: str
    caller_id_number: str
    destination: str
    state: str
    call_state: str
    answer_state: str
    answered: bool
    hangup_cause: str | None
    variables: dict[str, str]
    applications: tuple[tuple[str, str], ...]
    files_played: tuple[str, ...]
    dtmf_heard: str
    bridged_to: str | None
    parked: bool
    held: bool
    hearing_music: bool  # its partner is held: the switch plays it the hold music
    recordings: tuple[str, ...]
    eavesdrop_mode: str | None
    gone: bool
    hangup_at: float | None = None  # seconds since the epoch, the switch's clock


@dataclass
class Recording:
    path: str
    started: float  # time.monotonic()
    channels: int
    masked: list[tuple[float, float]] = field(default_factory=list)
    mask_started: float | None = None
    # while the recorded channel itself is held (uuid_hold on it: CF_HOLD | CF_SUSPEND)
    # the switch's media bug gets no frames: the file skips that time
    gaps: list[tuple[float, float]] = field(default_factory=list)
    gap_started: float | None = None


class Channel:
    def __init__(self, sim: "Simulator", *, uuid: str | None, direction: str, cid_name: str,
                 cid_number: str, destination: str, name: str, context: str,
                 variables: dict[str, str] | None = None, source: str = "mod_sofia") -> None:
        self.sim = sim
        self.uuid = uuid or str(uuidlib.uuid4())
        self.call_uuid = self.uuid
        self.direction = direction
        self.cid_name, self.cid_number = cid_name, cid_number
        self.destination = destination
        self.name = name
        self.context = context
        self.source = source
        self.created_us = _now_us()
        self.answered_us = 0
        self.progress_us = 0
        self.bridged_us = 0
        self.hangup_us = 0
        self.state = "CS_NEW"
        self.call_state = "DOWN"
        self.answer_state = "ringing"
        self.hangup_cause: str | None = None
        self.parked = False
        self.held = False
        self.hearing_music = False
        self.bridged_to: str | None = None
        self.bridge_is_a = False
        self.eavesdrop_mode: str | None = None
        self.exports: dict[str, str] = {}
        self.other_leg: "Channel | None" = None
        self.in_bridge_app = False
        self.current_app = ""
        self.current_app_data = ""
        self.applications: list[tuple[str, str]] = []
        self.files_played: list[str] = []
        self.dtmf_heard = ""
        self.dtmf: list[str] = []
        self.recordings: dict[str, Recording] = {}
        self.recorded_paths: list[str] = []
        self.variables: dict[str, str] = {
            "direction": direction, "uuid": self.uuid, "session_id": str(sim.next_session_id()),
            "channel_name": name, "sofia_profile_name": "internal", "read_codec": "PCMU",
            "read_rate": "8000", "write_codec": "PCMU", "write_rate": "8000",
            "call_uuid": self.uuid,
        }
        self.variables.update(variables or {})
        self.queue: Queue = Queue()
        self._wake = Event()
        self._idle = Event()
        self._interrupt: str | None = None
        self._break = False
        self.done = Event()
        self.greenlet: gevent.Greenlet | None = None

    # ---- lifecycle -------------------------------------------------------

    def start(self) -> None:
        self.greenlet = gevent.spawn(self._run)

    def _run(self) -> None:
        from .apps import run_application
        try:
            while True:
                app, data, event_uuid = self._next_message()
                run_application(self, app, data, event_uuid)
        except ChannelHangup:
            pass
        except Exception:  # a bug in the simulator must not leave a zombie leg
            log.exception("sim channel %s: application crashed", self.uuid)
            self.hangup("NORMAL_TEMPORARY_FAILURE", from_executor=False)
        finally:
            self._finish()

    def _next_message(self) -> tuple[str, str, str | None]:
        while True:
            self.check_hangup()
            if not self.queue.empty():
                self._idle.clear()
                return self.queue.get()
            self._interrupt = None  # nothing to interrupt while idle
            self._break = False
            self._idle.set()
            self._wake.clear()
            self._wake.wait()

    def execute(self, app: str, data: str = "", event_uuid: str | None = None, quiet: bool = False) -> None:
        """Queue an application (sendmsg execute, dialplan). quiet=True (for
        uuid_broadcast) runs it without CHANNEL_EXECUTE[_COMPLETE] events, as
        register_trace.txt shows for a broadcast on a parked leg."""
        self.queue.put((app, data, QUIET if quiet else event_uuid))
        self._wake.set()

    # ---- waiting ---------------------------------------------------------

    def check_hangup(self) -> None:
        if self.hangup_cause is not None:
            raise ChannelHangup(self.hangup_cause)

    def wait(self, seconds: float, *, dtmf: bool = False, messages: bool = False,
             breakable: bool = True) -> str:
        """Wait `seconds` of simulated time. Returns 'timeout', 'dtmf',
        'break' or 'message'; raises ChannelHangup / Interrupted."""
        deadline = None if math.isinf(seconds) else time.monotonic() + self.sim.clock.real(seconds)
        while True:
            self.check_hangup()
            if self._interrupt is not None:
                reason, self._interrupt = self._interrupt, None
                raise Interrupted(reason)
            if dtmf and self.dtmf:
                return "dtmf"
            if breakable and self._break:
                self._break = False
                return "break"
            if messages and not self.queue.empty():
                return "message"
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return "timeout"
            self._wake.clear()
            self._wake.wait(remaining)

    def interrupt(self, reason: str, timeout: float = 2.0, wait: bool = True) -> None:
        """Pull the leg out of its running application and wait (briefly)
        until its greenlet is idle, so completion events come first."""
        if self.hangup_cause is not None or self._idle.is_set():
            return
        self._interrupt = reason
        self._wake.set()
        if wait and gevent.getcurrent() is not self.greenlet:
            self._idle.wait(timeout)

    def break_media(self, flush: bool = False) -> None:
        if flush:
            while not self.queue.empty():
                self.queue.get()
        if not self._idle.is_set():
            self._break = True
            self._wake.set()

    def clear_break(self) -> None:
        self._break = False

    def receive_dtmf(self, digit: str) -> None:
        if self.hangup_cause is not None:
            return
        self.dtmf_heard += digit
        self.emit("DTMF", [("DTMF-Digit", digit), ("DTMF-Duration", "2000"), ("DTMF-Source", "RTP")])
        self.dtmf.append(digit)
        self._wake.set()

    # ---- state changes ---------------------------------------------------

    def set_state(self, state: str) -> None:
        self.state = state
        self.emit("CHANNEL_STATE")

    def set_call_state(self, call_state: str) -> None:
        if self.call_state == call_state:
            return
        original = self.call_state
        self.call_state = call_state
        self.emit("CHANNEL_CALLSTATE", [("Original-Channel-Call-State", original)])

    def answer(self) -> None:
        if self.answered_us or self.hangup_cause:
            return
        self.answered_us = _now_us()
        self.answer_state = "answered"
        self.variables["endpoint_disposition"] = "ANSWER"
        self.emit("CHANNEL_ANSWER")
        self.set_call_state("ACTIVE")
        hook = self.variables.get("api_on_answer")
        if hook:  # run in the answering thread, before an originate reports success
            from .api import run_api
            result = run_api(self.sim, hook)
            self.sim.emit_api_event(hook)
            if result.startswith("-"):
                log.info("sim: api_on_answer %r on %s: %s", hook, self.uuid, result.strip())

    def ring(self) -> None:
        if self.progress_us:
            return
        self.progress_us = _now_us()
        self.emit("CHANNEL_PROGRESS")
        self.set_call_state("RINGING")

    def hangup(self, cause: str = "NORMAL_CLEARING", from_executor: bool | None = None) -> None:
        """Hang up. Events: CHANNEL_HANGUP now; the running application then
        completes (CHANNEL_EXECUTE_COMPLETE), then CHANNEL_HANGUP_COMPLETE and
        CHANNEL_DESTROY, the order of the real switch (outbound_trace.txt)."""
        if self.hangup_cause is not None:
            return
        self.hangup_cause = cause
        self.hangup_us = _now_us()
        self.answer_state = "hangup"
        self.variables["hangup_cause"] = cause
        self.variables["hangup_cause_q850"] = str(Q850.get(cause, 16))
        log.info("sim channel %s: hangup %s", self.uuid, cause)
        self.emit("CHANNEL_HANGUP")
        self.set_call_state("HANGUP")
        self._wake.set()
        if from_executor is None:
            from_executor = gevent.getcurrent() is self.greenlet
        if from_executor:
            raise ChannelHangup(cause)

    def _finish(self) -> None:
        if self.hangup_cause is None:
            self.hangup_cause = "NORMAL_CLEARING"
        for path in list(self.recordings):
            self.stop_recording(path)
        peer = self.sim.live_channel(self.bridged_to) if self.bridged_to else None
        self.state = "CS_HANGUP"
        self.emit("CHANNEL_STATE")
        self.state = "CS_REPORTING"
        self.emit("CHANNEL_HANGUP_COMPLETE")
        self.sim.session_ended(self)
        if peer is not None:
            self.sim.unbridge(self, peer)
        self.state = "CS_DESTROY"
        self.emit("CHANNEL_DESTROY")
        self.sim.forget(self)
        self.done.set()

    # ---- recording ---------------------------------------------------------

    def start_recording(self, path: str, channels: int) -> None:
        self.recordings[path] = Recording(path, time.monotonic(), channels)
        self.variables["record_stereo" if channels == 2 else "record_mono"] = "true"
        self.emit("RECORD_START", [("Record-File-Path", path)])
        self.emit("MEDIA_BUG_START", before=[("Media-Bug-Function", "session_record"), ("Media-Bug-Target", path)])

    def stop_recording(self, path: str) -> bool:
        from .media import write_wav
        rec = self.recordings.pop(path, None)
        if rec is None:
            return False
        now = time.monotonic()
        if rec.mask_started is not None:
            rec.masked.append((rec.mask_started, now))
        if rec.gap_started is not None:
            rec.gaps.append((rec.gap_started, now))
        elapsed = self.sim.clock.sim_elapsed

        def in_file(moment: float) -> float:  # the moment's offset in the file, gaps left out
            skipped = sum(elapsed(a, min(b, moment)) for a, b in rec.gaps if a < moment)
            return elapsed(rec.started, moment) - skipped
        seconds = in_file(now)
        masked = [(in_file(a), in_file(b)) for a, b in rec.masked]
        size = write_wav(path, seconds, rec.channels, masked)
        self.recorded_paths.append(path)
        self.variables["record_seconds"] = str(int(seconds))
        self.variables["record_ms"] = str(int(seconds * 1000))
        self.variables["record_file_size"] = str(size)
        self.emit("RECORD_STOP", [("Record-File-Path", path), ("Record-Completion-Cause", "success-silence")])
        self.emit("MEDIA_BUG_STOP", before=[("Media-Bug-Function", "session_record"), ("Media-Bug-Target", path)])
        return True

    # ---- events ----------------------------------------------------------

    def emit(self, name: str, extra: list[tuple[str, str]] | None = None,
             before: list[tuple[str, str]] | None = None,
             calling: tuple[str, str, int] | None = None) -> None:
        self.sim.emit(self.event_headers(name, extra, before, calling))

    def event_headers(self, name: str, extra: list[tuple[str, str]] | None = None,
                      before: list[tuple[str, str]] | None = None,
                      calling: tuple[str, str, int] | None = None) -> list[tuple[str, str]]:
        file, function, line = calling or CALLING.get(
            name, ("switch_channel.c", "switch_channel_event_set_data", 2500))
        headers = self.sim.base_headers(name, file, function, line)
        headers += before or []
        if name == "CHANNEL_HANGUP_COMPLETE":
            headers.append(("Hangup-Cause", self.hangup_cause or "NORMAL_CLEARING"))
        headers += self.channel_headers()
        if name in NO_VARIABLES:
            return headers + (extra or [])
        # The other leg's profile stays on the channel after the bridge ends,
        # as on the real switch (CHANNEL_DESTROY still names it).
        if self.other_leg is not None:
            headers.append(("Other-Type", "originatee" if self.bridge_is_a else "originator"))
            headers += self.other_leg.profile_headers("Other-Leg")
        headers += [(f"variable_{k}", v) for k, v in self.variables.items()]
        return headers + (extra or [])

    def channel_headers(self) -> list[tuple[str, str]]:
        headers = [
            ("Channel-State", self.state), ("Channel-Call-State", self.call_state),
            ("Channel-State-Number", str(STATE_NUMBERS.get(self.state, 4))),
            ("Channel-Name", self.name), ("Unique-ID", self.uuid),
            ("Call-Direction", self.direction), ("Presence-Call-Direction", self.direction),
            ("Channel-HIT-Dialplan", "true" if self.direction == "inbound" else "false"),
            ("Channel-Call-UUID", self.call_uuid), ("Answer-State", self.answer_state),
        ]
        if self.hangup_cause:
            headers.append(("Hangup-Cause", self.hangup_cause))
        headers += [
            ("Channel-Read-Codec-Name", "PCMU"), ("Channel-Read-Codec-Rate", "8000"),
            ("Channel-Read-Codec-Bit-Rate", "64000"), ("Channel-Write-Codec-Name", "PCMU"),
            ("Channel-Write-Codec-Rate", "8000"), ("Channel-Write-Codec-Bit-Rate", "64000"),
        ]
        return headers + self.profile_headers("Caller")

    def profile_headers(self, prefix: str) -> list[tuple[str, str]]:
        p = prefix
        return [
            (f"{p}-Direction", self.direction), (f"{p}-Logical-Direction", self.direction),
            (f"{p}-Username", self.cid_number), (f"{p}-Dialplan", "XML"),
            (f"{p}-Caller-ID-Name", self.cid_name), (f"{p}-Caller-ID-Number", self.cid_number),
            (f"{p}-Orig-Caller-ID-Name", self.cid_name), (f"{p}-Orig-Caller-ID-Number", self.cid_number),
            (f"{p}-Network-Addr", "127.0.0.1"), (f"{p}-ANI", self.cid_number),
            (f"{p}-Destination-Number", self.destination), (f"{p}-Unique-ID", self.uuid),
            (f"{p}-Source", self.source), (f"{p}-Context", self.context),
            (f"{p}-Channel-Name", self.name), (f"{p}-Profile-Index", "1"),
            (f"{p}-Profile-Created-Time", str(self.created_us)),
            (f"{p}-Channel-Created-Time", str(self.created_us)),
            (f"{p}-Channel-Answered-Time", str(self.answered_us)),
            (f"{p}-Channel-Progress-Time", str(self.progress_us)),
            (f"{p}-Channel-Progress-Media-Time", "0"),
            (f"{p}-Channel-Hangup-Time", str(self.hangup_us)),
            (f"{p}-Channel-Transfer-Time", "0"), (f"{p}-Channel-Resurrect-Time", "0"),
            (f"{p}-Channel-Bridged-Time", str(self.bridged_us)),
            (f"{p}-Channel-Last-Hold", "0"), (f"{p}-Channel-Hold-Accum", "0"),
            (f"{p}-Screen-Bit", "true"), (f"{p}-Privacy-Hide-Name", "false"),
            (f"{p}-Privacy-Hide-Number", "false"),
        ]

    def snapshot(self, gone: bool = False) -> ChannelSnapshot:
        return ChannelSnapshot(
            uuid=self.uuid, direction=self.direction, caller_id_number=self.cid_number,
            destination=self.destination, state=self.state, call_state=self.call_state,
            answer_state=self.answer_state, answered=bool(self.answered_us),
            hangup_cause=self.hangup_cause, variables=dict(self.variables),
            applications=tuple(self.applications), files_played=tuple(self.files_played),
            dtmf_heard=self.dtmf_heard, bridged_to=self.bridged_to, parked=self.parked,
            held=self.held, hearing_music=self.hearing_music, recordings=tuple(self.recorded_paths),
            eavesdrop_mode=self.eavesdrop_mode, gone=gone,
            hangup_at=self.hangup_us / 1_000_000 if self.hangup_us else None,
        )

    def describe(self) -> dict[str, Any]:
        """One row of `show channels` (column names of the real switch)."""
        created = self.created_us // 1_000_000
        return {
            "uuid": self.uuid, "direction": self.direction,
            "created": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(created)),
            "created_epoch": str(created), "name": self.name, "state": self.state,
            "cid_name": self.cid_name, "cid_num": self.cid_number,
            "ip_addr": "127.0.0.1" if self.direction == "inbound" else "",
            "dest": self.destination, "application": self.current_app,
            "application_data": self.current_app_data,
            "dialplan": "XML" if self.direction == "inbound" else "", "context": self.context,
            "read_codec": "PCMU", "read_rate": "8000", "read_bit_rate": "64000",
            "write_codec": "PCMU", "write_rate": "8000", "write_bit_rate": "64000",
            "secure": "", "hostname": self.sim.hostname, "presence_id": "", "presence_data": "",
            "accountcode": "", "callstate": self.call_state, "callee_name": "", "callee_num": "",
            "callee_direction": "", "call_uuid": self.call_uuid if self.bridged_to else "",
            "sent_callee_name": "", "sent_callee_num": "", "initial_cid_name": self.cid_name,
            "initial_cid_num": self.cid_number,
            "initial_ip_addr": "127.0.0.1" if self.direction == "inbound" else "",
            "initial_dest": self.destination, "initial_dialplan": "XML" if self.direction == "inbound" else "",
            "initial_context": self.context,
        }


def _now_us() -> int:
    return int(time.time() * 1_000_000)
