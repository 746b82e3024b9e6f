"""Callback requests nobody was dialling: those left in the IVR (main menu, option
6) and those an agent promised at wrap-up (``agent_id``: that agent gets it).

Each is handed to the ACD as a callback that keeps a place, exactly as the ACD
treats a caller who chose a callback while waiting: **agent first**: when it is
the request's turn and an agent is free, the agent's phone rings; once the
agent answers, the customer is dialled through the carrier gateway and bridged
(acd_actions._call_customer), and the request is marked dialling, then done or
failed. A promised callback is offered to its agent only (the ACD's
``for_agent``), then to anyone the queue accepts.

The callbacks policy (the campaign file of kind callbacks, callcenter.dialer.
callback_policy) decides when: a request is handed only inside its calling window
in the customer's local time (holidays excluded, not in a window's last minute),
else it waits for the next window's opening (``scheduled_for``); a promised time
inside the window is kept. A customer leg not reached (busy, no answer, failed
...) counts an attempt, and ``after_dial`` (called by the ACD's actions) gives the
next attempt time or the final state (failed, "no more attempts"); the next
attempt gets a call row of its own.

The ACD is the only owner of a handed request: it persists it with the waiting
calls and a restarted engine restores it. This module hands a request (marked
by ``dial_uuid``) again only when the ACD does not hold it, so a crash between
the two neither loses nor doubles it. The request's call row (the IVR call) is
the ACD's call id, as for queue callbacks.
"""
from __future__ import annotations

import logging
import time
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Collection

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.db import transaction
from callcenter.dialer.callback_policy import (
    DEFAULT_FILE, AfterDial, CallbackPolicy, after_dial, hand_at, load_callback_policy)
from callcenter.hooks import READ_TIMEOUT, run_with_timeout
from callcenter.live.inbound import QueueRequest
from callcenter.live.rounds import Rounds
from callcenter.models import Agent, Call, CallbackRequest, CallbackStatus, CallEvent, Customer

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0
# a request dialling with no call in this engine this long: its dial was lost with an
# engine that stopped (longer than an agent's and a customer's ring together; a policy
# whose customers ring longer lengthens it)
STALE_SECONDS = 120.0
AGENT_RING_ALLOWANCE = 60.0  # seconds: an agent's ring and the time to answer it
BATCH = 50


class CallbackDialer:
    def __init__(self, sessions: sessionmaker[Session], shell: Any, runner: Any, *,
                 clock: Callable[[], datetime] | None = None, tick_seconds: float = TICK_SECONDS,
                 policy: CallbackPolicy | None = None,
                 center_holidays: Callable[[], Collection[date]] = lambda: ()) -> None:
        self.sessions, self.shell, self.runner = sessions, shell, runner
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.tick_seconds = tick_seconds
        self._policy, self.center_holidays = policy, center_holidays
        self.stale_seconds = max(STALE_SECONDS, AGENT_RING_ALLOWANCE + (
            policy.ring_timeout if policy is not None else 0.0))
        self._lost: dict[int, float] = {}  # dialling requests no engine holds -> since (monotonic)
        self._rounds = Rounds("callback dialler", self.tick, lambda: self.tick_seconds)

    def policy(self) -> CallbackPolicy | None:
        """The callbacks policy with the center calendar's holidays (None: any time, once)."""
        if self._policy is None:
            return None
        return self._policy.with_holidays(self.center_holidays())

    def customer_dial(self) -> tuple[str | None, float | None]:
        """The number a callback's customer sees and how long their phone rings (the
        policy file's caller_id and ring_timeout; None, None without a policy)."""
        if self._policy is None:
            return None, None
        return self._policy.caller_id, self._policy.ring_timeout

    def after_dial(self, request: dict[str, Any], outcome: str) -> AfterDial:
        """The customer of a handed request (``request``: its part of the call's context)
        was not reached: its next attempt time or final state, on this dialler's clock."""
        policy = self.policy()
        if policy is None:
            return AfterDial("failed", None, outcome, outcome)
        return after_dial(policy, outcome, int(request.get("attempts") or 0) + 1, self.clock(),
                          request.get("timezone"))

    def defer(self, request: dict[str, Any]) -> AfterDial | None:
        """Just before a callback's agent is rung (``request``: its part of the call's
        context): None when it may be dialled now, else until when it waits (or that it
        ends: no window opens any more)."""
        policy, now = self.policy(), self.clock()
        at = hand_at(policy, now, request.get("timezone")) if policy is not None else now
        if at == now:
            return None
        if at is None:
            return AfterDial("failed", None, "no more attempts (no calling window opens any more)", "")
        return AfterDial("pending", at, "outside the calling window", "")

    def start(self) -> None:
        self._rounds.start()

    def stop(self) -> None:
        self._rounds.stop()

    def tick(self) -> int:
        """Hand the due requests the ACD does not hold; returns how many."""
        held = {call.call_id for call in self.shell.core.waiting()} | set(self.runner.calls)
        self._settle_lost(held)
        handed = 0
        for request_id in self._due(self.clock()):
            with transaction(self.sessions) as session:
                request = self._claim(session, request_id, held)
            if request is not None:
                self._hand(request)
                handed += 1
        return handed

    def _settle_lost(self, held: set[str]) -> None:
        """Requests marked dialling whose call no engine holds (the engine stopped between
        the dial and its result, which was never written): once the call log is written and
        the dial has had ``stale_seconds`` to end, the attempt (already counted) is settled
        'interrupted' and retried as a failure; 'done' when the call shows the customer
        reached. Nothing is lost, nothing counted twice."""
        def read() -> list:
            with self.sessions() as session:
                return session.execute(
                    select(CallbackRequest.id, Call.uuid).outerjoin(Call, Call.id == CallbackRequest.call_id)
                    .where(CallbackRequest.status == CallbackStatus.DIALING)).all()
        dialling = run_with_timeout(read, READ_TIMEOUT)
        now = time.monotonic()
        self._lost = {request_id: self._lost.get(request_id, now) for request_id, uuid in dialling
                      if uuid not in held}
        due = [request_id for request_id, since in self._lost.items()
               if now - since >= self.stale_seconds]
        if not due or not self.runner.calllog.flush():  # its result may still be on its way
            return
        for request_id in due:
            with transaction(self.sessions) as session:
                self._settle_one_lost(session, session.get(CallbackRequest, request_id))
            self._lost.pop(request_id, None)

    def _settle_one_lost(self, session: Session, request: CallbackRequest) -> None:
        if request is None or request.status is not CallbackStatus.DIALING:
            return  # its result was written meanwhile
        reached = request.call_id is not None and session.scalar(
            select(CallEvent.id).where(CallEvent.call_id == request.call_id,
                                       CallEvent.kind == "connected").limit(1)) is not None
        policy = self.policy()
        if reached:
            result = AfterDial("done", None, "answered", "answered")
        elif policy is None:
            result = AfterDial("failed", None, "interrupted", "failed")
        else:
            result = after_dial(policy, "failed", max(1, request.attempts or 0), self.clock(),
                                request.timezone)
        request.status = CallbackStatus(result.status)
        request.last_outcome = "answered" if reached else "interrupted"
        request.reason = (result.reason if reached else f"interrupted: {result.reason}")[:200]
        if result.status == "pending":
            request.scheduled_for, request.dial_uuid = result.next_attempt_at, None
        log.warning("callback request %s was being dialled when an engine stopped: %s",
                    request.id, request.reason)

    def _due(self, now: datetime) -> list[int]:
        """Pending requests that are ours (the ACD's own are those of callers who chose a
        callback while waiting: never scheduled, never handed here): left in the IVR (its
        call over), promised for a time at wrap-up, owned by an agent, handed by us before,
        or with no call; due now."""
        return run_with_timeout(lambda: self._due_ids(now), READ_TIMEOUT)

    def _due_ids(self, now: datetime) -> list[int]:
        with self.sessions() as session:
            return list(session.scalars(
                select(CallbackRequest.id)
                .outerjoin(Call, Call.id == CallbackRequest.call_id)
                .where(CallbackRequest.status == CallbackStatus.PENDING,
                       or_(CallbackRequest.scheduled_for.is_(None),
                           CallbackRequest.scheduled_for <= now),
                       or_(CallbackRequest.dial_uuid.is_not(None), CallbackRequest.agent_id.is_not(None),
                           Call.id.is_(None), CallbackRequest.scheduled_for.is_not(None),
                           # left in the IVR: once that call is over (never while it is on the line)
                           and_(Call.queued_at.is_(None), Call.ended_at.is_not(None))))
                .order_by(CallbackRequest.requested_at, CallbackRequest.id).limit(BATCH)))

    def _claim(self, session: Session, request_id: int, held: set[str]) -> dict[str, Any] | None:
        request = session.get(CallbackRequest, request_id)
        if request.dial_uuid in held:
            return None
        if not self._in_window(request):
            return None
        call = session.get(Call, request.call_id) if request.call_id else None
        if request.dial_uuid:
            uuid = request.dial_uuid
        elif call is not None and call.queued_at is None and call.agent_id is None:
            uuid = call.uuid  # left in the IVR: that call's row carries its callback
        else:  # promised after a call an agent took: a call of its own, that one's figures kept
            uuid = self._callback_call(session, request, call)
        if uuid in held:
            return None
        request.dial_uuid = uuid
        request.last_attempt_at = self.clock()
        customer = session.get(Customer, request.customer_id) if request.customer_id else None
        agent = session.get(Agent, request.agent_id) if request.agent_id else None
        return {"id": request.id, "uuid": uuid, "phone": request.phone, "need": request.need,
                "customer_id": request.customer_id, "note": request.note or "",
                "tier": customer.tier.value if customer else "regular",
                "agent": agent.login if agent else None, "attempts": request.attempts or 0,
                "timezone": request.timezone}

    def _in_window(self, request: CallbackRequest) -> bool:
        """True when the request may be dialled now; else it waits for its window's next
        opening (or ends when no window opens any more)."""
        why = self.defer({"timezone": request.timezone})
        if why is None:
            return True
        request.status, request.reason = CallbackStatus(why.status), why.reason
        if why.next_attempt_at is not None:
            request.scheduled_for = why.next_attempt_at
        log.info("callback request %s not dialled now: %s (%s)", request.id, why.reason,
                 why.next_attempt_at.isoformat() if why.next_attempt_at else "ended")
        return False

    def _callback_call(self, session: Session, request: CallbackRequest, origin: Call | None) -> str:
        """A new outbound call row for the callback; the request now follows it (the ACD
        marks its progress by call), and its first event names the call it came from."""
        from callcenter.esl import new_uuid
        from callcenter.models import CallDirection, CallEvent
        call = Call(uuid=new_uuid(), direction=CallDirection.OUTBOUND, dialled_number=request.phone,
                    customer_id=request.customer_id, need=request.need, created_at=self.clock())
        session.add(call)
        session.flush()
        session.add(CallEvent(call_id=call.id, at=self.clock(), kind="callback_for",
                              data={"request": request.id, "call": origin.uuid if origin else None}))
        request.call_id = call.id
        return call.uuid

    def _hand(self, request: dict[str, Any]) -> None:
        uuid, phone = request["uuid"], request["phone"]
        config = self.shell.core.config
        need = request["need"] if request["need"] in config.queues else config.default_queue
        context = {"callback": {"request_id": request["id"], "note": request["note"],
                                "promised_by": request["agent"], "attempts": request["attempts"],
                                "timezone": request["timezone"]}}
        queue_request = QueueRequest(uuid, phone, need, 0, request["tier"], request["customer_id"],
                                     context)
        self.runner.remember(queue_request)
        self.runner.calls[uuid].callback = True  # no caller leg: only the agent leg counts
        self.shell.submit_nowait(lambda now: enqueue_as_callback(
            self.shell.core, now, uuid, need, request["tier"], phone, context, request["agent"]))
        log.info("[%s] callback request %s for %s handed to the ACD (%s)", uuid, request["id"],
                 phone, f"promised by {request['agent']}" if request["agent"] else need)


def enqueue_as_callback(core: Any, now: float, uuid: str, need: str, tier: str, phone: str,
                        context: dict[str, Any], for_agent: str | None) -> list:
    """A callback keeping a place in ``need`` (for ``for_agent`` first, when given): agent
    first, the customer dialled once the agent answers. The core has no 'enqueue a
    callback' input: enqueue and ask for the callback in one step, dropping what the first
    would do for a caller on the line (music, a regular offer, which the second withdraws
    anyway)."""
    entered = core.call_enqueued(uuid, need, now, tier=tier, caller=phone, context=context,
                                 for_agent=for_agent)
    entered = [a for a in entered if not (getattr(a, "call_id", None) == uuid and type(
        a).__name__ in ("OfferCall", "PlayMusicOnHold"))]
    return entered + core.callback_requested(uuid, now, phone)


def callback_policy_of(config: Any) -> CallbackPolicy:
    """The policy file the configuration names (``callbacks.policy_file``, relative to the
    configuration file; empty: the shipped one); a wrong file is a configuration error."""
    from callcenter.config import ConfigError
    from callcenter.dialer.campaign_file import CampaignFileError
    name = config.callbacks.policy_file
    path = DEFAULT_FILE if not name else Path(name) if Path(name).is_absolute() \
        else Path(config.base_directory) / name
    try:
        return load_callback_policy(path, config.general.timezone)
    except CampaignFileError as exc:
        raise ConfigError(exc.problems) from None
