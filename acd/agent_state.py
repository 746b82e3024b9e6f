"""Agent states and the one table of transitions between them.

Every change goes through ``transition()``, which raises ``IllegalTransition``
for anything the table does not allow and returns a ``TransitionRecord`` for
the append-only agent state log (``AgentStateChange`` in the database).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from acd.errors import IllegalTransition


class AgentState(str, enum.Enum):
    LOGGED_OUT = "logged_out"
    READY = "ready"
    NOT_READY = "not_ready"
    RESERVED = "reserved"  # the router picked the agent; the shell is about to ring the phone
    RINGING = "ringing"
    ON_CALL = "on_call"
    ON_HOLD = "on_hold"
    WRAP_UP = "wrap_up"  # after-call work, ended by a per-queue timer or by the agent


class NotReadyReason(str, enum.Enum):
    BREAK = "break"
    LUNCH = "lunch"
    TRAINING = "training"
    BACK_OFFICE = "back_office"
    MISSED_CALL = "missed_call"  # set by the ACD after too many missed offers in a row


class AgentEvent(str, enum.Enum):
    LOGIN = "login"
    LOGOUT = "logout"
    MAKE_READY = "make_ready"
    MAKE_NOT_READY = "make_not_ready"
    RESERVE = "reserve"
    RING = "ring"
    ANSWER = "answer"
    REJECT = "reject"
    MISS = "miss"  # the offer rang out; the agent stays available
    MISS_LIMIT = "miss_limit"  # the offer rang out and it was one miss too many
    CANCEL = "cancel"  # the caller hung up while the agent's phone rang
    HOLD = "hold"
    UNHOLD = "unhold"
    HANG_UP = "hang_up"  # the call ended; after-call work starts
    WRAP_UP_DONE = "wrap_up_done"
    WRAP_UP_EXTEND = "wrap_up_extend"


S, E = AgentState, AgentEvent
OFFERED = (S.RESERVED, S.RINGING)

# (state, event) -> next state.  Anything missing is illegal.
TRANSITIONS: dict[tuple[AgentState, AgentEvent], AgentState] = {
    (S.LOGGED_OUT, E.LOGIN): S.READY,
    (S.READY, E.LOGOUT): S.LOGGED_OUT,
    (S.NOT_READY, E.LOGOUT): S.LOGGED_OUT,
    (S.WRAP_UP, E.LOGOUT): S.LOGGED_OUT,
    (S.NOT_READY, E.MAKE_READY): S.READY,
    (S.WRAP_UP, E.MAKE_READY): S.READY,
    (S.READY, E.MAKE_NOT_READY): S.NOT_READY,
    (S.NOT_READY, E.MAKE_NOT_READY): S.NOT_READY,  # a new reason
    (S.WRAP_UP, E.MAKE_NOT_READY): S.NOT_READY,
    (S.READY, E.RESERVE): S.RESERVED,
    (S.RESERVED, E.RING): S.RINGING,
    (S.RESERVED, E.ANSWER): S.ON_CALL,
    (S.RINGING, E.ANSWER): S.ON_CALL,
    **{(state, E.REJECT): S.READY for state in OFFERED},
    **{(state, E.MISS): S.READY for state in OFFERED},
    **{(state, E.MISS_LIMIT): S.NOT_READY for state in OFFERED},
    **{(state, E.CANCEL): S.READY for state in OFFERED},
    (S.ON_CALL, E.HOLD): S.ON_HOLD,
    (S.ON_HOLD, E.UNHOLD): S.ON_CALL,
    (S.ON_CALL, E.HANG_UP): S.WRAP_UP,
    (S.ON_HOLD, E.HANG_UP): S.WRAP_UP,
    (S.WRAP_UP, E.WRAP_UP_DONE): S.READY,
    (S.WRAP_UP, E.WRAP_UP_EXTEND): S.WRAP_UP,
}

# Events that need a not-ready reason code; MISS_LIMIT always means missed_call.
_NEEDS_REASON = {E.MAKE_NOT_READY}


@dataclass(frozen=True)
class TransitionRecord:
    """One line of the append-only agent state log."""

    agent: str
    from_state: AgentState
    event: AgentEvent
    to_state: AgentState
    reason: str | None
    time: float  # epoch seconds
    call_id: str | None = None

    def as_dict(self) -> dict:
        return {"agent": self.agent, "from": self.from_state.value, "event": self.event.value,
                "to": self.to_state.value, "reason": self.reason, "time": self.time,
                "call_id": self.call_id}


def transition(agent: str, state: AgentState | str, event: AgentEvent | str, now: float,
               reason: NotReadyReason | str | None = None,
               call_id: str | None = None) -> TransitionRecord:
    """The record of ``agent`` moving from ``state`` on ``event``; raises IllegalTransition."""
    # the core passes members already; the enum look-up by value is the slow path
    state = state if type(state) is AgentState else AgentState(state)
    event = event if type(event) is AgentEvent else AgentEvent(event)
    target = TRANSITIONS.get((state, event))
    if target is None:
        raise IllegalTransition(agent, state.value, event.value)
    if event is E.MISS_LIMIT:
        reason = NotReadyReason.MISSED_CALL
    if event in _NEEDS_REASON:
        if reason is None:
            raise IllegalTransition(agent, state.value, event.value, "a not-ready reason is required")
        try:
            reason = NotReadyReason(reason)
        except ValueError:
            known = ", ".join(r.value for r in NotReadyReason)
            raise IllegalTransition(agent, state.value, event.value,
                                    f"unknown not-ready reason '{reason}' (known: {known})") from None
    elif event is not E.MISS_LIMIT:
        reason = None if reason is None else str(getattr(reason, "value", reason))
    reason_text = reason.value if isinstance(reason, NotReadyReason) else reason
    return TransitionRecord(agent, state, event, target, reason_text, now, call_id)
