"""Preview campaigns on the live engine: cards to free agents, and the agent's Call.

Each dialer tick, per preview campaign: contacts now blocked (do-not-call, opt-out)
or outside their calling window are taken out first (as the other pacings do),
then ``plan_offers`` reserves one due contact per free agent of the campaign's
queue and withdraws the cards past the preview timeout (callcenter.dialer.preview).

Call (the desk, callcenter.dialer.preview_store.take_card) claims the contact in
the database with its attempt row, after the do-not-call check is repeated. The
next tick hands that attempt to the ACD as a callback reserved for that agent:
**agent first**, the agent's phone rings, and once they answer the customer is
dialled and bridged (the ACD's callback path, acd_actions._call_customer). The
agent hears the ringing and is on the line when the customer picks up: no
silent-call abandon is possible. The attempt is settled from the call's log
(connected: answered; otherwise the hang-up cause) by the retry policy like
any other attempt; the agent then dispositions in wrap-up as usual.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

import gevent
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.dialer import preview_store, store
from callcenter.dialer.preview import plan_offers, preview_timeout
from callcenter.dialer.retry import HANGUP_CAUSES, outcome_from_hangup_cause
from callcenter.live.campaign_call import CallResult
from callcenter.live.callbacks import enqueue_as_callback
from callcenter.live.inbound import QueueRequest
from callcenter.models import (Call, CallDirection, CallEvent, CampaignAttempt, CampaignContact,
                               ContactStatus)

log = logging.getLogger(__name__)

CALL_SETTLE_SECONDS = 120.0  # agent ring + customer ring: longer means the call never started


class PreviewRunner:
    def __init__(self, dialer: Any) -> None:
        self.dialer = dialer

    # --- cards --------------------------------------------------------------------------
    def tick(self, plan: Any, now: datetime, settings: dict[str, Any]) -> None:
        free = self.free_agent_ids(plan)
        with transaction(self.dialer.sessions) as session:
            due = self._due(session, plan, now)
            holding_elsewhere = preview_store.agents_with_cards(session) - {
                offer.agent_id for offer in preview_store.current_offers(session, plan.id)}
            offers = plan_offers([a for a in free if a not in holding_elsewhere],
                                 preview_store.current_offers(session, plan.id), due, now,
                                 preview_timeout(settings))
            preview_store.apply(session, offers)
        for offer in offers.withdrawn:
            log.info("campaign %s: card of contact %s withdrawn from agent %s", plan.id,
                     offer.contact_id, offer.agent_id)
        self._hand_called(plan)

    def _due(self, session: Any, plan: Any, now: datetime) -> list[int]:
        due = []
        for contact in store.due_contacts(session, plan.id, now, 20):
            why = store.blocked(session, contact.phone, contact.customer_id)
            zone = contact.timezone or plan.timezone
            if why:
                store.skip(session, contact.id, why)
            elif not plan.may_call(zone, now):
                store.postpone(session, contact.id, plan.next_window(zone, now), "outside_window")
            else:
                due.append(contact.id)
        return due

    def free_agent_ids(self, plan: Any) -> list[int]:
        """Ready agents with a registered phone, qualified for the queue, the longest idle first."""
        shell = self.dialer.acd
        cards = (shell.agents.by_login(agent.login) for agent in
                 sorted(self.dialer.ready_agents(plan), key=lambda agent: agent.idle_since))
        return [card.id for card in cards if card is not None]

    # --- the agent pressed Call -----------------------------------------------------------
    def _hand_called(self, plan: Any) -> None:
        with self.dialer.sessions() as session:
            called = session.execute(
                select(CampaignAttempt, CampaignContact)
                .join(CampaignContact, CampaignContact.id == CampaignAttempt.contact_id)
                .where(CampaignAttempt.campaign_id == plan.id, CampaignAttempt.outcome.is_(None),
                       CampaignContact.offered_to.is_not(None))).all()
            work = [(store.claim_of(session, attempt), contact.offered_to)
                    for attempt, contact in called if attempt.uuid not in self.dialer._lines[plan.id]]
        for claim, agent_id in work:
            self.dialer._lines[plan.id].add(claim.uuid)
            self.dialer._spawn(self._call, claim, plan, agent_id)

    def _call(self, claim: store.Claim, plan: Any, agent_id: int) -> None:
        try:
            card = self.dialer.acd.agents.by_id(agent_id)
            if card is None:  # the agent was removed meanwhile: back to pending, not an attempt
                with transaction(self.dialer.sessions) as session:
                    store.settle(session, claim.uuid, store.Settled(
                        store.NOT_DIALLED, ContactStatus.PENDING, result="agent_gone"),
                        self.dialer.clock(), uncount=True)
                return
            if not self.dialer._still_allowed(claim, plan):
                return
            try:
                result = self._agent_first(claim, plan, card.login)
            except Exception:
                log.exception("[%s] preview call failed", claim.uuid)
                result = CallResult("interrupted", "ENGINE_ERROR")
            self.dialer._settle(claim, plan, result)
        finally:
            with transaction(self.dialer.sessions) as session:  # off the agent's card, whatever happened
                preview_store.release_called(session, claim.contact_id)
            self.dialer._lines[plan.id].discard(claim.uuid)

    def _agent_first(self, claim: store.Claim, plan: Any, login: str) -> CallResult:
        dialer, shell = self.dialer, self.dialer.acd
        with transaction(dialer.sessions) as session:
            session.add(Call(uuid=claim.uuid, direction=CallDirection.OUTBOUND,
                             dialled_number=claim.number, customer_id=claim.customer_id,
                             need=plan.queue_name, campaign_contact_id=claim.contact_id,
                             created_at=dialer.clock()))
        context = {"campaign": {"id": plan.id, "name": claim.name, "script": plan.script,
                                "amount_cents": claim.amount_cents, "preview": True,
                                "caller_id": plan.caller_id, "ring_timeout": plan.ring_timeout},
                   "callback": {"note": plan.script, "promised_by": login}}
        request = QueueRequest(claim.uuid, claim.number, plan.queue_name, 0, "regular",
                               claim.customer_id, context)
        shell.runner.remember(request)
        shell.runner.calls[claim.uuid].callback = True
        shell.submit_nowait(lambda now: enqueue_as_callback(
            shell.core, now, claim.uuid, plan.queue_name, "regular", claim.number, context, login))
        log.info("[%s] preview call to %s: agent %s first", claim.uuid, claim.number, login)
        return self._outcome(claim.uuid)

    def _outcome(self, uuid: str) -> CallResult:
        """Wait for the call's log to say connected, failed or ended."""
        deadline = time.monotonic() + CALL_SETTLE_SECONDS
        while time.monotonic() < deadline:
            gevent.sleep(0.25)
            self.dialer.acd.runner.calllog.flush()
            with self.dialer.sessions() as session:
                call = session.scalar(select(Call).where(Call.uuid == uuid))
                events = {kind: data for kind, data in session.execute(
                    select(CallEvent.kind, CallEvent.data).where(CallEvent.call_id == call.id))}
                if "connected" in events:
                    return CallResult("answered", None, call.agent_answered_at, "to_agent")
                if "callback_failed" in events or call.ended_at is not None:
                    error = str((events.get("callback_failed") or {}).get("error", ""))
                    cause = next((c for c in HANGUP_CAUSES if c in error),
                                 call.hangup_cause or "NO_ANSWER")
                    return CallResult(outcome_from_hangup_cause(cause, answered=False), cause)
        return CallResult("interrupted", "PREVIEW_TIMEOUT")
