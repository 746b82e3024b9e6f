"""Rebuild a month of 100,000 calls from the log and print the time (target: < 1 minute).

    .venv/bin/python bench/bench_reports_rebuild.py [--calls 100000] [--database-url URL]

Writes a synthetic month (November 2026, Asia/Shanghai: callers through the IVR into
three queues; answered, abandoned, transferred) into a fresh SQLite file (or the
database given, which must be empty and migrated), then times `rebuild` of the month
and a second, identical rebuild."""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from callcenter import db  # noqa: E402
from callcenter.reports import dayfile  # noqa: E402
from callcenter.reports.facts import CallRecord, Event  # noqa: E402
from callcenter.reports.indicators import Rules  # noqa: E402
from callcenter.reports.store import Settings, rebuild, same, stored  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")
FIRST, LAST = date(2026, 11, 1), date(2026, 11, 30)


def month(calls: int, rng: random.Random):
    start = datetime(2026, 11, 1, 8, 0, tzinfo=ZONE).astimezone(timezone.utc)
    per_day = calls // 30 + 1
    for number in range(calls):
        day, slot = divmod(number, per_day)
        at = start + timedelta(days=day, seconds=slot * 12 * 3600 / per_day + rng.random() * 5)
        queue = rng.choice(("billing", "billing", "complaints", "general"))
        agent = f"m{rng.randint(1, 60):02d}"
        events = [Event(at - timedelta(seconds=15), "created", {"caller": "138", "dialled": "10000"}),
                  Event(at - timedelta(seconds=8), "ivr_node", {"node": "menu", "kind": "menu",
                                                                "outcome": "digit_1"}),
                  Event(at, "ivr_finished", {"outcome": "queue", "need": queue})]
        wait = timedelta(seconds=rng.randint(1, 60))
        if rng.random() < 0.1:
            events.append(Event(at + wait, "abandoned", {"queue": queue}))
        else:
            talk = timedelta(seconds=rng.randint(30, 400))
            events += [Event(at + wait - timedelta(seconds=2), "offered", {"agent": agent}),
                       Event(at + wait, "connected", {"agent": agent})]
            if rng.random() < 0.05:
                events += [Event(at + wait + talk, "transferred", {"need": "complaints"}),
                           Event(at + wait + talk + timedelta(seconds=5), "connected",
                                 {"agent": "m01"}),
                           Event(at + wait + 2 * talk, "ended", {"cause": "NORMAL_CLEARING"})]
            else:
                events.append(Event(at + wait + talk, "ended", {"cause": "NORMAL_CLEARING"}))
        yield CallRecord(f"bench-{number:06d}", events=tuple(events), queue_name=queue,
                         ivr_flow="main")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite:///{directory}/bench.db"
        engine = db.make_engine(url)
        db.upgrade(engine)
        began = time.perf_counter()
        calls = list(month(args.calls, random.Random(2026)))
        with engine.begin() as connection:
            dayfile.store(connection, calls, [])
        events = sum(len(c.events) for c in calls)
        print(f"wrote {len(calls):,} calls, {events:,} events in {time.perf_counter() - began:.1f} s "
              f"({engine.dialect.name})")
        settings = Settings(Rules({"billing": 20, "complaints": 20, "general": 20}), 30, ZONE)
        start, end = settings.period(FIRST, LAST)
        timings = []
        for attempt in (1, 2):
            began = time.perf_counter()
            rows = rebuild(engine, settings, start, end)
            timings.append(time.perf_counter() - began)
            with engine.connect() as connection:
                figures = stored(connection, 30, start, end)
            if attempt == 1:
                first = figures
            print(f"rebuild {attempt}: {rows:,} interval rows in {timings[-1]:.1f} s")
        offered = sum(s.offered for s in first.values())
        print(f"identical on repeat: {same(first, figures)}; visits offered: {offered:,}; "
              f"target < 60 s: {'met' if max(timings) < 60 else 'MISSED'}")
        engine.dispose()


if __name__ == "__main__":
    main()
