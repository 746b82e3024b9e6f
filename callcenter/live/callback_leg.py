"""The customer's leg of a callback (a callback request, a queue callback, a preview
call): mixed into ActionRunner once the agent answered (agent first). The request is
marked dialling, then done, or, when the customer is not reached (busy, no answer,
failed ...), retried or ended by the callbacks policy (``after_dial``, set by the
engine). A preview campaign call has no callback request: the dialer settles its
attempt from the call's log, so nothing is marked here."""
from __future__ import annotations

import logging
from typing import Any

from callcenter.dialer.retry import outcome_from_hangup_cause
from callcenter.esl import Endpoint, SwitchError, new_uuid
from callcenter.esl.commands import Dialled
from callcenter.models import CallbackStatus

log = logging.getLogger(__name__)

CALLBACK_GATEWAY = "carrier"
CUSTOMER_RING_SECONDS = 30  # when neither the callbacks policy nor the campaign says


class CallbackLegActions:
    """Mixed into ActionRunner: uses its calls, switch, calllog, recordings, agent_legs,
    after_dial, callback_dial and _quietly."""

    def _call_customer(self, call_id: str, leg: Any, number: str) -> None:
        """A callback's agent answered: dial the customer, who is bridged to the agent and
        recorded by the switch when they answer (as a queue call is, see _ring)."""
        leg.recording = self.recordings.path_for(call_id)
        state = self.calls.get(call_id)
        request = _callback_request(state)
        dialled = self._call_back(call_id, number, leg, request)
        if dialled is None:
            self._quietly(self.switch.hangup, leg.uuid, "NORMAL_CLEARING")
            return
        self.agent_legs[dialled.uuid] = call_id  # the customer's hang-up ends the call too
        if request is not None:
            self.calllog.callback_progress(call_id, CallbackStatus.DONE, outcome="answered",
                                           reason="answered")

    def _call_back(self, call_id: str, number: str, agent_leg: Any,
                   request: dict[str, Any] | None) -> Dialled | None:
        """A callback's turn: the agent answered, now ring the customer, who is bridged to
        the agent and recorded by the switch when they answer (as in _ring). ``request``:
        the callback request's part of the call's context (None: a preview campaign call,
        whose attempt the dialer settles; it has no callback request)."""
        if request is not None:
            self.calllog.callback_progress(call_id, CallbackStatus.DIALING, attempt=True)
        customer = new_uuid()
        caller_id, ring_seconds = self._customer_dial(call_id)
        try:
            return self.switch.dial(
                Endpoint.gateway(CALLBACK_GATEWAY, number), timeout=ring_seconds,
                uuid=customer, caller_id_number=caller_id,
                variables={"cc_call_id": call_id, "cc_leg": "caller", "cc_state": "bridged",
                           "cc_agent": agent_leg.agent, "RECORD_STEREO": "true",
                           "intercept_unbridged_only": "true",
                           "api_on_answer": f"uuid_record {customer} start {agent_leg.recording}"},
                application=("intercept", agent_leg.uuid))
        except SwitchError as error:
            outcome = outcome_from_hangup_cause(getattr(error, "cause", "SWITCH_ERROR"), False)
            log.info("[%s] callback to %s failed: %s (%s)", call_id, number, error, outcome)
            self.calllog.event(call_id, "callback_failed", {"error": str(error), "outcome": outcome})
            if request is not None:
                self._callback_not_reached(call_id, request, outcome)
            return None

    def _customer_dial(self, call_id: str) -> tuple[str | None, int]:
        """The number the customer sees and how long their phone rings: the campaign's for
        a preview campaign call, the callbacks policy's for a callback."""
        state = self.calls.get(call_id)
        campaign = state.request.context.get("campaign") if state is not None else None
        if campaign:
            caller_id, ring = campaign.get("caller_id"), campaign.get("ring_timeout")
        elif self.callback_dial is not None:
            caller_id, ring = self.callback_dial()
        else:
            caller_id, ring = None, None
        return caller_id or None, max(1, min(600, round(ring or CUSTOMER_RING_SECONDS)))

    def _callback_deferred(self, call_id: str) -> bool:
        """A callback whose turn came outside its calling window (a queue callback when the
        agents work on past the window, a handed request that waited into the window's last
        minute): it leaves the queue without ringing anyone, not as an abandon, and its
        request waits for the window's opening (then a call of its own), or ends."""
        state = self.calls.get(call_id)
        request = _callback_request(state)
        why = self.defer_callback(request) if request is not None and self.defer_callback else None
        if why is None:
            return False
        self.calls.pop(call_id, None)
        log.info("[%s] callback not dialled now: %s", call_id, why.reason)
        self.calllog.event(call_id, "callback_deferred", {"until": why.next_attempt_at.isoformat()
                                                          if why.next_attempt_at else None,
                                                          "reason": why.reason})
        self.calllog.callback_progress(call_id, CallbackStatus(why.status),
                                       next_attempt_at=why.next_attempt_at, reason=why.reason)
        self.submit(lambda now: _removed(self.core, call_id, now))
        return True

    def _callback_not_reached(self, call_id: str, request: dict[str, Any], outcome: str) -> None:
        """The customer was not reached: the callbacks policy (``after_dial``, set by the
        engine: CallbackDialer.after_dial) says retry at a time or end; without one, failed."""
        if self.after_dial is None:
            self.calllog.callback_progress(call_id, CallbackStatus.FAILED, outcome=outcome,
                                           reason=outcome)
            return
        result = self.after_dial(request, outcome)
        log.info("[%s] callback request %s: %s", call_id, request.get("request_id", "?"),
                 result.reason)
        self.calllog.callback_progress(call_id, CallbackStatus(result.status), outcome=outcome,
                                       next_attempt_at=result.next_attempt_at, reason=result.reason)


def _callback_request(state: Any) -> dict[str, Any] | None:
    """The callback request's part of a callback call's context ({} for a queue callback,
    whose request the ACD made itself); None for a preview campaign call (no request)."""
    context = state.request.context if state is not None else {}
    if "campaign" in context:
        return None
    return dict(context.get("callback") or {})


def _removed(core: Any, call_id: str, now: float) -> list:
    from acd.errors import AcdError
    try:
        return core.call_removed(call_id, now, "outside the calling window")
    except AcdError:
        return []
