"""Rebuild from the database: the synthetic day written as the engine writes it,
rebuilt by the command (twice: identical), equal to the pure computation from the
file, and the live figures, refreshed while the day is written, equal to the rebuild.
Runs on SQLite, and on PostgreSQL when CALLCENTER_TEST_DATABASE_URL is set."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from callcenter.cli import main
from callcenter.models import ServiceInterval
from callcenter.reports import dayfile
from callcenter.reports.facts import visits_of_all
from callcenter.reports.indicators import SUM_FIELDS, interval_sums
from callcenter.reports.live import LiveFigures
from callcenter.reports.store import Settings, rebuild, same, stored
from test_reports_synthetic_day import DAY_FILE, RULES, ZONE, local

QUEUES = Path(__file__).resolve().parent.parent / "acd" / "queues.yaml"
SETTINGS = Settings(RULES, 30, ZONE)
DAY = date(2026, 11, 16)


@pytest.fixture
def the_day():
    return dayfile.read(DAY_FILE)


def store_day(db_engine, calls, changes):
    with db_engine.begin() as connection:
        dayfile.store(connection, calls, changes)


def test_the_command_rebuilds_a_day_identically_twice(db_engine, database_url, write_config,
                                                      the_day, capsys):
    calls, changes = the_day
    store_day(db_engine, calls, changes)
    config = write_config(f"switch:\n  password: x\ndatabase:\n  url: {database_url}\n"
                          f"acd:\n  queues_file: {QUEUES}\n")
    assert main(["--config", str(config), "reports", "rebuild", "--from", "2026-11-16",
                 "--to", "2026-11-16"]) == 0
    assert "interval rows" in capsys.readouterr().out
    start, end = SETTINGS.period(DAY, DAY)
    with db_engine.connect() as connection:
        first = stored(connection, 30, start, end)
    expected = interval_sums(visits_of_all(calls), RULES, 30, ZONE)
    assert same(first, expected)
    with db_engine.begin() as connection:  # a stale row, as if the log had been different
        connection.execute(ServiceInterval.__table__.insert(), [{
            "start": local(3, 0), "minutes": 30, "queue_name": "stale", "direction": "inbound",
            "rebuilt_at": local(3, 0), **{name: 1 for name in SUM_FIELDS}}])
    assert main(["--config", str(config), "reports", "rebuild", "--from", "2026-11-16",
                 "--to", "2026-11-16"]) == 0
    with db_engine.connect() as connection:
        again = stored(connection, 30, start, end)
    assert same(first, again)
    assert first[(local(9, 0), "billing", "inbound")].answered_in_limit == 3


def test_a_bad_period_is_refused_by_name(write_config, capsys):
    config = write_config(f"switch:\n  password: x\nacd:\n  queues_file: {QUEUES}\n")
    assert main(["--config", str(config), "reports", "rebuild", "--from", "2026-11-17",
                 "--to", "2026-11-16"]) == 2
    assert "before --from" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--config", str(config), "reports", "rebuild", "--from", "16/11/2026",
              "--to", "2026-11-16"])
    assert "not a date YYYY-MM-DD" in capsys.readouterr().err


def test_live_figures_refreshed_while_the_day_is_written_equal_the_rebuild(db_engine, the_day):
    calls, changes = the_day
    live = LiveFigures(db_engine, SETTINGS)
    halves = (calls[: len(calls) // 2], calls[len(calls) // 2:])
    store_day(db_engine, halves[0], changes)
    live.refresh(local(12, 0))
    part = live.interval_sums()
    assert part and sum(s.offered for s in part.values()) < len(calls)
    store_day(db_engine, halves[1], [])
    live.refresh(local(23, 0))
    start, end = SETTINGS.period(DAY, DAY)
    rebuild(db_engine, SETTINGS, start, end)
    with db_engine.connect() as connection:
        assert same(live.interval_sums(), stored(connection, 30, start, end))
    live.refresh(local(23, 30))  # nothing new: nothing changes
    with db_engine.connect() as connection:
        assert same(live.interval_sums(), stored(connection, 30, start, end))
