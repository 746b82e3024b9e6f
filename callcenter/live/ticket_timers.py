"""The tickets' timers in the engine: the deadline sweep (warnings before the
answer-back deadline, escalation after), the tickets whose answer-back call is
over (closed: told, or flagged not reached) and the roaming-complaint outbox run
every ``tickets.timer_seconds`` whether or not anyone opens a page.

The tickets' clock is passed in (tests pin it); each flag is set once however
many sweeps run (the console's own sweep included), and a failing round is
logged and tried again at the next tick, never stopping the engine.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from callcenter.db import transaction
from callcenter.tickets import agentless, outbox, service
from callcenter.tickets.dispatch import DEFAULT_RULES, DispatchRules, load_rules

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class TicketTimers:
    def __init__(self, sessions: sessionmaker[Session], rules: DispatchRules, interval: float,
                 clock: Callable[[], datetime] | None = None):
        self.sessions, self.rules, self.interval = sessions, rules, interval
        self.clock = clock or utc_now
        self.rounds = 0

    def tick(self) -> list[tuple[str, str]]:
        """One round: flag what is due, then forward what the outbox holds."""
        now = self.clock()
        with transaction(self.sessions) as db:
            flagged = service.sweep_deadlines(db, self.rules, now)
        with transaction(self.sessions) as db:
            told = agentless.settle_calls(db, self.rules, now)
        for number, flag in flagged + told:
            log.info("ticket %s: %s", number, flag)
        if self.rules.forward_endpoint:
            outbox.deliver_due(self.sessions, self.rules.forward_endpoint,
                               self.rules.forward_attempts, now)
        self.rounds += 1
        return flagged


def build_ticket_timers(engine, clock: Callable[[], datetime] | None = None) -> TicketTimers:
    settings = engine.config.tickets
    rules = load_rules(engine.config.base_directory / settings.rules_file
                       if settings.rules_file else DEFAULT_RULES)
    return TicketTimers(engine.services.sessions, rules, settings.timer_seconds, clock)
