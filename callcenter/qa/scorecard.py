"""Scorecard files: the operator's evaluation form as YAML, validated like IVR
flows (every problem as ``file:line:column: message``).

A form has sections, each with items; an item is ``yes_no`` or ``scale``
(0..scale), has a weight, may allow "not applicable", and may be critical
(answered "no", the whole evaluation scores 0). Forms are versioned: a file
names its form and version, and an evaluation keeps the version it used.
docs/qa.md describes the same fields.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from callcenter.yamlsource import KeyPath, SourcedDocument, YamlSyntaxError, load_text

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
KINDS = ("yes_no", "scale")
FORM_KEYS = {"scorecard", "version", "title", "description", "sections"}
SECTION_KEYS = {"id", "title", "items"}
ITEM_KEYS = {"id", "text", "kind", "weight", "scale", "critical", "not_applicable", "guidance"}
MAX_SCALE = 10


@dataclass(frozen=True)
class Problem:
    where: str  # file:line:column
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class ScorecardInvalid(Exception):
    def __init__(self, source: str, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.source = source
        self.problems = problems


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    kind: str  # yes_no | scale
    weight: int
    scale: int = 1  # the top of a scale item (0..scale); 1 for yes_no
    critical: bool = False
    not_applicable: bool = False  # may be answered "na"
    guidance: str = ""


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Scorecard:
    name: str
    version: int
    title: str
    sections: tuple[Section, ...]
    description: str = ""

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for section in self.sections for item in section.items)

    def item(self, item_id: str) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)

    def definition(self) -> dict[str, Any]:
        """Plain data, as stored with each evaluation's form version."""
        return asdict(self)

    def fingerprint(self) -> str:
        text = json.dumps(self.definition(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


def scorecard_from_definition(data: dict[str, Any]) -> Scorecard:
    sections = tuple(Section(s["id"], s["title"], tuple(Item(**i) for i in s["items"]))
                     for s in data["sections"])
    return Scorecard(data["name"], data["version"], data["title"], sections,
                     data.get("description", ""))


def load_scorecard(path: str | Path) -> Scorecard:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScorecardInvalid(str(path), [Problem(f"{path}:1:1", f"cannot read: {exc}")]) from None
    return parse_scorecard(text, str(path))


def parse_scorecard(text: str, source: str) -> Scorecard:
    try:
        document = load_text(text, source)
    except YamlSyntaxError as exc:
        raise ScorecardInvalid(source, [Problem(str(exc.position), exc.message)]) from None
    checker = _Checker(document)
    card = checker.form()
    if checker.problems:
        raise ScorecardInvalid(source, checker.problems)
    return card


class _Checker:
    def __init__(self, document: SourcedDocument):
        self.document = document
        self.problems: list[Problem] = []

    def fail(self, path: KeyPath, message: str) -> None:
        self.problems.append(Problem(str(self.document.where(path)), message))

    def mapping(self, value: Any, path: KeyPath, allowed: set[str], what: str) -> dict:
        if not isinstance(value, dict):
            self.fail(path, f"{what} must be a mapping")
            return {}
        for key in value:
            if key not in allowed:
                self.fail(path + (key,), f"unknown key '{key}' in {what} "
                                         f"(expected one of: {', '.join(sorted(allowed))})")
        return value

    def text(self, data: dict, path: KeyPath, key: str, what: str, required: bool = True) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.fail(path, f"{what} needs '{key}'")
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fail(path + (key,), f"'{key}' of {what} must be non-empty text")
            return ""
        return value.strip()

    def identifier(self, data: dict, path: KeyPath, what: str, key: str = "id") -> str:
        value = data.get(key)
        if value is None:
            self.fail(path, f"{what} needs '{key}'")
            return ""
        if not isinstance(value, str) or not IDENTIFIER.match(value):
            self.fail(path + (key,), f"'{key}' of {what} must be lower-case letters, digits and "
                                     f"underscores, starting with a letter (got {value!r})")
            return ""
        return value

    def integer(self, data: dict, path: KeyPath, key: str, what: str, low: int, high: int,
                default: int | None = None) -> int:
        value = data.get(key, default)
        if value is None:
            self.fail(path, f"{what} needs '{key}'")
            return low
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(path + (key,), f"'{key}' of {what} must be a whole number from {low} to "
                                     f"{high} (got {value!r})")
            return low
        return value

    def flag(self, data: dict, path: KeyPath, key: str, what: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            self.fail(path + (key,), f"'{key}' of {what} must be true or false (got {value!r})")
            return False
        return value

    def form(self) -> Scorecard:
        data = self.mapping(self.document.data, (), FORM_KEYS, "a scorecard")
        name = self.identifier(data, (), "the scorecard", key="scorecard")
        version = self.integer(data, (), "version", "the scorecard", 1, 10_000)
        title = self.text(data, (), "title", "the scorecard")
        description = self.text(data, (), "description", "the scorecard", required=False)
        sections = self.sections(data.get("sections"))
        return Scorecard(name, version, title, tuple(sections), description)

    def sections(self, value: Any) -> list[Section]:
        path: KeyPath = ("sections",)
        if not isinstance(value, list) or not value:
            self.fail(path, "a scorecard needs 'sections': a non-empty list")
            return []
        seen_sections: dict[str, KeyPath] = {}
        seen_items: dict[str, KeyPath] = {}
        sections = []
        for index, raw in enumerate(value):
            where = path + (index,)
            data = self.mapping(raw, where, SECTION_KEYS, f"section {index + 1}")
            section_id = self.identifier(data, where, f"section {index + 1}")
            self.unique(section_id, where + ("id",), seen_sections, "section")
            title = self.text(data, where, "title", f"section '{section_id}'")
            items = self.items(data.get("items"), where + ("items",), section_id, seen_items)
            sections.append(Section(section_id, title, tuple(items)))
        total = sum(i.weight for s in sections for i in s.items)
        if not self.problems and total <= 0:
            self.fail(path, "the weights of all items add up to 0: nothing can be scored")
        return sections

    def unique(self, name: str, path: KeyPath, seen: dict[str, KeyPath], what: str) -> None:
        if not name:
            return
        if name in seen:
            first = self.document.where(seen[name])
            self.fail(path, f"{what} id '{name}' is used twice (first at line {first.line})")
        else:
            seen[name] = path

    def items(self, value: Any, path: KeyPath, section_id: str,
              seen: dict[str, KeyPath]) -> list[Item]:
        if not isinstance(value, list) or not value:
            self.fail(path, f"section '{section_id}' needs 'items': a non-empty list")
            return []
        return [self.item(raw, path + (index,), seen) for index, raw in enumerate(value)]

    def item(self, raw: Any, path: KeyPath, seen: dict[str, KeyPath]) -> Item:
        data = self.mapping(raw, path, ITEM_KEYS, "an item")
        item_id = self.identifier(data, path, "an item")
        self.unique(item_id, path + ("id",), seen, "item")
        what = f"item '{item_id}'"
        text = self.text(data, path, "text", what)
        kind = data.get("kind", "yes_no")
        if kind not in KINDS:
            self.fail(path + ("kind",), f"'kind' of {what} must be one of {', '.join(KINDS)} "
                                        f"(got {kind!r})")
        weight = self.integer(data, path, "weight", what, 0, 1000)
        scale = 1
        if kind == "scale":
            scale = self.integer(data, path, "scale", what, 2, MAX_SCALE)
        elif "scale" in data and kind in KINDS:
            self.fail(path + ("scale",), f"'scale' is only for items of kind scale ({what} is "
                                         f"{kind})")
        critical = self.flag(data, path, "critical", what)
        if critical and kind != "yes_no":
            self.fail(path + ("critical",), f"{what}: only a yes_no item can be critical")
        not_applicable = self.flag(data, path, "not_applicable", what)
        guidance = self.text(data, path, "guidance", what, required=False)
        return Item(item_id, text, kind, weight, scale, critical, not_applicable, guidance)


def scorecard_files(directory: str | Path) -> list[Path]:
    return sorted(Path(directory).glob("*.yaml"))


def load_directory(directory: str | Path) -> tuple[list[Scorecard], list[Problem]]:
    """Every form in a directory; problems of all files, including two files
    claiming the same form and version."""
    return load_files(scorecard_files(directory))


def load_files(paths: list[Path]) -> tuple[list[Scorecard], list[Problem]]:
    cards: list[Scorecard] = []
    problems: list[Problem] = []
    owners: dict[tuple[str, int], Path] = {}
    for path in paths:
        try:
            card = load_scorecard(path)
        except ScorecardInvalid as exc:
            problems.extend(exc.problems)
            continue
        key = (card.name, card.version)
        if key in owners:
            problems.append(Problem(f"{path}:1:1", f"{card.name} version {card.version} is "
                                                   f"already defined in {owners[key]}"))
            continue
        owners[key] = path
        cards.append(card)
    return cards, problems
