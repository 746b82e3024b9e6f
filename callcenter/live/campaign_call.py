"""One campaign dial, from the claim to its settled outcome.

The attempt was claimed in the database before this runs (the leg's uuid is
the attempt's). Here: ring the customer through the carrier gateway; on a
live answer run the campaign's flow in the IVR interpreter (agentless), or
hand the call to the ACD at the top of its queue (agent campaigns, the flow's
``queue`` node); write the outcome and the contact's next step once.

Every answer is treated as a person: the FreeSWITCH modules the kit ships have
no answering-machine detection (mod_avmd / mod_amd are not built), so a
machine hears the flow and the attempt counts as answered.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

import gevent

from callcenter.esl import CallHungUp, Endpoint, OriginateFailed, Switch, SwitchError
from callcenter.esl.call_control import SwitchCallControl
from callcenter.live.record_pause import secret_masked
from callcenter.ivr import CallInfo, Interpreter, IvrOutcome
from callcenter.live.inbound import QueueRequest
from callcenter.models import CallDirection

log = logging.getLogger(__name__)

OPT_OUT_VARIABLE = "opted_out"  # a flow's `set` of this to "yes": on the do-not-call list at once
TOP_PRIORITY = 9
AGENT_WITHIN_SECONDS = 2.0  # a live answer with no agent by then is abandoned (Ofcom-style)
IDENTIFY_FLOW = "outbound_identify"  # what an abandoned customer hears: who called, and a number


@dataclass(frozen=True)
class CallResult:
    """What happened on the line, for the dialer to settle."""
    outcome: str  # answered | a retry.outcome_from_hangup_cause value | interrupted
    cause: str | None = None
    answered_at: datetime | None = None
    result: str | None = None  # heard_flow | to_agent | opted_out | hung_up_in_flow ...
    detail: Mapping[str, Any] | None = None


class OptOutSink:
    """The flow's node outcomes into the call's event log; an opt-out acted on at once."""

    def __init__(self, calllog: Any, uuid: str, on_opt_out: Callable[[], None]) -> None:
        self.calllog, self.uuid, self.on_opt_out = calllog, uuid, on_opt_out
        self.opted_out = False
        self.said: list[str] = []

    def on_node(self, node_id: str, kind: str, outcome: str, data: Mapping[str, Any]) -> None:
        self.calllog.event(self.uuid, "ivr_node", {"node": node_id, "kind": kind,
                                                   "outcome": outcome, **dict(data)})
        values = data.get("values") if kind == "set" else None
        if values and str(values.get(OPT_OUT_VARIABLE, "")).lower() == "yes" and not self.opted_out:
            self.opted_out = True
            self.on_opt_out()


class CampaignCall:
    """Dials one claim; the collaborators are the engine's."""

    def __init__(self, switch: Switch, calllog: Any, flows: Any, prompts: Any, hooks: Any,
                 recordings_dir: str, gateway: str, *, shell: Any, runner: Any,
                 ivr_clock: Callable[[], datetime] | None = None,
                 agent_within: float = AGENT_WITHIN_SECONDS, recordings: Any = None) -> None:
        self.switch, self.calllog, self.flows, self.prompts = switch, calllog, flows, prompts
        self.hooks, self.recordings_dir, self.gateway = hooks, recordings_dir, gateway
        self.shell, self.runner, self.ivr_clock = shell, runner, ivr_clock
        self.agent_within = agent_within
        self.recordings = recordings  # RecordingStore: agentless calls recorded if the campaign says so

    def place(self, claim: Any, plan: Any, on_opt_out: Callable[[], None]) -> CallResult:
        self.calllog.start(claim.uuid, CallDirection.OUTBOUND, plan.caller_id or "", claim.number,
                           customer_id=claim.customer_id, campaign_contact_id=claim.contact_id,
                           ivr_flow=plan.flow)
        self.calllog.event(claim.uuid, "campaign_dial", {"campaign": claim.campaign_id,
                                                         "contact": claim.contact_id,
                                                         "attempt": claim.attempt_number})
        try:
            dialled = self.switch.dial(
                Endpoint.gateway(self.gateway, claim.number), uuid=claim.uuid,
                timeout=plan.ring_timeout, caller_id_number=plan.caller_id or None,
                variables={"cc_leg": "campaign", "cc_campaign": claim.campaign_id,
                           "cc_contact": claim.contact_id, "RECORD_STEREO": "true"})
        except OriginateFailed as failure:
            return self._not_answered(claim, failure.cause)
        except SwitchError as error:
            log.warning("[%s] campaign dial to %s failed: %s", claim.uuid, claim.number, error)
            return self._not_answered(claim, "NETWORK_OUT_OF_ORDER")
        answered = _utc(dialled.answered_at)
        self.calllog.update(claim.uuid, switch_answered_at=answered)
        if not plan.flow:  # an agent campaign: straight to an agent
            return self.to_agent(claim, plan, answered)
        return self.run_flow(claim, plan, answered, on_opt_out)

    def to_agent(self, claim: Any, plan: Any, answered: datetime) -> CallResult:
        """A live answer in an agent campaign: at the top of its queue with the contact's
        pop; no agent on the line within ``agent_within`` seconds: the customer hears who
        called and the call counts as abandoned."""
        self._to_agent(claim, plan, None)
        deadline = time.monotonic() + self.agent_within
        while time.monotonic() < deadline and not self._with_agent(claim.uuid):
            gevent.sleep(0.05)
        if self._with_agent(claim.uuid):
            return CallResult("answered", None, answered, "to_agent")
        log.info("[%s] no agent within %.0f s: abandoned", claim.uuid, self.agent_within)
        self.shell.submit_nowait(lambda now: self._remove(claim.uuid, now))
        self._identify(claim, plan)
        return self._ended(claim, CallResult("abandoned", "NORMAL_CLEARING", answered, "abandoned",
                                             {"abandoned": True}))

    def _with_agent(self, uuid: str) -> bool:
        state = self.runner.calls.get(uuid)
        return state is not None and state.leg is not None and state.leg.answered

    def _remove(self, uuid: str, now: float) -> list:
        self.runner.calls.pop(uuid, None)
        if self.shell.core.waiting_call(uuid) is None:
            return []
        return self.shell.core.call_removed(uuid, now, "outbound call abandoned")

    def _identify(self, claim: Any, plan: Any) -> None:
        """The identification message (the campaign's caller ID is the number to call back)."""
        flow = self.flows.flow(IDENTIFY_FLOW)
        try:
            self.switch.break_media(claim.uuid, True)  # the queue's music on hold
            if flow is not None:
                Interpreter(flow, SwitchCallControl(self.switch, claim.uuid),
                            call=CallInfo(claim.uuid, claim.number, plan.caller_id or "",
                                          language=claim.language, caller_tier="regular"),
                            hooks=None, prompts=self.prompts, calendar=self.flows.calendar,
                            clock=self.ivr_clock, recordings_dir=self.recordings_dir).run()
        except SwitchError as error:
            log.info("[%s] identification message not played: %s", claim.uuid, error)
        finally:
            self._hangup(claim.uuid)

    def run_flow(self, claim: Any, plan: Any, answered: datetime,
                 on_opt_out: Callable[[], None]) -> CallResult:
        """The customer answered (or a restarted engine adopted the answered leg)."""
        flow = self.flows.flow(plan.flow) if plan.flow else None
        if flow is None:
            log.error("[%s] campaign flow %r not found: hanging up", claim.uuid, plan.flow)
            self._hangup(claim.uuid)
            return self._ended(claim, CallResult("answered", "NORMAL_CLEARING", answered,
                                                 "no_flow"))
        sink = OptOutSink(self.calllog, claim.uuid, on_opt_out)
        control = SwitchCallControl(self.switch, claim.uuid, on_masked=lambda masked: secret_masked(
            self.recordings, self.calllog, claim.uuid, masked))
        if getattr(plan, "record", False) and self.recordings is not None:
            self._record(control, claim.uuid)
        interpreter = Interpreter(
            flow, control,
            call=CallInfo(claim.uuid, claim.number, plan.caller_id or "", need=plan.queue_name,
                          language=claim.language, caller_tier="regular"),
            hooks=self.hooks, prompts=self.prompts, sink=sink, calendar=self.flows.calendar,
            flows=self.flows.flow, clock=self.ivr_clock, recordings_dir=self.recordings_dir)
        # the flow's declared inputs, from the contact (see ivr_flows/collections.yaml)
        interpreter.variables.update(contact_inputs(claim))
        outcome = interpreter.run()
        said = {k: outcome.variables.get(k) for k in ("amount_due_cents", "due_date")
                if outcome.variables.get(k) is not None}
        detail = {"path": list(outcome.path)[-12:], "said": said}
        self.calllog.update(claim.uuid, ivr_path=list(outcome.path), need=outcome.need)
        if outcome.kind == "queue":
            self._to_agent(claim, plan, outcome)
            return CallResult("answered", None, answered, "to_agent", detail)
        result = ("opted_out" if sink.opted_out else
                  "hung_up_in_flow" if outcome.kind == "caller_hung_up" else "heard_flow")
        if outcome.kind != "caller_hung_up":
            self._hangup(claim.uuid)
        return self._ended(claim, CallResult("answered", "NORMAL_CLEARING", answered, result, detail))

    def _record(self, control: SwitchCallControl, uuid: str) -> None:
        """The campaign records its agentless calls: from the answer to the hang-up (the
        ACD's recording takes over if the customer asks for an agent)."""
        self.recordings.record_rest_of_call(control, self.calllog, uuid, "outbound", {"outbound": True})

    def _recorded(self, uuid: str) -> bool:
        """Recorded already (the campaign's own recording goes on through the agent's part)."""
        return self.recordings is not None and self.recordings.recording_of(uuid) is not None

    def _to_agent(self, claim: Any, plan: Any, outcome: IvrOutcome | None) -> None:
        """The customer asked for an agent: the ACD takes the call as it takes an inbound
        caller's, ahead of its queue, with the contact for the screen pop."""
        context = {"campaign": {"id": claim.campaign_id, "contact_id": claim.contact_id,
                                "name": claim.name, "amount_cents": claim.amount_cents,
                                "due_date": claim.due_date.isoformat() if claim.due_date else None,
                                "data": dict(claim.data), "script": plan.script},
                   "ivr_path": list(outcome.path) if outcome else [],
                   "flow": outcome.flow_id if outcome else None,
                   "variables": dict(outcome.variables) if outcome else {}}
        # 'transferred' is the ACD's first class: a customer we called waits behind nobody
        context["transferred"] = True
        need = (outcome.need if outcome is not None else None) or plan.queue_name
        self.shell.enqueue(QueueRequest(claim.uuid, claim.number, need, TOP_PRIORITY, "regular",
                                        claim.customer_id, context,
                                        record_whole_call=self._recorded(claim.uuid)))

    def _not_answered(self, claim: Any, cause: str) -> CallResult:
        from callcenter.dialer.retry import outcome_from_hangup_cause
        outcome = _value(outcome_from_hangup_cause(cause))
        log.info("[%s] %s: %s (%s)", claim.uuid, claim.number, outcome, cause)
        return self._ended(claim, CallResult(outcome, cause))

    def _ended(self, claim: Any, result: CallResult) -> CallResult:
        now = datetime.now(timezone.utc)
        self.calllog.update(claim.uuid, ended_at=now, hangup_cause=result.cause)
        self.calllog.event(claim.uuid, "campaign_outcome", {"outcome": result.outcome,
                                                            "result": result.result,
                                                            "cause": result.cause}, at=now)
        return result

    def _hangup(self, uuid: str) -> None:
        try:
            self.switch.hangup(uuid, "NORMAL_CLEARING")
        except CallHungUp:
            pass
        except SwitchError as error:
            log.warning("[%s] hang-up after the flow failed: %s", uuid, error)


def contact_inputs(claim: Any) -> dict[str, Any]:
    """What a campaign flow may declare as ``inputs``: the contact's amount and date,
    name, and the list's own columns (as text)."""
    values: dict[str, Any] = {f"contact_{k}": str(v) for k, v in dict(claim.data).items()}
    values["contact_name"] = claim.name or ""
    if claim.amount_cents is not None:
        values["amount_due_cents"] = claim.amount_cents
    if claim.due_date is not None:
        values["due_date"] = claim.due_date.isoformat()
    if claim.customer_id is not None:
        values["customer_id"] = claim.customer_id
    return values


def _utc(epoch: float | None) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc) if epoch else datetime.now(timezone.utc)


def _value(outcome: Any) -> str:
    return str(getattr(outcome, "value", outcome))
