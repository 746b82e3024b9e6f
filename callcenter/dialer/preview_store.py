"""Preview cards in the database: a pending contact reserved for one agent
(``offered_to``/``offered_until``), withdrawn, skipped or rescheduled.

Every change is a compare-and-set on the contact (still pending, still on that
agent's card), so two agents never hold the same contact and a card withdrawn
by the dialer cannot be skipped by a late click. Times are passed in.
"""
from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callcenter.dialer import store
from callcenter.dialer.preview import Offer, OfferPlan, skip_outcome
from callcenter.models import CampaignAttempt, CampaignContact, ContactStatus


class CardGone(LookupError):
    """The card is no longer the agent's (withdrawn, or the contact changed)."""


def current_offers(session: Session, campaign_id: int) -> list[Offer]:
    rows = session.execute(select(CampaignContact.id, CampaignContact.offered_to,
                                  CampaignContact.offered_until)
                           .where(CampaignContact.campaign_id == campaign_id,
                                  CampaignContact.status == ContactStatus.PENDING,
                                  CampaignContact.offered_to.is_not(None))
                           .order_by(CampaignContact.id))
    return [Offer(contact_id, agent_id, until) for contact_id, agent_id, until in rows]


def agents_with_cards(session: Session) -> set[int]:
    """Agents holding a card of any campaign (one card per agent across campaigns)."""
    return set(session.scalars(select(CampaignContact.offered_to)
                               .where(CampaignContact.status == ContactStatus.PENDING,
                                      CampaignContact.offered_to.is_not(None))))


def apply(session: Session, plan: OfferPlan) -> list[Offer]:
    """Withdraw and reserve as ``plan`` says; returns the offers actually made (a contact
    changed meanwhile, e.g. put on the do-not-call list, is left alone)."""
    for offer in plan.withdrawn:
        _release(session, offer.contact_id, offer.agent_id)
    made = []
    for offer in plan.new:
        done = session.execute(update(CampaignContact)
                               .where(CampaignContact.id == offer.contact_id,
                                      CampaignContact.status == ContactStatus.PENDING,
                                      CampaignContact.offered_to.is_(None))
                               .values(offered_to=offer.agent_id, offered_until=offer.until)
                               .execution_options(synchronize_session=False))
        if done.rowcount == 1:
            made.append(offer)
    return made


def _release(session: Session, contact_id: int, agent_id: int) -> bool:
    done = session.execute(update(CampaignContact)
                           .where(CampaignContact.id == contact_id,
                                  CampaignContact.offered_to == agent_id)
                           .values(offered_to=None, offered_until=None)
                           .execution_options(synchronize_session=False))
    return done.rowcount == 1


def card_of(session: Session, agent_id: int) -> CampaignContact | None:
    """The contact on the agent's card, if any."""
    return session.scalar(select(CampaignContact)
                          .where(CampaignContact.offered_to == agent_id,
                                 CampaignContact.status == ContactStatus.PENDING)
                          .order_by(CampaignContact.id).limit(1))


def past_attempts(session: Session, contact_id: int) -> Sequence:
    return list(session.scalars(select(CampaignAttempt)
                                .where(CampaignAttempt.contact_id == contact_id,
                                       CampaignAttempt.outcome != store.NOT_DIALLED)
                                .order_by(CampaignAttempt.claimed_at.desc())))


def skip_card(session: Session, agent_id: int, contact_id: int, reason: str, now: datetime,
              call_later_minutes: int) -> CampaignContact:
    """The agent's Skip: the contact skipped with the reason, or due again later.
    UnknownSkipReason for a reason not on the list; CardGone when the card is not theirs."""
    outcome = skip_outcome(reason, now, call_later_minutes)
    values = ({"status": ContactStatus.SKIPPED, "reason": outcome.reason, "next_attempt_at": None}
              if outcome.final else {"next_attempt_at": outcome.next_attempt_at})
    done = session.execute(update(CampaignContact)
                           .where(CampaignContact.id == contact_id,
                                  CampaignContact.offered_to == agent_id,
                                  CampaignContact.status == ContactStatus.PENDING)
                           .values(offered_to=None, offered_until=None, result=outcome.reason[:40],
                                   **values)
                           .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise CardGone(f"contact {contact_id} is no longer on your card")
    contact = session.get(CampaignContact, contact_id)
    session.refresh(contact)
    return contact


def take_card(session: Session, agent_id: int, contact_id: int, uuid: str, now: datetime
              ) -> store.Claim | str:
    """The agent's Call: the do-not-call check once more, then the contact claimed for one
    attempt with the leg ``uuid`` (it stays on the agent's card: the dialer hands it to
    that agent). Returns the claim, or why not: the contact skipped as blocked. CardGone
    when the card is not theirs any more."""
    contact = session.scalar(select(CampaignContact).where(
        CampaignContact.id == contact_id, CampaignContact.offered_to == agent_id,
        CampaignContact.status == ContactStatus.PENDING))
    if contact is None:
        raise CardGone(f"contact {contact_id} is no longer on your card")
    why = store.blocked(session, contact.phone, contact.customer_id)
    if why:
        store.skip(session, contact.id, why)
        _release(session, contact.id, agent_id)
        return why
    claim = store.claim(session, contact, uuid, now)
    if claim is None:
        raise CardGone(f"contact {contact_id} is no longer on your card")
    return claim


def release_called(session: Session, contact_id: int) -> None:
    """The called contact's attempt is settled: off the agent's card."""
    session.execute(update(CampaignContact).where(CampaignContact.id == contact_id)
                    .values(offered_to=None, offered_until=None)
                    .execution_options(synchronize_session=False))
