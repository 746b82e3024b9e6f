"""Durations as a cumulative histogram (for the Prometheus /metrics endpoint;
web/metrics.py): the switch commands' round trips, the ACD's routing decisions, the
log's write-behind batches."""
from __future__ import annotations

from bisect import bisect_left

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
DB_WRITE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
DECISION_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5)  # in-memory


class RoundTrips:
    def __init__(self, buckets: tuple[float, ...] = BUCKETS) -> None:
        self.buckets = buckets
        self._counts = [0] * (len(buckets) + 1)  # the last one: above every bucket (+Inf)
        self.total_seconds = 0.0

    def observe(self, seconds: float) -> None:
        self._counts[bisect_left(self.buckets, seconds)] += 1
        self.total_seconds += seconds

    def snapshot(self) -> dict:
        """{"buckets": [(upper bound as text, cumulative count), ..., ("+Inf", count)], "sum": s}"""
        cumulative, running = [], 0
        for bound, count in zip([*map(str, self.buckets), "+Inf"], self._counts):
            running += count
            cumulative.append((bound, running))
        return {"buckets": cumulative, "sum": self.total_seconds}
