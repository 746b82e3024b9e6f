"""Rule 7 in the engine: a caller with an open ticket reaches its owner first.

Before a caller joins the ACD, their customer's open tickets of the period are
read (``with_open_tickets``, outside the ACD's loop: it reads the database);
in the loop, ``preferred_agent`` picks the owner with the pure core if the
owner is ready at that moment. The ACD then offers the call to the owner alone
for ``tickets.owner_wait_seconds`` and routes it normally after that. The
ticket travels in the call's context (``owner_ticket``: the screen pop).
"""
from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from acd.agent_state import AgentState
from callcenter.models import Agent, Ticket
from callcenter.tickets.repeat_caller import OpenTicket, owner_first
from callcenter.tickets.states import OPEN_STATUSES

log = logging.getLogger(__name__)
KEY = "open_tickets"


class RepeatCallers:
    def __init__(self, sessions: sessionmaker[Session], within: timedelta, wait: float,
                 clock: Callable[[], datetime] | None = None):
        self.sessions, self.within, self.wait = sessions, within, wait
        self.clock = clock or (lambda: datetime.now(timezone.utc))

    def with_open_tickets(self, request):
        if request.customer_id is None or not self.within:
            return request
        since = self.clock() - self.within
        with self.sessions() as db:
            rows = db.execute(select(Ticket.number, Agent.login, Ticket.created_at)
                              .outerjoin(Agent, Agent.id == Ticket.owner_agent_id)
                              .where(Ticket.customer_id == request.customer_id,
                                     Ticket.status.in_(OPEN_STATUSES),
                                     Ticket.created_at >= since)).all()
        if not rows:
            return request
        found = [{"number": n, "owner": o, "opened_at": at.isoformat()} for n, o, at in rows]
        return dataclasses.replace(request, context={**request.context, KEY: found})

    def preferred_agent(self, request, core) -> tuple[str | None, dict[str, Any]]:
        """(the owner to offer the call to first, or None; the call's context)."""
        context = dict(request.context)
        tickets = [OpenTicket(t["number"], t["owner"], datetime.fromisoformat(t["opened_at"]))
                   for t in context.pop(KEY, [])]
        ready = {a.login for a in core.agents() if a.state is AgentState.READY}
        chosen = owner_first(tickets, self.clock(), self.within, ready)
        if chosen is None:
            return None, context
        log.info("[%s] repeat caller about ticket %s: %s first", request.uuid, chosen.number,
                 chosen.owner)
        return chosen.owner, {**context, "owner_ticket": chosen.number}


def build_repeat_callers(engine, clock: Callable[[], datetime] | None = None) -> RepeatCallers:
    settings = engine.config.tickets
    return RepeatCallers(engine.services.sessions, timedelta(days=settings.repeat_caller_days),
                         settings.owner_wait_seconds, clock)
