"""Heartbeat pruning: the heartbeats no availability figure needs go, and every figure
stays the same. The rule table-driven, then a past week's figures computed from a real
database before and after pruning."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from callcenter.live.availability import PRUNE_KEEP, AvailabilityLog, prune_heartbeats
from callcenter.models import AvailabilityRecord
from callcenter.reports.availability import STALE, Record, availability, redundant_heartbeats, timeline
from callcenter.reports.intervals import day_start
from callcenter.reports.store import load_availability

T0 = datetime(2026, 11, 23, 0, 0, tzinfo=timezone.utc)
ZONE = ZoneInfo("Asia/Shanghai")


def rows(*spec: str) -> list[tuple[int, Record]]:
    """"b:a" is a heartbeat of run a, "s:a" a start, "x:a" a stop, "c:a" / "l:a" the switch
    connected / lost; one a minute, ids from 1."""
    kinds = {"b": "heartbeat", "s": "engine_started", "x": "engine_stopped", "c": "switch_connected",
             "l": "switch_lost"}
    return [(i, Record(T0 + timedelta(minutes=i), kinds[item[0]], item[2:]))
            for i, item in enumerate(spec, start=1)]


@pytest.mark.parametrize("name, spec, redundant", [
    ("beats between a start and a stop go", ["s:a", "c:a", "b:a", "b:a", "b:a", "x:a"], [3, 4, 5]),
    ("a run's last beat before a crash stays (it dates the crash)",
     ["s:a", "c:a", "b:a", "b:a", "s:b", "c:b"], [3]),
    ("the newest beat stays (it tells a live run from a silent one)",
     ["s:a", "c:a", "b:a", "b:a"], [3]),
    ("a beat followed by a late write of another run stays",
     ["s:a", "c:a", "b:a", "s:b", "l:a", "b:b", "b:b"], [6]),
    ("a log that starts with a beat keeps it (it starts the measured time)",
     ["b:a", "b:a", "x:a"], [2]),
    ("nothing to prune", ["s:a", "c:a", "x:a"], []),
    ("empty", [], []),
])
def test_redundant_heartbeats(name, spec, redundant):
    assert redundant_heartbeats(rows(*spec)) == redundant


def a_week_of_log() -> list[AvailabilityRecord]:
    """Seven days from 2026-11-16 (Shanghai): heartbeats every minute, a switch loss, a clean
    stop and restart, a crash with a late write of the crashed run, and a run that goes
    silent at the end."""
    start = day_start(date(2026, 11, 16), ZONE)
    out: list[tuple[float, str, str]] = []

    def run(name, first, last, events=()):
        out.append((first, "engine_started", name))
        out.append((first + 0.1, "switch_connected", name))
        out.extend((m, "heartbeat", name) for m in range(int(first) + 1, int(last) + 1))
        out.extend((m, kind, name) for m, kind in events)

    day = 1440
    run("a", 0, 2 * day - 90, [(600, "switch_lost"), (603.5, "switch_connected"),
                               (2 * day - 90 + 0.5, "engine_stopped")])
    run("b", 2 * day - 60, 4 * day + 300)  # crashes after its beat at 4 d + 300 min
    run("c", 4 * day + 310, 6 * day + 700, [(4 * day + 310.5, "switch_lost"),
                                            (4 * day + 311, "switch_connected")])
    out.append((4 * day + 312, "switch_lost", "b"))  # a late write of the crashed run
    return [AvailabilityRecord(at=start + timedelta(minutes=m), kind=kind, run=name)
            for m, kind, name in sorted(out)]


def figures(connection, now):
    out = {}
    for offset in range(7):
        day = date(2026, 11, 16) + timedelta(days=offset)
        start, end = day_start(day, ZONE), day_start(day + timedelta(days=1), ZONE)
        records = load_availability(connection, start)
        a = availability(records, start, end, now, STALE)
        out[day] = (a.start, a.end, a.up_seconds, a.down, timeline(records, start, end, now, STALE))
    return out


def test_pruning_changes_no_days_availability(db_engine, sessions):
    with sessions() as db:
        db.add_all(a_week_of_log())
        db.commit()
    now = day_start(date(2026, 11, 23), ZONE) + timedelta(hours=1)  # run c went silent at 6 d 700 min
    with db_engine.connect() as connection:
        before = figures(connection, now)
    beats = select(func.count()).select_from(AvailabilityRecord).where(AvailabilityRecord.kind == "heartbeat")
    with sessions() as db:
        counted = db.scalar(beats)
    pruned = prune_heartbeats(sessions, now)
    with sessions() as db:
        left = db.scalar(beats)
    # kept: b's last beat (it dates b's crash), c's beat before b's late write, c's last beat
    assert counted > 9000 and pruned == counted - left and left == 3
    with db_engine.connect() as connection:
        after = figures(connection, now)
    assert after == before
    first_day = before[date(2026, 11, 16)]  # 6 s before the first connection, 3.5 min switch lost
    assert first_day[2] == 86400 - 6 - 210
    reasons = {span.reason for day in before.values() for span in day[3]}
    assert reasons == {"not connected", "switch lost", "engine stopped", "engine crashed"}
    assert prune_heartbeats(sessions, now) == 0  # a second prune finds nothing


def test_the_engine_prunes_only_what_is_older_than_a_week(sessions):
    now = T0 + timedelta(days=30)
    old = [AvailabilityRecord(at=now - PRUNE_KEEP - timedelta(minutes=m), kind=kind, run="a")
           for m, kind in ((20, "engine_started"), (19, "switch_connected"))]
    old += [AvailabilityRecord(at=now - PRUNE_KEEP - timedelta(minutes=m), kind="heartbeat", run="a")
            for m in range(18, 0, -1)]
    recent = [AvailabilityRecord(at=now - timedelta(minutes=m), kind="heartbeat", run="a")
              for m in range(10, 0, -1)]
    with sessions() as db:
        db.add_all(old + recent)
        db.commit()
    assert AvailabilityLog(sessions, lambda: now.timestamp()).prune() == 18  # the old beats
    with sessions() as db:
        kinds = db.scalars(select(AvailabilityRecord.kind).order_by(AvailabilityRecord.at)).all()
    assert kinds == ["engine_started", "switch_connected"] + ["heartbeat"] * 10
