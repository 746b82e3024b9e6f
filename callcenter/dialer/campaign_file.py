"""Campaign files (``campaigns/*.yaml``): load, validate, and turn into a frozen CampaignSpec.

    name: collections_overdue
    kind: collections            # collections | survey | marketing | callbacks | answer_back
    pacing: agentless            # preview | progressive | predictive | agentless
    flow: collections            # agentless: the IVR flow that talks to the customer
    # queue: billing             # agent pacings: the ACD queue whose agents take the calls
    caller_id: "95598"
    timezone: Asia/Shanghai      # for contacts without a zone of their own
    calling_windows: {mon: ["09:00-12:00", "14:00-20:00"], sat: ["10:00-16:00"]}
    holidays: [2026-10-01, {date: 2026-10-02, name: National Day}]
    max_attempts: 3
    retry_delays: {busy: 10m, no_answer: 1h, failed: 30m, machine: 4h, abandoned: 72h}
    ring_timeout: 30s
    abandon_limit: 3%            # of answered live calls ...
    abandon_window: 24h          # ... over this sliding window (some operators: 30d)
    abandon_quiet_period: 72h    # an abandoned contact is not dialled again before this
    max_lines: 20                # lines the campaign may hold at once (agentless: required)
    record: "yes"                # agentless: record the answered calls (agent calls always are)
    preview_timeout: 2m          # preview: a card unanswered this long is withdrawn

Durations are seconds or a number with s, m, h or d.  Every problem is
reported as ``file:line:column: message`` and all of them at once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from callcenter.dialer.pacing import DEFAULT_ABANDON_LIMIT, MODES
from callcenter.dialer.preview import DEFAULT_PREVIEW_TIMEOUT, MAX_PREVIEW_TIMEOUT, MIN_PREVIEW_TIMEOUT
from callcenter.dialer.retry import DEFAULT_ABANDON_QUIET_PERIOD, DEFAULT_DELAYS, RETRYABLE, RetryPolicy
from callcenter.dialer.windows import (
    DEFAULT_TIMEZONE, WEEKDAYS, CallingWindow, WeeklyWindows, WindowError, parse_window)
from callcenter.yamlsource import KeyPath, SourcedDocument, YamlSyntaxError, load_file, load_text

CAMPAIGNS_DIR = Path(__file__).resolve().parents[2] / "campaigns"
KINDS = ("collections", "survey", "marketing", "callbacks", "answer_back")
DEFAULT_PACING = {"collections": "agentless", "survey": "agentless", "marketing": "progressive",
                  "callbacks": "preview", "answer_back": "progressive"}
MIN_RING_TIMEOUT = 15.0  # let a phone ring long enough for a person to reach it
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_CALLER_ID = re.compile(r"^\+?\d{3,15}$")
_KEYS = {"name", "kind", "description", "pacing", "flow", "queue", "skills", "caller_id",
         "timezone", "calling_windows", "holidays", "max_attempts", "retry_delays", "ring_timeout",
         "abandon_limit", "abandon_window", "abandon_quiet_period", "max_lines", "max_ratio", "record",
         "preview_timeout"}


class CampaignFileError(ValueError):
    """A campaign file is wrong; ``problems`` lists each as ``file:line:column: message``."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    kind: str
    pacing: str
    caller_id: str
    windows: WeeklyWindows
    flow: str | None = None  # agentless pacing
    queue: str | None = None  # agent pacings
    skills: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    description: str = ""
    timezone: str = DEFAULT_TIMEZONE
    holidays: frozenset[date] = frozenset()
    max_attempts: int = 3
    retry_delays: Mapping[str, float] = field(default_factory=lambda: DEFAULT_DELAYS)
    ring_timeout: float = 30.0
    abandon_limit: float = DEFAULT_ABANDON_LIMIT
    abandon_window: float = 24 * 3600.0
    abandon_quiet_period: float = float(DEFAULT_ABANDON_QUIET_PERIOD)
    max_lines: int | None = None
    max_ratio: float = 3.0
    record: bool = False  # agentless calls recorded (calls with an agent always are)
    preview_timeout: float = float(DEFAULT_PREVIEW_TIMEOUT)
    source: str = "<memory>"

    @property
    def agentless(self) -> bool:
        return self.pacing == "agentless"

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(self.max_attempts, self.retry_delays, self.abandon_quiet_period)


def load_campaign(path: str | Path, known_flows: Iterable[str] | None = None,
                  known_queues: Iterable[str] | None = None) -> CampaignSpec:
    """Load and validate one campaign file; CampaignFileError lists every problem."""
    try:
        document = load_file(path)
    except FileNotFoundError:
        raise CampaignFileError([f"{path}:1:1: campaign file not found"]) from None
    except YamlSyntaxError as exc:
        raise CampaignFileError([str(exc)]) from None
    return parse_campaign(document, known_flows, known_queues)


def load_campaign_text(text: str, file: str = "<campaign>", known_flows: Iterable[str] | None = None,
                       known_queues: Iterable[str] | None = None) -> CampaignSpec:
    try:
        document = load_text(text, file)
    except YamlSyntaxError as exc:
        raise CampaignFileError([str(exc)]) from None
    return parse_campaign(document, known_flows, known_queues)


def load_campaigns(directory: str | Path = CAMPAIGNS_DIR, known_flows: Iterable[str] | None = None,
                   known_queues: Iterable[str] | None = None) -> dict[str, CampaignSpec]:
    """Every ``*.yaml`` in ``directory`` by campaign name; problems of all files at once."""
    specs: dict[str, CampaignSpec] = {}
    problems: list[str] = []
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            spec = load_campaign(path, known_flows, known_queues)
        except CampaignFileError as exc:
            problems.extend(exc.problems)
            continue
        if spec.name in specs:
            problems.append(f"{path}:1:1: campaign name '{spec.name}' is also used by "
                            f"{specs[spec.name].source}")
            continue
        specs[spec.name] = spec
    if problems:
        raise CampaignFileError(problems)
    return specs


def parse_campaign(document: SourcedDocument, known_flows: Iterable[str] | None = None,
                   known_queues: Iterable[str] | None = None) -> CampaignSpec:
    checker = _Checker(document, _set(known_flows), _set(known_queues))
    spec = checker.run()
    if checker.problems or spec is None:
        raise CampaignFileError(checker.problems)
    return spec


def parse_duration(value: Any) -> float:
    """30, 30.5, '30s', '10m', '1h', '72h', '30d' -> seconds; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(value)
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(value)
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_share(value: Any) -> float:
    """0.03 or '3%' -> 0.03; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, str) and value.strip().endswith("%"):
        return float(value.strip()[:-1]) / 100
    if isinstance(value, (int, float)):
        return float(value)
    raise ValueError(value)


def _set(values: Iterable[str] | None) -> set[str] | None:
    return set(values) if values is not None else None


class _Checker:
    def __init__(self, document: SourcedDocument, flows: set[str] | None, queues: set[str] | None):
        self.doc = document
        self.flows = flows
        self.queues = queues
        self.problems: list[str] = []

    def error(self, path: KeyPath, message: str) -> None:
        self.problems.append(f"{self.doc.where(path)}: {message}")

    def run(self) -> CampaignSpec | None:
        data = self.doc.data
        if not isinstance(data, dict):
            self.error((), f"a campaign file must be a mapping of settings, got {_kind(data)}")
            return None
        for key in data:
            if key not in _KEYS:
                self.error((key,), f"unknown key '{key}' (known: {', '.join(sorted(_KEYS))})")
        name = self.text(data, "name")
        if name is not None and not _NAME.match(name):
            self.error(("name",), f"'name' must be lower-case letters, digits and _, starting "
                                  f"with a letter, got '{name}'")
        kind = self.text(data, "kind", choices=KINDS)
        pacing = self.text(data, "pacing", default=DEFAULT_PACING.get(kind or "", "progressive"),
                           choices=MODES)
        flow, queue, skills = self.who_talks(data, kind, pacing)
        caller_id = self.caller_id(data)
        zone_name = self.timezone(data)
        windows = self.windows(data)
        holidays = self.holidays(data)
        result = dict(
            max_attempts=self.number(data, "max_attempts", 3, minimum=1, integer=True),
            retry_delays=self.delays(data),
            ring_timeout=self.duration(data, "ring_timeout", 30.0, minimum=MIN_RING_TIMEOUT,
                                       maximum=180, why=" (a person needs time to reach the phone)"),
            abandon_limit=self.share(data, "abandon_limit", DEFAULT_ABANDON_LIMIT),
            abandon_window=self.duration(data, "abandon_window", 24 * 3600.0, minimum=3600),
            abandon_quiet_period=self.duration(data, "abandon_quiet_period",
                                               float(DEFAULT_ABANDON_QUIET_PERIOD)),
            max_lines=self.max_lines(data, pacing),
            max_ratio=self.number(data, "max_ratio", 3.0, minimum=1, maximum=10),
            record=self.yes_no(data, "record"),
            preview_timeout=self.duration(data, "preview_timeout", float(DEFAULT_PREVIEW_TIMEOUT),
                                          minimum=MIN_PREVIEW_TIMEOUT, maximum=MAX_PREVIEW_TIMEOUT),
        )
        description = self.text(data, "description", default="")
        if self.problems:
            return None
        return CampaignSpec(name=name, kind=kind, pacing=pacing, caller_id=caller_id, windows=windows,
                            flow=flow, queue=queue, skills=MappingProxyType(skills),
                            description=description or "", timezone=zone_name,
                            holidays=frozenset(holidays), source=self.doc.file, **result)

    # ----------------------------------------------------------------------- scalars

    def text(self, data: dict, key: str, default: str | None = None,
             choices: tuple[str, ...] = ()) -> str | None:
        if key not in data:
            if default is None:
                self.error((), f"missing '{key}'" + (f" (one of {', '.join(choices)})" if choices else ""))
            return default
        value = data[key]
        if not isinstance(value, str) or not value.strip():
            self.error((key,), f"'{key}' must be a non-empty text, got {_kind(value)}")
            return None
        if choices and value not in choices:
            self.error((key,), f"'{key}' must be one of {', '.join(choices)}, got '{value}'")
            return None
        return value.strip()

    def yes_no(self, data: dict, key: str) -> bool:
        value = data.get(key, False)
        if isinstance(value, bool):
            return value
        if value in ("yes", "no"):
            return value == "yes"
        self.error((key,), f"'{key}' must be yes or no, got {_kind(value)}")
        return False

    def number(self, data: dict, key: str, default: float, minimum: float,
               maximum: float | None = None, integer: bool = False) -> Any:
        if key not in data:
            return default
        value = data[key]
        kinds: tuple[type, ...] = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds):
            self.error((key,), f"'{key}' must be {'a whole number' if integer else 'a number'}, "
                               f"got {_kind(value)}")
            return default
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"at least {minimum:g}" + (f" and at most {maximum:g}" if maximum is not None else "")
            self.error((key,), f"'{key}' must be {bound}, got {value!r}")
            return default
        return value

    def duration(self, data: dict, key: str, default: float, minimum: float = 0,
                 maximum: float | None = None, why: str = "", path: KeyPath | None = None) -> float:
        path = path or (key,)
        if key not in data:
            return default
        try:
            seconds = parse_duration(data[key])
        except ValueError:
            self.error(path, f"'{key}' must be a duration like 30s, 10m, 1h or 3d, "
                             f"got {_kind(data[key])}")
            return default
        if seconds < minimum or (maximum is not None and seconds > maximum):
            bound = f"at least {minimum:g} s" + (f" and at most {maximum:g} s" if maximum else "")
            self.error(path, f"'{key}' must be {bound}{why}, got {seconds:g} s")
            return default
        return seconds

    def share(self, data: dict, key: str, default: float) -> float:
        if key not in data:
            return default
        try:
            value = parse_share(data[key])
        except ValueError:
            self.error((key,), f"'{key}' must be a share like 3% or 0.03, got {_kind(data[key])}")
            return default
        if not 0 < value <= 0.2:
            self.error((key,), f"'{key}' must be above 0% and at most 20%, got {value:.1%}")
            return default
        return value

    # ----------------------------------------------------------------------- sections

    def who_talks(self, data: dict, kind: str | None,
                  pacing: str | None) -> tuple[str | None, str | None, dict[str, int]]:
        flow = self.text(data, "flow", default="") or None
        queue = self.text(data, "queue", default="") or None
        skills = self.skills(data)
        if pacing == "agentless":
            if kind == "callbacks":
                self.error(("pacing",), "a callbacks campaign needs agents: pacing cannot be "
                                        "agentless")
            if flow is None and "flow" not in data:
                self.error((), "missing 'flow': an agentless campaign names the IVR flow that "
                               "talks to the customer")
            for key in ("queue", "skills"):
                if key in data:
                    self.error((key,), f"'{key}' is for campaigns with agents; this one is agentless")
        elif pacing is not None:
            if queue is None and "queue" not in data:
                self.error((), f"missing 'queue': a {pacing} campaign names the ACD queue whose "
                               f"agents take its calls")
            if "flow" in data:
                self.error(("flow",), f"'flow' is for agentless campaigns; this one is {pacing}")
        if flow and self.flows is not None and flow not in self.flows:
            self.error(("flow",), f"unknown flow '{flow}' (known: {', '.join(sorted(self.flows))})")
        if queue and self.queues is not None and queue not in self.queues:
            self.error(("queue",), f"unknown queue '{queue}' (known: {', '.join(sorted(self.queues))})")
        return flow, queue, skills

    def skills(self, data: dict) -> dict[str, int]:
        raw = data.get("skills", {})
        if not isinstance(raw, dict):
            self.error(("skills",), f"'skills' must map skill -> minimum level, got {_kind(raw)}")
            return {}
        result = {}
        for skill, level in raw.items():
            if isinstance(level, bool) or not isinstance(level, int) or level < 0:
                self.error(("skills", skill), f"level of skill '{skill}' must be a whole number "
                                              f">= 0, got {_kind(level)}")
                continue
            result[str(skill)] = level
        return result

    def caller_id(self, data: dict) -> str | None:
        if "caller_id" not in data:
            self.error((), "missing 'caller_id' (the number the customer sees)")
            return None
        value = str(data["caller_id"]).strip()
        if isinstance(data["caller_id"], bool) or not _CALLER_ID.match(value):
            self.error(("caller_id",), f"'caller_id' must be a phone number of 3 to 15 digits, got "
                                       f"{_kind(data['caller_id'])}")
            return None
        return value

    def timezone(self, data: dict) -> str:
        value = data.get("timezone", DEFAULT_TIMEZONE)
        try:
            ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError):
            self.error(("timezone",), f"unknown time zone {value!r} (use a name like Asia/Shanghai)")
            return DEFAULT_TIMEZONE
        return str(value)

    def windows(self, data: dict) -> WeeklyWindows | None:
        if "calling_windows" not in data:
            self.error((), "missing 'calling_windows' (e.g. {mon: [\"09:00-20:00\"], ...}; a day "
                           "left out: no calls)")
            return None
        raw = data["calling_windows"]
        if not isinstance(raw, dict):
            self.error(("calling_windows",), f"'calling_windows' must map weekday -> windows, got "
                                             f"{_kind(raw)}")
            return None
        days: dict[str, tuple[CallingWindow, ...]] = {}
        for day, items in raw.items():
            path: KeyPath = ("calling_windows", day)
            if day not in WEEKDAYS:
                self.error(path, f"'{day}' is not a weekday (known: {', '.join(WEEKDAYS)})")
                continue
            listed = [items] if isinstance(items, str) else items if isinstance(items, list) else None
            if listed is None:
                self.error(path, f"windows of '{day}' must be a list like [\"09:00-12:00\"], got "
                                 f"{_kind(items)}")
                continue
            parsed = []
            for index, text in enumerate(listed):
                try:
                    parsed.append(parse_window(str(text)))
                except WindowError as exc:
                    self.error(path + (index,) if isinstance(items, list) else path, str(exc))
            parsed.sort(key=lambda w: w.start)
            for before, after in zip(parsed, parsed[1:]):
                if after.start < before.end:
                    self.error(path, f"windows {before} and {after} of '{day}' overlap")
            days[day] = tuple(parsed)
        if not any(days.values()) and not self.problems:
            self.error(("calling_windows",), "'calling_windows' allows no call on any day")
        return WeeklyWindows(tuple(days.get(day, ()) for day in WEEKDAYS))

    def holidays(self, data: dict) -> list[date]:
        raw = data.get("holidays", [])
        if not isinstance(raw, list):
            self.error(("holidays",), f"'holidays' must be a list of dates, got {_kind(raw)}")
            return []
        result = []
        for index, entry in enumerate(raw):
            day = entry.get("date") if isinstance(entry, dict) else entry
            if not isinstance(day, date):
                self.error(("holidays", index), f"a holiday is a date YYYY-MM-DD or "
                                                f"{{date: YYYY-MM-DD, name: ...}}, got {_kind(entry)}")
                continue
            result.append(day)
        return result

    def delays(self, data: dict) -> Mapping[str, float]:
        raw = data.get("retry_delays", {})
        if not isinstance(raw, dict):
            self.error(("retry_delays",), f"'retry_delays' must map outcome -> duration, got "
                                          f"{_kind(raw)}")
            return DEFAULT_DELAYS
        delays = dict(DEFAULT_DELAYS)
        for outcome in raw:
            if outcome not in RETRYABLE:
                self.error(("retry_delays", outcome), f"no retry delay for '{outcome}' (outcomes "
                                                      f"retried: {', '.join(RETRYABLE)})")
                continue
            delays[outcome] = self.duration(raw, outcome, DEFAULT_DELAYS[outcome],
                                            path=("retry_delays", outcome))
        return MappingProxyType(delays)

    def max_lines(self, data: dict, pacing: str | None) -> int | None:
        if "max_lines" not in data:
            if pacing == "agentless":
                self.error((), "missing 'max_lines': an agentless campaign needs a limit of lines "
                               "at once")
            return None
        return self.number(data, "max_lines", None, minimum=1, integer=True)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, (int, float)):
        return f"{value!r}"
    return {dict: "a mapping", list: "a list"}.get(type(value), type(value).__name__)
