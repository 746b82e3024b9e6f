"""Hotline calls from park to queue: takes each parked call, runs its IVR flow
in a greenlet of its own and hands the outcome on (queue, transfer, hang-up)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Container, Mapping

import gevent

from callcenter.esl import CallHungUp, Switch, SwitchError
from callcenter.esl.call_control import SwitchCallControl
from callcenter.ivr import CallInfo, FlowEntry, FlowRegistry, Interpreter, IvrOutcome, PromptLibrary
from callcenter.hooks import FOUND, NOT_FOUND, HookResult, HookRunner, KnownAnswers
from callcenter.live.calllog import CallLog, CustomerLookup
from callcenter.live.record_pause import secret_masked
from callcenter.live.recordings import RecordingStore
from callcenter.models import CallDirection

log = logging.getLogger(__name__)


def is_yes(value: Any) -> bool:
    """A flow's yes/no variable: "yes" (or true) only; bool("no") would be True."""
    return str(value).strip().lower() in ("yes", "true", "1") if value is not None else False


@dataclass(frozen=True)
class QueueRequest:
    """A caller the IVR hands to the ACD."""
    uuid: str
    caller: str
    need: str | None
    priority: int
    tier: str
    customer_id: int | None
    context: Mapping[str, Any] = field(default_factory=dict)  # travels with the call (screen pop)
    record_whole_call: bool = False


class CallEventSink:
    """The IVR's node outcomes, into the call's event log (for the drop-off funnel)."""

    SCREEN_POP_KINDS = ("menu", "collect", "lookup", "record", "survey", "queue", "transfer")

    def __init__(self, calllog: CallLog, uuid: str,
                 on_whole_call: Callable[[], None] | None = None) -> None:
        self.calllog, self.uuid = calllog, uuid
        self.steps: list[dict[str, Any]] = []  # what the agent's screen pop shows of the IVR
        self.on_whole_call = on_whole_call  # the flow set record_whole_call: "yes"

    def on_node(self, node_id: str, kind: str, outcome: str, data: Mapping[str, Any]) -> None:
        if kind == "set" and self.on_whole_call is not None and \
                is_yes((data.get("values") or {}).get("record_whole_call")):
            self.on_whole_call()
        self.calllog.event(self.uuid, "ivr_node", {"node": node_id, "kind": kind,
                                                   "outcome": outcome, **dict(data)})
        if kind in self.SCREEN_POP_KINDS:  # data is already redacted by the interpreter
            self.steps.append({"node": node_id, "kind": kind, "outcome": outcome,
                               "entered": data.get("digits") if kind == "collect" else None})


class InboundCalls:
    def __init__(self, switch: Switch, calllog: CallLog, flows: FlowRegistry, hooks: Any,
                 prompts: PromptLibrary, recordings: RecordingStore,
                 on_queue: Callable[[QueueRequest], None],
                 ivr_clock: Callable[[], datetime] | None = None) -> None:
        self.switch, self.calllog, self.flows = switch, calllog, flows
        self.hooks, self.prompts, self.recordings = hooks, prompts, recordings
        self.on_queue = on_queue
        self.ivr_clock = ivr_clock  # None: the real time (tests pin it inside opening hours)
        # channels whose hang-up the engine has read, maybe not handled yet (set by the engine)
        self.hung_up: Container[str] = ()
        self._running: dict[str, gevent.Greenlet] = {}
        self._taken: set[str] = set()  # calls taken and not yet hung up (a call is taken once)
        self.turned_away = 0  # calls given the overload answer (see Engine.overloaded)

    def take(self, uuid: str, caller: str, dialled: str, service_line: str | None = None,
             answered_at: float | None = None) -> None:
        """A hotline call was parked by the dialplan: start its IVR (never blocks).
        ``service_line``: the need a per-service number preselects (None: ask the switch).
        ``answered_at``: when the switch answered it (its clock)."""
        if uuid in self._taken:
            return
        self._taken.add(uuid)
        self._running[uuid] = gevent.spawn(self._serve, uuid, caller, dialled, service_line,
                                           answered_at)
        self._running[uuid].link(lambda _: self._running.pop(uuid, None))

    def has(self, uuid: str) -> bool:
        return uuid in self._taken

    def forget(self, uuid: str) -> None:
        """The call hung up."""
        self._taken.discard(uuid)

    @property
    def in_ivr(self) -> int:
        return len(self._running)

    def stop(self) -> None:
        gevent.killall(list(self._running.values()), timeout=5)

    def _serve(self, uuid: str, caller: str, dialled: str, service_line: str | None = None,
               answered_at: float | None = None) -> None:
        try:
            # the dialplan set cc_call_id, cc_leg and RECORD_STEREO; this one command is the
            # engine's take (a call nobody took keeps its scheduled fallback); the caller's
            # lookup runs meanwhile (both wait on others: the switch, a database thread)
            lookup = gevent.spawn(self.calllog.find_customer, caller)
            self.switch.cancel_scheduled(uuid)
            if service_line is None:
                service_line = self.switch.get_variable(uuid, "cc_service_line")
        except CallHungUp:
            found = None
        except SwitchError as error:
            log.warning("[%s] could not take the call: %s", uuid, error)
            return
        else:
            found = lookup.get()  # find_customer never raises
        answered = datetime.fromtimestamp(answered_at, timezone.utc) if answered_at else \
            datetime.now(timezone.utc)
        # a lagging engine may have read the caller's hang-up meanwhile
        if found is None or uuid in self.hung_up:  # counted (the switch answered it), no IVR
            log.info("[%s] caller gone before the IVR started", uuid)
            lookup.kill(block=False)
            self.calllog.start(uuid, CallDirection.INBOUND, caller, dialled, at=answered,
                               switch_answered_at=answered)
            return
        entry = self._entry(uuid, dialled, service_line)
        customer = found.customer
        self.calllog.start(uuid, CallDirection.INBOUND, caller, dialled, at=answered,
                           switch_answered_at=answered,
                           customer_id=customer.id if customer else None,
                           ivr_flow=entry.flow.id if entry else None)
        if entry is None:
            log.error("[%s] no IVR flow for dialled number %s: straight to an agent", uuid, dialled)
            self.on_queue(QueueRequest(uuid, caller, None, 0, customer.tier if customer else "regular",
                                       customer.id if customer else None))
            return
        control = SwitchCallControl(self.switch, uuid, on_masked=lambda masked: secret_masked(
            self.recordings, self.calllog, uuid, masked))
        sink = CallEventSink(self.calllog, uuid,
                             on_whole_call=lambda: self._record_whole_call(control, uuid))
        outcome = Interpreter(
            entry.flow, control,
            call=CallInfo(uuid, caller, dialled, need=entry.need,
                          language=customer.language if customer else None,
                          caller_tier=customer.tier if customer else "regular"),
            hooks=self._hooks_for(caller, found), prompts=self.prompts, sink=sink,
            calendar=self.flows.calendar, flows=self.flows.flow, clock=self.ivr_clock,
            recordings_dir=self.recordings.switch_view).run()
        self._finish(uuid, caller, customer, outcome, sink.steps)

    def _hooks_for(self, caller: str, found: CustomerLookup) -> Any:
        """The flow's own look-up of the caller is answered by the engine's (one query a call)."""
        if self.hooks is None or not found.answered or not isinstance(self.hooks, HookRunner):
            return self.hooks
        answer = HookResult(FOUND, found.customer.hook_values()) if found.customer \
            else HookResult(NOT_FOUND)
        return KnownAnswers(self.hooks, {("customer_by_number", caller): answer})

    def _record_whole_call(self, control: SwitchCallControl, uuid: str) -> None:
        """A sensitive flow (e.g. password services): recorded from here to the hang-up,
        the IVR's rest, the queue and the agent alike; secrets keyed later are masked."""
        if control.whole_call_recording is not None:
            return
        if self.recordings.record_rest_of_call(control, self.calllog, uuid, "whole_call",
                                               {"whole_call": True}, file_tag="whole"):
            log.info("[%s] recorded from the IVR on", uuid)

    def _entry(self, uuid: str, dialled: str, service_line: str | None) -> FlowEntry | None:
        """The flow for the dialled number. A per-service number (the dialplan sets
        cc_service_line, e.g. 10001 -> billing) that ivr.numbers does not list runs the
        main hotline's flow with that need preselected."""
        entry = self.flows.for_number(dialled)
        if not service_line or (entry is not None and entry.need):
            return entry
        if entry is None:
            main = next((self.flows.for_number(number) for number, settings in
                         self.flows.numbers.items() if not settings.get("need")), None)
            if main is None:
                return None
            entry = main
            log.info("[%s] service line %s (%s): main flow %s", uuid, dialled, service_line,
                     entry.flow.id)
        return FlowEntry(entry.flow, service_line)

    def _finish(self, uuid: str, caller: str, customer: Any, outcome: IvrOutcome,
                steps: list[dict[str, Any]] | None = None) -> None:
        variables = dict(outcome.variables)
        customer_id = variables.get("customer_id") or (customer.id if customer else None)
        self.calllog.update(uuid, ivr_path=list(outcome.path), need=outcome.need,
                            survey_score=outcome.survey_score,
                            customer_id=int(customer_id) if customer_id else None)
        self.calllog.event(uuid, "ivr_finished", {"outcome": outcome.kind, "need": outcome.need,
                                                  "last_node": outcome.last_node,
                                                  "error": outcome.error})
        for message in outcome.recordings:  # complaint descriptions, voice messages
            self.recordings.started(uuid, message.path, kind="message")
            self.recordings.finished(message.path, message.duration_ms)
        log.info("[%s] IVR %s ended: %s", uuid, outcome.flow_id, outcome.kind)
        if outcome.kind == "queue":
            tier = str(variables.get("caller_tier") or (customer.tier if customer else "regular"))
            self.on_queue(QueueRequest(
                uuid, caller, outcome.need, outcome.priority, tier,
                int(customer_id) if customer_id else None,
                context={"ivr_path": list(outcome.path), "variables": variables,
                         "flow": outcome.flow_id, "ivr_steps": steps or []},
                record_whole_call=is_yes(variables.get("record_whole_call"))))
        elif outcome.kind == "transfer" and outcome.target:
            try:
                self.switch.transfer(uuid, outcome.target)
            except SwitchError as error:
                log.warning("[%s] transfer to %s failed: %s", uuid, outcome.target, error)
