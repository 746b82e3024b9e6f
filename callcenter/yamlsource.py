"""YAML loading that remembers where every value came from.

Configuration, IVR flows and queue files all report errors as
``file:line:column``; this module turns a YAML document into plain Python
values plus a map from each key path to its position in the file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Position:
    file: str
    line: int  # 1-based
    column: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass
class SourcedDocument:
    """Plain data plus the position of every key and value in the source."""

    data: Any
    file: str
    positions: dict[KeyPath, Position] = field(default_factory=dict)

    def where(self, path: KeyPath) -> Position:
        """The position of ``path``, or of its nearest ancestor that has one."""
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), Position(self.file, 1, 1))


class YamlSyntaxError(ValueError):
    def __init__(self, position: Position, message: str):
        super().__init__(f"{position}: {message}")
        self.position = position
        self.message = message


def load_text(text: str, file: str) -> SourcedDocument:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        position = Position(file, (mark.line + 1) if mark else 1, (mark.column + 1) if mark else 1)
        raise YamlSyntaxError(position, f"YAML syntax error: {exc.problem or exc}") from None
    document = SourcedDocument(data=None, file=file)
    if node is None:
        document.data = {}
        document.positions[()] = Position(file, 1, 1)
        return document
    document.data = _convert(node, (), document)
    return document


def load_file(path: str | Path) -> SourcedDocument:
    path = Path(path)
    return load_text(path.read_text(encoding="utf-8"), str(path))


def _position(node: yaml.Node, file: str) -> Position:
    return Position(file, node.start_mark.line + 1, node.start_mark.column + 1)


def _convert(node: yaml.Node, path: KeyPath, document: SourcedDocument) -> Any:
    document.positions.setdefault(path, _position(node, document.file))
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            key = key if isinstance(key, (str, int)) else str(key)
            child = path + (key,)
            document.positions[child] = _position(key_node, document.file)
            if key in result:
                raise YamlSyntaxError(_position(key_node, document.file), f"duplicate key '{key}'")
            result[key] = _convert(value_node, child, document)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, path + (index,), document) for index, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.ScalarNode) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()
