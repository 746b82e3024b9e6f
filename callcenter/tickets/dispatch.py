"""The dispatch rules file: back-office groups, which group gets which ticket,
answer-back deadlines, the center's working calendar, telling the customer.

Validated like the IVR flows: every problem is reported at once, each as
``file:line:column: message`` (see callcenter/tickets/dispatch.yaml for the format).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from callcenter.ivr.calendar import WEEKDAYS, parse_range
from callcenter.models import TicketCategory
from callcenter.tickets.deadlines import CALENDAR, WORKING_HOURS, Limit, WorkCalendar, parse_duration
from callcenter.yamlsource import SourcedDocument, YamlSyntaxError, load_file, load_text

DEFAULT_RULES = Path(__file__).resolve().parent / "dispatch.yaml"
TOP_KEYS = {"calendar", "groups", "rules", "deadlines", "inform", "forward"}
TEAMS_MOVED = ("teams are now managed in the console (Admin → Agents → Teams), each agent's "
               "team on the agent; remove 'teams:' from the rules file")
CATEGORIES = [c.value for c in TicketCategory]
TELL_AGENT, TELL_CALL = "agent", "call"  # who tells the customer the result (回告)
TELLS = (TELL_AGENT, TELL_CALL)


@dataclass(frozen=True)
class Group:
    name: str
    display_name: str
    members: tuple[str, ...] = ()  # back-office logins


@dataclass(frozen=True)
class Rule:
    category: str
    group: str
    detail: str | None = None  # None: any detail
    forward: bool = False  # also forward to the home center (roaming complaints)
    tell: str = TELL_AGENT  # call: an agentless answer-back call says the result

    def matches(self, category: str, detail: str | None) -> bool:
        return self.category == category and self.detail in (None, detail or None)


@dataclass(frozen=True)
class DeadlineRule:
    category: str
    limit: Limit
    priority: int | None = None  # None: any priority


@dataclass(frozen=True)
class DispatchRules:
    calendar: WorkCalendar
    groups: dict[str, Group]
    rules: tuple[Rule, ...]
    deadlines: tuple[DeadlineRule, ...]
    inform_attempts: int = 3
    inform_campaign: str | None = None  # the answer-back campaign that makes the agentless calls
    results: dict[str, str] = field(default_factory=dict)  # result code -> name (said by the call)
    forward_endpoint: str | None = None
    forward_attempts: int = 20
    source: str = ""

    def route(self, category: str, detail: str | None = None) -> Rule:
        """The first rule that matches; the validator made sure every category has one."""
        return next(r for r in self.rules if r.matches(category, detail))

    def details(self, category: str) -> tuple[str, ...]:
        """The details the rules tell apart for a category (the desk's choices)."""
        return tuple(dict.fromkeys(r.detail for r in self.rules
                                   if r.category == category and r.detail))

    def check_detail(self, category: str, detail: str | None) -> str | None:
        """The detail as stored (None: none given); ValueError naming the known ones."""
        detail = (detail or "").strip() or None
        if detail is not None and detail not in self.details(category):
            known = ", ".join(self.details(category)) or "none"
            raise ValueError(f"unknown detail {detail!r} for {category} (known: {known})")
        return detail

    def limit(self, category: str, priority: int) -> Limit:
        return next(d.limit for d in self.deadlines
                    if d.category == category and d.priority in (None, priority))

    def tells_by_call(self, category: str, detail: str | None = None) -> bool:
        """The ticket's customer hears the result from an agentless call (else from the owner)."""
        return self.route(category, detail).tell == TELL_CALL

    def groups_of(self, login: str) -> list[str]:
        return [g.name for g in self.groups.values() if login in g.members]


class DispatchRulesError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def load_rules(path: str | Path = DEFAULT_RULES) -> DispatchRules:
    try:
        return _build(load_file(path))
    except YamlSyntaxError as exc:
        raise DispatchRulesError([str(exc)]) from None


@functools.cache
def default_rules() -> DispatchRules:
    """The shipped rules file, read once (the IVR's tickets are dispatched by it)."""
    return load_rules(DEFAULT_RULES)


def parse_rules(text: str, file: str = "<rules>") -> DispatchRules:
    try:
        return _build(load_text(text, file))
    except YamlSyntaxError as exc:
        raise DispatchRulesError([str(exc)]) from None


class _Checker:
    def __init__(self, document: SourcedDocument):
        self.document = document
        self.problems: list[str] = []

    def problem(self, path: tuple, message: str) -> None:
        self.problems.append(f"{self.document.where(path)}: {message}")

    def mapping(self, value: Any, path: tuple, what: str) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(path, f"{what} must be a mapping")
            return {}
        return value

    def listing(self, value: Any, path: tuple, what: str) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(path, f"{what} must be a list")
            return []
        return value

    def unknown_keys(self, entry: dict, allowed: set[str], path: tuple, what: str) -> None:
        for key in entry:
            if key not in allowed:
                self.problem(path + (key,), f"unknown key '{key}' in {what} "
                                            f"(allowed: {', '.join(sorted(allowed))})")

    def category(self, entry: dict, path: tuple) -> str | None:
        value = entry.get("category")
        if value not in CATEGORIES:
            self.problem(path + ("category",) if "category" in entry else path,
                         f"category must be one of {', '.join(CATEGORIES)}, got {value!r}")
            return None
        return value

    def duration(self, entry: dict, key: str, path: tuple) -> timedelta | None:
        try:
            return parse_duration(entry[key])
        except KeyError:
            self.problem(path, f"'{key}' is missing (e.g. {key}: 2d)")
        except ValueError as exc:
            self.problem(path + (key,), f"{key}: {exc}")
        return None


def _build(document: SourcedDocument) -> DispatchRules:
    check = _Checker(document)
    data = check.mapping(document.data, (), "the rules file")
    if "teams" in data:  # the agent teams (班组) moved to the database: say so, not "unknown key"
        check.problem(("teams",), TEAMS_MOVED)
    check.unknown_keys({k: v for k, v in data.items() if k != "teams"}, TOP_KEYS, (),
                       "the rules file")
    calendar = _calendar(check, check.mapping(data.get("calendar"), ("calendar",), "calendar"))
    groups = _groups(check, check.mapping(data.get("groups"), ("groups",), "groups"))
    rules = _rules(check, check.listing(data.get("rules"), ("rules",), "rules"), groups)
    deadlines = _deadlines(check, check.listing(data.get("deadlines"), ("deadlines",), "deadlines"))
    inform = check.mapping(data.get("inform"), ("inform",), "inform")
    check.unknown_keys(inform, {"attempts", "campaign", "results", "agentless"}, ("inform",), "inform")
    attempts = _positive(check, inform, "attempts", ("inform",), 3)
    campaign, results = _told_by_call(check, inform, rules)
    forward = check.mapping(data.get("forward"), ("forward",), "forward")
    check.unknown_keys(forward, {"endpoint", "attempts"}, ("forward",), "forward")
    endpoint = forward.get("endpoint")
    if endpoint is not None and not str(endpoint).startswith(("http://", "https://")):
        check.problem(("forward", "endpoint"), f"endpoint must be an http(s) URL, got {endpoint!r}")
    if any(r.forward for r in rules) and not endpoint:
        check.problem(("forward",), "a rule forwards tickets but 'forward: endpoint:' is not set")
    _every_category_covered(check, rules, deadlines)
    if check.problems:
        raise DispatchRulesError(check.problems)
    return DispatchRules(calendar, groups, tuple(rules), tuple(deadlines), attempts,
                         campaign, results, endpoint,
                         _positive(check, forward, "attempts", ("forward",), 20), document.file)


RESULT_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")


def _told_by_call(check: _Checker, inform: dict, rules: list[Rule]) -> tuple[str | None, dict]:
    """inform.campaign (the answer-back campaign's name) and inform.results (the codes the
    back office picks, each said by the call as a recorded phrase): needed once a rule says
    ``tell: call``."""
    path = ("inform",)
    if "agentless" in inform:
        check.problem(path + ("agentless",), "inform.agentless was replaced by 'tell: call' on "
                                             "the rules that the answer-back call tells")
    campaign = inform.get("campaign")
    if campaign is not None and (not isinstance(campaign, str) or not campaign.strip()):
        check.problem(path + ("campaign",), f"campaign must be a campaign's name, got {campaign!r}")
        campaign = None
    results = check.mapping(inform.get("results"), path + ("results",), "inform.results")
    for code, name in results.items():
        if not isinstance(code, str) or not RESULT_CODE.fullmatch(code):
            check.problem(path + ("results", code), f"a result code is lower-case letters, digits "
                                                    f"and _ (e.g. repaired), got {code!r}")
        if not isinstance(name, str) or not name.strip():
            check.problem(path + ("results", code), f"result {code!r} needs a name for the desk")
    if any(r.tell == TELL_CALL for r in rules):
        if not campaign:
            check.problem(path, "a rule says 'tell: call' but 'inform: campaign:' (the answer-back "
                                "campaign) is not set")
        if not results:
            check.problem(path, "a rule says 'tell: call' but 'inform: results:' (the result codes "
                                "the call can say) is empty")
    return campaign, {str(k): str(v) for k, v in results.items()}


def _positive(check: _Checker, entry: dict, key: str, path: tuple, default: int) -> int:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        check.problem(path + (key,), f"{key} must be a whole number of at least 1, got {value!r}")
        return default
    return value


def _calendar(check: _Checker, data: dict) -> WorkCalendar:
    path = ("calendar",)
    check.unknown_keys(data, {"timezone", "working_hours", "holidays"}, path, "calendar")
    zone = str(data.get("timezone", "Asia/Shanghai"))
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        check.problem(path + ("timezone",), f"unknown time zone {zone!r}")
        zone = "UTC"
    hours = check.mapping(data.get("working_hours"), path + ("working_hours",), "working_hours")
    for day, text in hours.items():
        if day not in WEEKDAYS:
            check.problem(path + ("working_hours", day), f"'{day}' is not one of {', '.join(WEEKDAYS)}")
        try:
            parse_range(str(text))
        except ValueError:
            check.problem(path + ("working_hours", day),
                          f"working hours must look like 08:30-17:30, got {text!r}")
    holidays = set()
    for index, entry in enumerate(check.listing(data.get("holidays"), path + ("holidays",),
                                                "holidays")):
        day = entry.get("date") if isinstance(entry, dict) else None
        if not isinstance(day, date):
            check.problem(path + ("holidays", index), "a holiday needs 'date: YYYY-MM-DD' and a 'name'")
            continue
        holidays.add(day)
    return WorkCalendar(zone, {str(k): str(v) for k, v in hours.items()}, frozenset(holidays))


def _groups(check: _Checker, data: dict) -> dict[str, Group]:
    """Back-office groups (at least one)."""
    if not data:
        check.problem(("groups",), "at least one back-office group is needed")
    groups = {}
    for name, entry in data.items():
        path = ("groups", name)
        entry = check.mapping(entry, path, f"group '{name}'")
        check.unknown_keys(entry, {"name", "members"}, path, f"group '{name}'")
        members = check.listing(entry.get("members"), path + ("members",), "members")
        groups[str(name)] = Group(str(name), str(entry.get("name", name)),
                                  tuple(str(m) for m in members))
    return groups


def _rules(check: _Checker, entries: list, groups: dict[str, Group]) -> list[Rule]:
    rules = []
    for index, entry in enumerate(entries):
        path = ("rules", index)
        entry = check.mapping(entry, path, "a rule")
        check.unknown_keys(entry, {"category", "detail", "group", "forward", "tell"}, path, "a rule")
        category = check.category(entry, path)
        group = entry.get("group")
        if group not in groups:
            check.problem(path + ("group",) if "group" in entry else path,
                          f"group {group!r} is not one of the groups: {', '.join(groups) or 'none'}")
        forward = entry.get("forward", False)
        if not isinstance(forward, bool):
            check.problem(path + ("forward",), f"forward must be true or false, got {forward!r}")
        tell = entry.get("tell", TELL_AGENT)
        if tell not in TELLS:
            check.problem(path + ("tell",), f"tell must be {TELL_AGENT} (the owner calls) or "
                                            f"{TELL_CALL} (an agentless call), got {tell!r}")
        if category and group in groups:
            detail = entry.get("detail")
            rules.append(Rule(category, group, str(detail) if detail is not None else None,
                              forward is True, tell if tell in TELLS else TELL_AGENT))
    return rules


def _deadlines(check: _Checker, entries: list) -> list[DeadlineRule]:
    deadlines = []
    for index, entry in enumerate(entries):
        path = ("deadlines", index)
        entry = check.mapping(entry, path, "a deadline")
        check.unknown_keys(entry, {"category", "priority", "within", "counted", "warn_before"},
                           path, "a deadline")
        category = check.category(entry, path)
        within = check.duration(entry, "within", path)
        warn = check.duration(entry, "warn_before", path) if "warn_before" in entry else timedelta(0)
        counted = entry.get("counted", CALENDAR)
        if counted not in (CALENDAR, WORKING_HOURS):
            check.problem(path + ("counted",),
                          f"counted must be {CALENDAR} or {WORKING_HOURS}, got {counted!r}")
        priority = entry.get("priority")
        if priority is not None and (isinstance(priority, bool) or not isinstance(priority, int)
                                     or not 1 <= priority <= 5):
            check.problem(path + ("priority",), f"priority must be 1 (highest) to 5, got {priority!r}")
            priority = None
        if within is not None and warn is not None and warn >= within:
            check.problem(path + ("warn_before",), "warn_before must be shorter than within")
        if category and within is not None and warn is not None:
            deadlines.append(DeadlineRule(category, Limit(within, counted, warn), priority))
    return deadlines


def _every_category_covered(check: _Checker, rules: list[Rule], deadlines: list[DeadlineRule]) -> None:
    for category in CATEGORIES:
        if not any(r.category == category and r.detail is None for r in rules):
            check.problem(("rules",), f"no rule dispatches every '{category}' ticket "
                                      "(add one without 'detail:' as the catch-all)")
        if not any(d.category == category and d.priority is None for d in deadlines):
            check.problem(("deadlines",), f"no deadline for every '{category}' ticket "
                                          "(add one without 'priority:')")
