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
from typing import TYPE_CHECKING

import gevent
from gevent.event import Event
from gevent.queue import Queue

from .channel_events import ChannelEventsMixin
from .channel_recording import ChannelRecordingMixin, Recording
from .channel_views import ChannelSnapshot, ChannelViewsMixin

if TYPE_CHECKING:  # pragma: no cover
    from .simulator import Simulator

log = logging.getLogger(__name__)

Q850 = {
    "NORMAL_CLEARING": 16, "USER_BUSY": 17, "NO_USER_RESPONSE": 18, "NO_ANSWER": 19,
    "CALL_REJECTED": 21, "NO_ROUTE_DESTINATION": 3, "UNALLOCATED_NUMBER": 1,
    "NORMAL_TEMPORARY_FAILURE": 41, "USER_NOT_REGISTERED": 606, "ORIGINATOR_CANCEL": 487,
    "MANAGER_REQUEST": 503, "SYSTEM_SHUTDOWN": 503, "LOSE_RACE": 502, "ATTENDED_TRANSFER": 0,
}


QUIET = "\x00quiet"  # marker in place of an Event-UUID: run without execute events


class ChannelHangup(Exception):
    """Raised inside the channel's greenlet once the leg is hung up."""


class Interrupted(Exception):
    """Raised inside the channel's greenlet when something pulls the leg out
    of its current application (bridge, transfer)."""


class Channel(ChannelEventsMixin, ChannelRecordingMixin, ChannelViewsMixin):
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
        self.hung_up_at: float | None = None  # time.monotonic(): the media stopped then
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
        self.in_a_bridge = Event()  # set while bridged (a caller script's until:bridged)
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
        self.hung_up_at = time.monotonic()
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


def _now_us() -> int:
    return int(time.time() * 1_000_000)


__all__ = ["Channel", "ChannelHangup", "ChannelSnapshot", "Interrupted", "QUIET", "Recording"]
