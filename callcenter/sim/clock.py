"""Simulated time: speed=1.0 runs in real time (the demo); speed=50 makes
every simulated duration (script waits, prompts, ringing, timeouts) fifty
times shorter in real time (tests)."""
from __future__ import annotations

import math

import gevent


class Clock:
    def __init__(self, speed: float = 1.0) -> None:
        if not speed > 0:
            raise ValueError(f"simulator speed must be > 0, got {speed!r}")
        self.speed = float(speed)

    def real(self, sim_seconds: float) -> float:
        """Real seconds for a simulated duration."""
        return math.inf if math.isinf(sim_seconds) else max(0.0, sim_seconds) / self.speed

    def sim_elapsed(self, real_start: float, real_end: float) -> float:
        """Simulated seconds between two time.monotonic() readings."""
        return max(0.0, real_end - real_start) * self.speed

    def sleep(self, sim_seconds: float) -> None:
        gevent.sleep(self.real(sim_seconds))
