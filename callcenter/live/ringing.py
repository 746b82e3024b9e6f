"""Ringing an agent for a call and taking the answer: mixed into ActionRunner.

The switch itself bridges the caller and starts the recording when the agent
answers (see _ring); the originate's result, or the switch's CHANNEL_BRIDGE if it
comes first (ActionRunner.on_bridged), tells the ACD the offer was answered."""
from __future__ import annotations

import logging
from typing import Any

import gevent

from acd.errors import AcdError
from callcenter.esl import Endpoint, OriginateFailed, SwitchError, new_uuid
from callcenter.live.call_state import Leg, safe_step, utcnow
from callcenter.live.phones import UNREACHABLE
from callcenter.live.presence import call_record
from callcenter.live.states import live_call

log = logging.getLogger(__name__)

NOT_REGISTERED = {"USER_NOT_REGISTERED", "SUBSCRIBER_ABSENT", "UNALLOCATED_NUMBER"}
REJECTED = {"CALL_REJECTED", "USER_BUSY", "NORMAL_CLEARING", "USER_CHALLENGE"}


class RingingActions:
    """Mixed into ActionRunner: uses its calls, agents, agent_legs, switch, calllog, bus,
    recordings, phones, core, submit, hung_up, _quietly, _later, _call_customer and
    _maybe_connected."""

    # --- ringing and connecting ---------------------------------------------------
    def _ring(self, call_id: str, agent: str, ring_timeout: float, reason: Any,
              callback_number: str | None = None, offer_id: int | None = None) -> None:
        if callback_number is None and call_id in self.hung_up:
            # the caller's hang-up waits in the engine's backlog: it withdraws this offer
            log.info("[%s] not ringing %s: the caller has hung up", call_id, agent)
            return
        state = self.calls.get(call_id)
        card = self.agents.by_login(agent)
        if state is None or card is None or not card.extension:
            log.warning("[%s] cannot ring %s: no extension or call unknown", call_id, agent)
            self.submit(lambda now: safe_step(lambda: self.core.offer_rejected(call_id, now, offer_id)))
            return
        leg = Leg(agent, new_uuid(), offer_id=offer_id)
        state.leg = leg
        self.agent_legs[leg.uuid] = call_id
        self.submit(lambda now: self.core.offer_ringing(call_id, now, offer_id))
        self.calllog.update(call_id, offered_at=utcnow(), agent_id=card.id)
        self.calllog.event(call_id, "offered", {"agent": agent})
        self.bus.publish(live_call(state, card, "offered", reason))
        variables = {"cc_call_id": call_id, "cc_leg": "agent", "cc_agent": agent}
        application = None
        if callback_number is None:
            # The switch itself bridges the caller when the agent answers (intercept) and
            # starts the recording in the same instant (api_on_answer): nothing the engine
            # sends later can miss a short call, and an agent whose caller is gone by then
            # is released at once (intercept finds no caller, the leg hangs up).
            # (the caller's RECORD_STEREO=true is set by the dialplan)
            variables.update(cc_state="bridged", intercept_unbridged_only="true")
            if not getattr(state.request, "record_whole_call", False):
                leg.recording = self.recordings.path_for(call_id)
                variables["api_on_answer"] = f"uuid_record {call_id} start {leg.recording}"
            # else the IVR's whole-call recording goes on through the agent's part: one file
            application = ("intercept", call_id)
        try:
            dialled = self.switch.dial(
                Endpoint.user(card.extension), uuid=leg.uuid, timeout=int(ring_timeout) + 5,
                caller_id_number=state.request.caller or "0", variables=variables,
                application=application)
        except OriginateFailed as failure:
            self._offer_failed(call_id, leg, failure.cause)
            return
        except SwitchError as error:
            log.warning("[%s] ringing %s failed: %s", call_id, agent, error)
            self._offer_failed(call_id, leg, "SWITCH_ERROR")
            return
        if state.leg is not leg:  # withdrawn while it rang (caller hung up, ring timeout)
            self._quietly(self.switch.hangup, leg.uuid, "ORIGINATOR_CANCEL")
            return
        leg.answered = True
        self.submit(lambda now: self._answered(call_id, leg, card, callback_number, now),
                    dialled.answered_at)

    def _offer_failed(self, call_id: str, leg: Leg, cause: str) -> None:
        state = self.calls.get(call_id)
        if state is None or state.leg is not leg:
            return  # we cancelled it ourselves
        state.leg = None
        self.agent_legs.pop(leg.uuid, None)
        log.info("[%s] offer to %s failed: %s", call_id, leg.agent, cause)
        self.calllog.event(call_id, "offer_failed", {"agent": leg.agent, "cause": cause})
        if cause in UNREACHABLE:  # a phone that died without un-registering: not the agent's miss
            card = self.agents.by_login(leg.agent)
            if card is not None:
                self.phones.offline(card.extension, None, "unreachable")
            self.submit(lambda now: self.core.phone_unregistered(leg.agent, now)
                        + self.core.offer_rejected(call_id, now, leg.offer_id))
        elif cause in NOT_REGISTERED:
            self.submit(lambda now: self.core.phone_unregistered(leg.agent, now)
                        + self.core.offer_rejected(call_id, now, leg.offer_id))
        elif cause in REJECTED:
            self.submit(lambda now: self.core.offer_rejected(call_id, now, leg.offer_id))
        else:
            self.submit(lambda now: self.core.offer_timed_out(call_id, now, leg.offer_id))

    def _answered(self, call_id: str, leg: Leg, card: Any, callback_number: str | None,
                  now: float) -> list:
        state = self.calls.get(call_id)
        if state is None or state.leg is not leg:
            self._later(self.switch.hangup, leg.uuid, "NORMAL_CLEARING")
            return []
        if leg.accepted:  # taken already from the switch's bridge (see on_bridged)
            return []
        info = self.core.waiting_call(call_id)
        try:
            actions = self.core.offer_answered(call_id, now, leg.offer_id)
        except AcdError:
            actions = []
        if actions and info is not None:
            state.acd_record = call_record(info)
        if not actions:
            self._later(self.switch.hangup, leg.uuid, "NORMAL_CLEARING")
            return []
        leg.accepted = True
        if callback_number is not None:
            gevent.spawn(self._call_customer, call_id, leg, callback_number)
        self._maybe_connected(call_id, state, leg)
        return actions
