"""What dialplans/*.xml would do with an incoming call.

Simplified on purpose (the real XML dialplan engine does much more):
- only conditions on ``destination_number`` are evaluated; conditions on any
  other field are treated as matching;
- the first matching extension wins unless it says ``continue="true"``;
- ``$1``..``$9`` from the destination regex and ``${var}`` are expanded in
  action data; anti-actions and ``break`` attributes are ignored;
- an extension outside any <context> element belongs to every context;
- `$${name}` preprocessor variables come from a dict (the simulator reads the
  `set` lines of freeswitch-conf/vars.xml and accepts overrides).
"""
from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


class DialplanError(ValueError):
    """A dialplan file the simulator cannot read."""


@dataclass(frozen=True)
class Extension:
    name: str
    source: str
    patterns: tuple[re.Pattern, ...]
    actions: tuple[tuple[str, str], ...]
    keep_going: bool = False
    context: str | None = None


def load_dialplans(directory: str | Path | None) -> list[Extension]:
    if directory is None:
        return []
    path = Path(directory)
    if not path.is_dir():
        return []
    extensions: list[Extension] = []
    for file in sorted(path.glob("*.xml")):
        extensions.extend(parse_dialplan(file.read_text(encoding="utf-8"), str(file)))
    return extensions


def parse_dialplan(text: str, source: str = "<string>") -> list[Extension]:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise DialplanError(f"{source}: not well-formed XML: {exc}") from None
    found = []
    contexts = {id(ext): ctx.get("name") for ctx in root.iter("context") for ext in ctx.iter("extension")}
    for ext in root.iter("extension"):
        patterns: list[re.Pattern] = []
        actions: list[tuple[str, str]] = []
        for cond in ext.findall("condition"):
            if cond.get("field") == "destination_number" and cond.get("expression") is not None:
                expr = cond.get("expression")
                try:
                    patterns.append(re.compile(expr))
                except re.error as exc:
                    raise DialplanError(f"{source}: extension {ext.get('name')!r}: bad expression {expr!r}: {exc}") from None
            for action in cond.findall("action"):
                app = action.get("application")
                if not app:
                    raise DialplanError(f"{source}: extension {ext.get('name')!r}: action without application")
                actions.append((app, action.get("data", "")))
        found.append(Extension(ext.get("name", "?"), source, tuple(patterns), tuple(actions),
                               ext.get("continue", "false") == "true", contexts.get(id(ext))))
    return found


def load_global_vars(vars_xml: str | Path) -> dict[str, str]:
    """The `<X-PRE-PROCESS cmd="set" data="name=value"/>` lines of vars.xml."""
    path = Path(vars_xml)
    if not path.is_file():
        return {}
    found = {}
    for m in re.finditer(r'<X-PRE-PROCESS\s+cmd="set"\s+data="([^"=]+)=([^"]*)"', path.read_text(encoding="utf-8")):
        found[m.group(1)] = m.group(2)
    return found


def route(extensions: list[Extension], destination: str, context: str | None = None,
          global_vars: dict[str, str] | None = None) -> list[tuple[str, str]] | None:
    """The actions to run for a destination number in a context, or None when
    nothing matches (the switch then rejects the call with NO_ROUTE_DESTINATION)."""
    actions: list[tuple[str, str]] = []
    matched = False
    for ext in extensions:
        if context is not None and ext.context is not None and ext.context != context:
            continue
        groups: tuple[str, ...] = ()
        ok = True
        for pattern in ext.patterns:
            m = pattern.search(destination)
            if not m:
                ok = False
                break
            groups = m.groups() or groups
        if not ok or not ext.patterns:
            continue
        matched = True
        for app, data in ext.actions:
            actions.append((app, _expand_globals(_expand_groups(data, groups), global_vars or {})))
        if not ext.keep_going:
            break
    return actions if matched else None


def _expand_groups(data: str, groups: tuple[str, ...]) -> str:
    def sub(m: re.Match) -> str:
        index = int(m.group(1)) - 1
        return groups[index] or "" if 0 <= index < len(groups) else ""
    return re.sub(r"\$(\d)", sub, data)


def _expand_globals(data: str, global_vars: dict[str, str]) -> str:
    return re.sub(r"\$\$\{([^}]+)\}", lambda m: global_vars.get(m.group(1), ""), data)
