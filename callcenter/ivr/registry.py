"""FlowRegistry: the flows that serve new calls, reloaded when files change.

    registry = FlowRegistry.from_config(config)      # or FlowRegistry(directory, numbers, ...)
    registry.reload()                                 # at start, then every few seconds
    entry = registry.for_number("10000")              # -> FlowEntry(flow, need) or None
    flow = registry.flow("main")

A changed file is validated before it replaces anything: if it is invalid,
its problems are logged and kept in ``refused`` and the previous version
keeps serving. Calls already running hold their own (immutable) Flow object
and finish on the version they started with.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from callcenter.ivr.calendar import Calendar, CalendarError, load_calendar
from callcenter.ivr.flow import Flow
from callcenter.ivr.rules import ValidationContext, check_flow
from callcenter.ivr.schema import Problem
from callcenter.ivr.validate import (CALENDAR_FILE, FlowInvalid, flow_files, parse_flow,
                                     read_queue_names, registered_hooks)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FlowEntry:
    flow: Flow
    need: str | None


@dataclass
class ReloadReport:
    loaded: list[str] = field(default_factory=list)  # flow ids (re)loaded in this pass
    refused: dict[str, list[Problem]] = field(default_factory=dict)  # file -> problems
    removed: list[str] = field(default_factory=list)


class FlowRegistry:
    def __init__(self, directory: str | Path, numbers: Mapping[str, Mapping[str, Any]] | None = None,
                 queues_file: str | Path | None = None):
        self.directory = Path(directory)
        self.numbers = {str(k): dict(v or {}) for k, v in (numbers or {}).items()}
        self.queues_file = queues_file
        self._flows: dict[str, Flow] = {}
        self._file_flow: dict[Path, str] = {}
        self._stamps: dict[Path, tuple[int, int]] = {}
        self.refused: dict[str, list[Problem]] = {}
        self.calendar: Calendar = Calendar.always_open()
        self._calendar_stamp: tuple[int, int] | None = None

    @classmethod
    def from_config(cls, config: Any) -> FlowRegistry:
        return cls(config.ivr.flows_directory, config.ivr.numbers, config.acd.queues_file)

    # --- lookups ------------------------------------------------------------

    def flow(self, flow_id: str) -> Flow | None:
        return self._flows.get(flow_id)

    def flows(self) -> dict[str, Flow]:
        return dict(self._flows)

    def for_number(self, dialled: str) -> FlowEntry | None:
        entry = self.numbers.get(str(dialled))
        flow = self._flows.get(entry.get("flow")) if entry else None
        return FlowEntry(flow, entry.get("need")) if flow else None

    # --- reloading ----------------------------------------------------------

    def reload(self) -> ReloadReport:
        """Load new and changed files (validated); keep serving the old version of a
        flow whose new file is invalid."""
        report = ReloadReport()
        self._reload_calendar()
        files = flow_files(self.directory)
        changed = [p for p in files if self._stamps.get(p) != _stamp(p)]
        for gone in set(self._file_flow) - set(files):
            flow_id = self._file_flow.pop(gone)
            self._stamps.pop(gone, None)
            if flow_id in self._flows and flow_id not in self._file_flow.values():
                log.warning("flow file %s was removed; flow '%s' keeps serving until a "
                            "restart", gone, flow_id)
            report.removed.append(flow_id)
        if not changed:
            return report
        parsed = self._parse(changed, report)
        context = self._context({**self._flows, **{f.id: f for f in parsed.values()}})
        for path, flow in parsed.items():
            problems = check_flow(flow, context)
            if problems:
                self._refuse(path, problems, report)
                continue
            self._flows[flow.id] = flow
            self._file_flow[path] = flow.id
            self._stamps[path] = _stamp(path)
            self.refused.pop(str(path), None)
            report.loaded.append(flow.id)
            log.info("flow '%s' version %s loaded from %s", flow.id, flow.version, path)
        return report

    def _parse(self, paths: list[Path], report: ReloadReport) -> dict[Path, Flow]:
        parsed = {}
        for path in paths:
            try:
                parsed[path] = parse_flow(path)
            except FlowInvalid as exc:
                self._refuse(path, exc.problems, report)
        return parsed

    def _context(self, flows: Mapping[str, Flow]) -> ValidationContext:
        queues = read_queue_names(self.queues_file) if self.queues_file else None
        return ValidationContext(queues=queues, hooks=registered_hooks(), flows=flows)

    def _refuse(self, path: Path, problems: list[Problem], report: ReloadReport) -> None:
        self._stamps[path] = _stamp(path)  # do not re-read an unchanged bad file every pass
        self.refused[str(path)] = list(problems)
        report.refused[str(path)] = list(problems)
        log.error("flow file %s refused; the previous version (if any) keeps serving:\n%s",
                  path, "\n".join(str(p) for p in problems))

    def _reload_calendar(self) -> None:
        path = self.directory / CALENDAR_FILE
        stamp = _stamp(path) if path.exists() else None
        if stamp == self._calendar_stamp:
            return
        self._calendar_stamp = stamp
        if stamp is None:
            return
        try:
            self.calendar = load_calendar(path)
            log.info("calendar loaded from %s", path)
        except (CalendarError, OSError) as exc:
            log.error("calendar %s refused; the previous one keeps serving:\n%s", path, exc)


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size
