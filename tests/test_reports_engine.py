"""The indicators from what the real engine writes (against the switch simulator over
real sockets): a caller who waits, is answered and hangs up; one who gives up
waiting. The log gives one answered and one abandoned visit, the live figures equal a
rebuild, and while the first caller waits the floor lists them with explain()'s answer."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from dataclasses import replace

from callcenter.reports.facts import visits_of, visits_of_all
from callcenter.reports.indicators import Rules
from callcenter.reports.live import LiveFigures
from callcenter.reports.store import Settings, compute, load_calls, same
from engine_fixtures import hotline  # noqa: F401  (fixture)

TO_AN_AGENT = "wait:0.5 press:1 wait:1 press:0"  # Mandarin, then 0 for an agent (general)
ZONE = ZoneInfo("Asia/Shanghai")
SETTINGS = Settings(Rules({"general": 20}), 30, ZONE)


def test_what_the_engine_logs_gives_the_visits_and_live_equals_rebuild(hotline):
    answered = hotline.sim.place_call("13800000001", "10000", TO_AN_AGENT + " wait:8 hangup")
    hotline.wait(lambda: hotline.waiting() == [answered], 15, "the caller never queued")
    waiting = hotline.engine.live.waiting_callers()
    assert [(w.uuid, w.queue) for w in waiting] == [(answered, "general")]
    assert waiting[0].why["nobody_logged_in"] is True and waiting[0].waited_seconds >= 0

    hotline.agent_ready("agent08")
    hotline.wait(lambda: hotline.agent_on(answered) == "agent08", 20, "agent08 never got the call")
    gone = hotline.sim.place_call("13800000002", "10000", TO_AN_AGENT + " wait:3 hangup")
    hotline.wait(lambda: hotline.call(gone) is not None and hotline.call(gone).abandoned, 20,
                 "the second caller did not abandon")
    hotline.wait(lambda: hotline.event(answered, "ended"), 20, "the first call never ended")
    hotline.engine.calllog.flush()

    now = datetime.now(timezone.utc)
    start, end = now - timedelta(hours=1), now + timedelta(minutes=1)
    live = LiveFigures(hotline.services.db_engine, SETTINGS)
    live.refresh(now)
    with hotline.services.db_engine.connect() as connection:
        visits = {v.call: v for v in visits_of_all(load_calls(connection, start, end))}
        rebuilt = compute(connection, SETTINGS, live.start, end)  # today (the center's day)
    assert visits[answered].outcome == "answered" and visits[answered].agent == "agent08"
    assert visits[answered].wait_ms > 0 and visits[answered].handle_ms > 0
    assert visits[gone].outcome == "abandoned" and visits[gone].queue == "general"
    assert len(visits) == 2
    assert same(live.interval_sums(), rebuilt)


def test_the_queue_join_is_logged_so_the_log_alone_dates_the_visit(hotline):
    uuid = hotline.sim.place_call("13800000003", "10000", TO_AN_AGENT + " wait:30 hangup")
    hotline.wait(lambda: hotline.waiting() == [uuid], 15, "the caller never queued")
    hotline.wait(lambda: hotline.event(uuid, "queued"), 5, "no queued event")
    assert hotline.event(uuid, "queued")["queue"] == "general"
    joined = hotline.event_time(uuid, "queued")
    assert joined == hotline.call(uuid).queued_at
    now = datetime.now(timezone.utc)
    with hotline.services.db_engine.connect() as connection:
        calls = load_calls(connection, now - timedelta(hours=1), now + timedelta(minutes=1))
    record = next(c for c in calls if c.uuid == uuid)
    # without the IVR's hand-over and the row's time, the queued event alone starts the visit
    log_only = replace(record, queued_at=None,
                       events=tuple(e for e in record.events if e.kind != "ivr_finished"))
    assert [(v.queue, v.offered_at, v.outcome) for v in visits_of(log_only)] == \
        [("general", joined, "waiting")]
    assert len(visits_of(record)) == 1  # the IVR's hand-over and the queued event: one visit
