"""What the kit's rules share: the assembled configuration and the sections
they look up, plus what they learn for the report."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from callcenter.freeswitch.preprocess import Assembly, Node, Problem


@dataclass
class KitFacts:
    """What the rules share: the assembled tree and a few looked-up sections."""
    assembly: Assembly
    engine_port: int | None
    hotline_numbers: list[str]
    modules: list[str]
    esl_port: int | None = None

    @property
    def root(self) -> Node:
        assert self.assembly.root is not None
        return self.assembly.root

    def configuration(self, name: str) -> Node | None:
        for node in self.root.iter("configuration"):
            if node.get("name") == name:
                return node
        return None

    def contexts(self) -> dict[str, Node]:
        found: dict[str, Node] = {}
        for section in self.root.find_children("section"):
            if section.get("name") == "dialplan":
                for context in section.iter("context"):
                    found.setdefault(context.get("name") or "", context)
        return found

    def profiles(self) -> list[Node]:
        sofia = self.configuration("sofia.conf")
        return list(sofia.iter("profile")) if sofia is not None else []

    def where_set(self, node: Node, attr: str) -> str:
        """' (set by $${x} at file:line)' when a variable gave this attribute its value."""
        for name in reversed(node.sources.get(attr, ())):
            variable = self.assembly.variables.get(name)
            if variable is not None and variable.file is not None:
                return f" (from $${{{name}}}, {variable.origin} at {variable.file.name}:{variable.line})"
        return ""


Rule = Callable[[KitFacts], list[Problem]]


Rule = Callable[[KitFacts], list[Problem]]
