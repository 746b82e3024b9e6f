"""A caller who calls again about an open ticket reaches its owner first
(首问负责制, rule 7 of the operators' rules): pure, no clock, no database.

The newest open ticket opened within the period decides; its owner is preferred
only if ready now (a busy or absent owner would make the caller wait for
nothing), for a short wait, then the call is routed like any other.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable


@dataclass(frozen=True)
class OpenTicket:
    number: str
    owner: str | None  # the owner's login; None: opened in the IVR, nobody owns it yet
    opened_at: datetime


def owner_first(tickets: Iterable[OpenTicket], now: datetime, within: timedelta,
                ready: set[str]) -> OpenTicket | None:
    """The ticket whose owner should be offered the call first, or None."""
    recent = [t for t in tickets if now - within <= t.opened_at <= now]
    if not recent:
        return None
    newest = max(recent, key=lambda t: (t.opened_at, t.number))
    return newest if newest.owner is not None and newest.owner in ready else None
