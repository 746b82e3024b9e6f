"""The ACD's states and calls, as the console's port describes them."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from acd.agent_state import AgentState, TransitionRecord
from acd.router import TIE_WORDS, tie_text
from callcenter.ivr.interpreter import REDACTED  # what the interpreter shows for a password
from web.ports import AgentStatus, IvrStep, LiveCall, LiveEvent, PhoneStatus

# the ACD's agent states -> the states the console shows
CONSOLE_STATE = {
    AgentState.LOGGED_OUT: "logged_out", AgentState.READY: "ready",
    AgentState.NOT_READY: "not_ready", AgentState.RESERVED: "offered",
    AgentState.RINGING: "offered", AgentState.ON_CALL: "on_call",
    AgentState.ON_HOLD: "on_call", AgentState.WRAP_UP: "wrapup",
}


def at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def agent_status(agent_id: int, state: AgentState, reason: str | None, since: float,
                 call_id: str | None, phone: PhoneStatus | None = None,
                 pending_reason: str | None = None, info: Any = None) -> AgentStatus:
    """``info``: the ACD's AgentInfo, for the wrap-up's end and whether it may be extended."""
    wrapping = info is not None and state is AgentState.WRAP_UP and info.wrap_up_until is not None
    return AgentStatus(agent_id, CONSOLE_STATE[state], reason, at(since), call_id, phone, pending_reason,
                       at(info.wrap_up_until) if wrapping else None,
                       wrapping and not info.wrap_up_extended)


def phone_event(agent_id: int, phone: PhoneStatus) -> LiveEvent:
    return LiveEvent("phone_state", agent_id, {"phone": phone_dict(phone)})


def phone_dict(phone: PhoneStatus | None) -> dict[str, Any] | None:
    if phone is None:
        return None
    return {"registered": phone.registered, "since": phone.since.isoformat() if phone.since else None,
            "reason": phone.reason, "user_agent": phone.user_agent, "contact": phone.contact}


def agent_event(agent_id: int, record: TransitionRecord) -> LiveEvent:
    return LiveEvent("agent_state", agent_id, {
        "state": CONSOLE_STATE[record.to_state], "reason": record.reason,
        "since": at(record.time).isoformat(), "call_uuid": record.call_id})




def ivr_steps(context: dict[str, Any]) -> tuple[IvrStep, ...]:
    """The IVR path for the screen pop: each menu, input and lookup with its outcome;
    password digits never travel (the interpreter redacts them; they show as masked)."""
    if context.get("ivr_steps"):
        return tuple(_screen_step(step) for step in context["ivr_steps"])
    variables = context.get("variables") or {}
    steps = []
    for node in context.get("ivr_path") or ():
        steps.append(IvrStep(node=str(node)))
    entered = {k: v for k, v in variables.items() if k in ("account_number", "ticket_number")}
    for name, value in entered.items():
        steps.append(IvrStep(node=name, label=name.replace("_", " "), entered=str(value)))
    return tuple(steps)


def _screen_step(step: dict[str, Any]) -> IvrStep:
    entered = step.get("entered")
    masked = entered == REDACTED
    label = f"{str(step['node']).replace('_', ' ')}: {step.get('outcome', '')}".rstrip(": ")
    return IvrStep(node=str(step["node"]), label=label,
                   entered=None if masked or entered in (None, "") else str(entered), masked=masked)


RULE_WORDS = {
    "specialist": "specialist",
    "general": "general agent",
    "general_overflow": "general agent after the wait",
    "overflow_accept": "accepted after the wait",
    "overflow_other_queue": "from another queue after the wait",
    "overflow_lower_level": "lower level allowed after the wait",
    "unidentified_need_to_general": "need not identified: general agent",
    "transferred_to_agent": "transferred to this agent",
    "ticket_owner": "calls again about this agent's open ticket",
}
CLASS_WORDS = {"transferred": "transferred call first", "vip3": "VIP 3 first",
               "vip2": "VIP 2 first", "vip1": "VIP 1 first"}


def reason_parts(reason: Any) -> tuple[dict[str, Any], ...]:
    """The router's decision as codes and values, for the console to word in the reader's
    language (web/reasons.py): the rule (with the queue for a specialist), the level, the
    priority class, the tie-break."""
    if not isinstance(reason, dict):
        return ()
    rule = str(reason.get("rule", ""))
    parts: list[dict[str, Any]] = [{"code": "rule", "rule": rule,
                                    "queue": reason.get("queue") if rule == "specialist" else None}]
    candidates = reason.get("candidates") or []
    if candidates and candidates[0].get("level"):
        parts.append({"code": "level", "level": candidates[0]["level"]})
    if str(reason.get("priority_class")) in CLASS_WORDS:
        parts.append({"code": "class", "class": str(reason["priority_class"])})
    tie = reason.get("tie")
    if isinstance(tie, dict) and tie.get("code") in TIE_WORDS:
        parts.append({**tie, "code": "tie", "tie": tie["code"]})
    elif reason.get("tie_break"):  # a reason logged before the codes (a restarted call)
        parts.append({"code": "text", "text": str(reason["tie_break"])})
    return tuple(parts)


def describe_reason(reason: Any) -> str:
    """The router's decision in words (English; the log's and the fallback's), e.g.
    'billing specialist, level 9; VIP 3 first; highest level 9 (next: agent02 level 7)'."""
    return _describe(reason_parts(reason))


def _describe(parts: tuple[dict[str, Any], ...]) -> str:
    head, rest = "", []
    for part in parts:
        code = part["code"]
        if code == "rule":
            words = RULE_WORDS.get(part["rule"], part["rule"].replace("_", " "))
            head = f"{part['queue']} {words}" if part["queue"] else words
        elif code == "level":
            head += f", level {part['level']}"
        elif code == "class":
            rest.append(CLASS_WORDS[part["class"]])
        elif code == "tie":
            rest.append(tie_text({**part, "code": part["tie"]}))
        else:
            rest.append(part["text"])
    return "; ".join(p for p in [head, *rest] if p)


def live_call(state: Any, card: Any, call_state: str, reason: Any,
              kind: str = "call_offered") -> LiveEvent:
    call = make_live_call(state, card.id, call_state, reason)
    return LiveEvent(kind, card.id, {"call": call})


def make_live_call(state: Any, agent_id: int | None, call_state: str, reason: Any) -> LiveCall:
    request = state.request
    if reason is not None:
        state.extras["reason"] = reason
    now = datetime.now(timezone.utc)
    if call_state == "offered" and "offered_at" not in state.extras:
        state.extras["offered_at"] = now
    if call_state == "bridged" and "answered_at" not in state.extras:
        state.extras["answered_at"] = now
    parts = reason_parts(state.extras.get("reason"))
    return LiveCall(uuid=request.uuid, caller_number=request.caller,
                    state="held" if (state.leg and state.leg.held) else call_state,
                    agent_id=agent_id, queue=request.need or "general", need=request.need,
                    customer_id=request.customer_id, ivr_path=ivr_steps(dict(request.context)),
                    routing_reason=_describe(parts), routing_reason_parts=parts,
                    offered_at=state.extras.get("offered_at"),
                    answered_at=state.extras.get("answered_at"),
                    transferred_note=request.context.get("note"), priority=request.priority)
