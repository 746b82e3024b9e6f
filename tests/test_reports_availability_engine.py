"""系统可用率 from what the real engine logs (switch simulator over real sockets, real
database): the switch connection dropped and back gives a "switch lost" down span; a
crash and restart gives an "engine crashed" span dated by the crashed run's last record."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import gevent
import pytest

from callcenter.reports.availability import availability
from callcenter.reports.store import load_availability
from engine_fixtures import hotline  # noqa: F401  (fixture)

STALE = timedelta(minutes=3)


def _figures(hotline, since: datetime):
    now = datetime.now(timezone.utc)
    with hotline.services.db_engine.connect() as connection:
        return availability(load_availability(connection, since), since, now, now, STALE)


def _scrape(hotline) -> dict:
    from prometheus_client.parser import text_string_to_metric_families
    from werkzeug.test import Client

    from web.metrics import metrics_app
    text = Client(metrics_app(hotline.services)).get("/metrics").get_data(as_text=True)
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_a_dropped_switch_connection_and_a_crash_show_as_down_spans(hotline):
    since = datetime.now(timezone.utc) - timedelta(minutes=1)
    hotline.wait(lambda: hotline.engine.connection.connected, 10, "the engine never connected")
    gevent.sleep(0.2)  # the connected record is written by the resync greenlet
    first = _figures(hotline, since)
    assert first.down and first.down[-1].reason == "not connected"  # start to first connection
    assert first.rate is not None and first.up_seconds > 0

    hotline.sim.drop_connections()
    hotline.wait(lambda: not hotline.engine.connection.connected, 5, "the drop went unnoticed")
    hotline.wait(lambda: hotline.engine.connection.connected, 10, "the engine never reconnected")
    gevent.sleep(0.2)
    dropped = _figures(hotline, since)
    lost = [span for span in dropped.down if span.reason == "switch lost"]
    assert len(lost) == 1 and 0 < (lost[0].end - lost[0].start).total_seconds() < 10
    samples = _scrape(hotline)  # the same drop as the NOC sees it
    assert samples[("callcenter_switch_reconnects_total", ())] == 1
    commands = samples[("callcenter_switch_command_seconds_count", ())]
    assert commands > 0 and samples[("callcenter_switch_command_seconds_bucket", (("le", "+Inf"),))] \
        == commands and 0 < samples[("callcenter_switch_command_seconds_sum", ())] < commands * 3
    decisions = samples[("callcenter_acd_decision_seconds_count", ())]  # agents' states loaded, at least
    assert decisions > 0 and samples[("callcenter_acd_decision_seconds_bucket", (("le", "+Inf"),))] \
        == decisions and samples[("callcenter_acd_decision_seconds_sum", ())] > 0

    hotline.restart_engine()
    hotline.wait(lambda: hotline.engine.connection.connected, 10, "the new engine never connected")
    gevent.sleep(0.2)
    restarted = _figures(hotline, since)
    crashed = [span for span in restarted.down if span.reason == "engine crashed"]
    assert len(crashed) == 1
    assert crashed[0].start >= lost[0].end  # from the old run's last record (its reconnection)
    down_seconds = sum((s.end - s.start).total_seconds() for s in restarted.down)
    assert restarted.up_seconds + down_seconds == pytest.approx(restarted.measured_seconds)
    assert restarted.rate < 1.0


def test_records_written_while_the_database_is_away_are_kept_and_written_later(sessions):
    from sqlalchemy import select

    from callcenter.live.availability import AvailabilityLog
    from callcenter.models import AvailabilityRecord

    class Away:
        def __call__(self):
            raise OSError("database unreachable")

    clock = iter([1_764_000_000.0, 1_764_000_060.0, 1_764_000_120.0]).__next__
    writer = AvailabilityLog(Away(), clock)
    writer.record("engine_started")
    writer.record("heartbeat")
    writer.sessions = sessions  # the database is back
    writer.record("heartbeat")
    with sessions() as db:
        rows = db.execute(select(AvailabilityRecord.kind, AvailabilityRecord.at)
                          .order_by(AvailabilityRecord.at)).all()
    assert [kind for kind, _ in rows] == ["engine_started", "heartbeat", "heartbeat"]
    assert [at.timestamp() for _, at in rows] == [1_764_000_000.0, 1_764_000_060.0, 1_764_000_120.0]
