"""查询准确率: table-driven, counted by hand."""
from __future__ import annotations

import pytest

from callcenter.reports.accuracy import ItemScore, accuracy

CASES = [  # item scores, (scored, accurate, rate)
    ("full marks only count as accurate", [ItemScore("submitted", 25_000, 25),
                                           ItemScore("acknowledged", 20_000, 25)], (2, 1, 0.5)),
    ("n/a and calibration are left out", [ItemScore("submitted", 0, 0),
                                          ItemScore("calibration", 25_000, 25),
                                          ItemScore("disputed", 25_000, 25)], (1, 1, 1.0)),
    ("nothing scored is no data", [], (0, 0, None)),
]


@pytest.mark.parametrize("name,scores,expected", CASES, ids=[c[0] for c in CASES])
def test_inquiry_accuracy(name, scores, expected):
    got = accuracy(scores)
    assert (got.scored, got.accurate, got.rate) == expected
