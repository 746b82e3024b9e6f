"""Calling windows in the contact's local time: may we call now, and if not, when?

A campaign allows calls on some hours of each weekday (``{"mon": ["09:00-12:00",
"14:00-20:00"], ..., "sun": []}``; a day left out: no calls), never on the
calendar's holidays, all read in the **contact's** time zone (the center's when
the contact has none).  Times in and out are aware datetimes; ``now`` comes
from the caller's clock (the switch's, or a pinned one in tests).

A window is ``start <= local time < end`` with start before end on the same
day ("24:00" may end a window at midnight).  Daylight-saving changes follow
zoneinfo: on the night clocks go forward a window that starts in the missing
hour opens at the first moment that exists after it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Collection, Iterable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_TIMEZONE = "Asia/Shanghai"
END_OF_DAY = time.max


class WindowError(ValueError):
    """A calling window or time zone that cannot be understood."""


@dataclass(frozen=True)
class CallingWindow:
    start: time
    end: time  # time.max for "24:00"

    def contains(self, moment: time) -> bool:
        return self.start <= moment < self.end or (self.end == END_OF_DAY and moment >= self.start)

    def __str__(self) -> str:
        end = "24:00" if self.end == END_OF_DAY else self.end.strftime("%H:%M")
        return f"{self.start.strftime('%H:%M')}-{end}"


@dataclass(frozen=True)
class WeeklyWindows:
    """Per weekday (0 = Monday) the windows calls are allowed in, earliest first."""

    days: tuple[tuple[CallingWindow, ...], ...]

    def on(self, day: date) -> tuple[CallingWindow, ...]:
        return self.days[day.weekday()]


def parse_window(text: str) -> CallingWindow:
    """'09:00-20:00' -> CallingWindow; WindowError naming what is wrong."""
    start_text, dash, end_text = str(text).partition("-")
    if not dash:
        raise WindowError(f"a calling window looks like 09:00-20:00, got {text!r}")
    try:
        start = time.fromisoformat(start_text.strip())
        end = END_OF_DAY if end_text.strip() == "24:00" else time.fromisoformat(end_text.strip())
    except ValueError:
        raise WindowError(f"a calling window looks like 09:00-20:00, got {text!r}") from None
    if start >= end:
        raise WindowError(f"a calling window must start before it ends on the same day, got {text!r}")
    return CallingWindow(start, end)


def parse_weekly(spec: Mapping[str, Iterable[str]]) -> WeeklyWindows:
    """``{"mon": ["09:00-20:00"], ...}`` -> WeeklyWindows (days left out: no calls)."""
    days: list[tuple[CallingWindow, ...]] = []
    unknown = set(spec) - set(WEEKDAYS)
    if unknown:
        raise WindowError(f"unknown day(s) {', '.join(sorted(unknown))} (known: {', '.join(WEEKDAYS)})")
    for name in WEEKDAYS:
        windows = sorted((parse_window(text) for text in spec.get(name) or ()), key=lambda w: w.start)
        for before, after in zip(windows, windows[1:]):
            if after.start < before.end:
                raise WindowError(f"{name}: windows {before} and {after} overlap")
        days.append(tuple(windows))
    return WeeklyWindows(tuple(days))


def zone(name: str | None, default: str = DEFAULT_TIMEZONE) -> ZoneInfo:
    """The contact's zone, or the center's ``default`` when the contact has none."""
    chosen = name or default
    try:
        return ZoneInfo(chosen)
    except (ZoneInfoNotFoundError, ValueError):
        raise WindowError(f"unknown time zone {chosen!r}") from None


def may_call(now_utc: datetime, tz: str | ZoneInfo | None, windows: WeeklyWindows,
             holidays: Collection[date] = ()) -> bool:
    """True when ``now_utc`` falls in a calling window in ``tz`` and is not a holiday there."""
    local = _aware(now_utc).astimezone(_zone(tz))
    if local.date() in holidays:
        return False
    return any(window.contains(local.time().replace(tzinfo=None)) for window in windows.on(local.date()))


def next_window_start(now_utc: datetime, tz: str | ZoneInfo | None, windows: WeeklyWindows,
                      holidays: Collection[date] = (), max_days: int = 400) -> datetime | None:
    """The first moment at or after ``now_utc`` when ``may_call`` is true, in UTC.

    ``now_utc`` itself when it is inside a window; None when no window opens
    within ``max_days`` (every day closed, or a year of holidays).
    """
    now_utc = _aware(now_utc).astimezone(timezone.utc)
    place = _zone(tz)
    if may_call(now_utc, place, windows, holidays):
        return now_utc
    today = now_utc.astimezone(place).date()
    for offset in range(max_days + 1):
        day = today + timedelta(days=offset)
        if day in holidays:
            continue
        for window in windows.on(day):
            start = _first_existing(day, window, place)
            if start is not None and start > now_utc:
                return start
    return None


def may_start(now_utc: datetime, tz: str | ZoneInfo | None, windows: WeeklyWindows,
              holidays: Collection[date] = (), guard_seconds: float = 0) -> bool:
    """``may_call`` now and still ``guard_seconds`` later: a call started now never starts
    in a window's last moments (so it never runs on past the window's end)."""
    later = _aware(now_utc) + timedelta(seconds=guard_seconds)
    return may_call(now_utc, tz, windows, holidays) and may_call(later, tz, windows, holidays)


def next_start(now_utc: datetime, tz: str | ZoneInfo | None, windows: WeeklyWindows,
               holidays: Collection[date] = (), guard_seconds: float = 0) -> datetime | None:
    """The first moment at or after ``now_utc`` that ``may_start`` accepts (None: no window
    opens any more); inside a window's guarded last moments, the next window's opening."""
    start = next_window_start(now_utc, tz, windows, holidays)
    for _ in range(3):
        if start is None or may_start(start, tz, windows, holidays, guard_seconds):
            return start
        start = next_window_start(start + timedelta(seconds=guard_seconds + 1), tz, windows,
                                  holidays)
    return start


def _first_existing(day: date, window: CallingWindow, place: ZoneInfo) -> datetime | None:
    """The window's opening on ``day`` in UTC; shifted past a spring-forward gap if need be."""
    local = datetime.combine(day, window.start, tzinfo=place)
    instant = local.astimezone(timezone.utc)
    back = instant.astimezone(place)
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        # The start does not exist (clocks went forward over it): zoneinfo read it with the
        # offset from before the change, which lands just as far after the gap began.
        gap_end = _gap_end(local, place)
        instant = gap_end.astimezone(timezone.utc)
        back = gap_end
    if back.date() != day or not window.contains(back.time().replace(tzinfo=None)):
        return None
    return instant


def _gap_end(local: datetime, place: ZoneInfo) -> datetime:
    """The first local moment that exists after a non-existent ``local`` time."""
    before = (local - timedelta(hours=3)).astimezone(timezone.utc)
    after = (local + timedelta(hours=3)).astimezone(timezone.utc)
    while after - before > timedelta(seconds=1):  # the offset changes once in between
        middle = before + (after - before) / 2
        if middle.astimezone(place).utcoffset() == before.astimezone(place).utcoffset():
            before = middle
        else:
            after = middle
    return after.replace(microsecond=0).astimezone(place)


def _zone(tz: str | ZoneInfo | None) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else zone(tz)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("times must carry their zone (UTC from the switch's clock), got a naive one")
    return moment
