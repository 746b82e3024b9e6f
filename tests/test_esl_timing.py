"""The cumulative histogram behind /metrics' duration metrics: counted by hand."""
from __future__ import annotations

import pytest

from callcenter.esl.timing import RoundTrips


@pytest.mark.parametrize("observed,expected", [
    ([], [("0.1", 0), ("1.0", 0), ("+Inf", 0)]),
    ([0.05, 0.1, 0.5], [("0.1", 2), ("1.0", 3), ("+Inf", 3)]),  # an upper bound is inclusive
    ([2.0, 0.01], [("0.1", 1), ("1.0", 1), ("+Inf", 2)]),
])
def test_buckets_are_cumulative_and_the_sum_adds_up(observed, expected):
    trips = RoundTrips((0.1, 1.0))
    for seconds in observed:
        trips.observe(seconds)
    snapshot = trips.snapshot()
    assert snapshot["buckets"] == expected
    assert snapshot["sum"] == pytest.approx(sum(observed))
