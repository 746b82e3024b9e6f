"""Carries out what the ACD core decided: rings agents, bridges, records,
announces, overflows; reports the outcomes back to the core through the
shell's inbox. Slow work (ringing a phone, playing a prompt) runs in
greenlets of its own so the ACD loop never waits on the switch."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Callable, Container, Mapping

import gevent

from acd import actions as act
from acd.core import AcdCore
from acd.errors import AcdError
from callcenter.esl import CallHungUp, Switch, SwitchError
from callcenter.live.agents import AgentDirectory
from callcenter.live.announcer import Announcer
from callcenter.live.bus import EventBus
from callcenter.live.calllog import CallLog
from callcenter.live.inbound import QueueRequest
from callcenter.live.phones import PhoneBook
from callcenter.live.presence import AnsweredRecords
from callcenter.live.recordings import RecordingStore
from callcenter.live.states import agent_event, live_call
from callcenter.live.call_state import (CallState, Leg, request_dict,  # noqa: F401 (imported from here)
                                        switch_time, utcnow)
from callcenter.live.callback_leg import CallbackLegActions
from callcenter.live.ringing import RingingActions
from callcenter.live.waiting import WaitingCallerActions

log = logging.getLogger(__name__)


class ActionRunner(RingingActions, WaitingCallerActions, CallbackLegActions):
    def __init__(self, switch: Switch, calllog: CallLog, recordings: RecordingStore,
                 agents: AgentDirectory, bus: EventBus, announcer: Announcer) -> None:
        self.switch, self.calllog, self.recordings = switch, calllog, recordings
        self.agents, self.bus, self.announcer = agents, bus, announcer
        self.calls: dict[str, CallState] = {}
        self.phones = PhoneBook()  # the engine gives it its bus hook
        self.agent_legs: dict[str, str] = {}  # agent leg uuid -> call id
        self.monitors: dict[str, set[str]] = {}  # call id -> supervisors' eavesdrop legs
        self._touched: set[str] = set()  # agents whose saved call changed outside an input
        self.submit: Callable[[Callable[[float], list]], None] = lambda step: None  # set by the shell
        self.core: AcdCore | None = None  # set by the shell; read only inside its loop
        # the time of the ACD input being carried out (the switch's, for one from an event):
        # what the actions' log lines are stamped with; set by the shell
        self.now: float | None = None
        # the callbacks policy after a customer leg not reached: (the call's context
        # "callback" part, outcome) -> callback_policy.AfterDial; set by the engine
        self.after_dial: Callable[[dict[str, Any], str], Any] | None = None
        # before a callback's agent is rung: None (dial now) or why not now
        # (callback_policy.AfterDial: pending until the window opens, or failed); set by the engine
        self.defer_callback: Callable[[dict[str, Any]], Any] | None = None
        # a callback's customer leg: () -> (the number the customer sees, ring seconds);
        # set by the engine (a preview campaign call has its campaign's in its context)
        self.callback_dial: Callable[[], tuple[str | None, float | None]] | None = None
        from callcenter.live.consult import Consultations  # it builds on this module
        self.consults = Consultations(self)
        # channels whose hang-up the engine has read but maybe not handled (set by the engine)
        self.hung_up: Container[str] = ()

    def remember(self, request: QueueRequest) -> None:
        self.calls[request.uuid] = CallState(request)
        variables = {"cc_state": "queued", "cc_queue": request.need or "general",
                     "cc_priority": request.priority, "cc_caller": request.caller,
                     "cc_queued_at": int(datetime.now(timezone.utc).timestamp())}
        self._later(self.switch.set_variables, request.uuid, variables)
        queued_at = utcnow()
        self.calllog.update(request.uuid, queued_at=queued_at, queue_name=request.need or "general",
                            priority=request.priority)
        # the log's own record of the join: the row's queued_at is overwritten when a call
        # is taken up again (after a restart), the event keeps when the caller first queued
        self.calllog.event(request.uuid, "queued", {"queue": request.need or "general",
                                                    "priority": request.priority}, at=queued_at)

    def legs(self, call_ids: Any = None) -> dict[str, dict[str, Any]]:
        """What the engine must remember of each call beyond the core (for a restart);
        ``call_ids``: of these calls only (None: all)."""
        calls = self.calls if call_ids is None else {c: self.calls[c] for c in call_ids if c in self.calls}
        return {call_id: {"agent_leg": s.leg.uuid if s.leg and s.leg.answered else None,
                          "recording": s.leg.recording if s.leg else None,
                          "request": request_dict(s.request), "callback": s.callback}
                for call_id, s in calls.items()}

    def touch(self, agent: str) -> None:
        """Something the saved picture holds of ``agent``'s call changed outside an ACD input
        (e.g. the recording started): save it with the next input, and make one now."""
        self._touched.add(agent)
        self.submit(lambda now: [])

    def take_touched(self) -> set[str]:
        touched, self._touched = self._touched, set()
        return touched

    def answered_records(self) -> Mapping[str, dict[str, Any]]:
        """Call id -> the core's record of each answered call (for the saved picture): a
        view, so a save that names a few agents looks up their calls, not every call."""
        return AnsweredRecords(self.calls)

    # --- the dispatch table ----------------------------------------------------------
    def execute(self, action: act.Action) -> None:
        handler = getattr(self, f"_on_{type(action).__name__}")
        handler(action)

    def _on_OfferCall(self, action: act.OfferCall) -> None:
        gevent.spawn(self._ring, action.call_id, action.agent, action.ring_timeout, action.reason,
                     None, action.offer_id)

    def _on_StartCallback(self, action: act.StartCallback) -> None:
        if self._callback_deferred(action.call_id):  # outside its calling window: not now
            return
        gevent.spawn(self._ring, action.call_id, action.agent, action.ring_timeout, action.reason,
                     action.number, action.offer_id)

    def _on_CancelOffer(self, action: act.CancelOffer) -> None:
        state = self.calls.get(action.call_id)
        if state is None or state.leg is None or state.leg.answered:
            return
        leg, state.leg = state.leg, None
        self.agent_legs.pop(leg.uuid, None)
        log.info("[%s] offer to %s withdrawn (%s)", action.call_id, action.agent, action.reason)
        self._later(self.switch.hangup, leg.uuid, "ORIGINATOR_CANCEL")
        self.calllog.event(action.call_id, "offer_cancelled", {"agent": action.agent,
                                                               "reason": action.reason},
                           at=switch_time(self.now))

    def _on_CallRequeued(self, action: act.CallRequeued) -> None:
        self.calllog.event(action.call_id, "requeued", {"reason": action.reason},
                           at=switch_time(self.now))

    def _on_CallAbandoned(self, action: act.CallAbandoned) -> None:
        self.calls.pop(action.call_id, None)
        self.calllog.update(action.call_id, abandoned=True)
        self.calllog.event(action.call_id, "abandoned", {"queue": action.queue,
                                                         "waited_seconds": round(action.waited_seconds, 1)},
                           at=switch_time(self.now))

    def _on_AgentStateChanged(self, action: act.AgentStateChanged) -> None:
        record = action.record
        card = self.agents.by_login(record.agent)
        if card is None:
            return
        self.calllog.agent_state(card.id, record)
        self.bus.publish(agent_event(card.id, record))

    def _on_RouteDecisionLogged(self, action: act.RouteDecisionLogged) -> None:
        self.calllog.event(action.call_id, "routed", dict(action.reason), at=switch_time(self.now))

    def on_bridged(self, core: AcdCore, uuid: str, other: str, now: float) -> list:
        """CHANNEL_BRIDGE: the switch joined an agent leg and its caller (on the agent's
        answer, by itself). The call counts as connected from this event's time."""
        call_id = self.agent_legs.get(uuid) or self.agent_legs.get(other)
        state = self.calls.get(call_id) if call_id else None
        leg = state.leg if state is not None else None
        if leg is None or leg.uuid not in (uuid, other):
            return []
        if leg.bridged_at is None:
            leg.bridged_at = now
        if not leg.accepted and not state.callback:
            # The switch bridges on the agent's answer: the answer is taken from here when
            # the originate's own result comes later (a lagging engine may handle the
            # caller's hang-up before it; the conversation, however short, was real).
            leg.answered = True
            return self._answered(call_id, leg, self.agents.by_login(leg.agent), None, now)
        self._maybe_connected(call_id, state, leg)
        return []

    def connected_after_restart(self, call_id: str, state: CallState) -> None:
        """Recovery found the call's agent leg answered and bridged by the switch while no
        engine ran: log it connected (from the agent's answer) with its recording."""
        self._maybe_connected(call_id, state, state.leg)

    def _maybe_connected(self, call_id: str, state: CallState, leg: Leg) -> None:
        """Log 'connected' once both are known: the ACD accepted the answer and the switch
        bridged the legs (the two arrive in either order). An answered leg the switch never
        bridges (its caller had gone) is never counted as connected."""
        if leg.connected or not leg.accepted or leg.bridged_at is None:
            return
        leg.connected = True
        card = self.agents.by_login(leg.agent)
        at = switch_time(leg.bridged_at)
        if leg.recording:
            self.recordings.started(call_id, leg.recording)
        self.touch(leg.agent)  # the recording path, for a restarted engine
        self.calllog.update(call_id, agent_answered_at=at, agent_id=card.id if card else None)
        self.calllog.event(call_id, "connected", {"agent": leg.agent, "recording": leg.recording},
                           at=at)
        if card is not None:
            self.bus.publish(live_call(state, card, "bridged", None, kind="call_connected"))
        log.info("[%s] connected to agent %s", call_id, leg.agent)

    # --- events from the switch --------------------------------------------------
    def on_hangup(self, core: AcdCore, uuid: str, cause: str, now: float) -> list:
        if uuid in self.consults.by_leg:  # a consulted agent's leg
            return self.consults.on_leg_hangup(uuid)
        call_id = self.agent_legs.get(uuid, uuid)
        state = self.calls.get(call_id)
        if state is None:
            return []
        if uuid == call_id and state.callback:
            return []  # the caller left to be called back: the place is kept
        if state.leg is not None and state.leg.answered:
            consult = self.consults.get(call_id)
            if consult is None:
                return self._ended(core, call_id, state, cause, now, gone=uuid)
            return self._ended_in_consultation(core, consult, uuid, call_id, state, cause, now)
        if uuid == call_id:  # the caller gave up (waiting, or while an agent's phone rang)
            self.calllog.update(call_id, ended_at=switch_time(now), hangup_cause=cause)
            return core.call_abandoned(call_id, now) if core_has(core, call_id) else []
        return []  # an agent leg that never answered: the originate reports it

    def _ended(self, core: AcdCore, call_id: str, state: CallState, cause: str, now: float,
               gone: str | None = None) -> list:
        """The call is over: hang up its legs (but ``gone``, the one that hung up)."""
        leg = state.leg
        transfer = state.extras.pop("transfer", None)
        if transfer is not None and leg is not None:
            return self._transferred(core, call_id, state, transfer, now)
        self.calls.pop(call_id, None)
        owned = [uuid for uuid, owner in self.agent_legs.items() if owner == call_id]
        for uuid in owned:  # the agent leg, and a callback's customer leg
            self.agent_legs.pop(uuid, None)
        for uuid in dict.fromkeys([call_id, leg.uuid, *owned]):
            if uuid != gone:
                self._later(self.switch.hangup, uuid, "NORMAL_CLEARING")
        for uuid in self.monitors.pop(call_id, ()):  # a supervisor's phone may still ring
            self._later(self.switch.hangup, uuid, "ORIGINATOR_CANCEL")
        self.calllog.update(call_id, ended_at=switch_time(now), hangup_cause=cause)
        self.calllog.event(call_id, "ended", {"cause": cause}, at=switch_time(now))
        # the recording is measured and hashed on the switch's RECORD_STOP (Engine._dispatch)
        card = self.agents.by_login(leg.agent)
        if card is not None:
            self.bus.publish(agent_call_ended(card.id, call_id, cause))
        try:
            return core.call_ended(call_id, now)
        except AcdError as error:
            log.warning("[%s] call end not taken by the ACD: %s", call_id, error)
            return []

    def _ended_in_consultation(self, core: AcdCore, consult: Any, uuid: str, call_id: str,
                               state: CallState, cause: str, now: float) -> list:
        """The caller or A's leg hung up while A consulted B. A who hangs up once B
        answered hands the call to B (as a phone's attended transfer does); otherwise
        the call ends, B's leg goes and B is free again."""
        if uuid == state.leg.uuid:
            try:
                return self.consults.hand_over(core, consult, "", now)
            except AcdError as error:
                log.info("[%s] %s hung up during the consultation: %s", call_id, state.leg.agent,
                         error)
        reason = "caller_hung_up" if uuid == call_id else "agent_hung_up"
        return (self.consults.teardown(consult, reason, now)
                + self._ended(core, call_id, state, cause, now))

    def _transferred(self, core: AcdCore, call_id: str, state: CallState,
                     transfer: dict[str, Any], now: float) -> list:
        """The first agent left a blind transfer: they go to wrap-up, the caller
        waits for the new need at the top priority, the note and context travel along."""
        leg, state.leg = state.leg, None
        state.acd_record = None
        self.agent_legs.pop(leg.uuid, None)
        if leg.recording:
            self._later(self.switch.record_stop, call_id, leg.recording)
            gevent.spawn_later(0.5, self.recordings.finished, leg.recording)
        self.calllog.event(call_id, "transferred", dict(transfer))
        actions = core.call_ended(call_id, now)
        old = state.request
        context = {**dict(old.context), "transferred": True, "note": transfer["note"],
                   "from_agent": transfer["from_agent"]}
        request = QueueRequest(old.uuid, old.caller, transfer["need"], old.priority, old.tier,
                               old.customer_id, context, old.record_whole_call)
        self.remember(request)
        return actions + core.call_enqueued(call_id, transfer["need"], now, tier=old.tier,
                                            transferred=True, caller=old.caller, context=context,
                                            for_agent=transfer.get("agent"))

    # --- helpers ---------------------------------------------------------------------
    def _later(self, function: Callable, *args: Any) -> None:
        """A switch command from inside the ACD loop: in a greenlet of its own, so the loop
        never waits on the switch (errors are logged, as with _quietly)."""
        gevent.spawn(self._quietly, function, *args)

    def _quietly(self, function: Callable, *args: Any) -> Any:
        """Switch commands on calls that may be gone by now: log, never raise."""
        try:
            return function(*args)
        except CallHungUp:
            return False
        except SwitchError as error:
            log.warning("%s%s failed: %s", getattr(function, "__name__", "command"), args[:1], error)
            return False


def core_has(core: AcdCore, call_id: str) -> bool:
    return core.waiting_call(call_id) is not None


def agent_call_ended(agent_id: int, call_id: str, cause: str):
    from web.ports import LiveEvent
    return LiveEvent("call_ended", agent_id, {"call_uuid": call_id, "cause": cause})
