"""Preview dialing, the pure core: who gets which contact's card, when a card is withdrawn,
and what a skip does to the contact (plain data in, plain data out).

In a ``preview`` campaign nothing is dialled until the agent presses Call: the shell
asks ``plan_offers`` each tick which due contact to reserve for which free agent (one
card per agent, a contact never on two cards) and which cards have waited past the
campaign's preview timeout (withdrawn: the contact goes back to pending, the agent
gets the next card when still free). A Skip carries a reason from ``SKIP_REASONS``;
``skip_outcome`` turns it into the contact's next state.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

DEFAULT_PREVIEW_TIMEOUT = 120  # seconds an agent may look at a card before it is withdrawn
MIN_PREVIEW_TIMEOUT, MAX_PREVIEW_TIMEOUT = 10, 1800
DEFAULT_CALL_LATER_MINUTES = 60

# reason code -> (final?, label shown to the agent); non-final reasons reschedule the contact
SKIP_REASONS: dict[str, tuple[bool, str]] = {
    "call_later": (False, "Call later (reschedule)"),
    "wrong_time": (False, "Not a good time for this customer (reschedule)"),
    "already_paid": (True, "Already paid"),
    "in_dispute": (True, "Bill in dispute"),
    "wrong_contact": (True, "Wrong contact or number"),
    "do_not_call": (True, "Customer asked not to be called"),
}


class UnknownSkipReason(ValueError):
    pass


@dataclass(frozen=True)
class Offer:
    """A contact reserved for one agent until ``until``."""
    contact_id: int
    agent_id: int
    until: datetime


@dataclass(frozen=True)
class OfferPlan:
    new: tuple[Offer, ...]
    withdrawn: tuple[Offer, ...]


@dataclass(frozen=True)
class SkipOutcome:
    final: bool  # True: the contact is skipped for good with ``reason``
    reason: str
    next_attempt_at: datetime | None  # rescheduled contacts: when they are due again


def preview_timeout(settings: dict | None) -> int:
    """The campaign's preview timeout in seconds (``preview_timeout`` in its settings)."""
    raw = (settings or {}).get("preview_timeout", DEFAULT_PREVIEW_TIMEOUT)
    try:
        seconds = int(raw)
    except (TypeError, ValueError):
        raise ValueError(f"preview_timeout: a number of seconds, got {raw!r}") from None
    if not MIN_PREVIEW_TIMEOUT <= seconds <= MAX_PREVIEW_TIMEOUT:
        raise ValueError(f"preview_timeout: between {MIN_PREVIEW_TIMEOUT} and "
                         f"{MAX_PREVIEW_TIMEOUT} s, got {seconds}")
    return seconds


def plan_offers(free_agents: Sequence[int], current: Sequence[Offer], due_contacts: Sequence[int],
                now: datetime, timeout_seconds: int) -> OfferPlan:
    """Withdraw the cards past their time or of agents no longer free (an inbound call
    reached them, they went not ready); give each free agent without a card the next
    due contact not on a card. ``free_agents`` in the order they should be served (the
    longest idle first); ``due_contacts`` the longest due first. A withdrawn contact is
    not offered again in the same tick (another agent gets it on the next one), so an
    agent who ignores cards does not keep the same contact from everyone."""
    free = set(free_agents)
    withdrawn = tuple(offer for offer in current if offer.until <= now or offer.agent_id not in free)
    kept = [offer for offer in current if offer not in withdrawn]
    busy_agents = {offer.agent_id for offer in kept}
    taken = {offer.contact_id for offer in current}
    contacts = iter(contact for contact in due_contacts if contact not in taken)
    until = now + timedelta(seconds=timeout_seconds)
    new: list[Offer] = []
    for agent in free_agents:
        if agent in busy_agents:
            continue
        contact = next(contacts, None)
        if contact is None:
            break
        busy_agents.add(agent)
        new.append(Offer(contact, agent, until))
    return OfferPlan(tuple(new), withdrawn)


def skip_outcome(reason: str, now: datetime, call_later_minutes: int = DEFAULT_CALL_LATER_MINUTES
                 ) -> SkipOutcome:
    """What a Skip with ``reason`` does: final reasons skip the contact, the others put it
    back to pending, due again after ``call_later_minutes``."""
    if reason not in SKIP_REASONS:
        raise UnknownSkipReason(f"reason: one of {', '.join(SKIP_REASONS)} (got {reason!r})")
    final, _ = SKIP_REASONS[reason]
    if final:
        return SkipOutcome(True, f"preview_skip:{reason}", None)
    return SkipOutcome(False, f"preview_skip:{reason}", now + timedelta(minutes=call_later_minutes))
