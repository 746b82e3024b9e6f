"""/api/v1/desk/preview: the agent's preview card (preview campaigns), Call and Skip.

The card is the contact the dialer reserved for this agent (callcenter.live.preview):
its name and number, amount due and due date, the customer's bills, open tickets and
past contacts, this contact's past attempts, and the campaign's script. Only the agent
holding the card sees it (customer data: each view is audited). Call claims the
contact after one more do-not-call check; the engine rings the agent, then the
customer. Skip needs a reason from the list: skipped, or due again later.
"""
from __future__ import annotations

from typing import Any

from flask import abort, jsonify

from callcenter.db import transaction
from callcenter.dialer import preview_store
from callcenter.dialer.preview import DEFAULT_CALL_LATER_MINUTES, SKIP_REASONS, UnknownSkipReason
from callcenter.esl import new_uuid
from callcenter.models import Campaign, CampaignContact, Customer
from web import data
from web.api import body, bp
from web.auth import DESK_ROLES, audit, current_user, requires, sessions
from web.campaigns import now
from web.ports import IllegalTransition


@bp.get("/desk/preview")
@requires(*DESK_ROLES)
def desk_preview():
    user = current_user()
    with transaction(sessions()) as db:
        contact = preview_store.card_of(db, user.id)
        if contact is None:
            return jsonify(card=None)
        audit(db, "view_preview_card", "campaign_contact", contact.id)
        return jsonify(card=card_json(db, contact))


def card_json(db: Any, contact: CampaignContact) -> dict[str, Any]:
    campaign = db.get(Campaign, contact.campaign_id)
    settings = dict(campaign.settings or {})
    customer = db.get(Customer, contact.customer_id) if contact.customer_id else None
    attempts = [{"at": a.claimed_at.isoformat(), "outcome": a.outcome, "cause": a.hangup_cause}
                for a in preview_store.past_attempts(db, contact.id)]
    return {
        "contact_id": contact.id, "name": contact.name, "phone": contact.phone,
        "amount_cents": contact.amount_cents,
        "due_date": contact.due_date.isoformat() if contact.due_date else None,
        "data": dict(contact.data or {}), "attempts": attempts,
        "offered_until": contact.offered_until.isoformat() if contact.offered_until else None,
        # on the dialer's clock, so the desk counts down without trusting the browser's clock
        "seconds_left": max(0, int((contact.offered_until - now()).total_seconds()))
        if contact.offered_until else None,
        "campaign": {"id": campaign.id, "name": campaign.name,
                     "script": str(settings.get("script") or settings.get("description") or "")},
        "customer": data.customer_summary(db, customer) if customer else None,
        "bills": data.recent_bills(db, customer.id) if customer else [],
        "tickets": data.open_tickets(db, customer.id) if customer else [],
        "contacts": data.last_contacts(db, customer.id) if customer else [],
        "skip_reasons": [{"code": code, "label": label, "final": final}
                         for code, (final, label) in SKIP_REASONS.items()],
    }


@bp.post("/desk/preview/<int:contact_id>/call")
@requires(*DESK_ROLES)
def desk_preview_call(contact_id: int):
    user = current_user()
    with transaction(sessions()) as db:
        try:
            taken = preview_store.take_card(db, user.id, contact_id, new_uuid(), now())
        except preview_store.CardGone as gone:
            raise IllegalTransition(str(gone)) from None
        audit(db, "preview_call", "campaign_contact", contact_id,
              {"blocked": taken} if isinstance(taken, str) else {"attempt": taken.uuid})
    if isinstance(taken, str):
        raise IllegalTransition(f"not called: the number is blocked ({taken}); the contact is skipped")
    return jsonify(ok=True, uuid=taken.uuid)


@bp.post("/desk/preview/<int:contact_id>/skip")
@requires(*DESK_ROLES)
def desk_preview_skip(contact_id: int):
    user = current_user()
    reason = body().get("reason")
    with transaction(sessions()) as db:
        row = db.get(CampaignContact, contact_id)
        campaign = db.get(Campaign, row.campaign_id) if row is not None else None
        later = int(dict(campaign.settings or {}).get("call_later_minutes", DEFAULT_CALL_LATER_MINUTES)
                    ) if campaign else DEFAULT_CALL_LATER_MINUTES
        try:
            contact = preview_store.skip_card(db, user.id, contact_id, str(reason or ""), now(), later)
        except UnknownSkipReason as error:
            abort(400, description=str(error))
        except preview_store.CardGone as gone:
            raise IllegalTransition(str(gone)) from None
        audit(db, "preview_skip", "campaign_contact", contact_id, {"reason": reason})
        return jsonify(ok=True, status=contact.status.value,
                       next_attempt_at=contact.next_attempt_at.isoformat() if contact.next_attempt_at
                       else None)

