"""Indicator arithmetic, table-driven: a call's events -> visits, visits -> figures,
interval boundaries in the center's time zone, agents' spans split at boundaries."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from callcenter.reports.agents import Span, StateChange, split, spans
from callcenter.reports.facts import CallRecord, Event, visits_of
from callcenter.reports.indicators import Figures, Rules, Sums, interval_sums, total
from callcenter.reports.intervals import BadInterval, check_minutes, interval_start, starts_between

ZONE = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 16, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai


def at(seconds):
    return T0 + timedelta(seconds=seconds)


def call(*events, **row):
    return CallRecord("c1", events=tuple(Event(at(t), kind, data) for t, kind, data in events), **row)


QUEUED = (0, "ivr_finished", {"outcome": "queue", "need": "billing"})

VISITS = [
    # (what happened, events, row fields, expected [(queue, outcome, wait s, handle s, flags)])
    ("answered then ended", [QUEUED, (12, "connected", {"agent": "a1"}), (72, "ended", {})], {},
     [("billing", "answered", 12, 60, "")]),
    ("abandoned while waiting", [QUEUED, (30, "abandoned", {})], {},
     [("billing", "abandoned", 30, None, "")]),
    ("still waiting", [QUEUED], {}, [("billing", "waiting", None, None, "")]),
    ("left for a callback", [QUEUED, (50, "callback_requested", {})], {},
     [("billing", "callback", 50, None, "")]),
    ("overflow moves the visit, the wait goes on",
     [QUEUED, (40, "overflow", {"from": "billing", "to": "general"}),
      (55, "connected", {"agent": "a2"}), (75, "ended", {})], {},
     [("general", "answered", 55, 20, "")]),
    ("overflow to voicemail keeps the queue",
     [QUEUED, (40, "overflow", {"from": "billing", "to": "voicemail"}), (90, "abandoned", {})], {},
     [("billing", "abandoned", 90, None, "")]),
    ("a transfer ends one visit and starts another",
     [QUEUED, (5, "connected", {"agent": "a1"}), (65, "transferred", {"need": "complaints"}),
      (70, "connected", {"agent": "a3"}), (100, "ended", {})], {},
     [("billing", "answered", 5, 60, "out"), ("complaints", "answered", 5, 30, "in")]),
    ("no IVR: the row's queue time", [(3, "connected", {"agent": "a1"}), (9, "ended", {})],
     {"queued_at": at(0), "queue_name": "general"}, [("general", "answered", 3, 6, "")]),
    ("ended in the IVR: no visit", [(0, "ivr_finished", {"outcome": "hangup"})], {}, []),
    ("connected but still talking: no handle time yet",
     [QUEUED, (8, "connected", {"agent": "a1"})], {}, [("billing", "answered", 8, None, "")]),
]


@pytest.mark.parametrize("case, events, row, expected", VISITS, ids=[v[0] for v in VISITS])
def test_a_calls_events_become_its_queue_visits(case, events, row, expected):
    got = [(v.queue, v.outcome, None if v.wait_ms is None else v.wait_ms / 1000,
            None if v.handle_ms is None else v.handle_ms / 1000,
            "in" if v.transferred_in else "out" if v.transferred_out else "")
           for v in visits_of(call(*events, **row))]
    assert got == expected


RATES = [
    # (sums, count short, service level, abandon rate, without short, asa, aht)
    (Sums(), False, None, None, None, None, None),
    (Sums(offered=2, waiting=2), False, None, None, None, None, None),
    (Sums(offered=1, abandoned=1, short_abandoned=1), False, None, 1.0, None, None, None),
    (Sums(offered=1, abandoned=1, short_abandoned=1), True, 0.0, 1.0, None, None, None),
    (Sums(offered=4, answered=3, answered_in_limit=2, abandoned=1, wait_answered_ms=30_000,
          handled=2, handle_ms=200_000), False, 0.5, 0.25, 0.25, 10.0, 100.0),
]


@pytest.mark.parametrize("sums, count_short, sl, abandon, abandon_ns, asa, aht", RATES)
def test_rates_from_sums_and_no_data_is_not_zero(sums, count_short, sl, abandon, abandon_ns,
                                                 asa, aht):
    figures = Figures(sums, count_short_abandons=count_short)
    assert (figures.service_level, figures.abandon_rate, figures.abandon_rate_without_short,
            figures.asa_seconds, figures.aht_seconds) == (sl, abandon, abandon_ns, asa, aht)


def test_each_queue_is_judged_by_its_own_limit_and_sums_add_up():
    rules = Rules({"billing": 45, "complaints": 20})
    visits = [v for q in ("billing", "complaints") for v in visits_of(CallRecord(
        q, events=(Event(at(0), "queued", {"queue": q}), Event(at(40), "connected", {"agent": "a"}),
                   Event(at(100), "ended", {}))))]
    sums = interval_sums(visits, rules, 30, ZONE)
    assert sums[(T0, "billing", "inbound")].answered_in_limit == 1
    assert sums[(T0, "complaints", "inbound")].answered_in_limit == 0
    both = total(sums.values())
    assert (both.offered, both.answered_in_limit, both.longest_wait_ms) == (2, 1, 40_000)


BOUNDARIES = [
    # (local time, minutes, expected local start)
    ("10:14:59", 15, "10:00"), ("10:15:00", 15, "10:15"), ("10:59:59", 30, "10:30"),
    ("00:00:00", 30, "00:00"), ("23:59:59", 60, "23:00"),
]


@pytest.mark.parametrize("when, minutes, start", BOUNDARIES)
def test_intervals_are_aligned_in_the_centers_time_zone(when, minutes, start):
    local = datetime.fromisoformat(f"2026-11-16T{when}").replace(tzinfo=ZONE)
    got = interval_start(local.astimezone(timezone.utc), minutes, ZONE).astimezone(ZONE)
    assert got.strftime("%H:%M") == start and got.date() == local.date()


def test_interval_lengths_other_than_15_30_60_are_refused_by_name():
    assert check_minutes(15) == 15
    with pytest.raises(BadInterval, match="interval_minutes must be 15, 30 or 60, got 20"):
        check_minutes(20)
    assert len(starts_between(T0, T0 + timedelta(days=1), 30, ZONE)) == 48


def test_a_span_is_split_at_interval_boundaries_and_the_state_before_counts():
    span = Span("a1", "not_ready", "lunch", at(20 * 60), at(40 * 60))  # 10:20-10:40
    assert [(p.start, p.ms) for p in split(span, 30, ZONE)] == \
        [(at(20 * 60), 600_000), (at(30 * 60), 600_000)]
    before = {"a1": StateChange("a1", at(-3600), "ready")}
    got = spans([StateChange("a1", at(600), "logged_out")], at(0), at(1800), before)
    assert [(s.state, s.ms) for s in got] == [("ready", 600_000)]


@pytest.mark.parametrize("scores, answers, satisfied, rate", [
    ([], 0, 0, None), ([None, None], 0, 0, None), ([5, 4, 3, None, 1], 4, 2, 0.5), ([4], 1, 1, 1.0)])
def test_satisfaction_counts_survey_answers_of_4_or_5(scores, answers, satisfied, rate):
    from callcenter.reports.indicators import satisfaction
    got = satisfaction(scores)
    assert (got.answers, got.satisfied, got.rate) == (answers, satisfied, rate)


@pytest.mark.parametrize("when", ["2026-11-16T00:00:00", "2026-11-16T07:59:59", "2026-11-16T23:59:59"])
def test_a_day_bucket_is_the_centers_day_not_the_utc_one(when):
    from callcenter.reports.intervals import DAY, bucket_start
    local = datetime.fromisoformat(when).replace(tzinfo=ZONE)
    start = bucket_start(local.astimezone(timezone.utc), DAY, ZONE)
    assert start == datetime(2026, 11, 15, 16, 0, tzinfo=timezone.utc)  # 00:00 on the 16th, +08:00
