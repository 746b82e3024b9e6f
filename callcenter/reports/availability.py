"""系统可用率 (system availability) from the engine's up/down record: pure.

The service is up while the engine runs AND holds its connection to the switch.
Records come from `availability_log` (docs/indicators.md, "System availability").
A run that started and has no stop ended in a crash: it went down at the last
record of that run (its last heartbeat). The newest run counts as still up until
`now` only while its last record is fresh (younger than `stale`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable

STARTED, STOPPED = "engine_started", "engine_stopped"
CONNECTED, LOST, HEARTBEAT = "switch_connected", "switch_lost", "heartbeat"
KINDS = (STARTED, STOPPED, CONNECTED, LOST, HEARTBEAT)
UP = "up"  # a timeline span's reason when the service was up
# A run whose last record is older than this has died (the engine writes a heartbeat a minute).
STALE = timedelta(minutes=3)


@dataclass(frozen=True)
class Record:
    at: datetime
    kind: str
    run: str


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime
    reason: str  # why the service was down: engine stopped | engine crashed | switch lost | not connected


@dataclass
class Availability:
    start: datetime  # the measured period: from the first record (or the period's start) ...
    end: datetime  # ... to the period's end or now
    up_seconds: float
    down: list[Span] = field(default_factory=list)

    @property
    def measured_seconds(self) -> float:
        return max(0.0, (self.end - self.start).total_seconds())

    @property
    def rate(self) -> float | None:
        """Up ÷ measured; None ("no data") when nothing was measured."""
        measured = self.measured_seconds
        return self.up_seconds / measured if measured > 0 else None


def up_spans(records: Iterable[Record], now: datetime, stale: timedelta) -> tuple[
        list[tuple[datetime, datetime]], list[Span]]:
    """The spans the service was up, and those it was down (with why), from the
    first record to ``now``."""
    ordered = sorted(records, key=lambda r: r.at)
    up: list[tuple[datetime, datetime]] = []
    down: list[Span] = []
    engine_run: str | None = None  # the run that is up, if any
    connected_since: datetime | None = None
    down_since: datetime | None = ordered[0].at if ordered else None
    down_reason = "not connected"
    last_seen: datetime | None = None

    def close_up(at: datetime, reason: str) -> None:
        nonlocal connected_since, down_since, down_reason
        if connected_since is not None:
            if at > connected_since:
                up.append((connected_since, at))
            connected_since = None
            down_since, down_reason = at, reason

    def open_up(at: datetime) -> None:
        nonlocal connected_since, down_since
        if connected_since is None:
            if down_since is not None and at > down_since:
                down.append(Span(down_since, at, down_reason))
            connected_since, down_since = at, None

    for record in ordered:
        if record.kind == STARTED:
            if engine_run is not None and engine_run != record.run:  # no stop: it crashed
                crashed_at = last_seen or record.at
                close_up(crashed_at, "engine crashed")
                down_reason = "engine crashed"
            engine_run = record.run
        elif record.run != engine_run:
            continue  # a late write of an earlier run
        elif record.kind == STOPPED:
            close_up(record.at, "engine stopped")
            down_reason = "engine stopped"
            engine_run = None
        elif record.kind == CONNECTED:
            open_up(record.at)
        elif record.kind == LOST:
            close_up(record.at, "switch lost")
        last_seen = record.at
    if engine_run is not None and last_seen is not None and now - last_seen > stale:
        close_up(last_seen, "engine crashed")  # the run went silent: down since its last sign
        down_reason = "engine crashed"
    if connected_since is not None and now > connected_since:
        up.append((connected_since, now))
    elif down_since is not None and now > down_since:
        down.append(Span(down_since, now, down_reason))
    return up, down


def availability(records: Iterable[Record], start: datetime, end: datetime, now: datetime,
                 stale: timedelta) -> Availability:
    """System availability over [start, end), measured up to ``now`` and from the first
    record (time before the engine ever logged is not counted, not counted as down)."""
    records = list(records)
    stop = min(end, now)
    first = min((r.at for r in records), default=None)
    begin = start if first is None or first <= start else first
    if first is None or begin >= stop:
        return Availability(start, start, 0.0)
    up, down = up_spans(records, now, stale)
    up_seconds = sum(_overlap(a, b, begin, stop) for a, b in up)
    clipped = [Span(max(s.start, begin), min(s.end, stop), s.reason) for s in down
               if _overlap(s.start, s.end, begin, stop) > 0]
    return Availability(begin, stop, up_seconds, clipped)


def timeline(records: Iterable[Record], start: datetime, end: datetime, now: datetime,
             stale: timedelta) -> list[Span]:
    """The spans behind a period's figure, in order: up spans (reason "up") and down spans
    with why, clipped as ``availability`` clips them, so their up time is its up time."""
    records = list(records)
    figure = availability(records, start, end, now, stale)
    if figure.measured_seconds <= 0:
        return []
    up, _ = up_spans(records, now, stale)
    ups = [Span(max(a, figure.start), min(b, figure.end), UP) for a, b in up
           if _overlap(a, b, figure.start, figure.end) > 0]
    return sorted(ups + figure.down, key=lambda span: span.start)


def redundant_heartbeats(rows: Iterable[tuple[int, Record]]) -> list[int]:
    """The ids of heartbeats no figure needs, from (id, record) rows in the log's order
    (time, then id). A heartbeat only moves its run's "last seen" time, which counts when
    the run's records end (a crash, or a silent run); so a heartbeat followed by another
    record of the same run changes nothing and can go. The first record and each run's
    last one stay. Removing every id returned at once is safe too: each removed heartbeat
    is still followed by a record of its run (the kept record its chain leads to)."""
    out: list[int] = []
    previous: tuple[int, Record] | None = None
    first = True
    for row in rows:
        if previous is not None:
            prev_id, prev = previous
            if not first and prev.kind == HEARTBEAT and prev.run == row[1].run:
                out.append(prev_id)
            first = False
        previous = row
    return out


def _overlap(a: datetime, b: datetime, start: datetime, end: datetime) -> float:
    return max(0.0, (min(b, end) - max(a, start)).total_seconds())
