"""Synthetic callers for the demo: a Poisson stream of inbound calls to the
hotline numbers, each caller following a randomly chosen script."""
from __future__ import annotations

import logging
import random
from typing import Sequence

import gevent

from .simulator import Simulator

log = logging.getLogger(__name__)

# Typical callers: bill self-service, wants an agent, gives up while waiting.
DEFAULT_SCRIPTS: tuple[str, ...] = (
    "wait:4 press:1 wait:3 press:{pin}# wait:25 hangup",
    "wait:4 press:0 wait:120 hangup",
    "wait:4 press:2 wait:90 hangup",
    "wait:5 press:3 wait:40 hangup",
    "wait:3 press:9 wait:2 press:0 wait:60 hangup",
    "wait:20 hangup",
)


class Traffic:
    def __init__(self, sim: Simulator, numbers: Sequence[str] = ("10000",),
                 calls_per_minute: float = 4.0, callers: Sequence[str] | None = None,
                 scripts: Sequence[str] = DEFAULT_SCRIPTS, seed: int | None = None) -> None:
        if calls_per_minute <= 0:
            raise ValueError(f"calls_per_minute must be > 0, got {calls_per_minute!r}")
        self.sim = sim
        self.numbers = list(numbers)
        self.rate = calls_per_minute / 60.0
        self.callers = list(callers or [f"138{n:08d}" for n in range(1, 51)])
        self.scripts = list(scripts)
        self.random = random.Random(seed)
        self.placed: list[str] = []
        self._greenlet: gevent.Greenlet | None = None

    def start(self) -> None:
        if self._greenlet is None:
            self._greenlet = gevent.spawn(self._run)

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill(block=False)
            self._greenlet = None

    def place_one(self) -> str:
        script = self.random.choice(self.scripts).format(pin=f"{self.random.randrange(10**6):06d}")
        uuid = self.sim.place_call(self.random.choice(self.callers), self.random.choice(self.numbers), script)
        self.placed.append(uuid)
        return uuid

    def _run(self) -> None:
        while True:
            self.sim.clock.sleep(self.random.expovariate(self.rate))
            try:
                self.place_one()
            except Exception:  # the demo goes on even if one call fails
                log.exception("sim traffic: could not place a call")
