"""What the console needs from the live engine (ACD core + switch layer).

The engine implements :class:`LivePort` and hands it to the console as
``services.live`` (or ``services.extras["live"]`` until the façade grows the
attribute). Everything here is plain, frozen data: the console never sees a
FreeSWITCH header, a greenlet or a socket.

Plain data that lives in the database (customers, bills, tickets, agents,
skills, the audit log, KPIs over Call rows) is *not* behind this port: the web
layer reads and writes it through ``services.sessions``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator, Literal, Protocol, runtime_checkable

# Agent states the desk shows; the engine's state machine may know more.
AGENT_STATES = ("logged_out", "ready", "not_ready", "offered", "on_call", "wrapup")
NOT_READY_REASONS = ("break", "lunch", "training", "back_office")
EAVESDROP_MODES = ("listen", "whisper", "barge")
EavesdropMode = Literal["listen", "whisper", "barge"]


# --- errors the engine raises; the web layer alone maps them to HTTP ------

class LiveError(Exception):
    """Base of the port's named errors."""


class NoSuchCall(LiveError):
    """The call is unknown or not this agent's (HTTP 404)."""


class IllegalTransition(LiveError):
    """The agent or call cannot do that now, e.g. hold while ringing (HTTP 409)."""


class SwitchUnavailable(LiveError):
    """The switch did not answer in time (HTTP 503)."""


# --- data ------------------------------------------------------------------

@dataclass(frozen=True)
class PhoneStatus:
    """The agent's SIP phone as the switch sees it, apart from the agent's own state."""
    registered: bool
    since: datetime | None = None  # tz-aware UTC: when it registered / went offline (switch time)
    reason: str | None = None  # offline: 'unregistered' (the phone said goodbye), 'expired'
    #                            (it stopped refreshing), 'unreachable' (a call to it failed)
    user_agent: str | None = None
    contact: str | None = None


@dataclass(frozen=True)
class AgentStatus:
    agent_id: int
    state: str  # one of AGENT_STATES
    reason: str | None  # a NOT_READY_REASONS value when not_ready
    since: datetime  # tz-aware UTC
    call_uuid: str | None = None
    phone: PhoneStatus | None = None
    pending_reason: str | None = None  # "not ready after this call", with this reason
    wrapup_until: datetime | None = None  # in wrap-up: when it ends by itself (tz-aware UTC)
    wrapup_extendable: bool = False  # in wrap-up and not extended yet (once per call)


@dataclass(frozen=True)
class IvrStep:
    """One node the caller went through and what they entered there.

    The engine must never put a password into ``entered``: for nodes that
    collect a service password it sets ``entered`` to None and ``masked`` True.
    """
    node: str
    label: str = ""
    entered: str | None = None
    masked: bool = False


@dataclass(frozen=True)
class LiveCall:
    """A call offered to or connected with an agent, as the screen pop needs it."""
    uuid: str  # the caller leg's Unique-ID (cc_call_id)
    caller_number: str
    state: Literal["offered", "bridged", "held", "wrapup"]
    agent_id: int | None
    queue: str | None = None
    need: str | None = None
    customer_id: int | None = None  # identified by the engine (number / IVR), if any
    ivr_path: tuple[IvrStep, ...] = ()
    routing_reason: str = ""  # why this agent, in words: "billing specialist, level 9; VIP3 first"
    routing_reason_parts: tuple[dict, ...] = ()  # the same as codes (web/reasons.py words them)
    offered_at: datetime | None = None
    answered_at: datetime | None = None
    transferred_note: str | None = None  # what the previous agent wrote, on a transfer
    priority: int = 0


@dataclass(frozen=True)
class QueueLive:
    name: str
    waiting: int
    longest_wait_seconds: float


@dataclass(frozen=True)
class WaitingCaller:
    """A caller waiting in a queue, for the floor's list (optional port method
    ``waiting_callers()``): flags, wait, and the router's explain() answer (why no
    agent has the call: step, each relevant agent's reason)."""
    uuid: str
    caller_number: str
    queue: str
    waited_seconds: float
    priority_class: str = "regular"  # transferred | vip3 | vip2 | vip1 | regular
    transferred: bool = False
    callback: bool = False
    why: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FloorSnapshot:
    """What only the live engine knows; KPIs over finished calls come from the database."""
    at: datetime
    queues: tuple[QueueLive, ...]
    agents: tuple[AgentStatus, ...]
    calls: tuple[LiveCall, ...]  # in progress (offered, bridged, held)


@dataclass(frozen=True)
class TransferTarget:
    """Exactly one of ``need`` (a queue name) or ``agent_id``."""
    need: str | None = None
    agent_id: int | None = None

    def __post_init__(self) -> None:
        if (self.need is None) == (self.agent_id is None):
            raise ValueError("a transfer goes to exactly one of a need or an agent")


@dataclass(frozen=True)
class LiveEvent:
    """One thing that happened, as the event bus delivers it.

    kinds and their ``data``:
      agent_state    {"state", "reason", "since" (ISO), "call_uuid"}      agent_id set
      call_offered   {"call": LiveCall}                                   agent_id set
      call_connected {"call": LiveCall}                                   agent_id set
      call_held      {"call_uuid", "held": bool}                          agent_id set
      call_ended     {"call_uuid", "cause"}                               agent_id set
      recording_paused {"call_uuid", "paused": bool}                      agent_id set
      floor_changed  {}                                                   agent_id None
    """
    kind: str
    agent_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


EVENT_KINDS = ("agent_state", "call_offered", "call_connected", "call_held", "call_ended",
               "floor_changed", "recording_paused")


# --- the port ----------------------------------------------------------------

@runtime_checkable
class LivePort(Protocol):
    """The live engine as the console uses it. Every method returns promptly
    (the engine bounds its own waits on the switch) and raises a LiveError
    subclass on refusal. ``agent_id`` is Agent.id; ``by_agent_id`` is who asked
    (for the audit trail and AgentStateChange.by_agent_id)."""

    def agent_status(self, agent_id: int) -> AgentStatus: ...

    def set_agent_state(self, agent_id: int, state: str, reason: str | None = None,
                        by_agent_id: int | None = None) -> AgentStatus:
        """state: "ready" | "not_ready" (with a NOT_READY_REASONS reason) | "logged_out"."""

    def current_call(self, agent_id: int) -> LiveCall | None:
        """The offered, bridged or held call; None once it has ended (during
        wrap-up, ``agent_status(...).call_uuid`` names the call just ended)."""

    def hold(self, agent_id: int, call_uuid: str, held: bool) -> None: ...

    def recording_state(self, agent_id: int) -> dict:
        """{"call_uuid", "recorded", "paused"} of the agent's current call."""

    def pause_recording(self, agent_id: int, call_uuid: str, paused: bool) -> None:
        """Pause (mask) or resume the recording of the agent's own call."""

    def transfer(self, agent_id: int, call_uuid: str, target: TransferTarget, note: str) -> None:
        """Blind transfer; the note and the customer travel with the call (screen pop)."""

    def consult(self, agent_id: int, call_uuid: str, target: TransferTarget) -> None:
        """Put the caller on hold and call the target; the agent can then transfer or hang up."""

    def hangup(self, agent_id: int, call_uuid: str) -> None:
        """Hang up; the agent goes to wrap-up."""

    def end_wrapup(self, agent_id: int) -> AgentStatus:
        """Leave wrap-up early (back to ready)."""

    def extend_wrapup(self, agent_id: int) -> AgentStatus:
        """Lengthen wrap-up once by the queue's wrap_up_extension."""

    def eavesdrop(self, supervisor_id: int, agent_id: int, mode: EavesdropMode) -> None:
        """Call the supervisor's phone and join the agent's call: listen, whisper or barge."""

    def floor(self) -> FloorSnapshot: ...

    def subscribe(self, agent_id: int | None, timeout: float) -> Iterator[LiveEvent | None]:
        """Events for that agent (agent_id set) or for the whole floor (None).

        The subscription starts when subscribe() returns (not at the first
        next()), so nothing published after the call is lost.
        The iterator yields ``None`` whenever ``timeout`` seconds pass without an
        event, so the console can send a keep-alive and notice a client that
        left; closing the iterator (``.close()``) unsubscribes."""
