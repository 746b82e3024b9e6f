"""The campaign runner: one greenlet that paces every running campaign.

Each tick, per campaign: the pacing core says how many lines to open; due
contacts are re-checked against the do-not-call list, their customer's
opt-out and their calling window, then claimed in the database (status
``dialing`` and an attempt row carrying the leg's uuid) before the switch is
asked to dial, so a crash at any point leaves a trace the next engine settles:

- the attempt's leg still up and answered: the flow is run again on it (adopted);
- still ringing: it is cancelled; gone: the attempt is settled ``interrupted``
  and the contact retried after the campaign's delay for failures.

Nothing is dialled twice at once (the claim is a compare-and-set on the
contact's status) and nothing is lost (every claimed attempt is settled once).
Windows, retries and the abandon window use the dialer's clock (passed in;
tests pin it); the call log keeps the switch's times.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import gevent
from sqlalchemy.orm import Session, sessionmaker

from callcenter.db import transaction
from callcenter.dialer import store
from callcenter.dialer.pacing import (PacingState, RingHistory, SoonFree, TalkTimeDistribution,
                                      busy_agents, decide, estimate_answer_rate, soon_free)
from callcenter.esl import CallHungUp, SwitchError, new_uuid
from callcenter.hooks import READ_TIMEOUT, run_with_timeout
from callcenter.live.campaign_call import CallResult, CampaignCall
from callcenter.live.campaign_plan import CampaignPlan, next_step
from callcenter.live.preview import PreviewRunner
from callcenter.live.rounds import Rounds
from callcenter.models import Campaign, CampaignContact, ContactStatus

log = logging.getLogger(__name__)

TICK_SECONDS = 0.5


class Dialer:
    def __init__(self, sessions: sessionmaker[Session], switch: Any, call: CampaignCall, *,
                 clock: Callable[[], datetime] | None = None, center_timezone: str = "Asia/Shanghai",
                 tick_seconds: float = TICK_SECONDS, acd: Any = None) -> None:
        self.sessions, self.switch, self.call, self.acd = sessions, switch, call, acd
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.center_timezone, self.tick_seconds = center_timezone, tick_seconds
        self._lines: dict[int, set[str]] = defaultdict(set)  # campaign -> attempts in flight here
        self._rounds = Rounds("dialer", self.tick, lambda: self.tick_seconds)
        self._calls: set[gevent.Greenlet] = set()
        self.callbacks: Any = None  # callcenter.live.callbacks.CallbackDialer, run alongside
        self._flowless: set[int] = set()  # campaigns whose flow is missing (logged once)
        self.preview = PreviewRunner(self)

    # --- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        self.recover()
        self._rounds.start()
        if self.callbacks is not None:
            self.callbacks.start()

    def stop(self) -> None:
        """Stop dialling; calls in progress are left to the switch and settled by the
        next start's recovery (as after a crash)."""
        if self.callbacks is not None:
            self.callbacks.stop()
        self._rounds.stop()
        gevent.killall(list(self._calls), timeout=5)

    def in_flight(self, campaign_id: int) -> int:
        return len(self._lines.get(campaign_id, ()))

    # --- pacing and claims --------------------------------------------------------------------
    def tick(self) -> None:
        now = self.clock()
        for plan in run_with_timeout(self._running_plans, READ_TIMEOUT):
            self._pace(plan, now)

    def _running_plans(self) -> list[CampaignPlan]:
        with self.sessions() as session:
            return [CampaignPlan.of(c, self.center_timezone) for c in store.running_campaigns(session)]

    def _pace(self, plan: CampaignPlan, now: datetime) -> None:
        busy = self.in_flight(plan.id)
        if plan.flow and self.call.flows.flow(plan.flow) is None:
            if plan.id not in self._flowless:
                log.error("campaign %s (%s): flow %r not found; nothing is dialled until it is",
                          plan.id, plan.name, plan.flow)
                self._flowless.add(plan.id)
            return
        self._flowless.discard(plan.id)
        if plan.pacing == "preview" and not plan.flow:  # the agents start the calls
            self.preview.tick(plan, now, plan.settings)
            return
        if plan.flow:
            state = PacingState(mode="agentless", dials_in_progress=busy, max_lines=plan.max_lines)
        elif plan.pacing == "predictive":
            state = self._predictive_state(plan, now, busy)
        else:  # progressive
            state = PacingState(mode="progressive", agents_free_for_outbound=self._free_agents(plan),
                                dials_in_progress=busy, max_lines=plan.max_lines)
        decision = decide(state)
        log.debug("campaign %s: %s -> %s", plan.id, state, decision)
        claims: list[store.Claim] = []
        if decision.dials > 0:
            with transaction(self.sessions) as session:
                claims = self._claim(session, plan, now, decision.dials)
        for claim in claims:
            self._lines[plan.id].add(claim.uuid)
            self._spawn(self._attempt, claim, plan)
        if not claims and not busy:
            with transaction(self.sessions) as session:
                if store.in_flight(session, plan.id) == 0 and store.finish_if_done(session, plan.id, now):
                    log.info("campaign %s (%s) finished: every contact is final", plan.id, plan.name)

    def _predictive_state(self, plan: CampaignPlan, now: datetime, busy: int) -> PacingState:
        """The campaign's own answer rate and the abandon window's figures from its attempts;
        agents about to be free (in wrap-up, or on a call near its usual length) from the
        ACD, weighed by the campaign's ring and talk times (pacing.soon_free)."""
        with self.sessions() as session:
            every = store.attempt_figures(session, plan.id)
            window = store.attempt_figures(session, plan.id,
                                           since=now - timedelta(seconds=plan.abandon_window))
            rung, talks = store.recent_dials(session, plan.id)
        finished = max(0, every["dials"] - busy)
        answered = min(every["answered"], finished)
        soon = self._soon_free(plan, rung, talks)
        return PacingState(mode="predictive", agents_free_for_outbound=self._free_agents(plan),
                           agents_soon_free=soon.expected, agents_soon_free_variance=soon.variance,
                           dials_in_progress=busy, answer_rate=estimate_answer_rate(answered, finished),
                           answer_samples=finished, window_answered=window["answered"],
                           window_abandoned=window["abandoned"], abandon_limit=plan.abandon_limit,
                           max_ratio=plan.max_ratio, max_lines=plan.max_lines)

    def _soon_free(self, plan: CampaignPlan, rung: list, talks: list) -> SoonFree:
        core = self.acd.core if self.acd is not None else None
        queue = core.config.queues.get(plan.queue_name or "") if core is not None else None
        if queue is None:
            return SoonFree(0.0, 0.0)
        qualified = [agent for agent in core.agents()
                     if all(agent.skills.get(skill, 0) >= level for skill, level in queue.skills.items())]
        busy = busy_agents([(agent.state.value, agent.state_since, agent.wrap_up_until)
                            for agent in qualified], self.acd.clock())
        history = RingHistory(rung)
        answered = [seconds for seconds, took in rung if took]
        horizon = sum(answered) / len(answered) if answered else 8.0
        return soon_free(busy, horizon, TalkTimeDistribution(talks), float(queue.wrap_up),
                         lambda seconds: history.answer_late_enough(seconds - 2))

    def ready_agents(self, plan: CampaignPlan) -> list:
        """Agents ready, with a registered phone, qualified for the campaign's queue."""
        from acd.agent_state import AgentState
        core = self.acd.core if self.acd is not None else None
        queue = core.config.queues.get(plan.queue_name or "") if core is not None else None
        if queue is None:
            return []
        return [agent for agent in core.agents()
                if agent.state is AgentState.READY and agent.phone_registered
                and all(agent.skills.get(skill, 0) >= level for skill, level in queue.skills.items())]

    def _free_agents(self, plan: CampaignPlan) -> int:
        """The ready agents less the inbound callers waiting for that queue (inbound has priority)."""
        free = len(self.ready_agents(plan))
        if not free:
            return 0
        waiting = sum(1 for call in self.acd.core.waiting() if call.queue == plan.queue_name
                      and call.call_id not in self._lines.get(plan.id, ()))
        return max(0, free - waiting)

    def _claim(self, session: Session, plan: CampaignPlan, now: datetime, wanted: int) -> list[store.Claim]:
        claims: list[store.Claim] = []
        for contact in store.due_contacts(session, plan.id, now, wanted * 4):
            if len(claims) >= wanted:
                break
            why = store.blocked(session, contact.phone, contact.customer_id)
            if why:
                store.skip(session, contact.id, why)
                continue
            zone = contact.timezone or plan.timezone
            if not plan.may_call(zone, now):
                store.postpone(session, contact.id, plan.next_window(zone, now), "outside_window")
                continue
            claim = store.claim(session, contact, new_uuid(), now)
            if claim is not None:
                claims.append(claim)
        return claims

    # --- one attempt --------------------------------------------------------------------------
    def _spawn(self, function: Callable, *args: Any) -> None:
        greenlet = gevent.spawn(function, *args)
        self._calls.add(greenlet)
        greenlet.link(self._calls.discard)

    def _attempt(self, claim: store.Claim, plan: CampaignPlan) -> None:
        try:
            if not self._still_allowed(claim, plan):
                return
            try:
                result = self.call.place(claim, plan, lambda: self._opt_out(claim))
            except Exception:
                log.exception("[%s] campaign call failed", claim.uuid)
                result = CallResult("interrupted", "ENGINE_ERROR")
            self._settle(claim, plan, result)
        finally:
            self._lines[plan.id].discard(claim.uuid)

    def _still_allowed(self, claim: store.Claim, plan: CampaignPlan) -> bool:
        """The last look, just before the switch is asked: the list and the window."""
        now = self.clock()
        with transaction(self.sessions) as session:
            contact = session.get(CampaignContact, claim.contact_id)
            why = store.blocked(session, claim.number, claim.customer_id)
            zone = contact.timezone or plan.timezone
            if why is None and plan.may_call(zone, now):
                return True
            settled = (store.Settled(store.NOT_DIALLED, ContactStatus.SKIPPED, result=why) if why else
                       store.Settled(store.NOT_DIALLED, ContactStatus.PENDING,
                                     plan.next_window(zone, now), result="outside_window"))
            store.settle(session, claim.uuid, settled, now, uncount=True)
            log.info("[%s] not dialled: %s", claim.uuid, why or "outside the calling window")
            return False

    def _opt_out(self, claim: store.Claim) -> None:
        """'Never call me again', pressed during the call: on the list now."""
        with transaction(self.sessions) as session:
            store.add_do_not_call(session, claim.number, at=self.clock(), source="ivr_opt_out",
                                  reason=f"pressed during campaign {claim.campaign_id}",
                                  customer_id=claim.customer_id)
        log.info("[%s] %s opted out: on the do-not-call list", claim.uuid, claim.number)

    def _settle(self, claim: store.Claim, plan: CampaignPlan, result: CallResult) -> None:
        now = self.clock()
        settled = next_step(plan, claim.attempt_number, result, now, claim.timezone)
        with transaction(self.sessions) as session:
            store.settle(session, claim.uuid, settled, now)

    # --- after a restart ------------------------------------------------------------------------
    def recover(self) -> None:
        """Settle or adopt every attempt a previous engine left in flight."""
        with self.sessions() as session:
            left = [(store.claim_of(session, attempt),
                     CampaignPlan.of(session.get(Campaign, attempt.campaign_id), self.center_timezone))
                    for attempt in store.open_attempts(session)]
        for claim, plan in left:
            if claim.uuid in self._lines[plan.id]:
                continue
            try:
                variables = self.switch.channel_variables(claim.uuid)
            except CallHungUp:
                variables = None
            except SwitchError as error:
                log.warning("[%s] recovery: cannot ask the switch (%s); left for later",
                            claim.uuid, error)
                continue
            answered = variables is not None and variables.get("cc_answered_us", "0") not in ("", "0")
            if answered:
                log.info("[%s] recovery: adopting the answered campaign call", claim.uuid)
                self._lines[plan.id].add(claim.uuid)
                self._spawn(self._adopt, claim, plan, int(variables["cc_answered_us"]) / 1e6)
                continue
            if variables is not None:  # still ringing: its originate's answer went with the old engine
                try:
                    self.switch.hangup(claim.uuid, "ORIGINATOR_CANCEL")
                except SwitchError:
                    pass
            log.info("[%s] recovery: attempt interrupted by the restart", claim.uuid)
            self._settle(claim, plan, CallResult("interrupted", "ENGINE_RESTART"))

    def _adopt(self, claim: store.Claim, plan: CampaignPlan, answered_at: float) -> None:
        answered = datetime.fromtimestamp(answered_at, timezone.utc)
        try:
            try:
                if plan.flow:
                    result = self.call.run_flow(claim, plan, answered, lambda: self._opt_out(claim))
                else:  # an agent campaign's call: the ACD's now (its own recovery), or given an agent
                    result = (CallResult("answered", None, answered, "to_agent")
                              if claim.uuid in self.call.runner.calls
                              else self.call.to_agent(claim, plan, answered))
            except Exception:
                log.exception("[%s] adopted campaign call failed", claim.uuid)
                result = CallResult("interrupted", "ENGINE_ERROR")
            self._settle(claim, plan, result)
        finally:
            self._lines[plan.id].discard(claim.uuid)


def build_dialer(engine: Any, clock: Callable[[], datetime] | None = None,
                 gateway: str = "carrier") -> Dialer:
    """The runner on the engine's collaborators (called by Engine.start once the ACD runs)."""
    services = engine.services
    call = CampaignCall(engine.switch, engine.calllog, engine.flows, engine.prompts,
                        engine.inbound.hooks, engine.recordings.directory, gateway,
                        shell=engine.shell, runner=engine.runner, ivr_clock=engine.inbound.ivr_clock,
                        recordings=engine.recordings)
    from callcenter.live.callbacks import CallbackDialer
    dialer = Dialer(services.sessions, engine.switch, call, clock=clock,
                    center_timezone=engine.config.general.timezone, acd=engine.shell)
    dialer.callbacks = CallbackDialer(
        services.sessions, engine.shell, engine.runner, clock=clock,
        policy=engine.callback_policy, center_holidays=lambda: engine.flows.calendar.holidays)
    engine.runner.after_dial = dialer.callbacks.after_dial  # a customer leg not reached
    engine.runner.defer_callback = dialer.callbacks.defer  # a callback's turn outside its window
    engine.runner.callback_dial = dialer.callbacks.customer_dial  # its caller id and ring time
    return dialer
