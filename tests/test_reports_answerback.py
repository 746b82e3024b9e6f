"""回告时限: table-driven, counted by hand."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from callcenter.reports.answerback import TicketDeadline, answer_back

T0 = datetime(2026, 11, 16, tzinfo=timezone.utc)


def t(deadline_h: float, informed_h: float | None, not_reached: bool = False) -> TicketDeadline:
    return TicketDeadline("1", T0 + timedelta(hours=deadline_h),
                          None if informed_h is None else T0 + timedelta(hours=informed_h), not_reached)


CASES = [  # tickets, now (h), (due, in_time, late, not_told, rate)
    ("told before, at and after the deadline", [t(5, 4), t(5, 5), t(5, 6)], 24, (3, 2, 1, 0, 2 / 3)),
    ("not told: late once the deadline passed, not counted before", [t(5, None), t(20, None)], 10,
     (1, 0, 0, 1, 0.0)),
    ("not reached counts as not told", [t(5, 4.5, not_reached=True)], 24, (1, 0, 0, 1, 0.0)),
    ("deadlines outside the period are left out", [t(-1, -2), t(24, 23)], 48, (0, 0, 0, 0, None)),
]


@pytest.mark.parametrize("name,tickets,now,expected", CASES, ids=[c[0] for c in CASES])
def test_answer_back_within_the_deadline(name, tickets, now, expected):
    got = answer_back(tickets, T0, T0 + timedelta(days=1), T0 + timedelta(hours=now))
    assert (got.due, got.in_time, got.late, got.not_told, got.rate) == expected
