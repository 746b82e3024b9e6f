"""Per-campaign figures from the call log: table-driven, counted by hand."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from callcenter.reports.campaigns import campaign_sums
from callcenter.reports.facts import CallRecord, Event

T0 = datetime(2026, 11, 16, 2, 0, tzinfo=timezone.utc)


def call(uuid: str, campaign: int | None, *rest: tuple[float, str, dict]) -> CallRecord:
    events = ([Event(T0, "campaign_dial", {"campaign": campaign, "contact": 1, "attempt": 1})]
              if campaign is not None else [])
    events += [Event(T0 + timedelta(seconds=s), kind, data) for s, kind, data in rest]
    return CallRecord(uuid, "outbound", tuple(events))


NO_ANSWER = (30, "campaign_outcome", {"outcome": "no_answer"})
BUSY = (5, "campaign_outcome", {"outcome": "busy"})
ABANDONED = (12, "campaign_outcome", {"outcome": "abandoned"})
FLOW_HEARD = (40, "campaign_outcome", {"outcome": "answered", "result": "heard_flow"})


def to_agent(talk: float, end: str = "ended"):
    return ((10, "queued", {"queue": "sales"}), (11, "connected", {"agent": "agent01"}),
            (11 + talk, end, {}))


CASES = [
    ("dials of every outcome", [call("a", 1, NO_ANSWER), call("b", 1, BUSY), call("c", 1, ABANDONED),
                                call("d", 1, FLOW_HEARD), call("e", 1, *to_agent(60))],
     {1: (5, 2, 1, 60_000, 1 / 3)}),
    ("two campaigns apart, a transfer ends the talk", [
        call("a", 1, *to_agent(30, "transferred")), call("b", 2, NO_ANSWER), call("c", 2, ABANDONED)],
     {1: (1, 1, 0, 30_000, 0.0), 2: (2, 0, 1, 0, 1.0)}),
    ("no live answer: no abandon rate", [call("a", 3, NO_ANSWER)], {3: (1, 0, 0, 0, None)}),
    ("calls not from a campaign are left out", [call("x", None, NO_ANSWER)], {}),
]


@pytest.mark.parametrize("name,calls,expected", CASES, ids=[c[0] for c in CASES])
def test_campaign_figures(name, calls, expected):
    got = {k: (s.dials, s.answered, s.abandoned, s.talk_ms, s.abandon_rate)
           for k, s in campaign_sums(calls).items()}
    assert got == expected
    assert all(len(s.calls) == s.dials for s in campaign_sums(calls).values())
