"""Consultation (attended) transfer: agent A calls colleague B while the caller
waits parked with music, then hands the call to B or takes the caller back.

On the switch, by uuid_bridge juggling over the inbound connection (a channel
moved out of a bridge leaves its partner, who parks when it has
park_after_bridge=true and is hung up otherwise):
  start     originate user/<B> &park() with park_after_bridge=true; once B answers,
            park_after_bridge=true on the caller and on A's leg, uuid_bridge(A, B):
            the caller is left alone and parks; music on hold by uuid_broadcast.
  complete  uuid_bridge(caller, B): A's leg is left alone and parks; it is hung up.
  cancel    uuid_bridge(caller, A): B's leg is left alone and parks; it is hung up.
            B not answered yet: B's leg is hung up, the caller never left A.
The call's recording is a media bug on the caller's channel: it goes on through
the consultation (the parked caller with music) and after the hand-over, in
the same file (one recording per call). A and B's talk is recorded on B's leg in a
file of its own (kind 'consult', linked to the call), from B's answer to the end of
the consultation.

In the ACD: B is flagged on_external_call while consulting (offered no queue
call), A is on_hold while the caller is parked, and AcdCore.call_handed_over
passes the call to B (A to wrap-up). Bookkeeping that touches the core runs as
an input of the ACD shell's loop; switch commands run in greenlets, one
consultation's serialised by its lock.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

import gevent
from gevent.lock import Semaphore

from acd.agent_state import AgentState
from acd.errors import AcdError
from callcenter.esl import Endpoint, OriginateFailed, SwitchError, new_uuid
from callcenter.live.acd_actions import Leg, agent_call_ended
from callcenter.live.states import live_call
from web.ports import LiveEvent

log = logging.getLogger(__name__)

RINGING, JOINING, TALKING, LEAVING, DONE = "ringing", "joining", "talking", "leaving", "done"


class ConsultRefused(AcdError):
    """The consultation cannot start or complete now (the console gets a 409)."""


@dataclass(eq=False)
class Consultation:
    call_id: str  # the caller's leg
    from_agent: str  # A, who has the call
    from_leg: str
    to_agent: str  # B, who is consulted
    to_agent_id: int
    leg: str  # B's leg
    phase: str = RINGING
    caller_parked: bool = False  # the caller left A's bridge (B answered)
    from_held: bool = False  # A was put on hold in the ACD
    leg_gone: bool = False  # B's leg hung up
    end_reason: str | None = None
    recording: str | None = None  # A and B's talk, recorded on B's leg
    lock: Semaphore = field(default_factory=Semaphore)


class Consultations:
    """The consultations in progress, keyed by call id and by B's leg."""

    def __init__(self, runner: Any) -> None:
        self.runner = runner
        self.by_call: dict[str, Consultation] = {}
        self.by_leg: dict[str, Consultation] = {}

    def get(self, call_id: str) -> Consultation | None:
        return self.by_call.get(call_id)

    @property
    def switch(self):
        return self.runner.switch

    # --- start (an ACD input) ----------------------------------------------------------
    def begin(self, core, call_id: str, from_agent: str, card: Any, now: float) -> list:
        state = self.runner.calls.get(call_id)
        if state is None or state.leg is None or not state.leg.answered or \
                state.leg.agent != from_agent:
            raise ConsultRefused(f"call {call_id} is not connected to {from_agent}")
        if call_id in self.by_call:
            raise ConsultRefused("a consultation is already in progress on this call")
        if "transfer" in state.extras:
            raise ConsultRefused("the call is being transferred")
        info = core.agent(card.login)  # UnknownAgent: not logged in
        if info.state is not AgentState.READY or not info.available:
            busy = "on another call" if info.on_external_call else (
                "without a registered phone" if not info.phone_registered else info.state.value)
            raise ConsultRefused(f"{card.display_name} is not free for a consultation ({busy})")
        consult = Consultation(call_id, from_agent, state.leg.uuid, card.login, card.id, new_uuid())
        self.by_call[call_id] = self.by_leg[consult.leg] = consult
        actions = core.agent_on_external_call(card.login, now)
        self.runner.calllog.event(call_id, "consult_started", {"from_agent": from_agent,
                                                              "to_agent": card.login})
        log.info("[%s] %s consults %s", call_id, from_agent, card.login)
        gevent.spawn(self._ring, consult, card.extension, state.request.caller,
                     core.config.offer_timeout)
        self.runner.bus.publish(LiveEvent("floor_changed"))
        return actions

    def _ring(self, consult: Consultation, extension: str, caller: str | None,
              ring_timeout: float) -> None:
        try:
            self.switch.originate(
                Endpoint.user(extension), uuid=consult.leg, timeout=max(1, int(ring_timeout)),
                caller_id_number=caller or "0",
                variables={"cc_call_id": consult.call_id, "cc_leg": "consult",
                           "cc_agent": consult.to_agent, "park_after_bridge": "true",
                           "RECORD_STEREO": "true"})
        except SwitchError as error:
            cause = error.cause if isinstance(error, OriginateFailed) else "SWITCH_ERROR"
            log.info("[%s] consultation with %s not answered: %s", consult.call_id,
                     consult.to_agent, cause)
            self._submit(consult, "not_answered", {"cause": cause})
            return
        with consult.lock:
            if consult.phase != RINGING:  # cancelled, or the call ended, while B's phone rang
                self._quietly(self.switch.hangup, consult.leg, "NORMAL_CLEARING")
                return
            consult.phase = JOINING
            try:
                for uuid in (consult.call_id, consult.from_leg):
                    self.switch.set_variable(uuid, "park_after_bridge", "true")
                self.switch.bridge(consult.from_leg, consult.leg)
            except SwitchError as error:  # a leg went: its hang-up ends the call or the consultation
                log.warning("[%s] consultation bridge failed: %s", consult.call_id, error)
                consult.phase = LEAVING
                self._quietly(self.switch.hangup, consult.leg, "NORMAL_CLEARING")
                self._park_after_bridge(consult, consult.call_id, consult.from_leg)
                self._submit(consult, "bridge_failed", {"error": str(error)})
                return
            if consult.phase == DONE:  # the call ended meanwhile
                return
            consult.caller_parked = True
            self._quietly(self.runner.announcer.music, consult.call_id)
            consult.phase = TALKING
            self._record(consult)
            self.runner.submit(lambda now: self._talking(consult, now))
            if consult.leg_gone:
                gevent.spawn(self.cancel, consult, "consulted_agent_hung_up")

    def _talking(self, consult: Consultation, now: float) -> list:
        """B answered and A's leg is bridged to B's: A is on hold in the ACD."""
        if consult.phase == DONE:
            return []
        core, state = self.runner.core, self.runner.calls.get(consult.call_id)
        if state is not None and state.leg is not None and state.leg.uuid == consult.from_leg:
            state.leg.held = True
        actions = []
        if core.agent(consult.from_agent).state is AgentState.ON_CALL:
            actions = core.agent_hold(consult.from_agent, now)
            consult.from_held = True
        self.runner.calllog.event(consult.call_id, "consult_answered", {"to_agent": consult.to_agent})
        self._publish_held(consult, True)
        return actions

    # --- cancel (a greenlet: A hung up the consultation, or B's leg went) -----------
    def cancel(self, consult: Consultation, reason: str) -> None:
        with consult.lock:
            if consult.phase in (LEAVING, DONE):
                return
            consult.phase, consult.end_reason = LEAVING, reason
            if consult.caller_parked:
                self._bring_caller_to(consult, consult.from_leg, consult.from_agent)
            self._quietly(self.switch.hangup, consult.leg, "NORMAL_CLEARING")
            self._park_after_bridge(consult, consult.call_id, consult.from_leg)
            self._submit(consult, reason, {})

    def _submit(self, consult: Consultation, reason: str, detail: dict[str, Any]) -> None:
        self.runner.submit(lambda now: self._finish(consult, reason, detail, now))

    def _finish(self, consult: Consultation, reason: str, detail: dict[str, Any],
                now: float) -> list:
        """The consultation ended and the call goes on with A (an ACD input)."""
        if consult.phase == DONE:
            return []
        self._forget(consult)
        core, actions = self.runner.core, []
        if consult.from_held:
            state = self.runner.calls.get(consult.call_id)
            if state is not None and state.leg is not None and state.leg.uuid == consult.from_leg:
                state.leg.held = False
            if core.agent(consult.from_agent).state is AgentState.ON_HOLD:
                actions += core.agent_unhold(consult.from_agent, now)
            self._publish_held(consult, False)
        reason = consult.end_reason or reason
        self.runner.calllog.event(consult.call_id, "consult_cancelled",
                                  {"to_agent": consult.to_agent, "reason": reason, **detail})
        log.info("[%s] consultation with %s cancelled (%s)", consult.call_id, consult.to_agent, reason)
        return actions + self._free(consult, now)

    # --- events (ACD inputs) ---------------------------------------------------------------
    def on_leg_hangup(self, uuid: str) -> list:
        """B's leg hung up. While it rings, the originate reports it; while it is
        joined, the joining greenlet sees leg_gone; in talk, the caller goes back to A."""
        consult = self.by_leg.get(uuid)
        if consult is None:
            return []
        consult.leg_gone = True
        if consult.phase == TALKING:
            gevent.spawn(self.cancel, consult, "consulted_agent_hung_up")
        return []

    def teardown(self, consult: Consultation, reason: str, now: float) -> list:
        """The call ends during the consultation: B's leg goes, B is free again."""
        if consult.phase == DONE:
            return []
        self._forget(consult)
        self.runner._later(self.switch.hangup, consult.leg, "NORMAL_CLEARING")
        self.runner.calllog.event(consult.call_id, "consult_cancelled",
                                  {"to_agent": consult.to_agent, "reason": reason})
        return self._free(consult, now)

    # --- complete (an ACD input) --------------------------------------------------------------
    def hand_over(self, core, consult: Consultation, note: str, now: float) -> list:
        if consult.phase != TALKING:
            raise ConsultRefused("the consulted agent has not answered yet" if consult.phase in (
                RINGING, JOINING) else "the consultation is ending")
        state = self.runner.calls.get(consult.call_id)
        if state is None or state.leg is None or state.leg.uuid != consult.from_leg:
            raise ConsultRefused(f"call {consult.call_id} is no longer with {consult.from_agent}")
        actions = core.call_handed_over(consult.call_id, consult.to_agent, now)  # guards first
        self._forget(consult)
        old = state.leg
        self.runner.agent_legs.pop(old.uuid, None)
        state.leg = Leg(consult.to_agent, consult.leg, answered=True, recording=old.recording,
                        accepted=True, connected=True)
        self.runner.agent_legs[consult.leg] = consult.call_id
        request = state.request
        state.request = replace(request, context={**dict(request.context), "transferred": True,
                                                  "note": note, "from_agent": consult.from_agent})
        for key in ("answered_at", "reason"):
            state.extras.pop(key, None)
        calllog = self.runner.calllog
        calllog.update(consult.call_id, agent_id=consult.to_agent_id)
        calllog.event(consult.call_id, "consult_completed", {
            "from_agent": consult.from_agent, "to_agent": consult.to_agent, "note": note,
            "recording": old.recording})
        log.info("[%s] handed over from %s to %s", consult.call_id, consult.from_agent,
                 consult.to_agent)
        agents, bus = self.runner.agents, self.runner.bus
        first, second = agents.by_login(consult.from_agent), agents.by_login(consult.to_agent)
        if first is not None:
            bus.publish(agent_call_ended(first.id, consult.call_id, "consult_completed"))
        if second is not None:
            bus.publish(live_call(state, second, "bridged", None, kind="call_connected"))
        gevent.spawn(self._join_helper, consult)
        return actions

    def _bring_caller_to(self, consult: Consultation, leg: str, agent: str) -> None:
        """Music off, caller bridged to ``leg``; if either is gone, its hang-up ends the call."""
        self._quietly(self.switch.break_media, consult.call_id, True)
        try:
            self.switch.bridge(consult.call_id, leg)
        except SwitchError as error:
            log.warning("[%s] could not bring the caller to %s: %s", consult.call_id, agent, error)

    def _join_helper(self, consult: Consultation) -> None:
        """The caller to B; A's leg, left alone (parked), is hung up."""
        with consult.lock:
            self._bring_caller_to(consult, consult.leg, consult.to_agent)
            for uuid in (consult.call_id, consult.leg):
                self._quietly(self.switch.set_variables, uuid, {
                    "cc_state": "bridged", "cc_agent": consult.to_agent, "park_after_bridge": "false"})
            self._quietly(self.switch.set_variable, consult.leg, "cc_leg", "agent")
            self._quietly(self.switch.hangup, consult.from_leg, "NORMAL_CLEARING")

    # --- helpers -----------------------------------------------------------------------
    def _record(self, consult: Consultation) -> None:
        """Record A and B's talk on B's leg (the caller's file has the music meanwhile)."""
        recordings = self.runner.recordings
        path = recordings.path_for(consult.call_id, f"consult-{consult.leg[:8]}")
        if self._quietly(self.switch.record_start, consult.leg, path) is False:
            return
        consult.recording = path
        recordings.started(consult.call_id, path, kind="consult", track=False)
        self.runner.calllog.event(consult.call_id, "recording_started",
                                  {"path": path, "consult": True, "to_agent": consult.to_agent})

    def _forget(self, consult: Consultation) -> None:
        if consult.recording and consult.phase != DONE:  # B's leg may go on with the caller
            self.runner._later(self.switch.record_stop, consult.leg, consult.recording)
        consult.phase = DONE
        if self.by_call.get(consult.call_id) is consult:
            del self.by_call[consult.call_id]
        self.by_leg.pop(consult.leg, None)
        self.runner.bus.publish(LiveEvent("floor_changed"))

    def _free(self, consult: Consultation, now: float) -> list:
        try:
            return self.runner.core.agent_external_call_ended(consult.to_agent, now)
        except AcdError as error:
            log.warning("[%s] %s not freed: %s", consult.call_id, consult.to_agent, error)
            return []

    def _publish_held(self, consult: Consultation, held: bool) -> None:
        card = self.runner.agents.by_login(consult.from_agent)
        if card is not None:
            self.runner.bus.publish(LiveEvent("call_held", card.id,
                                              {"call_uuid": consult.call_id, "held": held}))

    def _park_after_bridge(self, consult: Consultation, *uuids: str) -> None:
        """Back to the default: a leg whose partner hangs up is hung up too."""
        for uuid in uuids:
            self._quietly(self.switch.set_variable, uuid, "park_after_bridge", "false")

    def _quietly(self, function, *args):
        return self.runner._quietly(function, *args)
