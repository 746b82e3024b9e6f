"""Stage one of validation: the shape of a flow file (keys, types, required
fields), reported as ``file:line:column: message`` in words a designer reads.

Each node kind declares its fields once in ``NODE_FIELDS``; docs/ivr.md
describes the same fields.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from callcenter.yamlsource import KeyPath, SourcedDocument

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DIGIT_KEYS = re.compile(r"^[0-9*#]$")


@dataclass(frozen=True)
class Problem:
    where: str  # file:line:column
    message: str
    rule: str = "schema"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class Field:
    check: Callable[[Any], str | None]  # returns what was expected, or None when fine
    required: bool = False


def _type(kind: type | tuple[type, ...], words: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            return words
        return None if isinstance(value, kind) else words
    return check


def _positive(kind: type | tuple[type, ...], words: str) -> Callable[[Any], str | None]:
    base = _type(kind, words)
    return lambda v: base(v) or (None if v > 0 else words)


def _choice(*options: str) -> Callable[[Any], str | None]:
    words = "one of " + ", ".join(options)
    return lambda v: None if v in options else words


def _identifier(value: Any) -> str | None:
    return None if isinstance(value, str) and IDENTIFIER.match(value) else \
        "a name of letters, digits and underscores"


def _str_list(value: Any) -> str | None:
    ok = isinstance(value, list) and value and all(isinstance(v, str) for v in value)
    return None if ok else "a non-empty list of names"


def _mapping(value: Any) -> str | None:
    return None if isinstance(value, dict) else "a mapping"


def _regex(value: Any) -> str | None:
    if not isinstance(value, str):
        return "a regular expression in quotes"
    try:
        re.compile(value)
    except re.error as exc:
        return f"a valid regular expression ({exc})"
    return None


TEXT = _type(str, "text")
NAME = _type(str, "a node or prompt name")
NUMBER = _positive((int, float), "a positive number of seconds")
COUNT = _positive(int, "a positive whole number")
BOOL = _type(bool, "true or false")

NODE_FIELDS: dict[str, dict[str, Field]] = {
    "play": {"prompts": Field(_str_list, True), "next": Field(NAME, True)},
    "menu": {"prompt": Field(NAME, True), "choices": Field(_mapping, True),
             "timeout": Field(NUMBER), "tries": Field(COUNT), "invalid_prompt": Field(NAME),
             "timeout_prompt": Field(NAME), "on_invalid": Field(NAME), "on_timeout": Field(NAME)},
    "collect": {"prompt": Field(NAME, True), "variable": Field(_identifier, True),
                "min_length": Field(COUNT), "max_length": Field(COUNT, True),
                "terminator": Field(_choice("#", "*", "")), "pattern": Field(_regex),
                "timeout": Field(NUMBER), "tries": Field(COUNT), "invalid_prompt": Field(NAME),
                "secret": Field(BOOL), "next": Field(NAME, True), "on_failure": Field(NAME, True)},
    "say": {"say": Field(_choice("number", "money", "date", "digits"), True),
            "variable": Field(_identifier, True), "prompt": Field(NAME), "next": Field(NAME, True)},
    "lookup": {"hook": Field(TEXT, True), "args": Field(_mapping), "timeout": Field(NUMBER),
               "hold_music": Field(BOOL), "found": Field(NAME, True),
               "not_found": Field(NAME, True), "error": Field(NAME, True)},
    "branch": {"cases": Field(lambda v: None if isinstance(v, list) else "a list of cases", True),
               "else": Field(NAME, True)},
    "set": {"values": Field(_mapping), "increment": Field(_mapping), "next": Field(NAME, True)},
    "queue": {"need": Field(TEXT, True), "priority": Field(_type(int, "a whole number"))},
    "transfer": {"to": Field(TEXT), "flow": Field(TEXT)},
    "record": {"prompt": Field(NAME), "variable": Field(_identifier, True),
               "max_seconds": Field(COUNT), "silence_seconds": Field(COUNT),
               "purpose": Field(_choice("voicemail", "complaint")), "next": Field(NAME, True)},
    "survey": {"prompt": Field(NAME, True), "variable": Field(_identifier),
               "timeout": Field(NUMBER), "tries": Field(COUNT), "invalid_prompt": Field(NAME),
               "next": Field(NAME, True), "on_failure": Field(NAME, True)},
    "hangup": {"prompt": Field(NAME)},
    "subflow": {"flow": Field(TEXT, True), "next": Field(NAME, True)},
    "return": {},
}
COMMON_FIELDS = {"kind": Field(TEXT, True), "note": Field(TEXT)}

TOP_FIELDS: dict[str, Field] = {
    "flow": Field(_identifier, True), "version": Field(_type((int, str), "a number or text"), True),
    "languages": Field(_str_list, True), "entry": Field(NAME, True),
    "prompts": Field(_mapping, True), "nodes": Field(_mapping, True),
    "description": Field(TEXT), "inputs": Field(_str_list), "outputs": Field(_str_list),
}

CONDITION_FIELDS: dict[str, Field] = {
    "var": Field(_identifier), "equals": Field(lambda v: None), "not_equals": Field(lambda v: None),
    "in": Field(lambda v: None if isinstance(v, list) else "a list"),
    "gte": Field(_type((int, float), "a number")), "lte": Field(_type((int, float), "a number")),
    "is_set": Field(BOOL),
    "tier": Field(_str_list), "time": Field(lambda v: None if isinstance(v, str) and re.match(
        r"^\d\d:\d\d-\d\d:\d\d$", v) else "a time range like 08:00-20:00"),
    "weekday": Field(lambda v: None if isinstance(v, list) and all(
        d in WEEKDAYS for d in v) else "a list of mon, tue, wed, thu, fri, sat, sun"),
    "holiday": Field(BOOL), "open": Field(BOOL),
}
VAR_OPERATORS = ("equals", "not_equals", "in", "gte", "lte", "is_set")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def check_document(document: SourcedDocument) -> list[Problem]:
    """Every shape problem in a flow file; an empty list means stage two may run."""
    data, problems = document.data, []

    def report(path: KeyPath, message: str) -> None:
        problems.append(Problem(str(document.where(path)), message))

    if not isinstance(data, dict):
        report((), "a flow file must be a mapping with flow, version, languages, entry, "
                   "prompts and nodes")
        return problems
    _check_fields(data, TOP_FIELDS, (), "the flow", report)
    if isinstance(data.get("prompts"), dict):
        for prompt_id, texts in data["prompts"].items():
            if not isinstance(texts, dict) or not all(isinstance(t, str) for t in texts.values()):
                report(("prompts", prompt_id), f"prompt '{prompt_id}' must map each language to "
                                               "its text, e.g. {zh: 您好, en: Hello}")
    if isinstance(data.get("nodes"), dict):
        for node_id, spec in data["nodes"].items():
            _check_node(str(node_id), spec, ("nodes", node_id), report)
    return problems


def _check_fields(data: dict, fields: dict[str, Field], path: KeyPath, what: str,
                  report: Callable[[KeyPath, str], None]) -> None:
    for key, value in data.items():
        if key not in fields:
            report(path + (key,), f"unknown key '{key}' in {what} (allowed: {', '.join(fields)})")
            continue
        expected = fields[key].check(value)
        if expected:
            report(path + (key,), f"'{key}' in {what} must be {expected}, got {value!r}")
    for key, field in fields.items():
        if field.required and key not in data:
            report(path, f"{what} is missing '{key}'")


def _check_node(node_id: str, spec: Any, path: KeyPath,
                report: Callable[[KeyPath, str], None]) -> None:
    what = f"node '{node_id}'"
    if not IDENTIFIER.match(node_id):
        report(path, f"node name '{node_id}' must be letters, digits and underscores")
    if not isinstance(spec, dict):
        report(path, f"{what} must be a mapping with a 'kind'")
        return
    kind = spec.get("kind")
    if kind not in NODE_FIELDS:
        report(path + ("kind",) if "kind" in spec else path,
               f"{what} has {'unknown kind ' + repr(kind) if 'kind' in spec else 'no kind'} "
               f"(kinds: {', '.join(NODE_FIELDS)})")
        return
    _check_fields(spec, {**COMMON_FIELDS, **NODE_FIELDS[kind]}, path, f"{kind} {what}", report)
    if kind == "menu" and isinstance(spec.get("choices"), dict):
        for digit in spec["choices"]:
            if not DIGIT_KEYS.match(str(digit)):
                report(path + ("choices", digit), f"menu choice '{digit}' in {what} must be one "
                                                  "key: 0-9, * or # (quote it: '1')")
    if kind == "transfer" and ("to" in spec) == ("flow" in spec):
        report(path, f"transfer {what} needs exactly one of 'to' (a number) or 'flow'")
    if kind == "branch" and isinstance(spec.get("cases"), list):
        for index, case in enumerate(spec["cases"]):
            _check_case(case, path + ("cases", index), f"case {index + 1} of {what}", report)
    if kind == "set" and "values" not in spec and "increment" not in spec:
        report(path, f"set {what} needs 'values' or 'increment'")
    for key in ("values", "increment", "args"):
        for name in (spec.get(key) or {}) if isinstance(spec.get(key), dict) else ():
            if not IDENTIFIER.match(str(name)):
                report(path + (key, name), f"'{name}' in {what} is not a variable name")
    if kind == "collect" and isinstance(spec.get("min_length"), int) and \
            isinstance(spec.get("max_length"), int) and spec["min_length"] > spec["max_length"]:
        report(path + ("min_length",), f"min_length is more than max_length in {what}")


def _check_case(case: Any, path: KeyPath, what: str,
                report: Callable[[KeyPath, str], None]) -> None:
    if not isinstance(case, dict):
        report(path, f"{what} must be a mapping with 'when' and 'next'")
        return
    _check_fields(case, {"when": Field(_mapping, True), "next": Field(NAME, True)}, path, what,
                  report)
    when = case.get("when")
    if not isinstance(when, dict):
        return
    _check_fields(when, CONDITION_FIELDS, path + ("when",), f"the condition of {what}", report)
    operators = [op for op in VAR_OPERATORS if op in when]
    if ("var" in when) != bool(operators) or len(operators) > 1:
        report(path + ("when",), f"the condition of {what}: 'var' goes with exactly one of "
                                 f"{', '.join(VAR_OPERATORS)}")
    if not when:
        report(path + ("when",), f"the condition of {what} is empty")
