"""The campaign's quarter-hour figures (the live view's chart), table-driven."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from callcenter.dialer.timeline import Quarter, floor_quarter, quarters

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


def at(minutes, seconds=0):
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def test_floor_quarter():
    assert floor_quarter(at(29, 59)) == at(15) and floor_quarter(at(30)) == at(30)


@pytest.mark.parametrize("attempts, talks, end, expected", [
    # nothing: every quarter shown, empty
    ([], [], at(20), [Quarter(at(0), 0, 0, 0, 0.0, False, None),
                      Quarter(at(15), 0, 0, 0, 0.0, False, None)]),
    # dials counted in the quarter they were placed; 1 abandoned of 2 answered: over a 3 % limit
    ([(at(1), at(1, 8), False), (at(2), None, False), (at(14, 59), at(15, 5), True)], [], at(10),
     [Quarter(at(0), 3, 2, 1, 0.5, True, None)]),
    # one agent busy 450 s of a quarter: 50 %; a talk across two quarters is split
    ([], [(7, at(0), at(7, 30))], at(0), [Quarter(at(0), 0, 0, 0, 0.0, False, 0.5)]),
    ([], [(7, at(10), at(20))], at(20), [Quarter(at(0), 0, 0, 0, 0.0, False, 5 * 60 / 900),
                                         Quarter(at(15), 0, 0, 0, 0.0, False, 5 * 60 / 900)]),
    # two agents, 900 s and 450 s: 1350 of 1800
    ([], [(1, at(0), at(15)), (2, at(0), at(7, 30))], at(0), [Quarter(at(0), 0, 0, 0, 0.0, False, 0.75)]),
    # attempts and talks before the window are left out
    ([(at(-20), at(-20, 5), False)], [(1, at(-30), at(-16))], at(0), [Quarter(at(0), 0, 0, 0, 0.0, False, None)]),
])
def test_quarter_hour_figures(attempts, talks, end, expected):
    assert quarters(attempts, talks, T0, end, 0.03) == expected


def test_an_end_before_the_start_is_refused():
    with pytest.raises(ValueError, match="before start"):
        quarters([], [], T0, at(-1), 0.03)
