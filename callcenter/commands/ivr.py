"""`callcenter ivr ...`: validate flows, render prompts, try a flow in the terminal."""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

from callcenter import db
from callcenter.hooks import HookRunner
from callcenter.ivr.calendar import CalendarError, load_calendar
from callcenter.ivr.flow import Flow
from callcenter.ivr.interpreter import CallInfo
from callcenter.ivr.prompts import PromptLibrary, PromptRenderError, render_prompts
from callcenter.ivr.registry import FlowRegistry
from callcenter.ivr.scripted import ScriptError, ScriptedControl, TerminalSource
from callcenter.ivr.trial import Trial, TraceSink, coverage, describe_outcome
from callcenter.ivr.validate import (CALENDAR_FILE, FlowInvalid, context_for, flow_files, load_flow,
                                     validate_files)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ivr", help="IVR flows: validate, render prompts, try")
    commands = parser.add_subparsers(dest="ivr_command", metavar="ACTION", required=True)

    validate = commands.add_parser("validate", help="check flow files (schema, then graph rules)")
    validate.add_argument("files", nargs="*", metavar="FILE",
                          help="flow files (default: every flow in ivr.flows_directory)")
    validate.set_defaults(handler=validate_command)

    prompts = commands.add_parser("prompts", help="render missing or changed prompt texts to "
                                                  "8 kHz WAV with espeak-ng")
    prompts.add_argument("--force", action="store_true", help="render every prompt again")
    prompts.set_defaults(handler=prompts_command)

    trial = commands.add_parser("try", help="run a flow in the terminal as a caller would hear it")
    trial.add_argument("flow", metavar="FLOW", help="flow id (e.g. main) or flow file")
    trial.add_argument("--script", help='caller steps, e.g. "1 wait:5 123456# hangup" '
                                        "(default: read key presses from the terminal)")
    trial.add_argument("--caller", default="8613900000000", help="calling number")
    trial.add_argument("--dialled", default="", help="dialled hotline number (ivr.numbers)")
    trial.add_argument("--language", help="start in this language (zh, en)")
    trial.add_argument("--time", help="the call's start time, ISO 8601 (default: now)")
    trial.add_argument("--coverage", metavar="DIR",
                       help="run every script file in DIR and report nodes and branches never reached")
    trial.set_defaults(handler=try_command)


def validate_command(context) -> int:
    config = context.config
    files = [Path(f) for f in context.args.files] or flow_files(config.ivr.flows_directory)
    if not files:
        print(f"no flow files in {config.ivr.flows_directory}", file=sys.stderr)
        return 1
    checking = context_for(config.ivr.flows_directory, config.acd.queues_file, files)
    reports = validate_files(files, checking)
    failed = 0
    for report in reports:
        if report.problems:
            failed += 1
            for problem in report.problems:
                print(problem)
        else:
            print(f"{report.path}: ok (flow '{report.flow.id}' version {report.flow.version}, "
                  f"{len(report.flow.nodes)} nodes)")
    problems = sum(len(r.problems) for r in reports)
    calendar = Path(config.ivr.flows_directory) / CALENDAR_FILE
    if not context.args.files and calendar.exists():
        try:
            load_calendar(calendar)
            print(f"{calendar}: ok")
        except CalendarError as exc:
            print(exc)
            problems, failed = problems + str(exc).count("\n") + 1, failed + 1
    print(f"{len(reports)} file(s) checked, {problems} problem(s) in {failed} file(s)")
    return 1 if problems else 0


def prompts_command(context) -> int:
    config = context.config
    registry = _registry(config)
    if registry.refused:
        for problems in registry.refused.values():
            for problem in problems:
                print(problem, file=sys.stderr)
        print("fix the flows above first (callcenter ivr validate)", file=sys.stderr)
        return 1
    try:
        report = render_prompts(registry.flows().values(), config.ivr.prompts_directory,
                                force=context.args.force)
    except PromptRenderError as exc:
        print(f"callcenter: {exc}", file=sys.stderr)
        return 1
    for conflict in report.conflicts:
        print(f"conflict: {conflict}", file=sys.stderr)
    print(f"prompts in {config.ivr.prompts_directory}: {len(report.rendered)} rendered, "
          f"{len(report.unchanged)} unchanged, {len(report.recorded)} professionally recorded")
    return 1 if report.conflicts else 0


def _registry(config) -> FlowRegistry:
    registry = FlowRegistry.from_config(config)
    registry.reload()
    return registry


class NoSuchFlow(Exception):
    pass


def _flow(registry: FlowRegistry, name: str, config) -> Flow:
    """A loaded flow by id, or a flow file (validated against the flows directory)."""
    if registry.flow(name) is not None:
        return registry.flow(name)
    for file, problems in registry.refused.items():
        if Path(file).stem == name:
            raise FlowInvalid(file, problems)
    path = Path(name)
    if not path.is_file():
        raise NoSuchFlow(f"no flow '{name}' (loaded: {', '.join(sorted(registry.flows())) or 'none'})")
    return load_flow(path, context_for(config.ivr.flows_directory, config.acd.queues_file, [path]))


def try_command(context) -> int:
    config, args = context.config, context.args
    registry = _registry(config)
    try:
        flow = _flow(registry, args.flow, config)
    except (FlowInvalid, NoSuchFlow) as exc:
        print(f"callcenter: {exc}", file=sys.stderr)
        return 1
    engine = db.make_engine(config.database_url)
    db.check_schema_current(engine)
    trial = Trial(registry, HookRunner(db.session_factory(engine)),
                  PromptLibrary(config.ivr.prompts_directory),
                  Path(config.recordings.directory))
    start = datetime.fromisoformat(args.time) if args.time else datetime.now(timezone.utc)
    if start.tzinfo is None:
        print("callcenter: --time needs a time zone, e.g. 2026-11-23T10:00:00+08:00",
              file=sys.stderr)
        return 2
    if args.coverage:
        return _coverage(trial, flow, Path(args.coverage))
    print(f"flow '{flow.id}' version {flow.version}; caller {args.caller}")
    try:
        if args.script is not None:
            outcome, _ = trial.run_script(flow, args.script, args.caller, dialled=args.dialled,
                                          language=args.language, start=start, out=print)
        else:
            control = ScriptedControl(TerminalSource(), print, start)
            entry = registry.numbers.get(args.dialled, {})
            call = CallInfo("try-terminal", args.caller, args.dialled, entry.get("need"),
                            args.language)
            outcome = trial.run(flow, control, call, TraceSink(print), control.now)
    except ScriptError as exc:
        print(f"callcenter: {exc}", file=sys.stderr)
        return 2
    print("\n".join(describe_outcome(outcome)))
    return 0


def _coverage(trial: Trial, flow: Flow, directory: Path) -> int:
    if not directory.is_dir():
        print(f"callcenter: {directory} is not a directory of script files", file=sys.stderr)
        return 2
    report = coverage(trial, flow, directory)
    for problem in report.problems:
        print(f"script problem: {problem}", file=sys.stderr)
    print(f"flow '{flow.id}': {report.scripts} script(s) run")
    print(f"nodes never reached ({len(report.unreached_nodes)}):")
    print("\n".join(f"  {n}" for n in report.unreached_nodes) or "  none")
    print(f"branches never taken ({len(report.unreached_branches)}):")
    print("\n".join(f"  {b}" for b in report.unreached_branches) or "  none")
    return 1 if report.problems else 0
