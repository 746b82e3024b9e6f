"""KPI arithmetic (web/kpi.py): pure functions, table-driven."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from web import kpi

T0 = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)


def call(wait=None, talk=None, abandoned=False):
    """A call that waited ``wait`` seconds, then was answered (talking ``talk`` s) or abandoned."""
    if wait is None:
        return kpi.QueuedCall(T0)
    end = T0 + timedelta(seconds=wait)
    if abandoned:
        return kpi.QueuedCall(T0, None, end, True)
    return kpi.QueuedCall(T0, end, end + timedelta(seconds=talk) if talk is not None else None)


@pytest.mark.parametrize("calls, expected", [
    ([], None),
    ([call(None)], None),  # still waiting: nothing decided yet
    ([call(5), call(19), call(20), call(21)], 0.75),  # 20 s itself is within the limit
    ([call(5), call(30, abandoned=True)], 0.5),  # a long abandon counts against
    ([call(5), call(3, abandoned=True)], 1.0),  # a short abandon (< 5 s) is not counted
    ([call(3, abandoned=True)], None),
])
def test_service_level(calls, expected):
    assert kpi.service_level(calls, threshold=20, short_abandon=5) == expected


def test_service_level_threshold_is_a_parameter():
    calls = [call(10), call(16)]
    assert kpi.service_level(calls, threshold=15) == 0.5
    assert kpi.service_level(calls, threshold=20) == 1.0


@pytest.mark.parametrize("calls, expected", [
    ([], None), ([call(None)], None),
    ([call(5), call(40, abandoned=True), call(3, abandoned=True), call(8)], 0.5),
])
def test_abandon_rate(calls, expected):
    assert kpi.abandon_rate(calls) == expected


def test_average_speed_of_answer_counts_answered_calls_only():
    assert kpi.average_speed_of_answer([call(10), call(20), call(90, abandoned=True)]) == 15
    assert kpi.average_speed_of_answer([call(90, abandoned=True)]) is None


def test_average_handle_time_counts_finished_calls_only():
    assert kpi.average_handle_time([call(1, 100), call(1, 200), call(1)]) == 150
    assert kpi.average_handle_time([call(1)]) is None


@pytest.mark.parametrize("value, text", [(None, "–"), (0.0, "0%"), (0.805, "80%"), (1, "100%")])
def test_percent(value, text):
    assert kpi.percent(value) == text
