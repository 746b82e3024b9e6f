"""Opening hours and holidays (ivr_flows/calendar.yaml), for `branch` conditions.

    timezone: Asia/Shanghai
    opening_hours: {mon: "08:00-20:00", ..., sun: "09:00-18:00"}   # a day left out: closed
    holidays:
      - {date: 2026-10-01, name: National Day}
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from callcenter.yamlsource import load_file

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class CalendarError(ValueError):
    pass


def parse_range(text: str) -> tuple[time, time]:
    start, _, end = text.partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def in_range(moment: time, text: str) -> bool:
    start, end = parse_range(text)
    if start == end:  # 00:00-00:00: the whole day
        return True
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end  # over midnight


@dataclass(frozen=True)
class Calendar:
    timezone: str = "Asia/Shanghai"
    opening_hours: dict[str, str] = field(default_factory=dict)
    holidays: dict[date, str] = field(default_factory=dict)

    @classmethod
    def always_open(cls) -> "Calendar":
        return cls(opening_hours={day: "00:00-00:00" for day in WEEKDAYS})

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(ZoneInfo(self.timezone))

    def is_holiday(self, moment: datetime) -> bool:
        return self.local(moment).date() in self.holidays

    def is_open(self, moment: datetime) -> bool:
        local = self.local(moment)
        hours = self.opening_hours.get(WEEKDAYS[local.weekday()])
        return bool(hours) and not self.is_holiday(moment) and in_range(local.time(), hours)


def load_calendar(path: str | Path) -> Calendar:
    document = load_file(path)
    data = document.data if isinstance(document.data, dict) else {}
    problems = []
    zone = data.get("timezone", "Asia/Shanghai")
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"{document.where(('timezone',))}: unknown time zone {zone!r}")
    hours = data.get("opening_hours") or {}
    for day, text in hours.items():
        if day not in WEEKDAYS:
            problems.append(f"{document.where(('opening_hours', day))}: '{day}' is not one of "
                            f"{', '.join(WEEKDAYS)}")
        try:
            parse_range(str(text))
        except ValueError:
            problems.append(f"{document.where(('opening_hours', day))}: opening hours must look "
                            f"like 08:00-20:00, got {text!r}")
    holidays = {}
    for index, entry in enumerate(data.get("holidays") or []):
        day = entry.get("date") if isinstance(entry, dict) else None
        if not isinstance(day, date):
            problems.append(f"{document.where(('holidays', index))}: a holiday needs "
                            "'date: YYYY-MM-DD' and a 'name'")
            continue
        holidays[day] = str(entry.get("name", ""))
    if problems:
        raise CalendarError("\n".join(problems))
    return Calendar(str(zone), {k: str(v) for k, v in hours.items()}, holidays)
