"""The ACD's imperative shell: one greenlet owns the pure AcdCore.

Every input (a caller queued, a hang-up, an agent going ready, a timer) is
put on one inbox and applied to the core in order; the actions the core
returns are carried out by ActionRunner. Nothing else touches the core, so
no two greenlets can race on an agent's state.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Callable

import gevent
from gevent.event import AsyncResult
from gevent.queue import Empty, Queue

from acd.actions import AgentStateChanged
from acd.core import AcdCore
from acd.errors import AcdError
from callcenter.esl.timing import DECISION_BUCKETS, RoundTrips
from callcenter.live.acd_actions import ActionRunner
from callcenter.live.agents import AgentDirectory
from callcenter.live.hold import on_hold_event
from callcenter.live.inbound import QueueRequest
from callcenter.live.presence import PresenceStore, picture

log = logging.getLogger(__name__)

IDLE_WAKEUP = 1.0  # seconds: the loop looks at the clock at least this often
ANSWER_TIMEOUT = 10.0  # seconds a console request waits for the loop
FULL_SAVE_SECONDS = 2.0  # the whole saved picture at least this often (else what changed)
TIMER_LOOK = 0.02  # seconds: while inputs keep coming, timers are looked at this often


class AcdShell:
    def __init__(self, core: AcdCore, runner: ActionRunner, presence: PresenceStore,
                 agents: AgentDirectory, clock: Callable[[], float] = time.time) -> None:
        self.core, self.runner, self.presence, self.agents = core, runner, presence, agents
        self.clock = clock
        self._inbox: Queue = Queue()
        self._loop: gevent.Greenlet | None = None
        self._saved_once = False  # the first save writes every agent
        self._full_saved_at = 0.0
        self._dirty_calls: set[str] = set()  # waiting calls to save with the next input
        self._touched_later: set[str] = set()  # agents to save with the next input
        self.repeat_callers = None  # callcenter.live.repeat_callers (rule 7), set by the engine
        self.decisions = RoundTrips(DECISION_BUCKETS)  # how long the core takes per input
        runner.submit = self.submit_nowait
        runner.core = core

    # --- lifecycle ------------------------------------------------------------
    def start(self) -> None:
        if self._loop is None or self._loop.dead:
            self._loop = gevent.spawn(self._run)

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.kill(timeout=5)
            self._loop = None

    # --- inputs -------------------------------------------------------------------
    def submit(self, step: Callable[[float], list], timeout: float = ANSWER_TIMEOUT) -> list:
        """Apply ``step(now)`` to the core in the loop and wait for its actions
        (raises the core's own error, e.g. IllegalTransition)."""
        result = AsyncResult()
        self._inbox.put((step, result, None, time.monotonic()))
        return result.get(timeout=timeout)

    def submit_nowait(self, step: Callable[[float], list], at: float | None = None) -> None:
        """Apply ``step(now)`` in the loop; ``at``: when it happened on the switch's clock
        (an event's timestamp), which then is the core's `now` for it, so states and
        figures keep the switch's times however late the engine gets to the event."""
        self._inbox.put((step, None, at, time.monotonic()))

    @property
    def input_lag(self) -> float:
        """Seconds the oldest input not yet applied has waited (0: none waits): the ACD
        falling behind, an overload sign the switch's event lag does not show."""
        try:
            put_at = self._inbox.peek(block=False)[3]
        except Empty:
            return 0.0
        return time.monotonic() - put_at

    def enqueue(self, request: QueueRequest) -> None:
        if self.repeat_callers is not None:
            request = self.repeat_callers.with_open_tickets(request)
        self.runner.remember(request)
        self._dirty_calls.add(request.uuid)
        self.submit_nowait(lambda now: self._enqueued(request, now))

    def _enqueued(self, request: QueueRequest, now: float) -> list:
        owner, context = (self.repeat_callers.preferred_agent(request, self.core)
                          if self.repeat_callers else (None, request.context))
        if owner and request.uuid in self.runner.calls:
            self.runner.calls[request.uuid].extras["owner_ticket"] = context["owner_ticket"]
        return self.core.call_enqueued(
            request.uuid, request.need, now, tier=request.tier,
            transferred=bool(context.get("transferred")), caller=request.caller,
            context=context, for_agent=owner,
            for_agent_seconds=self.repeat_callers.wait if owner else 60.0)

    def channel_bridged(self, uuid: str, other: str, at: float | None = None) -> None:
        self.submit_nowait(lambda now: self.runner.on_bridged(self.core, uuid, other, now), at)

    def channel_hold(self, uuid: str, held: bool, at: float | None = None) -> None:
        self.submit_nowait(lambda now: on_hold_event(self.runner, self.core, uuid, held, now), at)

    def channel_hung_up(self, uuid: str, cause: str, at: float | None = None) -> None:
        self.submit_nowait(lambda now: self.runner.on_hangup(self.core, uuid, cause, now), at)

    def dtmf(self, uuid: str, digit: str) -> None:
        self.submit_nowait(lambda now: self.runner.on_dtmf(self.core, uuid, digit, now))

    def phone(self, extension: str, registered: bool) -> None:
        card = self.agents.by_extension(extension)
        if card is None:
            return
        if registered:
            self.submit_nowait(lambda now: self.core.phone_registered(card.login, now))
        else:
            self.submit_nowait(lambda now: self.core.phone_unregistered(card.login, now))

    # --- the loop -----------------------------------------------------------------
    def _run(self) -> None:
        wake, looked = None, float("-inf")
        while True:
            # next_timer() looks at every waiting call and agent: before sleeping, and while
            # inputs keep coming at most every TIMER_LOOK seconds (timers are seconds long)
            if self._inbox.empty() or time.monotonic() - looked >= TIMER_LOOK:
                wake, looked = self.core.next_timer(), time.monotonic()
            wait = IDLE_WAKEUP if wake is None else max(0.0, min(IDLE_WAKEUP, wake - self.clock()))
            try:
                step, result, at, _ = self._inbox.get(timeout=wait)
            except Empty:
                step, result, at = None, None, None
            now = self.clock()
            if at is not None and at < now:
                now = at
            self.runner.now = now
            started = time.perf_counter()
            try:
                actions = step(now) if step is not None else []
            except (AcdError, ValueError) as error:
                if result is not None:
                    result.set_exception(error)
                else:
                    log.warning("ACD input refused: %s", error)
                continue
            except Exception as error:  # a bug in one input must not stop the ACD
                log.exception("ACD input failed")
                if result is not None:
                    result.set_exception(error)
                continue
            # `wake` from before the input: what an input sets up is never due at once, and
            # next_timer() looks at every waiting call and agent (once per input is enough)
            if wake is not None and wake <= now:
                actions = list(actions or []) + self.core.tick(now)
                looked = float("-inf")
            if step is not None:  # the core's decision alone, not carrying it out
                self.decisions.observe(time.perf_counter() - started)
            self._carry_out(actions or [])
            if result is not None:
                result.set(actions or [])

    def _carry_out(self, actions: list) -> None:
        touched = self.runner.take_touched() | {a.record.agent for a in actions
                                                 if isinstance(a, AgentStateChanged)}
        calls, self._dirty_calls = self._dirty_calls, set()
        calls |= {call_id for call_id in (getattr(a, "call_id", None) or getattr(
            getattr(a, "record", None), "call_id", None) for a in actions) if call_id}
        if not actions and not touched and not calls and not self._touched_later:
            if time.monotonic() - self._full_saved_at >= FULL_SAVE_SECONDS and self._saved_once:
                self._persist(set(), None)  # the timers the core moved without an action
            return
        for action in actions:
            try:
                self.runner.execute(action)
            except Exception:
                log.exception("ACD action %s failed", type(action).__name__)
        # Saved once, after the actions, with what the runner learnt carrying them out
        # (agent legs, transfers, callbacks). Saving only queues writes (a batch a quarter
        # second later), so saving before the actions as well would not make a crash lose
        # less; a restart takes what the switch had started from the switch's variables.
        touched |= self._touched_later | self.runner.take_touched()
        if not self._inbox.empty():  # more input waits: saved with it
            self._touched_later = touched
            self._dirty_calls |= calls
            return
        self._touched_later = set()
        self._persist(touched, calls)

    def _persist(self, touched: set[str], calls: set[str] | None = None) -> None:
        """Save the agents in ``touched`` and the waiting ``calls`` (None: every waiting
        call). Every agent and call the first time and every FULL_SAVE_SECONDS: the
        core also changes a waiting call's timers without an action saying so."""
        now = time.monotonic()
        full = not self._saved_once or now - self._full_saved_at >= FULL_SAVE_SECONDS
        logins = None if not self._saved_once else touched
        call_ids = None if full else calls
        try:
            saved = picture(self.core, self.runner.answered_records(), logins, call_ids)
            ids = [c["call_id"] for c in saved["calls"]] + [e["call"]["call_id"] for e in saved["active"]]
            # queued: never waits on the database
            self.presence.save(saved, self.runner.legs(ids), None if call_ids is None else set(call_ids))
            self._saved_once = True
            if full:
                self._full_saved_at = now
        except Exception:
            self._saved_once = False  # unsure what was written: every agent next time
            log.exception("could not persist the ACD's state")

    # --- views for the console ------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return self.core.snapshot()
