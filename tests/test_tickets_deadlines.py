"""Answer-back deadlines on the center's calendar: across a weekend and a holiday,
warnings before, overdue after; every clock pinned."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from callcenter.tickets.deadlines import (CALENDAR, WORKING_HOURS, DueState, Limit, NoWorkingTime,
                                         WorkCalendar, deadline, due_state, parse_duration)

SH = ZoneInfo("Asia/Shanghai")
OFFICE = WorkCalendar("Asia/Shanghai", {d: "08:30-17:30" for d in ("mon", "tue", "wed", "thu", "fri")},
                      frozenset({date(2027, 1, 1)}))  # New Year's Day: a Friday


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


@pytest.mark.parametrize("opened,within,counted,due", [
    # Thursday 16:30: 1 h left that day, Friday is a holiday, then the weekend: Monday 11:30
    ("2026-12-31 16:30", "4h", WORKING_HOURS, "2027-01-04 11:30"),
    # two working days from Thursday 16:30: Monday (1), Tuesday (2) at the same time
    ("2026-12-31 16:30", "2d", WORKING_HOURS, "2027-01-05 16:30"),
    # on the wall clock, holidays count
    ("2026-12-31 16:30", "24h", CALENDAR, "2027-01-01 16:30"),
    ("2026-12-31 16:30", "2d", CALENDAR, "2027-01-02 16:30"),
    # opened on a Saturday: the clock starts on Monday morning
    ("2027-01-02 10:00", "4h", WORKING_HOURS, "2027-01-04 12:30"),
    # opened on a Friday evening: one working day is Tuesday 08:30
    ("2026-12-25 20:00", "1d", WORKING_HOURS, "2026-12-29 08:30"),
    # opened before the office opens
    ("2026-12-29 07:00", "1h30m", WORKING_HOURS, "2026-12-29 10:00"),
    # exactly a full working day ends at closing time, not the next morning
    ("2026-12-31 08:30", "9h", WORKING_HOURS, "2026-12-31 17:30"),
    ("2026-12-29 12:00", "30m", WORKING_HOURS, "2026-12-29 12:30"),
])
def test_deadline(opened, within, counted, due):
    result = deadline(at(opened), Limit(parse_duration(within), counted), OFFICE)
    assert result == at(due)


def test_deadline_keeps_the_time_zone_it_was_given():
    opened = at("2026-12-31 16:30").astimezone(ZoneInfo("UTC"))
    result = deadline(opened, Limit(timedelta(hours=4), WORKING_HOURS), OFFICE)
    assert result.tzinfo == opened.tzinfo and result == at("2027-01-04 11:30")


def test_a_calendar_without_working_hours_is_an_error_not_a_hang():
    with pytest.raises(NoWorkingTime):
        deadline(at("2026-12-31 16:30"), Limit(timedelta(hours=1), WORKING_HOURS), WorkCalendar())


@pytest.mark.parametrize("now,state", [
    ("2027-01-04 10:00", DueState.ON_TIME),
    ("2027-01-04 10:30", DueState.WARNING),  # warn_before: 1 h before 11:30
    ("2027-01-04 11:29", DueState.WARNING),
    ("2027-01-04 11:30", DueState.OVERDUE),
    ("2027-01-05 09:00", DueState.OVERDUE),
])
def test_due_state(now, state):
    assert due_state(at("2027-01-04 11:30"), timedelta(hours=1), at(now)) is state


def test_no_deadline_is_never_overdue():
    assert due_state(None, timedelta(hours=1), at("2030-01-01 00:00")) is DueState.ON_TIME


@pytest.mark.parametrize("text,value", [
    ("30m", timedelta(minutes=30)), ("4h", timedelta(hours=4)), ("2d", timedelta(days=2)),
    ("1h30m", timedelta(hours=1, minutes=30)), (" 2D ", timedelta(days=2)),
])
def test_durations(text, value):
    assert parse_duration(text) == value


@pytest.mark.parametrize("text", ["", "4", "h", "2 days", "4h4h", "-1h", "1.5h"])
def test_bad_durations_say_what_is_expected(text):
    with pytest.raises(ValueError, match="looks like 30m, 4h, 2d or 1h30m"):
        parse_duration(text)
