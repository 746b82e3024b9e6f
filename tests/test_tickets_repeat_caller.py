"""Rule 7: the newest open ticket within the period sends a repeat caller to its
owner first, only when that owner is ready. Table-driven."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from callcenter.tickets.repeat_caller import OpenTicket, owner_first

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
WEEK = timedelta(days=7)
OLD = OpenTicket("2611100001", "agent03", NOW - timedelta(days=8))
MINE = OpenTicket("2611200001", "agent01", NOW - timedelta(days=3))
NEWER = OpenTicket("2611220001", "agent02", NOW - timedelta(days=1))
IVR = OpenTicket("2611230001", None, NOW - timedelta(hours=1))


@pytest.mark.parametrize("tickets, ready, expected", [
    ([], {"agent01"}, None),  # no open ticket
    ([MINE], {"agent01"}, MINE),  # the owner is ready
    ([MINE], {"agent02"}, None),  # the owner is busy or away: normal routing at once
    ([OLD], {"agent03"}, None),  # opened before the period
    ([MINE, NEWER], {"agent01", "agent02"}, NEWER),  # the newest ticket decides
    ([MINE, NEWER], {"agent01"}, None),  # ... even if an older ticket's owner is ready
    ([MINE, IVR], {"agent01"}, None),  # the newest has no owner (opened in the IVR)
    ([OLD, MINE], {"agent01", "agent03"}, MINE),
])
def test_owner_first(tickets, ready, expected):
    assert owner_first(tickets, NOW, WEEK, ready) == expected


def test_the_period_is_inclusive_and_a_future_ticket_does_not_count():
    edge = OpenTicket("2611160001", "agent01", NOW - WEEK)
    assert owner_first([edge], NOW, WEEK, {"agent01"}) == edge
    assert owner_first([OpenTicket("2611240001", "agent01", NOW + timedelta(minutes=1))],
                       NOW, WEEK, {"agent01"}) is None
