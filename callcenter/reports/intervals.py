"""Interval boundaries in the center's time zone (pure)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

INTERVAL_CHOICES = (15, 30, 60)
DAY = 1440  # a report's "interval" of a whole day (the center's)


class BadInterval(ValueError):
    pass


def check_minutes(minutes: int) -> int:
    if minutes not in INTERVAL_CHOICES:
        raise BadInterval(f"reports.interval_minutes must be 15, 30 or 60, got {minutes!r}")
    return minutes


def interval_start(at: datetime, minutes: int, zone: ZoneInfo) -> datetime:
    """The start (UTC) of the interval holding ``at``, aligned to the hour in ``zone``."""
    local = at.astimezone(zone)
    floored = local.replace(minute=local.minute - local.minute % minutes, second=0, microsecond=0)
    return floored.astimezone(timezone.utc)


def bucket_start(at: datetime, minutes: int, zone: ZoneInfo) -> datetime:
    """interval_start, or the start of the center's day for ``minutes == DAY``."""
    if minutes == DAY:
        return day_start(local_day(at, zone), zone)
    return interval_start(at, minutes, zone)


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """00:00 of the center's day ``day``, in UTC."""
    return datetime.combine(day, time(0), zone).astimezone(timezone.utc)


def local_day(at: datetime, zone: ZoneInfo) -> date:
    return at.astimezone(zone).date()


def starts_between(start: datetime, end: datetime, minutes: int,
                   zone: ZoneInfo) -> list[datetime]:
    """Every interval start from the one holding ``start`` up to before ``end``."""
    out, current = [], interval_start(start, minutes, zone)
    while current < end:
        out.append(current)
        current = interval_start(current + timedelta(minutes=minutes), minutes, zone)
    return out
