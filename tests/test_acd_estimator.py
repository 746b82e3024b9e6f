"""Estimated wait: from recent handle times and agents staffed, only when sound."""
from __future__ import annotations

import pytest

from acd.estimator import WaitEstimator


@pytest.mark.parametrize("samples, position, staffed, expected", [
    ([], 1, 3, None),  # no history
    ([60, 120], 1, 3, None),  # too few samples (min 3)
    ([60, 120, 90], 1, 0, None),  # nobody staffed
    ([60, 120, 90], 1, 1, 90.0),
    ([60, 120, 90], 4, 2, 180.0),  # 4 x 90 s / 2 agents
    ([1000, 60, 60, 60], 1, 1, 60.0),  # window of 3: the old long call has dropped out
])
def test_estimate(samples, position, staffed, expected):
    estimator = WaitEstimator(min_samples=3, window=3)
    for seconds in samples:
        estimator.add_handle_time("billing", seconds)
    assert estimator.estimate("billing", position, staffed) == expected
    assert estimator.estimate("complaints", position, staffed) is None  # per queue


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        WaitEstimator(min_samples=5, window=2)
