"""系统可用率 from the engine's up/down record: the pure core, table-driven, with
figures worked out by hand."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from callcenter.reports.availability import Record, Span, availability

T0 = datetime(2026, 11, 23, 0, 0, tzinfo=timezone.utc)
STALE = timedelta(minutes=3)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def log(*rows: tuple[float, str, str]) -> list[Record]:
    return [Record(at(m), kind, run) for m, kind, run in rows]


def beats(first: int, last: int, run: str) -> list[Record]:
    """A run's heartbeats, one a minute (as the engine writes them)."""
    return [Record(at(m), "heartbeat", run) for m in range(first, last + 1)]


CASES = [
    # (name, records, period end (min), now (min), up minutes, down spans (start, end, reason))
    ("up the whole period",
     log((0, "engine_started", "a"), (0, "switch_connected", "a")) + beats(1, 100, "a"),
     100, 100, 100, []),
    ("clean stop and restart: down between them",
     log((0, "engine_started", "a"), (0, "switch_connected", "a"), (40, "engine_stopped", "a"),
         (50, "engine_started", "b"), (52, "switch_connected", "b")) + beats(53, 99, "b"), 100, 100, 88,
     [(40, 52, "engine stopped")]),
    ("switch lost and back",
     log((0, "engine_started", "a"), (1, "switch_connected", "a"), (30, "switch_lost", "a"),
         (35, "switch_connected", "a")) + beats(36, 60, "a"), 60, 60, 54,
     [(0, 1, "not connected"), (30, 35, "switch lost")]),
    ("crash: down from the last heartbeat to the next start's connection",
     log((0, "engine_started", "a"), (0, "switch_connected", "a"), (10, "heartbeat", "a"),
         (11, "heartbeat", "a"), (20, "engine_started", "b"), (21, "switch_connected", "b"))
     + beats(22, 60, "b"), 60, 60, 50, [(11, 21, "engine crashed")]),
    ("silent run (crashed, not restarted yet): down since its last heartbeat",
     log((0, "engine_started", "a"), (0, "switch_connected", "a"), (10, "heartbeat", "a")),
     60, 60, 10, [(10, 60, "engine crashed")]),
    ("a fresh run counts as up until now, not past it",
     log((0, "engine_started", "a"), (0, "switch_connected", "a"), (29, "heartbeat", "a")),
     60, 30, 30, []),
    ("a late write of a crashed run is ignored",
     log((0, "engine_started", "a"), (0, "switch_connected", "a"), (5, "heartbeat", "a"),
         (10, "engine_started", "b"), (10, "switch_connected", "b"), (11, "switch_lost", "a"))
     + beats(11, 20, "b"), 20, 20, 15, [(5, 10, "engine crashed")]),
]


@pytest.mark.parametrize("name,records,end,now,up,down", CASES, ids=[c[0] for c in CASES])
def test_availability_from_the_record(name, records, end, now, up, down):
    result = availability(records, T0, at(end), at(now), STALE)
    assert result.up_seconds == up * 60
    assert [(s.start, s.end, s.reason) for s in result.down] == [(at(a), at(b), r) for a, b, r in down]
    assert result.rate == pytest.approx(up / min(end, now))


def test_a_period_is_clipped_and_time_before_the_first_record_is_not_measured():
    records = log((30, "engine_started", "a"), (30, "switch_connected", "a"),
                  (90, "switch_lost", "a"), (100, "switch_connected", "a")) + beats(31, 200, "a")
    result = availability(records, at(60), at(120), at(200), STALE)  # 60..120: down 90..100
    assert (result.up_seconds, result.measured_seconds) == (50 * 60, 60 * 60)
    assert result.down == [Span(at(90), at(100), "switch lost")]
    before = availability(records, at(0), at(60), at(200), STALE)  # measured from 30
    assert (before.start, before.up_seconds, before.rate) == (at(30), 30 * 60, 1.0)


def test_nothing_logged_is_no_data_not_100_percent():
    assert availability([], T0, at(60), at(60), STALE).rate is None
    assert availability(log((90, "engine_started", "a")), T0, at(60), at(120), STALE).rate is None
