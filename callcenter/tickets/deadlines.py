"""Answer-back deadlines (回告时限) on the center's calendar. Pure: no clock, no database.

A limit is counted either on the wall clock ("calendar": 2 days = 48 hours) or
in working time ("working_hours"): hours are hours of the working day, days
are working days (the deadline falls at the same working moment N working
days later); weekends without working hours and holidays do not count.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from callcenter.ivr.calendar import WEEKDAYS, parse_range

CALENDAR, WORKING_HOURS = "calendar", "working_hours"
MAX_DAYS_SEARCHED = 400  # a calendar with no working day at all must not loop forever


@dataclass(frozen=True)
class WorkCalendar:
    timezone: str = "Asia/Shanghai"
    working_hours: dict[str, str] = field(default_factory=dict)  # mon: "08:30-17:30"
    holidays: frozenset[date] = frozenset()

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def hours_on(self, day: date) -> tuple[time, time] | None:
        """The working hours of a local day, or None: weekend without hours, or a holiday."""
        text = self.working_hours.get(WEEKDAYS[day.weekday()])
        if not text or day in self.holidays:
            return None
        return parse_range(text)

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        hours = self.hours_on(day)
        if hours is None:
            return None
        start, end = (datetime.combine(day, t, self.zone()) for t in hours)
        if end <= start:  # 00:00-00:00 or over midnight: to the end of the day
            end = datetime.combine(day + timedelta(days=1), time(0), self.zone())
        return start, end


@dataclass(frozen=True)
class Limit:
    within: timedelta
    counted: str = CALENDAR  # or WORKING_HOURS
    warn_before: timedelta = timedelta(0)

    @property
    def in_days(self) -> bool:
        return self.within.seconds == 0 and self.within.days > 0


class NoWorkingTime(ValueError):
    pass


def deadline(opened_at: datetime, limit: Limit, calendar: WorkCalendar) -> datetime:
    if limit.counted == CALENDAR:
        return opened_at + limit.within
    if limit.in_days:
        return _add_working_days(opened_at, limit.within.days, calendar)
    return _add_working_time(opened_at, limit.within, calendar)


def _windows_from(moment: datetime, calendar: WorkCalendar):
    """The working windows from ``moment`` on, the first one cut at ``moment``."""
    local = moment.astimezone(calendar.zone())
    day = local.date()
    for _ in range(MAX_DAYS_SEARCHED):
        window = calendar.window(day)
        day += timedelta(days=1)
        if window is None or window[1] <= local:
            continue
        yield max(window[0], local), window[1]
    raise NoWorkingTime(f"no working hours in the {MAX_DAYS_SEARCHED} days after {moment:%Y-%m-%d}")


def _add_working_time(start: datetime, amount: timedelta, calendar: WorkCalendar) -> datetime:
    left = amount
    for begin, end in _windows_from(start, calendar):
        if end - begin >= left:
            return (begin + left).astimezone(start.tzinfo)
        left -= end - begin
    raise AssertionError("unreachable")


def _add_working_days(start: datetime, days: int, calendar: WorkCalendar) -> datetime:
    """From the first working moment, the same time on the Nth working day after
    (moved into that day's hours if they are shorter)."""
    begin, _ = next(_windows_from(start, calendar))
    clock, day = begin.time(), begin.date()
    counted = 0
    for _ in range(MAX_DAYS_SEARCHED):
        day += timedelta(days=1)
        window = calendar.window(day)
        if window is not None:
            counted += 1
            if counted == days:
                at = datetime.combine(day, clock, calendar.zone())
                return max(window[0], min(at, window[1])).astimezone(start.tzinfo)
    raise NoWorkingTime(f"fewer than {days} working days in the {MAX_DAYS_SEARCHED} days "
                        f"after {start:%Y-%m-%d}")


class DueState(str, enum.Enum):
    ON_TIME = "on_time"
    WARNING = "warning"  # within warn_before of the deadline
    OVERDUE = "overdue"


def due_state(deadline_at: datetime | None, warn_before: timedelta, now: datetime) -> DueState:
    if deadline_at is None or now < deadline_at - warn_before:
        return DueState.ON_TIME
    return DueState.WARNING if now < deadline_at else DueState.OVERDUE


def parse_duration(text: str) -> timedelta:
    """'30m', '4h', '2d' (also '1h30m'); ValueError with the expected form."""
    units = {"d": "days", "h": "hours", "m": "minutes"}
    text = str(text).strip().lower()
    parts, number = {}, ""
    for char in text:
        if char.isdigit():
            number += char
        elif char in units and number and units[char] not in parts:
            parts[units[char]] = int(number)
            number = ""
        else:
            number = "x"
            break
    if number or not parts:
        raise ValueError(f"a duration looks like 30m, 4h, 2d or 1h30m, got {text!r}")
    return timedelta(**parts)
