"""The demo: synthetic callers and simulated agents on the built-in switch
simulator, so a newcomer sees the console come alive without FreeSWITCH.

A few agent seats are left free: a person logs in to one of them and takes
calls in the browser; the simulator plays that seat's softphone (it answers).
"""
from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from typing import Any, Callable
from zoneinfo import ZoneInfo

from sqlalchemy import update

from callcenter.db import transaction
from callcenter.models import Agent
from callcenter.sim.traffic import Traffic

log = logging.getLogger(__name__)

# What demo callers do, with weights: language, then the main menu (ivr_flows/main.yaml).
CALLER_SCRIPTS = (
    (30, "wait:2 press:1 wait:3 press:0 wait:240 hangup"),  # straight to an agent
    (15, "wait:2 press:2 wait:3 press:0 wait:240 hangup"),  # English, then an agent
    (20, "wait:2 press:1 wait:3 press:1 wait:4 press:{pin}# wait:40 hangup"),  # bill self-service
    (10, "wait:2 press:1 wait:3 press:3 wait:3 press:1 wait:10 press:# wait:240 hangup"),  # complaint
    (10, "wait:2 press:1 wait:3 press:4 wait:240 hangup"),  # service order
    (10, "wait:2 press:1 wait:3 press:0 wait:35 hangup"),  # gives up while waiting
    (5, "wait:2 press:1 wait:3 press:2 wait:3 press:2 wait:20 hangup"),  # ticket progress
)
SERVICE_NUMBERS = ("10000",)  # the service lines ask other questions; the demo callers know the main menu


def office_hours_clock(timezone_name: str,
                       now: Callable[[], datetime] | None = None) -> Callable[[], datetime]:
    """The IVR's clock for the demo: a Wednesday at 10:00 in the centre's time zone,
    running on from there, so the demo's callers find the hotline open at any hour
    (the real engine uses the real time and ivr_flows/calendar.yaml)."""
    zone = ZoneInfo(timezone_name)
    now = now or (lambda: datetime.now(zone))
    started = now().astimezone(zone)
    wednesday = started - timedelta(days=(started.weekday() - 2) % 7)
    opening = wednesday.replace(hour=10, minute=0, second=0, microsecond=0)
    return lambda: opening + (now() - started)


def weighted_scripts() -> list[str]:
    return [script for weight, script in CALLER_SCRIPTS for _ in range(weight)]


class Demo:
    def __init__(self, engine: Any, calls_per_minute: float, simulated_agents: int,
                 free_seats: int, seed: int | None = None) -> None:
        self.engine, self.sim = engine, engine.simulator
        self.calls_per_minute = calls_per_minute
        self.simulated_agents, self.free_seats = simulated_agents, free_seats
        self.random = random.Random(seed)
        self.traffic: Traffic | None = None
        self.simulated: list[Any] = []
        self.free: list[Any] = []

    def start(self) -> None:
        seats = self.engine.agents.call_takers()
        self.simulated = seats[:self.simulated_agents]
        self.free = seats[self.simulated_agents:self.simulated_agents + self.free_seats]
        self._mark_simulated()
        for card in self.simulated:
            talk = self.random.randrange(40, 150)
            self.sim.register_phone(card.extension, f"answer:{self.random.randrange(2, 6)} hangup:{talk}")
        for card in self.free:
            self.sim.register_phone(card.extension, "answer:2")
        self.sim.wait_until(lambda: True, 0.5)
        for card in self.simulated:
            self.engine.live.set_agent_state(card.id, "ready")
        callers = [f"138{n:08d}" for n in range(200)]
        for number in callers:
            self.sim.add_external_party(number, "answer:4 hangup:60")  # callbacks reach them
        if self.calls_per_minute > 0:
            self.traffic = Traffic(self.sim, SERVICE_NUMBERS, self.calls_per_minute, callers,
                                   weighted_scripts(), seed=self.random.randrange(10**6))
            self.traffic.start()
        log.info("demo: %d simulated agents, %d free seats, %.1f calls a minute",
                 len(self.simulated), len(self.free), self.calls_per_minute)

    def stop(self) -> None:
        if self.traffic is not None:
            self.traffic.stop()

    def _mark_simulated(self) -> None:
        ids = [card.id for card in self.simulated]
        with transaction(self.engine.services.sessions) as session:
            session.execute(update(Agent).values(simulated=Agent.id.in_(ids))
                            .where(Agent.sip_extension.is_not(None)))

    def describe(self, url: str) -> str:
        lines = [f"Demo running on the SIMULATED switch (no real phone calls): {url}",
                 "Log in to a free seat and go ready to take calls in the browser:"]
        lines += [f"  {card.login:<8} extension {card.extension}" for card in self.free]
        lines += ["Supervisors: lead1, lead2.  Passwords were printed when the demo data was seeded",
                  "(`callcenter db seed-demo`; set CALLCENTER_DEMO_PASSWORD before seeding to choose one)."]
        return "\n".join(lines)
