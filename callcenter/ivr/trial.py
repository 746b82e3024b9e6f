"""Running a flow without a switch: `callcenter ivr try` and its coverage report.

A script file (for --coverage) is YAML::

    caller: "8613800000000"      # calling number
    script: "1 wait:5 111111#"   # the caller's steps (see callcenter.ivr.scripted)
    time: 2026-11-23T10:00:00+08:00   # optional: the moment the call starts
    dialled: "10000"             # optional
    language: en                 # optional
    flow: main                   # optional: run only when covering this flow (else: any flow)
    hooks: {bill_summary: error}  # optional: make hooks fail (error) or find nothing (not_found)
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

import yaml

from callcenter.hooks import ERROR, NOT_FOUND, HookResult
from callcenter.ivr.control import CallControl
from callcenter.ivr.flow import Flow, edges
from callcenter.ivr.interpreter import CallInfo, Interpreter, IvrOutcome
from callcenter.ivr.prompts import PromptLibrary
from callcenter.ivr.registry import FlowRegistry
from callcenter.ivr.scripted import ScriptError, ScriptedControl, ScriptSource, parse_script

# interpreter outcomes that leave a node by its single 'next' / 'ok' edge
_NEXT_OUTCOMES = {"played", "said", "set", "recorded", "enter", "return", "to flow"}


@dataclass
class TraceSink:
    """Keeps every node outcome; prints them when ``out`` is given."""

    out: Callable[[str], None] | None = None
    events: list[tuple[str, str, str, dict]] = field(default_factory=list)

    def on_node(self, node_id: str, kind: str, outcome: str, data: Mapping[str, Any]) -> None:
        self.events.append((node_id, kind, outcome, dict(data)))
        if self.out:
            self.out(f"  -> {node_id} ({kind}): {outcome}")


@dataclass(frozen=True)
class Trial:
    registry: FlowRegistry
    hooks: Any
    prompts: PromptLibrary
    recordings_dir: Path

    def run(self, flow: Flow, control: CallControl, call: CallInfo, sink: TraceSink,
            clock: Callable[[], datetime]) -> IvrOutcome:
        interpreter = Interpreter(flow, control, call=call, hooks=self.hooks, prompts=self.prompts,
                                  sink=sink, calendar=self.registry.calendar,
                                  flows=lambda fid: self.registry.flow(fid) or
                                  (flow if fid == flow.id else None),
                                  clock=clock, recordings_dir=self.recordings_dir)
        return interpreter.run()

    def with_hooks_failing(self, overrides: Mapping[str, str]) -> Trial:
        """The same trial with some hooks answering 'error' or 'not_found' (to cover branches)."""
        bad = {k: v for k, v in overrides.items() if v not in (ERROR, NOT_FOUND)}
        if bad:
            raise ScriptError(f"hooks can be made to answer 'error' or 'not_found', not {bad}")
        return Trial(self.registry, OverriddenHooks(self.hooks, dict(overrides)), self.prompts,
                     self.recordings_dir)

    def run_script(self, flow: Flow, steps: str, caller: str, *, dialled: str = "",
                   language: str | None = None, start: datetime | None = None,
                   out: Callable[[str], None] | None = None) -> tuple[IvrOutcome, TraceSink]:
        control = ScriptedControl(ScriptSource(parse_script(steps)), out or (lambda line: None),
                                  start or datetime.now(timezone.utc))
        entry = self.registry.numbers.get(dialled, {})
        call = CallInfo(call_id=f"try-{uuid.uuid4().hex[:12]}", caller_number=caller,
                        dialled_number=dialled, need=entry.get("need"), language=language)
        sink = TraceSink(out)
        return self.run(flow, control, call, sink, control.now), sink


class OverriddenHooks:
    def __init__(self, hooks: Any, overrides: dict[str, str]):
        self.hooks, self.overrides = hooks, overrides

    def call(self, name: str, args: Mapping[str, str], timeout: float) -> HookResult:
        if name in self.overrides:
            status = self.overrides[name]
            return HookResult(status, error="made to fail by the script" if status == ERROR else "")
        return self.hooks.call(name, args, timeout)


def describe_outcome(outcome: IvrOutcome) -> list[str]:
    if outcome.kind == "queue":
        head = f"== queue: need {outcome.need}, priority {outcome.priority}"
    elif outcome.kind == "transfer":
        head = f"== transfer to {outcome.target}"
    elif outcome.kind == "caller_hung_up":
        head = f"== the caller hung up in {outcome.last_node}"
    else:
        head = "== hangup"
    lines = [head + (f" (IVR error: {outcome.error})" if outcome.error else "")]
    lines.append("   path: " + " > ".join(outcome.path))
    if outcome.survey_score is not None:
        lines.append(f"   survey score: {outcome.survey_score}")
    lines.append("   variables:")
    lines += [f"     {k} = {v!r}" for k, v in sorted(outcome.variables.items())]
    return lines


# --- coverage ------------------------------------------------------------------

@dataclass
class CoverageReport:
    scripts: int = 0
    unreached_nodes: list[str] = field(default_factory=list)
    unreached_branches: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _edge_label(kind: str, outcome: str) -> str:
    if outcome in _NEXT_OUTCOMES:
        return "next"
    if outcome == "scored":
        return "ok"
    return outcome


def load_script_file(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("script"), str):
        raise ScriptError("a script file is a mapping with at least 'script: \"...\"' "
                          "and usually 'caller:'")
    return data


def run_scripts(trial: Trial, flow: Flow, directory: Path, report: CoverageReport,
                seen: set[tuple[str, str | None]]) -> None:
    """Run every script file of ``directory`` meant for ``flow``; add what they reached to ``seen``."""
    for path in sorted(directory.glob("*.yaml")):
        try:
            spec = load_script_file(path)
            if spec.get("flow", flow.id) != flow.id:
                continue
            start = spec.get("time")
            if isinstance(start, str):
                start = datetime.fromisoformat(start)
            runner = trial.with_hooks_failing(spec["hooks"]) if spec.get("hooks") else trial
            _, sink = runner.run_script(flow, spec["script"], str(spec.get("caller", "")),
                                        dialled=str(spec.get("dialled", "")),
                                        language=spec.get("language"), start=start)
        except (ScriptError, ValueError, OSError, yaml.YAMLError) as exc:
            report.problems.append(f"{path}: {exc}")
            continue
        report.scripts += 1
        for node_key, kind, outcome, _ in sink.events:
            seen.add((node_key, None))
            seen.add((node_key, _edge_label(kind, outcome)))


def coverage(trial: Trial, flow: Flow, directory: Path) -> CoverageReport:
    report, seen = CoverageReport(), set()
    run_scripts(trial, flow, directory, report, seen)
    for prefix, each in _flows_in_play(trial, flow):
        for node in each.nodes.values():
            key = prefix + node.id
            if (key, None) not in seen:
                report.unreached_nodes.append(key)
                continue
            for label, target, _ in edges(node):
                if (key, label) not in seen:
                    report.unreached_branches.append(f"{key} --{label}--> {target}")
    return report


def _flows_in_play(trial: Trial, flow: Flow) -> list[tuple[str, Flow]]:
    result, todo, done = [("", flow)], [flow], {flow.id}
    while todo:
        current = todo.pop()
        for node in current.nodes.values():
            target = trial.registry.flow(node.get("flow")) if node.kind in ("subflow", "transfer") \
                and node.get("flow") else None
            if target is not None and target.id not in done:
                done.add(target.id)
                result.append((f"{target.id}/", target))
                todo.append(target)
    return result
