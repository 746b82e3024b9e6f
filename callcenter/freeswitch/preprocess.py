"""Read a FreeSWITCH configuration the way FreeSWITCH does, keeping where
every element came from.

FreeSWITCH assembles its configuration from ``freeswitch.xml`` with a line
based pre-processor: ``<X-PRE-PROCESS cmd="set" data="name=value"/>`` defines
a global variable, ``$${name}`` is replaced by its value on every later line,
``cmd="include"`` splices in the files a glob matches (relative to the
including file's directory, their ``<include>`` wrapper dropped),
``cmd="env-set"`` copies an environment variable and ``cmd="exec-set"`` the
output of a shell command. This module reproduces that on a tree of
:class:`Node` so that a rule can say "file X, line N" about any element.
Nothing here runs a command or touches FreeSWITCH.
"""
from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

VARIABLE = re.compile(r"\$\$\{([^}]*)\}")
PRE_PROCESS = "x-pre-process"

# Variables FreeSWITCH's core defines before it reads the configuration.
CORE_VARIABLES = ("base_dir", "recordings_dir", "sound_prefix", "sounds_dir", "conf_dir", "log_dir",
                  "run_dir", "db_dir", "mod_dir", "htdocs_dir", "script_dir", "temp_dir",
                  "grammar_dir", "fonts_dir", "images_dir", "certs_dir", "storage_dir",
                  "cache_dir", "data_dir", "localstate_dir", "core_uuid", "hostname",
                  "switch_serial", "local_ip_v4", "local_mask_v4", "local_ip_v6",
                  "nat_public_addr", "nat_private_addr", "nat_type", "zrtp_enabled")


@dataclass(frozen=True)
class Problem:
    """Something to fix, with where it is."""
    file: Path
    line: int
    message: str

    def describe(self, relative_to: Path | None = None) -> str:
        path = self.file
        if relative_to is not None:
            try:
                path = self.file.resolve().relative_to(relative_to.resolve())
            except ValueError:
                pass
        return f"{path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Variable:
    """A pre-processor variable: its value and the line that gave it."""
    name: str
    value: str
    origin: str  # set | env | exec | core
    file: Path | None = None
    line: int = 0


@dataclass
class Node:
    """An element of the assembled configuration."""
    tag: str
    attrs: dict[str, str]
    file: Path
    line: int
    children: list[Node] = field(default_factory=list)
    # variable names each attribute's value was built from
    sources: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # whether the start tag, as written, contains $${ (character references
    # such as &#36; are decoded only after FreeSWITCH expanded variables)
    expandable: bool = False

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    def iter(self, tag: str | None = None) -> Iterator[Node]:
        """This node and every descendant (with the given tag), in document order."""
        if tag is None or self.tag == tag:
            yield self
        for child in self.children:
            yield from child.iter(tag)

    def find_children(self, tag: str) -> list[Node]:
        return [child for child in self.children if child.tag == tag]

    def params(self) -> dict[str, Node]:
        """``<param name=".." value=".."/>`` children of this node (or of its ``settings``)."""
        found = {}
        for node in self.iter("param"):
            name = node.get("name")
            if name is not None:
                found[name.lower()] = node
        return found


@dataclass
class Assembly:
    """The result of reading a configuration: the tree, the variables, the problems."""
    root: Node | None
    variables: dict[str, Variable]
    problems: list[Problem]
    files: list[Path]


def parse_file(path: Path) -> tuple[Node | None, list[Problem]]:
    """Parse one XML file as it is (no pre-processing), with line numbers."""
    problems: list[Problem] = []
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(path, 0, f"cannot read: {exc.strerror}")]
    parser = expat.ParserCreate()
    stack: list[Node] = []
    roots: list[Node] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        offset = parser.CurrentByteIndex
        raw_tag = data[offset:data.find(b">", offset) + 1]
        node = Node(tag, dict(attrs), path, parser.CurrentLineNumber, expandable=b"$${" in raw_tag)
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    def end(_tag: str) -> None:
        stack.pop()

    def comment(text: str) -> None:
        if PRE_PROCESS in text.lower():
            problems.append(Problem(path, parser.CurrentLineNumber,
                                    "X-PRE-PROCESS inside a comment: FreeSWITCH's pre-processor still "
                                    "runs it (comments do not disable it); delete the line instead"))

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CommentHandler = comment
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        return None, [Problem(path, exc.lineno, f"malformed XML: {expat.ErrorString(exc.code)} "
                                                 f"(column {exc.offset + 1})")]
    return (roots[0] if roots else None), problems


class Assembler:
    """Assembles a configuration from its top file, as FreeSWITCH's pre-processor does."""

    def __init__(self, conf_dir: Path, environ: Mapping[str, str] | None = None):
        self.conf_dir = conf_dir
        self.environ = dict(environ or {})
        self.variables: dict[str, Variable] = {
            name: Variable(name, f"<{name}>", "core") for name in CORE_VARIABLES}
        self.variables["conf_dir"] = Variable("conf_dir", str(conf_dir), "core")
        self.variables["local_ip_v4"] = Variable("local_ip_v4", "127.0.0.1", "core")
        self.problems: list[Problem] = []
        self.files: list[Path] = []

    def assemble(self, top: Path) -> Assembly:
        nodes = self._read(top, depth=0)
        root = nodes[0] if nodes else None
        return Assembly(root, self.variables, self.problems, self.files)

    def _read(self, path: Path, depth: int) -> list[Node]:
        if depth > 20:
            self.problems.append(Problem(path, 0, "includes nested more than 20 deep (an include loop?)"))
            return []
        root, problems = parse_file(path)
        self.files.append(path)
        self.problems.extend(problems)
        if root is None:
            return []
        self._expand(root)
        if root.tag == PRE_PROCESS or root.tag.lower() == PRE_PROCESS:
            return self._pre_process(root, depth)
        root.children = self._children(root, depth)
        # FreeSWITCH drops the <include> wrapper lines of an included file.
        return root.children if root.tag == "include" else [root]

    def _children(self, node: Node, depth: int) -> list[Node]:
        result: list[Node] = []
        for child in node.children:
            if child.tag.lower() == PRE_PROCESS:
                self._expand(child)
                result.extend(self._pre_process(child, depth))
            else:
                self._expand(child)
                child.children = self._children(child, depth)
                result.append(child)
        return result

    def _pre_process(self, node: Node, depth: int) -> list[Node]:
        command = (node.get("cmd") or "").lower()
        data = node.get("data") or ""
        if command == "include":
            return self._include(node, data, depth)
        if command in ("set", "env-set", "exec-set"):
            name, sep, value = data.partition("=")
            name = name.strip()
            if not sep or not name:
                self.problems.append(Problem(node.file, node.line,
                                             f"X-PRE-PROCESS {command} needs data=\"name=value\", got {data!r}"))
                return []
            value = value.lstrip(" ")
            if command == "set":
                self.variables[name] = Variable(name, value, "set", node.file, node.line)
            elif command == "env-set":
                env_name = value[1:] if value.startswith("$") else None
                if env_name is None:
                    self.problems.append(Problem(node.file, node.line,
                                                 f"env-set needs data=\"{name}=$ENVIRONMENT_VARIABLE\""))
                elif env_name in self.environ:
                    self.variables[name] = Variable(name, self.environ[env_name], "env", node.file, node.line)
            else:
                self.variables[name] = Variable(name, f"<output of: {value}>", "exec", node.file, node.line)
            return []
        if command in ("exec", "stun-set"):
            return []
        self.problems.append(Problem(node.file, node.line, f"unknown X-PRE-PROCESS cmd {command!r}"))
        return []

    def _include(self, node: Node, pattern: str, depth: int) -> list[Node]:
        full = os.path.normpath(pattern if pattern.startswith("/") else str(node.file.parent / pattern))
        if not glob.has_magic(full):
            if not Path(full).is_file():
                self.problems.append(Problem(node.file, node.line,
                                             f"included file {pattern!r} does not exist ({full})"))
                return []
            return self._read(Path(full), depth + 1)
        result: list[Node] = []
        for match in sorted(glob.glob(full)):
            result.extend(self._read(Path(match), depth + 1))
        return result

    def _expand(self, node: Node) -> None:
        if not node.expandable:
            return
        for key, raw in node.attrs.items():
            used: list[str] = []

            def substitute(match: re.Match[str]) -> str:
                name = match.group(1)
                used.append(name)
                variable = self.variables.get(name)
                if variable is None:
                    self.problems.append(Problem(node.file, node.line,
                                                 f"$${{{name}}} is not defined before this line "
                                                 "(FreeSWITCH would silently use an empty value)"))
                    return ""
                return variable.value

            node.attrs[key] = VARIABLE.sub(substitute, raw)
            if used:
                node.sources[key] = tuple(used)


def assemble(conf_dir: Path, environ: Mapping[str, str] | None = None,
             top: str = "freeswitch.xml") -> Assembly:
    """Read ``conf_dir/top`` and everything it includes."""
    top_path = conf_dir / top
    if not top_path.is_file():
        return Assembly(None, {}, [Problem(top_path, 0, f"{top} is missing: not a FreeSWITCH "
                                                         "configuration directory")], [])
    return Assembler(conf_dir, environ).assemble(top_path)
