"""The ACD queues file: load, validate, and turn into frozen settings.

``acd/queues.yaml`` holds a ``settings:`` mapping (global ACD settings) and a
``queues:`` mapping of queue name -> settings.  Every problem is reported as
``file:line:column: message`` and all of them are listed at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from acd.errors import QueueConfigError
from acd.model import PRIORITY_CLASSES
from callcenter.yamlsource import KeyPath, SourcedDocument, YamlSyntaxError, load_file, load_text

QUEUES_FILE = Path(__file__).with_name("queues.yaml")
POLICIES = ("highest_level", "longest_idle")
OFFER_CHOICES = ("callback", "voicemail")
DESTINATIONS = ("callback", "voicemail", "queue")


@dataclass(frozen=True)
class ServiceLevel:
    percent: float  # e.g. 80 (% of calls answered ...)
    seconds: float  # ... within 20 s


@dataclass(frozen=True)
class Announcements:
    first_after: float  # seconds in the queue before the first announcement
    every: float  # seconds between later announcements
    position: bool
    estimated_wait: bool


@dataclass(frozen=True)
class OverflowStep:
    """One step of widening a queue's reach; steps are cumulative."""

    after: float  # seconds waited in the queue before the step is in force
    accept: Mapping[str, int] = field(default_factory=dict)  # also accept agents with these skills
    accept_queue: str | None = None  # also accept agents qualified for this queue's skills
    min_level: int | None = None  # lower the queue's own minimum level to this
    offer: tuple[str, ...] = ()  # offer the caller these choices (callback, voicemail)

    def describe(self) -> str:
        parts = []
        if self.accept:
            parts.append("accept " + ", ".join(f"{s}>={lvl}" for s, lvl in self.accept.items()))
        if self.accept_queue:
            parts.append(f"accept agents of queue {self.accept_queue}")
        if self.min_level is not None:
            parts.append(f"lower minimum level to {self.min_level}")
        if self.offer:
            parts.append("offer " + " or ".join(self.offer))
        return f"after {self.after:g} s: " + "; ".join(parts)


@dataclass(frozen=True)
class Destination:
    kind: str  # callback | voicemail | queue
    queue: str | None = None  # for kind == "queue"


@dataclass(frozen=True)
class QueueConfig:
    name: str
    display_name: str
    skills: Mapping[str, int]  # required skill -> minimum level (all required)
    service_level: ServiceLevel
    max_wait: float
    wrap_up: float
    wrap_up_extension: float
    announcements: Announcements
    overflow: tuple[OverflowStep, ...]
    at_max_wait: Destination
    policy: str = "highest_level"
    # language -> the name the console shows in it ({} : display_name in every language)
    display_names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def shown(self, language: str | None) -> str:
        """The queue's name in ``language`` (the console's), else its display_name."""
        return self.display_names.get(language or "", self.display_name)


@dataclass(frozen=True)
class AcdConfig:
    queues: Mapping[str, QueueConfig]
    offer_timeout: float = 15.0
    missed_offers_limit: int = 2
    priority_ageing_per_minute: float = 1.0
    resume_window: float = 120.0
    default_queue: str = "general"
    priorities: Mapping[str, float] = field(default_factory=lambda: MappingProxyType(
        {"transferred": 100.0, "vip3": 30.0, "vip2": 20.0, "vip1": 10.0, "regular": 0.0}))
    estimate_min_samples: int = 5
    estimate_window: int = 50
    source: str = "<memory>"


def load_queues(path: str | Path = QUEUES_FILE, known_skills: Iterable[str] | None = None) -> AcdConfig:
    """Load and validate a queues file; raises QueueConfigError listing every problem."""
    try:
        document = load_file(path)
    except FileNotFoundError:
        raise QueueConfigError([f"{path}: queues file not found"]) from None
    except YamlSyntaxError as exc:
        raise QueueConfigError([str(exc)]) from None
    return parse_queues(document, known_skills)


def load_queues_text(text: str, file: str = "<queues>",
                     known_skills: Iterable[str] | None = None) -> AcdConfig:
    try:
        document = load_text(text, file)
    except YamlSyntaxError as exc:
        raise QueueConfigError([str(exc)]) from None
    return parse_queues(document, known_skills)


def parse_queues(document: SourcedDocument, known_skills: Iterable[str] | None = None) -> AcdConfig:
    checker = _Checker(document, set(known_skills) if known_skills is not None else None)
    config = checker.run()
    if checker.problems:
        raise QueueConfigError(checker.problems)
    assert config is not None
    return config


# --------------------------------------------------------------------------- validation

_NUMBER = (int, float)
_SETTINGS_KEYS = {"offer_timeout", "missed_offers_limit", "priority_ageing_per_minute",
                  "resume_window", "default_queue", "priorities", "estimate"}
DISPLAY_LANGUAGES = ("en", "zh")  # the console's languages
_QUEUE_KEYS = {"display_name", "skills", "service_level", "max_wait", "wrap_up",
               "wrap_up_extension", "announcements", "overflow", "at_max_wait", "policy"}
_STEP_KEYS = {"after", "accept", "accept_queue", "min_level", "offer"}


class _Checker:
    def __init__(self, document: SourcedDocument, known_skills: set[str] | None):
        self.doc = document
        self.known_skills = known_skills
        self.problems: list[str] = []

    def error(self, path: KeyPath, message: str) -> None:
        self.problems.append(f"{self.doc.where(path)}: {message}")

    def mapping(self, path: KeyPath, value: Any, allowed: set[str] | None, what: str) -> dict:
        if not isinstance(value, dict):
            self.error(path, f"{what} must be a mapping, got {_kind(value)}")
            return {}
        if allowed is not None:
            for key in value:
                if key not in allowed:
                    self.error(path + (key,), f"unknown key '{key}' in {what} "
                                              f"(known: {', '.join(sorted(allowed))})")
        return value

    def number(self, path: KeyPath, data: dict, key: str, what: str, default: Any = None,
               minimum: float = 0, integer: bool = False, maximum: float | None = None) -> Any:
        if key not in data:
            if default is None:
                self.error(path, f"missing '{key}' in {what}")
            return default
        value = data[key]
        kinds: tuple[type, ...] = (int,) if integer else _NUMBER
        if isinstance(value, bool) or not isinstance(value, kinds):
            self.error(path + (key,), f"'{key}' in {what} must be "
                                      f"{'an integer' if integer else 'a number'}, got {value!r}")
            return default
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"at least {minimum:g}" + (f" and at most {maximum:g}" if maximum is not None else "")
            self.error(path + (key,), f"'{key}' in {what} must be {bound}, got {value!r}")
            return default
        return value

    def text(self, path: KeyPath, data: dict, key: str, what: str, default: str | None = None,
             choices: tuple[str, ...] = ()) -> str | None:
        if key not in data:
            if default is None:
                self.error(path, f"missing '{key}' in {what}")
            return default
        value = data[key]
        if not isinstance(value, str) or not value.strip():
            self.error(path + (key,), f"'{key}' in {what} must be a non-empty string, got {value!r}")
            return default
        if choices and value not in choices:
            self.error(path + (key,), f"'{key}' in {what} must be one of {', '.join(choices)}, "
                                      f"got '{value}'")
            return default
        return value

    def display(self, path: KeyPath, data: dict, what: str) -> tuple[str | None, dict[str, str]]:
        """``display_name``: one name, or one per console language ({en: ..., zh: ...});
        the first listed is the name for logs and any other language."""
        raw = data.get("display_name")
        if not isinstance(raw, dict):
            return self.text(path, data, "display_name", what), {}
        names: dict[str, str] = {}
        for language, name in raw.items():
            if language not in DISPLAY_LANGUAGES:
                self.error(path + ("display_name", language), f"'display_name' in {what}: unknown "
                           f"language '{language}' (one of {', '.join(DISPLAY_LANGUAGES)})")
            elif not isinstance(name, str) or not name.strip():
                self.error(path + ("display_name", language), f"'display_name' in {what}: the "
                           f"{language} name must be a non-empty string, got {name!r}")
            else:
                names[language] = name
        if not raw:
            self.error(path + ("display_name",), f"'display_name' in {what} names no language")
        return (next(iter(names.values())) if names else None), names

    def flag(self, path: KeyPath, data: dict, key: str, what: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.error(path + (key,), f"'{key}' in {what} must be true or false, got {value!r}")
            return default
        return value

    def skills(self, path: KeyPath, value: Any, what: str) -> dict[str, int]:
        result: dict[str, int] = {}
        data = self.mapping(path, value, None, what)
        if isinstance(value, dict) and not value:
            self.error(path, f"{what} must name at least one skill")
        for skill, level in data.items():
            if self.known_skills is not None and skill not in self.known_skills:
                self.error(path + (skill,), f"unknown skill '{skill}' in {what} "
                                            f"(known: {', '.join(sorted(self.known_skills))})")
            if isinstance(level, bool) or not isinstance(level, int) or level < 0:
                self.error(path + (skill,), f"level of skill '{skill}' in {what} must be a "
                                            f"whole number >= 0, got {level!r}")
                continue
            result[str(skill)] = level
        return result

    # ----------------------------------------------------------------------- sections

    def run(self) -> AcdConfig | None:
        data = self.mapping((), self.doc.data, {"settings", "queues"}, "the queues file")
        if "queues" not in data:
            self.error((), "missing 'queues' (a mapping of queue name -> settings)")
        queues_raw = self.mapping(("queues",), data.get("queues", {}), None, "'queues'")
        if "queues" in data and isinstance(data["queues"], dict) and not data["queues"]:
            self.error(("queues",), "'queues' must define at least one queue")
        names = set(queues_raw)
        queues = {}
        for name, raw in queues_raw.items():
            queue = self.queue(("queues", name), str(name), raw, names)
            if queue is not None:
                queues[str(name)] = queue
        settings = self.settings(("settings",), data.get("settings", {}), names)
        if settings is None or self.problems:
            return None
        return AcdConfig(queues=MappingProxyType(queues), source=self.doc.file, **settings)

    def settings(self, path: KeyPath, raw: Any, names: set[str]) -> dict | None:
        what = "'settings'"
        data = self.mapping(path, raw, _SETTINGS_KEYS, what)
        defaults = AcdConfig(queues={})
        result = {
            "offer_timeout": self.number(path, data, "offer_timeout", what, defaults.offer_timeout,
                                         minimum=1),
            "missed_offers_limit": self.number(path, data, "missed_offers_limit", what,
                                               defaults.missed_offers_limit, minimum=1, integer=True),
            "priority_ageing_per_minute": self.number(path, data, "priority_ageing_per_minute", what,
                                                      defaults.priority_ageing_per_minute),
            "resume_window": self.number(path, data, "resume_window", what, defaults.resume_window),
            "default_queue": self.text(path, data, "default_queue", what, defaults.default_queue),
        }
        if result["default_queue"] not in names:
            self.error(path + ("default_queue",) if "default_queue" in data else path,
                       f"default_queue '{result['default_queue']}' is not a queue in this file")
        priorities = dict(defaults.priorities)
        if "priorities" in data:
            given = self.mapping(path + ("priorities",), data["priorities"], set(PRIORITY_CLASSES),
                                 "'settings.priorities'")
            for key in given:
                if key in PRIORITY_CLASSES:
                    priorities[key] = self.number(path + ("priorities",), given, key,
                                                  "'settings.priorities'", priorities[key])
        result["priorities"] = MappingProxyType(priorities)
        estimate = self.mapping(path + ("estimate",), data.get("estimate", {}),
                                {"min_samples", "window"}, "'settings.estimate'")
        result["estimate_min_samples"] = self.number(path + ("estimate",), estimate, "min_samples",
                                                     "'settings.estimate'",
                                                     defaults.estimate_min_samples, minimum=1,
                                                     integer=True)
        result["estimate_window"] = self.number(path + ("estimate",), estimate, "window",
                                                "'settings.estimate'", defaults.estimate_window,
                                                minimum=1, integer=True)
        return result

    def queue(self, path: KeyPath, name: str, raw: Any, names: set[str]) -> QueueConfig | None:
        what = f"queue '{name}'"
        data = self.mapping(path, raw, _QUEUE_KEYS, what)
        if not isinstance(raw, dict):
            return None
        before = len(self.problems)
        display_name, display_names = self.display(path, data, what)
        skills = self.skills(path + ("skills",), data["skills"], f"{what} skills") \
            if "skills" in data else self._missing(path, "skills", what, {})
        sl_raw = self.mapping(path + ("service_level",), data.get("service_level", {}),
                              {"percent", "seconds"}, f"{what} service_level")
        service_level = ServiceLevel(
            self.number(path + ("service_level",), sl_raw, "percent", f"{what} service_level", 80,
                        maximum=100),
            self.number(path + ("service_level",), sl_raw, "seconds", f"{what} service_level", 20))
        max_wait = self.number(path, data, "max_wait", what, minimum=1)
        wrap_up = self.number(path, data, "wrap_up", what)
        extension = self.number(path, data, "wrap_up_extension", what, wrap_up or 0)
        announcements = self.announcements(path + ("announcements",), data.get("announcements", {}),
                                           what)
        steps = self.steps(path + ("overflow",), data.get("overflow", []), what, names, max_wait)
        destination = self.destination(path + ("at_max_wait",), data, what, names, name)
        policy = self.text(path, data, "policy", what, "highest_level", POLICIES)
        if len(self.problems) > before:
            return None
        return QueueConfig(name=name, display_name=display_name, skills=MappingProxyType(skills),
                           service_level=service_level, max_wait=max_wait, wrap_up=wrap_up,
                           wrap_up_extension=extension, announcements=announcements,
                           overflow=tuple(steps), at_max_wait=destination, policy=policy,
                           display_names=MappingProxyType(display_names))

    def _missing(self, path: KeyPath, key: str, what: str, default: Any) -> Any:
        self.error(path, f"missing '{key}' in {what}")
        return default

    def announcements(self, path: KeyPath, raw: Any, what: str) -> Announcements:
        what = f"{what} announcements"
        data = self.mapping(path, raw, {"first_after", "every", "position", "estimated_wait"}, what)
        return Announcements(first_after=self.number(path, data, "first_after", what, 30),
                             every=self.number(path, data, "every", what, 60, minimum=1),
                             position=self.flag(path, data, "position", what, True),
                             estimated_wait=self.flag(path, data, "estimated_wait", what, True))

    def steps(self, path: KeyPath, raw: Any, what: str, names: set[str],
              max_wait: float | None) -> list[OverflowStep]:
        if not isinstance(raw, list):
            self.error(path, f"overflow of {what} must be a list of steps, got {_kind(raw)}")
            return []
        steps: list[OverflowStep] = []
        previous = -1.0
        for index, item in enumerate(raw):
            step_path = path + (index,)
            step_what = f"{what} overflow step {index + 1}"
            data = self.mapping(step_path, item, _STEP_KEYS, step_what)
            if not isinstance(item, dict):
                continue
            after = self.number(step_path, data, "after", step_what)
            if after is not None:
                if after <= previous:
                    self.error(step_path + ("after",), f"'after' in {step_what} must be later than "
                                                       f"the step before ({previous:g} s)")
                if max_wait is not None and after >= max_wait:
                    self.error(step_path + ("after",), f"'after' in {step_what} must be before "
                                                       f"max_wait ({max_wait:g} s)")
                previous = after
            accept = self.skills(step_path + ("accept",), data["accept"], f"{step_what} accept") \
                if "accept" in data else {}
            accept_queue = self.text(step_path, data, "accept_queue", step_what, "") or None
            if accept_queue and accept_queue not in names:
                self.error(step_path + ("accept_queue",), f"{step_what} refers to unknown queue "
                                                          f"'{accept_queue}'")
            min_level = self.number(step_path, data, "min_level", step_what, -1, integer=True)
            offer = self.offer(step_path + ("offer",), data.get("offer", []), step_what)
            if not (accept or accept_queue or min_level >= 0 or offer):
                self.error(step_path, f"{step_what} does nothing: give accept, accept_queue, "
                                      f"min_level or offer")
            steps.append(OverflowStep(after=after or 0, accept=MappingProxyType(accept),
                                      accept_queue=accept_queue,
                                      min_level=min_level if min_level >= 0 else None,
                                      offer=offer))
        return steps

    def offer(self, path: KeyPath, raw: Any, what: str) -> tuple[str, ...]:
        if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
            self.error(path, f"'offer' in {what} must be a list of {' / '.join(OFFER_CHOICES)}")
            return ()
        for index, item in enumerate(raw):
            if item not in OFFER_CHOICES:
                self.error(path + (index,), f"'offer' in {what}: unknown choice '{item}' "
                                            f"(known: {', '.join(OFFER_CHOICES)})")
        return tuple(raw)

    def destination(self, path: KeyPath, data: dict, what: str, names: set[str],
                    own: str) -> Destination:
        if "at_max_wait" not in data:
            self.error(path[:-1], f"missing 'at_max_wait' in {what} (callback, voicemail or "
                                  f"queue: <name>)")
            return Destination("voicemail")
        raw = data["at_max_wait"]
        if isinstance(raw, str):
            if raw in ("callback", "voicemail"):
                return Destination(raw)
            self.error(path, f"'at_max_wait' in {what} must be callback, voicemail or "
                             f"queue: <name>, got '{raw}'")
            return Destination("voicemail")
        given = self.mapping(path, raw, {"queue"}, f"{what} at_max_wait")
        target = self.text(path, given, "queue", f"{what} at_max_wait")
        if target is not None and target not in names:
            self.error(path + ("queue",), f"'at_max_wait' of {what} refers to unknown queue "
                                          f"'{target}'")
        elif target == own:
            self.error(path + ("queue",), f"'at_max_wait' of {what} cannot send calls to itself")
        return Destination("queue", target)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: f"the text {value!r}", bool: f"{value}",
            int: f"the number {value}", float: f"the number {value}"}.get(type(value),
                                                                          type(value).__name__)

