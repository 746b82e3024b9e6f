"""Loading and validating flow files: schema first, then graph rules.

``load_flow(path, context)`` returns a valid Flow or raises FlowInvalid with
every problem; ``validate_files(paths, context)`` lists problems per file.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from callcenter.ivr.flow import Flow, build_flow
from callcenter.ivr.rules import HookSpec, ValidationContext, check_flow
from callcenter.ivr.schema import Problem, check_document
from callcenter.yamlsource import YamlSyntaxError, load_file

log = logging.getLogger(__name__)

CALENDAR_FILE = "calendar.yaml"
# Used only when the ACD queues file does not exist yet (the shared contract's names).
CONTRACT_QUEUES = frozenset({"billing", "complaints", "service_orders", "password", "general"})


class FlowInvalid(Exception):
    def __init__(self, source: str, problems: list[Problem]):
        super().__init__(f"{source}: {len(problems)} problem(s)\n" +
                         "\n".join(str(p) for p in problems))
        self.source = source
        self.problems = problems


def parse_flow(path: str | Path) -> Flow:
    """Stage one only: a Flow whose shape is right, or FlowInvalid."""
    path = Path(path)
    try:
        document = load_file(path)
    except YamlSyntaxError as exc:
        raise FlowInvalid(str(path), [Problem(str(exc.position), exc.message)]) from None
    except OSError as exc:
        raise FlowInvalid(str(path), [Problem(f"{path}:1:1", f"cannot read the file: "
                                                            f"{exc.strerror}")]) from None
    problems = check_document(document)
    if problems:
        raise FlowInvalid(str(path), problems)
    return build_flow(document.data, str(path), document)


def load_flow(path: str | Path, context: ValidationContext) -> Flow:
    """Both stages: a Flow ready to run, or FlowInvalid listing every problem."""
    flow = parse_flow(path)
    known = dict(context.flows)
    known.setdefault(flow.id, flow)
    problems = check_flow(flow, ValidationContext(context.queues, context.hooks, known))
    if problems:
        raise FlowInvalid(str(path), problems)
    return flow


def flow_files(directory: str | Path) -> list[Path]:
    """The flow files of a directory: every *.yaml except the calendar."""
    return sorted(p for p in Path(directory).glob("*.yaml") if p.name != CALENDAR_FILE)


def read_queue_names(queues_file: str | Path) -> frozenset[str]:
    """Top-level keys of the ACD queues file's ``queues:`` mapping."""
    path = Path(queues_file)
    if not path.exists():
        log.warning("ACD queues file %s not found; checking queue names against the shared "
                    "contract's list (%s)", path, ", ".join(sorted(CONTRACT_QUEUES)))
        return CONTRACT_QUEUES
    document = load_file(path)
    queues = document.data.get("queues") if isinstance(document.data, dict) else None
    if not isinstance(queues, dict):
        raise FlowInvalid(str(path), [Problem(str(document.where(())),
                                              "the ACD queues file needs a top-level 'queues:' "
                                              "mapping of queue name -> settings")])
    return frozenset(str(name) for name in queues)


def registered_hooks() -> dict[str, HookSpec]:
    from callcenter.hooks import HOOKS
    return {name: HookSpec(name, hook.params, hook.outputs) for name, hook in HOOKS.items()}


def context_for(directory: str | Path | None, queues_file: str | Path | None,
                extra_files: Iterable[Path] = ()) -> ValidationContext:
    """Queues, hooks, and the other flows (stage-one parsed) so references can be checked."""
    flows: dict[str, Flow] = {}
    candidates = list(flow_files(directory)) if directory and Path(directory).is_dir() else []
    for path in [*candidates, *extra_files]:
        try:
            flow = parse_flow(path)
        except FlowInvalid:
            continue
        flows.setdefault(flow.id, flow)
    queues = read_queue_names(queues_file) if queues_file else None
    return ValidationContext(queues=queues, hooks=registered_hooks(), flows=flows)


@dataclass(frozen=True)
class FileReport:
    path: str
    problems: tuple[Problem, ...]
    flow: Flow | None


def validate_files(paths: Iterable[str | Path], context: ValidationContext) -> list[FileReport]:
    reports = []
    for path in paths:
        try:
            flow = load_flow(path, context)
            reports.append(FileReport(str(path), (), flow))
        except FlowInvalid as exc:
            reports.append(FileReport(str(path), tuple(exc.problems), None))
    return reports
