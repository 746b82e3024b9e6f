"""The flow model: an immutable Flow made of Nodes, and the graph view of it.

A flow file is YAML (see docs/ivr.md)::

    flow: main
    version: 3
    languages: [zh, en]
    entry: welcome
    prompts: {welcome: {zh: 欢迎..., en: Welcome...}}
    nodes:
      welcome: {kind: play, prompts: [welcome], next: main_menu}

Running calls hold a reference to their Flow object; a reload builds a new
one, so a call in progress never sees a half-changed flow.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Iterator, Mapping

TEMPLATE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
TERMINAL_KINDS = frozenset({"hangup", "queue", "transfer", "return"})
INPUT_KINDS = frozenset({"menu", "collect", "survey"})
# Variables every call has before its first node runs.
BUILTIN_VARIABLES = frozenset({"caller_number", "caller_tier", "language", "dialled_number",
                               "call_id", "need"})


@dataclass(frozen=True)
class Node:
    id: str
    kind: str
    spec: Mapping[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        return self.spec.get(key, default)


@dataclass(frozen=True)
class Flow:
    id: str
    version: str
    languages: tuple[str, ...]
    entry: str
    nodes: Mapping[str, Node]
    prompts: Mapping[str, Mapping[str, str]]  # prompt id -> language -> text
    source: str = ""
    inputs: tuple[str, ...] = ()  # a sub-flow's variables expected from its caller
    outputs: tuple[str, ...] = ()  # a sub-flow's variables set for its caller
    description: str = ""
    positions: Any = field(default=None, compare=False, repr=False)  # SourcedDocument

    @property
    def is_subflow(self) -> bool:
        return any(node.kind == "return" for node in self.nodes.values())

    def where(self, *path: str | int) -> str:
        return str(self.positions.where(path)) if self.positions is not None else self.source


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def build_flow(data: Mapping[str, Any], source: str = "", positions: Any = None) -> Flow:
    """Make a Flow from schema-checked data (see schema.check_document)."""
    nodes = {}
    for node_id, spec in data["nodes"].items():
        spec = dict(spec)
        if spec["kind"] == "menu":  # YAML reads 1: as a number; keys are what the caller presses
            spec["choices"] = {str(k): v for k, v in spec["choices"].items()}
        nodes[str(node_id)] = Node(str(node_id), spec["kind"], _freeze(spec))
    prompts = {str(pid): MappingProxyType({str(k): str(v) for k, v in texts.items()})
               for pid, texts in (data.get("prompts") or {}).items()}
    return Flow(id=str(data["flow"]), version=str(data["version"]),
                languages=tuple(data["languages"]), entry=str(data["entry"]),
                nodes=MappingProxyType(nodes), prompts=MappingProxyType(prompts), source=source,
                inputs=tuple(data.get("inputs") or ()), outputs=tuple(data.get("outputs") or ()),
                description=str(data.get("description") or ""), positions=positions)


# --- the graph view, shared by the validator, the interpreter and coverage ---

def edges(node: Node) -> list[tuple[str, str, tuple[str | int, ...]]]:
    """(label, target node id, key path inside the node) for every way out of ``node``."""
    spec, out = node.spec, []
    if node.kind == "menu":
        for digit, target in spec.get("choices", {}).items():
            out.append((f"choice {digit}", target, ("choices", digit)))
        for key in ("on_invalid", "on_timeout"):
            if spec.get(key):
                out.append((key.removeprefix("on_"), spec[key], (key,)))
    elif node.kind == "branch":
        for index, case in enumerate(spec.get("cases", ())):
            out.append((f"case {index + 1}", case.get("next"), ("cases", index, "next")))
        if spec.get("else"):
            out.append(("else", spec["else"], ("else",)))
    elif node.kind == "lookup":
        for key in ("found", "not_found", "error"):
            if spec.get(key):
                out.append((key, spec[key], (key,)))
    elif node.kind in ("collect", "survey"):
        out.append(("ok", spec.get("next"), ("next",)))
        if spec.get("on_failure"):
            out.append(("failure", spec["on_failure"], ("on_failure",)))
    elif node.kind not in TERMINAL_KINDS and spec.get("next"):
        out.append(("next", spec["next"], ("next",)))
    return [(label, target, path) for label, target, path in out if target is not None]


def successors(node: Node) -> list[str]:
    return [target for _, target, _ in edges(node)]


def prompt_refs(node: Node) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    """(prompt id, key path) for every prompt a node plays."""
    for key in ("prompt", "invalid_prompt", "timeout_prompt"):
        if isinstance(node.spec.get(key), str):
            yield node.spec[key], (key,)
    for index, prompt in enumerate(node.spec.get("prompts", ()) or ()):
        yield prompt, ("prompts", index)


def template_vars(value: Any) -> set[str]:
    if isinstance(value, str):
        return set(TEMPLATE.findall(value))
    if isinstance(value, Mapping):
        return set().union(*(template_vars(v) for v in value.values())) if value else set()
    if isinstance(value, (list, tuple)):
        return set().union(*(template_vars(v) for v in value)) if value else set()
    return set()


def render(value: str, variables: Mapping[str, Any]) -> str:
    return TEMPLATE.sub(lambda m: "" if variables.get(m.group(1)) is None
                        else str(variables[m.group(1)]), value)
