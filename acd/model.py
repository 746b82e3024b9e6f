"""The plain data the ACD works on: agents and calls as the core holds them.

The router only reads these; the core (``acd.core.AcdCore``) is the only
writer.  They are plain mutable records (slots, no behaviour) so that
routing over thousands of them stays cheap.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from acd.agent_state import AgentState

PRIORITY_CLASSES = ("transferred", "vip3", "vip2", "vip1", "regular")
TIERS = ("regular", "vip1", "vip2", "vip3")


def priority_class(tier: str | None = "regular", transferred: bool = False) -> str:
    """Rule 4 and 5: a transferred call outranks every tier; VIP tiers outrank the rest."""
    if transferred:
        return "transferred"
    tier = getattr(tier, "value", tier) or "regular"
    if tier not in TIERS:
        raise ValueError(f"unknown customer tier '{tier}' (known: {', '.join(TIERS)})")
    return tier


@dataclass(slots=True, eq=False)  # identity: one record per agent / call
class AgentInfo:
    login: str
    skills: dict[str, int]
    state: AgentState = AgentState.LOGGED_OUT
    not_ready_reason: str | None = None
    phone_registered: bool = True
    on_external_call: bool = False  # on a call that is not a queue call (outbound, internal)
    idle_since: float = 0.0  # when the agent last became ready: longest idle wins ties
    state_since: float = 0.0
    missed_in_row: int = 0
    call_id: str | None = None  # the queue call offered to / handled by the agent
    wrap_up_until: float | None = None
    wrap_up_extended: bool = False
    wrap_up_queue: str | None = None  # the queue whose wrap-up settings apply
    # "not ready after this call": the reason to go not ready with once the call (and its
    # wrap-up) is over, instead of ready; set by the agent or a supervisor while busy
    pending_not_ready: str | None = None

    @property
    def available(self) -> bool:
        return (self.state is AgentState.READY and self.phone_registered
                and not self.on_external_call)


@dataclass(slots=True, eq=False)  # identity: one record per agent / call
class CallInfo:
    call_id: str
    queue: str
    entered_at: float  # first entry: decides the place in line (kept on re-queue and resume)
    seq: int  # arrival order, breaks ties between equal entry times
    priority_class: str = "regular"
    need: str | None = None  # the need identified by number/IVR; None -> default queue (rule 3)
    queue_since: float = 0.0  # entry into the current queue: overflow steps and max wait count from it
    caller: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    callback: bool = False  # the caller asked to be called back and hung up; keeps the place
    callback_number: str | None = None
    declined_by: set[str] = field(default_factory=set)  # agents who rejected / missed this call
    step_floor: int = 0  # overflow steps reached already (never goes back)
    offered_to: str | None = None
    offered_at: float | None = None
    offer_id: int = 0  # numbers the offers of this call; the current one is offer_id
    last_position: int | None = None  # last announced position: never announced higher
    next_announcement: float | None = None
    offers_made: int = 0
    # A transfer to a named agent: only that agent is offered the call until
    # ``for_agent_until``; after that it is routed like any call of its queue.
    for_agent: str | None = None
    for_agent_until: float | None = None  # overflow steps whose caller choices were offered already
