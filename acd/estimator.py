"""Estimated wait from recent handle times and the agents staffed.

An estimate is only given when it is sound: enough recent handle times for
the queue and at least one agent staffed for it.  Otherwise ``None``, and the
caller hears the position only (or nothing about time).
"""
from __future__ import annotations

from collections import defaultdict, deque


class WaitEstimator:
    def __init__(self, min_samples: int = 5, window: int = 50):
        if min_samples < 1 or window < min_samples:
            raise ValueError("need 1 <= min_samples <= window")
        self.min_samples = min_samples
        self.window = window
        self._samples: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=self.window))

    def add_handle_time(self, queue: str, seconds: float) -> None:
        """Record one finished call's handle time (answer to end of wrap-up or hang-up)."""
        if seconds >= 0:
            self._samples[queue].append(float(seconds))

    def average_handle_time(self, queue: str) -> float | None:
        samples = self._samples.get(queue)
        if not samples or len(samples) < self.min_samples:
            return None
        return sum(samples) / len(samples)

    def estimate(self, queue: str, position: int, agents_staffed: int) -> float | None:
        """Seconds until a caller at ``position`` (1 = next) is likely answered, or None."""
        average = self.average_handle_time(queue)
        if average is None or agents_staffed < 1 or position < 1:
            return None
        return position * average / agents_staffed

    def samples(self, queue: str) -> list[float]:
        return list(self._samples.get(queue, ()))

    def restore(self, samples: dict[str, list[float]]) -> None:
        for queue, values in samples.items():
            for value in values:
                self.add_handle_time(queue, value)
