"""The published synthetic day (tests/data/synthetic_day.jsonl, written by
make_synthetic_day.py): figures of hand-written intervals worked out by hand
below, and every interval of the random traffic checked against a second,
naive computation written here from the raw file."""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from callcenter.reports import dayfile
from callcenter.reports.agents import agent_interval_sums, spans
from callcenter.reports.facts import visits_of_all
from callcenter.reports.funnel import funnel
from callcenter.reports.indicators import Figures, Rules, drill_down, interval_sums

DAY_FILE = Path(__file__).parent / "data" / "synthetic_day.jsonl"
ZONE = ZoneInfo("Asia/Shanghai")
RULES = Rules({"billing": 20, "complaints": 20, "general": 20}, short_abandon_seconds=5)


def local(hh, mm):
    return datetime(2026, 11, 16, hh, mm, tzinfo=ZONE).astimezone(timezone.utc)


@pytest.fixture(scope="module")
def day():
    calls, changes = dayfile.read(DAY_FILE)
    visits = visits_of_all(calls)
    return calls, changes, visits, interval_sums(visits, RULES, 30, ZONE)


def test_nine_to_half_past_on_billing_worked_out_by_hand(day):
    *_, sums = day
    # A1..A8 joined billing between 09:00 and 09:29:50. Answered after 5, 15, 20, 21 and 30 s
    # (A8 was answered at 09:30:20, in the next interval, and counts here, where it arrived);
    # abandoned after 3 (short: < 5 s), 45 and 10 s. Talk 120, 200, 100, 300, 60 s.
    figures = Figures(sums[(local(9, 0), "billing", "inbound")])
    s = figures.sums
    assert (s.offered, s.answered, s.answered_in_limit) == (8, 5, 3)  # 5, 15, 20 s within 20 s
    assert (s.abandoned, s.short_abandoned, s.abandoned_over_limit) == (3, 1, 1)
    assert figures.service_level == pytest.approx(3 / 7)  # 3 in time / (5 + 3 - 1 short)
    assert Figures(s, count_short_abandons=True).service_level == pytest.approx(3 / 8)
    assert figures.asa_seconds == pytest.approx(18.2)  # (5 + 15 + 20 + 21 + 30) / 5
    assert figures.aht_seconds == pytest.approx(156.0)  # (120 + 200 + 100 + 300 + 60) / 5
    assert figures.abandon_rate == pytest.approx(3 / 8)
    assert figures.abandon_rate_without_short == pytest.approx(2 / 7)
    assert figures.no_answer_in_time == 3  # 久叫不应: answered after 21 and 30 s, abandoned after 45 s
    assert figures.over_limit_answer_rate == pytest.approx(2 / 5)  # 应答逾限率
    assert figures.connection_rate == pytest.approx(5 / 8)  # 接通率
    assert s.longest_wait_ms == 45_000
    *_, visits, _ = day
    next_half_hour = [v.call for v in drill_down(visits, RULES, "answered")
                      if local(9, 30) <= v.offered_at < local(10, 0)]
    assert next_half_hour and "A8" not in next_half_hour  # A8 is not counted twice


def test_half_past_ten_with_a_transfer_and_a_callback_worked_out_by_hand(day):
    *_, visits, sums = day
    # complaints: B1 answered after 10 s, talked 60 s, transferred; B2 left for a callback
    # after 40 s; B3 answered after 25 s, talked 90 s; B4 abandoned after 6 s (not short)
    complaints = Figures(sums[(local(10, 30), "complaints", "inbound")])
    s = complaints.sums
    assert (s.offered, s.answered, s.answered_in_limit, s.abandoned, s.callbacks) == (4, 2, 1, 1, 1)
    assert complaints.service_level == pytest.approx(1 / 3)  # callbacks are on neither side
    assert complaints.asa_seconds == pytest.approx(17.5)  # (10 + 25) / 2
    assert complaints.aht_seconds == pytest.approx(75.0)  # (60 up to the transfer + 90) / 2
    assert complaints.no_answer_in_time == 1  # B3
    # billing: B1's second visit, from the transfer at 10:31:10, answered after 4 s, 50 s talk
    billing = sums[(local(10, 30), "billing", "inbound")]
    assert (billing.offered, billing.first_offered, billing.transferred_in) == (1, 0, 1)
    assert (billing.wait_answered_ms, billing.handle_ms) == (4_000, 50_000)
    late = drill_down([v for v in visits if v.queue == "complaints"
                       and local(10, 30) <= v.offered_at < local(11, 0)], RULES, "no_answer_in_time")
    assert [v.call for v in late] == ["B3"]


def test_agent_hand01s_occupancy_worked_out_by_hand(day):
    _, changes, *_ = day
    by_interval = agent_interval_sums(spans(changes, local(8, 0), local(20, 0)), 30, ZONE)
    first = by_interval[(local(9, 0), "hand01")]
    # 09:00-09:30: ready 09:00:00-09:00:04 and 09:02:35-09:10:00 (4 + 445 s); ringing 1 s,
    # talk 120 s, wrap-up 30 s; lunch 09:10-09:30 (1200 s, the rest of the break is 09:30-09:40)
    assert (first.ready_ms, first.busy_ms, first.talk_ms, first.wrap_up_ms) == \
        (449_000, 151_000, 120_000, 30_000)
    assert first.not_ready_ms == {"lunch": 1_200_000} and first.logged_in_ms == 1_800_000
    assert first.occupancy == pytest.approx(151 / 600)
    second = by_interval[(local(9, 30), "hand01")]
    assert second.not_ready_ms == {"lunch": 600_000} and second.ready_ms == 1_200_000
    assert second.occupancy == 0.0


def test_the_selfservice_funnel_worked_out_by_hand(day):
    calls, *_ = day
    flow = funnel(calls)["selfservice"]
    # S1, S2 heard their bill and the flow hung up (contained); S3, S4 asked for an agent,
    # S3 reached one, S4 gave up waiting; S5 hung up in the menu
    assert (flow.entered, flow.contained, flow.queued, flow.reached_agent, flow.dropped) == \
        (5, 2, 2, 1, 1)
    assert flow.containment == pytest.approx(2 / 5)
    menu, bill = flow.nodes["menu"], flow.nodes["bill"]
    assert menu.entered == 5 and bill.entered == 3  # S2 went through the menu twice: once
    assert dict(menu.choices) == {"digit_1": 3, "timeout": 1, "digit_2": 1, "caller_hung_up": 1}
    assert menu.dropped == 1 and bill.dropped == 0


def test_every_interval_agrees_with_a_naive_count_from_the_raw_file(day):
    *_, sums = day
    expected = naive_intervals(DAY_FILE)
    got = {(k[0], k[1]): (v.offered, v.answered, v.answered_in_limit, v.abandoned,
                          v.short_abandoned, v.wait_answered_ms, v.handle_ms)
           for k, v in sums.items()}
    assert len(got) > 40 and got == expected


def naive_intervals(path):
    """Straight from the JSON, without the code under test: one visit per call (the
    file's only transfer, B1, adds the second visit by hand)."""
    out = defaultdict(lambda: [0] * 7)
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["type"] != "call" or row["queue"] is None:
            continue
        events = [(datetime.fromisoformat(e["at"]), e["kind"], e["data"]) for e in row["events"]]
        joined = next(at for at, kind, data in events
                      if kind == "ivr_finished" and data["outcome"] == "queue")
        local_join = joined.astimezone(ZONE)
        start = local_join.replace(minute=local_join.minute // 30 * 30, second=0,
                                   microsecond=0).astimezone(timezone.utc)
        kinds = {kind: at for at, kind, _ in events}
        counts = out[(start, row["queue"])]
        counts[0] += 1
        if "connected" in kinds:
            answered = min(at for at, kind, _ in events if kind == "connected")
            wait = (answered - joined).total_seconds()
            end = kinds.get("transferred") or kinds["ended"]
            counts[1] += 1
            counts[2] += wait <= 20
            counts[5] += round(wait * 1000)
            counts[6] += round((end - answered).total_seconds() * 1000)
        elif "abandoned" in kinds:
            wait = (kinds["abandoned"] - joined).total_seconds()
            counts[3] += 1
            counts[4] += wait < 5
    b1 = out[(local(10, 30), "billing")]
    for i, value in enumerate((1, 1, 1, 0, 0, 4_000, 50_000)):
        b1[i] += value
    return {k: tuple(v) for k, v in out.items()}
