"""What the ACD core asks the shell to do: frozen dataclasses, one per kind of action.

The shell executes them in the order given.  None of them has happened yet
when the core returns them, except ``AgentStateChanged`` and
``RouteDecisionLogged``, which are records to append to the logs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from acd.agent_state import TransitionRecord


@dataclass(frozen=True)
class OfferCall:
    """Ring ``agent``'s phone (user/<ext>) for ``call_id``; bridge when the agent answers.

    Report back with offer_ringing / offer_answered / offer_rejected /
    offer_timed_out.  ``ring_timeout`` is the originate timeout to use.
    """

    call_id: str
    agent: str
    queue: str
    ring_timeout: float
    reason: Mapping[str, Any]  # the router's Decision.as_dict()
    context: Mapping[str, Any] = field(default_factory=dict)  # screen pop: travels with the call
    offer_id: int = 0  # pass back with offer_* inputs so a late event of an old offer is ignored


@dataclass(frozen=True)
class StartCallback:
    """A callback request's turn has come: ring ``agent``, then call ``number`` and connect."""

    call_id: str
    agent: str
    number: str | None
    queue: str
    ring_timeout: float
    reason: Mapping[str, Any]
    context: Mapping[str, Any] = field(default_factory=dict)
    offer_id: int = 0


@dataclass(frozen=True)
class CancelOffer:
    """Hang up the agent leg of an offer that will not be connected (no ghost calls)."""

    call_id: str
    agent: str
    reason: str  # caller_hung_up | ring_timeout | caller_chose_callback | call_removed
    offer_id: int = 0


@dataclass(frozen=True)
class PlayMusicOnHold:
    call_id: str
    queue: str


@dataclass(frozen=True)
class Announce:
    """Tell the caller the place in line and/or the estimated wait (None = do not say it)."""

    call_id: str
    queue: str
    position: int | None
    estimated_wait: float | None  # seconds; only when the estimate is sound


@dataclass(frozen=True)
class OfferChoices:
    """An overflow step offers the waiting caller choices (press 1 for a callback ...)."""

    call_id: str
    queue: str
    options: tuple[str, ...]  # callback, voicemail
    step: int


@dataclass(frozen=True)
class Overflow:
    """The call reached its queue's maximum wait and leaves for ``destination``.

    callback: the caller keeps the place and is called back (tell and hang up);
    voicemail: the call left the ACD (record a message);
    queue: the call now waits in ``queue`` (the core moved it; update cc_queue).
    """

    call_id: str
    from_queue: str
    destination: str  # callback | voicemail | queue
    queue: str | None
    reason: str  # max_wait


@dataclass(frozen=True)
class CallRequeued:
    """A failed offer put the call back at its place (front); play music on hold again."""

    call_id: str
    queue: str
    reason: str  # rejected | ring_timeout | caller_chose_callback


@dataclass(frozen=True)
class CallAbandoned:
    call_id: str
    queue: str
    waited_seconds: float
    caller: str | None


@dataclass(frozen=True)
class AgentStateChanged:
    record: TransitionRecord


@dataclass(frozen=True)
class RouteDecisionLogged:
    call_id: str
    agent: str
    reason: Mapping[str, Any]  # Decision.as_dict(): rule, step, candidates, passed_over, tie_break


Action = (OfferCall | StartCallback | CancelOffer | PlayMusicOnHold | Announce | OfferChoices
          | Overflow | CallRequeued | CallAbandoned | AgentStateChanged | RouteDecisionLogged)
