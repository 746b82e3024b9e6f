"""Calling windows in the contact's local time: weekdays, holidays, midnight, DST (pinned clocks)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from callcenter.dialer.windows import (
    WindowError, may_call, may_start, next_start, next_window_start, parse_weekly, parse_window)

UTC = timezone.utc
WEEKDAYS_9_TO_21 = parse_weekly({day: ["09:00-12:00", "13:30-21:00"]
                                 for day in ("mon", "tue", "wed", "thu", "fri")}
                                | {"sat": ["10:00-18:00"]})
NATIONAL_DAY = date(2026, 10, 1)  # a Thursday


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Shanghai is UTC+8 all year; New York is UTC-5 in winter, UTC-4 in summer.
@pytest.mark.parametrize("now, tz, expected", [
    (utc(2026, 9, 29, 1, 0), "Asia/Shanghai", True),     # Tue 09:00 local: opens
    (utc(2026, 9, 29, 0, 59, 59), "Asia/Shanghai", False),  # Tue 08:59:59 local
    (utc(2026, 9, 29, 4, 30), "Asia/Shanghai", False),   # Tue 12:30 local: lunch break
    (utc(2026, 9, 29, 12, 59, 59), "Asia/Shanghai", True),  # Tue 20:59:59 local
    (utc(2026, 9, 29, 13, 0), "Asia/Shanghai", False),   # Tue 21:00 local: closed
    (utc(2026, 10, 1, 3, 0), "Asia/Shanghai", False),    # National Day, 11:00 local
    (utc(2026, 10, 3, 3, 0), "Asia/Shanghai", True),     # Saturday 11:00 local
    (utc(2026, 10, 4, 3, 0), "Asia/Shanghai", False),    # Sunday: no window
    (utc(2026, 9, 29, 3, 0), "America/New_York", False),  # Mon 23:00 in New York
    (utc(2026, 9, 29, 15, 0), "America/New_York", True),  # Tue 11:00 in New York
    (utc(2026, 10, 1, 15, 0), "America/New_York", False),  # New York's Oct 1 is a holiday too
    (utc(2026, 9, 29, 3, 0), None, True),                 # no zone: the center's (Shanghai)
])
def test_may_call_reads_the_contacts_local_time(now, tz, expected):
    assert may_call(now, tz, WEEKDAYS_9_TO_21, {NATIONAL_DAY}) is expected


@pytest.mark.parametrize("now, tz, expected", [
    # inside a window: now
    (utc(2026, 9, 29, 2, 0), "Asia/Shanghai", utc(2026, 9, 29, 2, 0)),
    # before opening: today's start
    (utc(2026, 9, 28, 23, 0), "Asia/Shanghai", utc(2026, 9, 29, 1, 0)),
    # lunch break: the afternoon window
    (utc(2026, 9, 29, 4, 30), "Asia/Shanghai", utc(2026, 9, 29, 5, 30)),
    # Tuesday evening, past midnight local: Wednesday morning
    (utc(2026, 9, 29, 16, 30), "Asia/Shanghai", utc(2026, 9, 30, 1, 0)),
    # Wednesday 21:00 local, Thursday is National Day: Friday 09:00
    (utc(2026, 9, 30, 13, 0), "Asia/Shanghai", utc(2026, 10, 2, 1, 0)),
    # Saturday 18:00 local, Sunday closed: Monday 09:00
    (utc(2026, 10, 3, 10, 0), "Asia/Shanghai", utc(2026, 10, 5, 1, 0)),
    # New York, Friday 22:00 local: Saturday 10:00 local (UTC-4)
    (utc(2026, 10, 3, 2, 0), "America/New_York", utc(2026, 10, 3, 14, 0)),
    # New York across the autumn change (Nov 1 2026): Sat 18:00 EDT -> Mon 09:00 EST
    (utc(2026, 10, 31, 22, 0), "America/New_York", utc(2026, 11, 2, 14, 0)),
])
def test_next_window_start(now, tz, expected):
    start = next_window_start(now, tz, WEEKDAYS_9_TO_21, {NATIONAL_DAY})
    assert start == expected
    assert may_call(start, tz, WEEKDAYS_9_TO_21, {NATIONAL_DAY})
    assert not may_call(start - timedelta(seconds=1), tz, WEEKDAYS_9_TO_21, {NATIONAL_DAY}) \
        or start == now


def test_a_pinned_clock_crossing_the_window_end_stops_calls_until_the_next_morning():
    clock = utc(2026, 9, 29, 12, 59, 55)  # Tue 20:59:55 in Shanghai
    seen = []
    for _ in range(10):
        seen.append(may_call(clock, "Asia/Shanghai", WEEKDAYS_9_TO_21))
        clock += timedelta(seconds=1)
    assert seen == [True] * 5 + [False] * 5
    assert next_window_start(clock, "Asia/Shanghai", WEEKDAYS_9_TO_21) == utc(2026, 9, 30, 1, 0)


def test_spring_forward_gap_opens_at_the_first_existing_moment():
    early = parse_weekly({"sun": ["02:30-04:00"]})
    # 8 March 2026, New York: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist.
    start = next_window_start(utc(2026, 3, 8, 5, 0), "America/New_York", early)
    assert start == utc(2026, 3, 8, 7, 0)  # 03:00 EDT
    assert start.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York")).hour == 3


def test_a_window_wholly_inside_the_gap_is_skipped_that_day():
    lost = parse_weekly({"sun": ["02:10-02:50"]})
    start = next_window_start(utc(2026, 3, 8, 5, 0), "America/New_York", lost)
    assert start == utc(2026, 3, 15, 6, 10)  # next Sunday 02:10 EDT


def test_midnight_end_and_no_window_at_all():
    late = parse_weekly({"mon": ["20:00-24:00"]})
    assert may_call(utc(2026, 9, 28, 15, 59, 59), "Asia/Shanghai", late)  # Mon 23:59:59
    assert not may_call(utc(2026, 9, 28, 16, 0), "Asia/Shanghai", late)   # Tue 00:00
    assert next_window_start(utc(2026, 9, 28, 0, 0), "Asia/Shanghai", parse_weekly({})) is None


@pytest.mark.parametrize("spec, message", [
    ({"mon": ["9-5"]}, "a calling window looks like 09:00-20:00, got '9-5'"),
    ({"mon": ["0900"]}, "a calling window looks like 09:00-20:00, got '0900'"),
    ({"mon": ["20:00-09:00"]}, "must start before it ends on the same day, got '20:00-09:00'"),
    ({"mon": ["09:00-12:00", "11:00-13:00"]}, "mon: windows 09:00-12:00 and 11:00-13:00 overlap"),
    ({"funday": ["09:00-12:00"]}, "unknown day(s) funday"),
])
def test_bad_windows_say_what_is_wrong(spec, message):
    with pytest.raises(WindowError) as caught:
        parse_weekly(spec)
    assert message in str(caught.value)


def test_unknown_zone_and_naive_times_are_refused():
    with pytest.raises(WindowError, match="unknown time zone 'Mars/Olympus'"):
        may_call(utc(2026, 9, 29, 2, 0), "Mars/Olympus", WEEKDAYS_9_TO_21)
    with pytest.raises(ValueError, match="naive"):
        may_call(datetime(2026, 9, 29, 2, 0), "Asia/Shanghai", WEEKDAYS_9_TO_21)
    assert str(parse_window("08:00-24:00")) == "08:00-24:00"


# The guard: no call starts in a window's last minute (Shanghai, UTC+8; Tue 2026-09-29).
@pytest.mark.parametrize("now, guard, allowed, next_at", [
    (utc(2026, 9, 29, 12, 58, 59), 60, True, utc(2026, 9, 29, 12, 58, 59)),  # 20:58:59: a minute left
    (utc(2026, 9, 29, 12, 59, 30), 60, False, utc(2026, 9, 30, 1, 0)),  # 20:59:30: Wed 09:00
    (utc(2026, 9, 29, 12, 59, 30), 0, True, utc(2026, 9, 29, 12, 59, 30)),  # no guard: still open
    (utc(2026, 9, 29, 3, 59, 30), 60, False, utc(2026, 9, 29, 5, 30)),  # 11:59:30: after lunch
    (utc(2026, 9, 29, 13, 0), 60, False, utc(2026, 9, 30, 1, 0)),  # 21:00: closed, next morning
    (utc(2026, 9, 30, 12, 59, 30), 60, False, utc(2026, 10, 2, 1, 0)),  # Wed late: Oct 1 a holiday
    (utc(2026, 10, 3, 9, 59, 30), 60, False, utc(2026, 10, 5, 1, 0)),  # Sat 17:59:30: Sun closed
])
def test_a_call_never_starts_in_a_windows_last_minute(now, guard, allowed, next_at):
    assert may_start(now, "Asia/Shanghai", WEEKDAYS_9_TO_21, {NATIONAL_DAY}, guard) is allowed
    assert next_start(now, "Asia/Shanghai", WEEKDAYS_9_TO_21, {NATIONAL_DAY}, guard) == next_at


def test_next_start_is_none_when_no_window_opens():
    assert next_start(utc(2026, 9, 29, 3, 0), None, parse_weekly({}), (), 60) is None
