"""What the action runner knows of a call it carries out: its request, its agent leg
(ringing or connected) and the times it logs them at. Shared by the runner and its mixins."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from acd.errors import AcdError
from callcenter.live.inbound import QueueRequest


def switch_time(epoch: float | None) -> datetime:
    """A time from the switch (an event's timestamp, or the ACD's `now`, which is the
    event's time for inputs that came from one) as stored: UTC-aware."""
    return utcnow() if epoch is None else datetime.fromtimestamp(epoch, timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Leg:
    """The agent leg of a call: ringing (answered False) or connected."""
    agent: str
    uuid: str
    answered: bool = False
    recording: str | None = None
    held: bool = False
    held_by: str | None = None  # 'desk' or 'phone' (the agent pressed hold on the phone)
    offer_id: int | None = None  # the core's number of the offer this leg rings for
    bridged_at: float | None = None  # the switch's CHANNEL_BRIDGE of this leg and its caller
    accepted: bool = False  # the ACD took the answer (offer_answered)
    connected: bool = False  # 'connected' logged (bridged and accepted)


@dataclass
class CallState:
    request: QueueRequest
    leg: Leg | None = None
    choices: tuple[str, ...] = ()
    callback: bool = False  # the caller chose a callback and was let go
    extras: dict[str, Any] = field(default_factory=dict)
    acd_record: dict[str, Any] | None = None  # the core's record of the call when it was answered


def request_dict(request: QueueRequest) -> dict[str, Any]:
    return {"uuid": request.uuid, "caller": request.caller, "need": request.need,
            "priority": request.priority, "tier": request.tier, "customer_id": request.customer_id,
            "context": dict(request.context), "record_whole_call": request.record_whole_call}


def safe_step(step: Callable[[], list]) -> list:
    try:
        return step()
    except AcdError:
        return []
