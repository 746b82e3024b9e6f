"""SwitchConnection: the long-lived Event Socket link to FreeSWITCH.

It connects, authenticates, subscribes to exactly the events in
callcenter.esl.events, and when the switch restarts or the TCP link drops it
fails every waiting command at once (SwitchDisconnected), reconnects with
backoff (0.5 s doubling to 10 s), re-subscribes and calls `on_connected` in a
fresh greenlet so the engine can resynchronise (see Switch.controlled_channels).

The reader greenlet only parses and hands off: a typed event goes to the
waiter of a command (execute / bgapi), to the queue of its channel
(`call_events(uuid)`) and to `on_event`, which must not block (put it on a queue).
"""
from __future__ import annotations

import collections
import logging
import time
import random
import uuid as uuidlib
from typing import Callable, Iterable

import gevent
from gevent.event import AsyncResult, Event as Flag
from gevent.queue import Queue

from callcenter.esl import dialstring as ds
from callcenter.esl.errors import (AuthenticationFailed, CallHungUp, CommandFailed, CommandTimeout,
                                   SwitchDisconnected, SwitchError)
from callcenter.esl.events import (ENGINE_APPLICATION_PREFIX, ApplicationCompleted,
                                   BackgroundJobDone, ChannelDestroyed, ChannelHungUp, Event,
                                   parse_event, subscription_command, subscription_filters)
from callcenter.esl.parse import Frame
from callcenter.esl.timing import RoundTrips
from callcenter.esl.wire import HardenedInboundESL, Reply

log = logging.getLogger(__name__)
_random = random.Random()  # seeded from os.urandom once


def new_uuid() -> str:
    """A version-4 uuid for a leg, a job or an application run. They only need to be
    unique, not secret: Python's PRNG instead of os.urandom, a system call each."""
    return str(uuidlib.UUID(int=_random.getrandbits(128), version=4))


class SwitchConnection:
    def __init__(self, host: str, port: int, password: str, *, api_timeout: float = 5.0,
                 application_timeout: float = 30.0, connect_timeout: float = 5.0,
                 backoff_initial: float = 0.5, backoff_max: float = 10.0,
                 on_connected: Callable[[], None] | None = None,
                 on_lost: Callable[[str], None] | None = None,
                 on_event: Callable[[Event], None] | None = None) -> None:
        self.host, self.port, self._password = host, port, password
        self.api_timeout, self.application_timeout = api_timeout, application_timeout
        self.connect_timeout = connect_timeout
        self.backoff_initial, self.backoff_max = backoff_initial, backoff_max
        self.on_connected, self.on_event = on_connected, on_event
        self.on_lost = on_lost  # called in the reader: must not block
        self._wire: HardenedInboundESL | None = None
        self._state = "stopped"
        self._stopping = Flag()
        self._up = Flag()
        self._supervisor: gevent.Greenlet | None = None
        self._queues: dict[str, Queue] = {}
        self._exec: dict[str, tuple[str, AsyncResult]] = {}
        self._jobs: dict[str, AsyncResult] = {}
        # commands the switch has not acknowledged yet (job or application uuid -> when sent):
        # how far behind the switch is. A job that runs long (an originate ringing a phone)
        # was acknowledged at once and is not counted.
        self._unacknowledged: dict[str, float] = {}
        self._early_jobs: collections.OrderedDict[str, BackgroundJobDone] = collections.OrderedDict()
        self.round_trips = RoundTrips()
        self.connections = 0  # how many times a session was established (for tests and health)

    @classmethod
    def from_config(cls, switch, **kwargs) -> "SwitchConnection":
        """Build from the `switch` section of callcenter.config (host, port, password, timeouts)."""
        return cls(switch.host, switch.port, switch.password, api_timeout=switch.api_timeout,
                   application_timeout=switch.application_timeout,
                   connect_timeout=switch.connect_timeout, **kwargs)

    # -- lifecycle -----------------------------------------------------------------
    @property
    def state(self) -> str:
        """connecting | connected | reconnecting in N s | password refused, retrying in N s |
        stopped (for the health page)."""
        return self._state

    @property
    def connected(self) -> bool:
        return self._up.is_set()

    def start(self) -> None:
        if self._supervisor is not None and not self._supervisor.dead:
            return
        self._stopping.clear()
        self._supervisor = gevent.spawn(self._supervise)

    def wait_connected(self, timeout: float) -> bool:
        return self._up.wait(timeout)

    def stop(self) -> None:
        self._stopping.set()
        wire = self._wire
        if wire is not None:
            wire.stop()
        if self._supervisor is not None:
            self._supervisor.join(timeout=self.api_timeout + 1)
        self._state = "stopped"
        log.info("ESL connection to %s:%s stopped", self.host, self.port)

    def _supervise(self) -> None:
        delay = self.backoff_initial
        while not self._stopping.is_set():
            self._state = "connecting"
            lost = Flag()
            try:
                self._open(lost)
            except AuthenticationFailed as error:
                log.error("%s; retrying in %g s", error, delay)
                self._state = f"password refused, retrying in {delay:g} s"
                if self._stopping.wait(delay):
                    break
                delay = min(delay * 2, self.backoff_max)
                continue
            except (SwitchError, OSError) as error:
                log.warning("ESL connect to %s:%s failed: %s; retrying in %g s",
                            self.host, self.port, error, delay)
            else:
                delay = self.backoff_initial
                lost.wait()
                if self._stopping.is_set():
                    break
                log.warning("ESL connection to %s:%s lost; reconnecting in %g s",
                            self.host, self.port, delay)
            self._state = f"reconnecting in {delay:g} s"
            if self._stopping.wait(delay):
                break
            delay = min(delay * 2, self.backoff_max)
        self._state = "stopped"

    def _open(self, lost: Flag) -> None:
        wire = HardenedInboundESL(self.host, self.port, self._password, timeout=self.connect_timeout,
                                  on_event_frame=self._on_frame,
                                  on_lost=lambda reason: self._on_lost(wire, lost, reason))
        self._wire = wire
        wire.connect()
        for command in [subscription_command(), *subscription_filters()]:
            reply = wire.send(command, timeout=self.api_timeout)
            if not reply.ok:
                wire.close("subscription refused")
                raise SwitchDisconnected(f"subscription refused: {command}: {reply.text}")
        self.connections += 1
        self._state = "connected"
        self._up.set()
        log.info("ESL connected to %s:%s (session %d), %s", self.host, self.port,
                 self.connections, subscription_command())
        if self.on_connected is not None:
            gevent.spawn(self._run_on_connected)

    def _run_on_connected(self) -> None:
        try:
            log.info("ESL resync: calling on_connected")
            self.on_connected()
        except Exception:
            log.exception("on_connected (resync) failed")

    def _on_lost(self, wire: HardenedInboundESL, lost: Flag, reason: str) -> None:
        log.warning("ESL connection to %s:%s down: %s", self.host, self.port, reason)
        lost.set()
        if self._wire is not wire:  # an old session: nothing of today's waits on it
            return
        self._up.clear()
        if self.on_lost is not None:
            self.on_lost(reason)
        error = SwitchDisconnected(f"connection lost: {reason}")
        waiting = [result for _, result in self._exec.values()] + list(self._jobs.values())
        for result in waiting:
            if not result.ready():
                result.set_exception(error)

    # -- event hand-off (runs in the reader greenlet: no I/O, no waiting) --------------
    def _on_frame(self, frame: Frame) -> None:
        event = parse_event(frame.body)
        if event is None:
            return
        kind = type(event)
        if kind is BackgroundJobDone:
            self._job_done(event)
        elif kind is ApplicationCompleted:
            waiter = self._exec.get(event.application_uuid)
            if waiter is not None and waiter[0] == event.uuid and not waiter[1].ready():
                if event.headers.get("Answer-State") == "hangup":  # ended by the hang-up
                    waiter[1].set_exception(CallHungUp(event.uuid, event.variable("hangup_cause")
                                                       or "UNKNOWN"))
                else:
                    waiter[1].set(event)
        elif kind is ChannelHungUp or kind is ChannelDestroyed:
            for channel, result in list(self._exec.values()):
                if channel == event.uuid and not result.ready():
                    result.set_exception(CallHungUp(event.uuid, event.cause or "UNKNOWN"))
        channel = getattr(event, "uuid", None)
        queue = self._queues.get(channel) if channel else None
        if queue is not None:
            queue.put(event)
            if kind is ChannelHungUp or kind is ChannelDestroyed:
                del self._queues[channel]
        if self.on_event is not None:
            self.on_event(event)

    def _job_done(self, event: BackgroundJobDone) -> None:
        waiter = self._jobs.get(event.job_uuid)
        if waiter is not None:
            waiter.set(event)
            return
        self._early_jobs[event.job_uuid] = event  # reply not yet seen by the sender
        while len(self._early_jobs) > 256:
            self._early_jobs.popitem(last=False)

    def call_events(self, uuid: str) -> Queue:
        """The queue of typed events of one channel (created on first use, dropped after
        its CHANNEL_HANGUP has been put on it). Read it with a timeout."""
        ds.uuid(uuid)
        queue = self._queues.get(uuid)
        if queue is None:
            queue = self._queues[uuid] = Queue()
        return queue

    def release_call(self, uuid: str) -> None:
        self._queues.pop(uuid, None)

    # -- commands ------------------------------------------------------------------
    def _live_wire(self) -> HardenedInboundESL:
        wire = self._wire
        if wire is None or not self._up.is_set():
            raise SwitchDisconnected(f"not connected to the switch ({self._state})")
        return wire

    def command(self, text: str, timeout: float | None = None) -> Reply:
        wire, sent = self._live_wire(), time.monotonic()
        try:
            return wire.send(text, self.api_timeout if timeout is None else timeout)
        finally:
            self.round_trips.observe(time.monotonic() - sent)

    def api(self, command: str, timeout: float | None = None) -> str:
        """Run `api <command>`; returns the body stripped; -ERR raises CommandFailed."""
        ds.no_control("api command", command)
        reply = self.command(f"api {command}", timeout)
        if not reply.ok:
            raise CommandFailed(command, reply.text)
        return reply.text

    def bgapi(self, command: str, timeout: float) -> BackgroundJobDone:
        """Run `bgapi <command>` and wait up to `timeout` s for its BACKGROUND_JOB.

        The command goes out without waiting for its `+OK Job-UUID` reply: the reply is
        taken in the reader (a refusal fails the wait at once), so a command costs the
        caller one wait instead of two."""
        ds.no_control("bgapi command", command)
        job = new_uuid()
        keys = [job]
        result = self._jobs[job] = AsyncResult()

        def accepted(reply: Reply) -> SwitchError | None:
            if not reply.ok:
                return CommandFailed(command, reply.text)
            actual = reply.headers.get("Job-UUID") or job
            if actual != job:  # a switch that ignores our Job-UUID
                keys.append(actual)
                self._jobs[actual] = self._jobs.pop(job, result)
                early = self._early_jobs.pop(actual, None)
                if early is not None and not result.ready():
                    result.set(early)
            return None

        try:
            return self._post_and_wait(job, f"bgapi {command}\nJob-UUID: {job}", accepted, result,
                                       timeout, f"bgapi {command[:60]}")
        finally:
            for key in keys:
                self._jobs.pop(key, None)

    def _post_and_wait(self, key: str, text: str, accepted: Callable[[Reply], SwitchError | None],
                       result: AsyncResult, timeout: float, what: str):
        """Send ``text`` without waiting for its reply, then wait up to ``timeout`` for
        ``result``. The reply is taken in the reader: ``accepted`` turns a refusal into the
        error that fails the wait. A wait that runs out before the reply came closes the
        connection: the reply stream can no longer be matched to commands by order."""
        sent = self._unacknowledged[key] = time.monotonic()

        def replied(reply: Reply | SwitchError) -> None:
            self._unacknowledged.pop(key, None)
            self.round_trips.observe(time.monotonic() - sent)
            error = reply if isinstance(reply, SwitchError) else accepted(reply)
            if error is not None and not result.ready():
                result.set_exception(error)

        try:
            wire = self._live_wire()
            posted = wire.post(text, replied)
            return result.get(timeout=timeout)
        except gevent.Timeout:
            if not posted.answered:
                wire.close(f"no reply to {what!r} within {timeout:g} s")
            raise CommandTimeout(what, timeout) from None
        finally:
            self._unacknowledged.pop(key, None)

    def backlog(self) -> dict[str, float | int]:
        """Commands the switch has not acknowledged yet, and how long the oldest has waited
        (s): the switch's side of the engine's lag. (Entries are in the order sent.)"""
        first = next(iter(self._unacknowledged.values()), None)
        oldest = time.monotonic() - first if first is not None else 0.0
        return {"commands_waiting": len(self._unacknowledged), "oldest_command_seconds": round(oldest, 3)}

    def quick_api(self, command: str, timeout: float | None = None) -> str:
        """Run `api <command>` without blocking the connection: posted, its reply taken in
        the reader. For the commands FreeSWITCH answers at once (a variable set, a hang-up,
        a scheduled task cancelled): no BACKGROUND_JOB event and no switch thread each, as
        a bgapi costs. The switch runs a connection's api commands one after another, so
        a command that may take its time (originate, a file opened, reloadxml) goes
        through api_in_background instead. -ERR / -USAGE raise CommandFailed."""
        ds.no_control("api command", command)
        key, result = new_uuid(), AsyncResult()

        def accepted(reply: Reply) -> SwitchError | None:
            text = reply.text
            if text.startswith(("-ERR", "-USAGE")):
                return CommandFailed(command, text)
            result.set(text)
            return None

        return self._post_and_wait(key, f"api {command}", accepted, result,
                                   self.api_timeout if timeout is None else timeout, f"api {command[:60]}")

    def api_in_background(self, command: str, timeout: float | None = None) -> str:
        """Run an api command as `bgapi` and wait (up to `timeout`, default api_timeout)
        for its result; returns the result stripped, -ERR / -USAGE raise CommandFailed.

        FreeSWITCH runs the `api` commands of one connection one after another in that
        connection's thread, so one slow command delays every call behind it; a `bgapi`
        is answered at once and runs in a thread of its own. Only this greenlet waits,
        and a late answer times out this command alone instead of the connection."""
        job = self.bgapi(command, self.api_timeout if timeout is None else timeout)
        text = job.body.strip()
        if text.startswith(("-ERR", "-USAGE")):
            raise CommandFailed(command, text)
        return text

    def execute(self, uuid: str, app: str, arg: str = "",
                timeout: float | None = None) -> ApplicationCompleted:
        """Execute an application on a (parked) channel and wait for its
        CHANNEL_EXECUTE_COMPLETE; a hang-up ends the wait at once with CallHungUp.
        The sendmsg's reply is taken in the reader, as bgapi's is."""
        ds.uuid(uuid)
        ds.application(app)
        seconds = self.application_timeout if timeout is None else timeout
        event_uuid = ENGINE_APPLICATION_PREFIX + new_uuid()  # its completion passes the filter
        result = AsyncResult()
        self._exec[event_uuid] = (uuid, result)
        headers = [("call-command", "execute"), ("execute-app-name", app)]
        if arg:
            headers.append(("execute-app-arg", arg))
        headers.append(("Event-UUID", event_uuid))
        log.debug("[%s] execute %s(%s)", uuid, app, arg)

        def accepted(reply: Reply) -> SwitchError | None:
            if reply.ok:
                return None
            if "invalid session" in reply.text.lower():
                return CallHungUp(uuid, "NO_SUCH_CHANNEL")
            return CommandFailed(f"execute {app}", reply.text)

        try:
            return self._post_and_wait(event_uuid, _sendmsg_text(uuid, headers), accepted, result,
                                       seconds, f"execute {app} on {uuid}")
        finally:
            self._exec.pop(event_uuid, None)


def _sendmsg_text(uuid: str, headers: Iterable[tuple[str, str]]) -> str:
    lines = [f"sendmsg {ds.uuid(uuid)}"]
    for name, value in headers:
        lines.append(f"{name}: {ds.no_control(name, value)}")
    return "\n".join(lines)
