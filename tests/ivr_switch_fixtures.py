"""The IVR caller scripts (tests/ivr_scripts) on the switch simulator.

Each script runs through the scripted CallControl (the reference), then as a
real call in the simulator driven by the Interpreter through the real
SwitchCallControl over a real ESL connection, in two variants (VARIANTS).
`translate` turns the scripted caller into simulator caller scripts with the
same meaning:

* The scripted caller is read only while the IVR waits for input (a collect
  attempt or a recording); prompts take no time there, so every key comes
  after its prompt. Variant after_prompt runs the simulator with fast_media
  (prompts last 0 s), so a key also lands after its prompt: same meaning, and
  fast. Variant barge_in gives every prompt 2 s and sends the first key (or
  the hang-up) of an attempt halfway through its prompt, which FreeSWITCH
  semantics say must not change anything (the key stops the prompt and counts).
* `wait:N` inside a collect attempt is N seconds of silence after the prompt;
  once the silence reaches the node's timeout the attempt times out (the rest
  of the wait is dropped, as ScriptedControl does). In the simulator: no key
  for longer than the timeout.
* digits (`1`, `123456#`) are one `press:` (the simulator sends them 0.1 s
  apart); `hangup` (or the end of the script while the IVR waits) is `hangup`.
* `talk:N` while recording: the caller speaks N seconds and ends with `#`, as
  the prompt asks (the simulator has no voice, so no silence detection).
* The scripted caller's clock runs only while the IVR listens; on the switch,
  ESL round trips, hooks and hold music take real time (sped up by the
  simulator). So the caller script is cut at each time the IVR starts to
  listen (one collect, with all its tries, or one recording) and that part
  starts when the Interpreter asks the switch to listen; every action comes a
  margin after the moment the attempt's silence starts. Within one collect the
  tries follow each other on the simulator's clock.
"""
from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid as uuidlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Mapping

import gevent
import pytest
import yaml
from gevent.lock import BoundedSemaphore
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from callcenter import db, seed
from callcenter.esl import Switch, SwitchConnection
from callcenter.esl.call_control import MUSIC_ON_HOLD, SAY_TYPES, SILENCE, SwitchCallControl
from callcenter.hooks import HOOKS, HookRunner
from callcenter.ivr.control import CollectResult, RecordingResult
from callcenter.ivr.interpreter import CallInfo, Interpreter, IvrOutcome
from callcenter.ivr.prompts import PromptLibrary
from callcenter.ivr.registry import FlowRegistry
from callcenter.ivr.scripted import ScriptedControl, ScriptSource, parse_script
from callcenter.ivr.trial import OverriddenHooks, TraceSink
from callcenter.live.inbound import CallEventSink
from callcenter.models import QueueMember, Ticket, TicketCategory, TicketStatus
from callcenter.sim import CallerScript, Simulator
from ivr_fixtures import FLOWS, OPEN_TIME, QUEUES_FILE, ROOT, _cheap_hash

SCRIPTS = ROOT / "tests" / "ivr_scripts"
PASSWORD = "ivr-switch-test-password"
SPEED = 5.0  # simulated seconds per real second
MARGIN = 1.5  # simulated seconds between "the IVR waits" (model) and the caller's action
PRESS_GAP = 0.1  # the simulator's caller sends digits 0.1 s apart
NUMBERS = {"10000": {"flow": "main"}, "10001": {"flow": "main", "need": "billing"},
           "10002": {"flow": "main", "need": "complaints"},
           "10003": {"flow": "main", "need": "service_orders"},
           "10004": {"flow": "main", "need": "password"}}
WRITE_HOOKS = {name for name, hook in HOOKS.items() if hook.writes}
MINTED = {out for name in WRITE_HOOKS for out in HOOKS[name].outputs}


# --- the scripted reference, with the windows in which the caller was heard ---------

@dataclass
class Window:
    """One time the IVR waited for the caller: a collect attempt or a recording."""
    kind: str  # keys | record
    timeout: float  # keys: the attempt's timeout; record: max seconds
    steps: list[str] = field(default_factory=list)  # script steps read in this window
    secret: bool = False
    prompts: int = 1  # prompt files played first (a retry: the invalid prompt, then the prompt)


class TracingControl(ScriptedControl):
    """ScriptedControl that notes which steps each input window consumed."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.windows: list[Window] = []
        self.groups: list[list[Window]] = []  # the windows of each collect / record call
        self.played: list[str] = []  # what the caller heard: '<lang>/<prompt>', 'say <kind>'

    def play(self, prompts, interruptible: bool = True) -> None:
        self.played += [f"{prompt.language}/{prompt.id}" for prompt in prompts]
        super().play(prompts, interruptible)

    def say(self, kind: str, value: str, language: str) -> None:
        self.played.append(f"say {kind}")
        super().say(kind, value, language)

    def collect(self, prompt, **options) -> CollectResult:
        self.groups.append([])
        self.retry_prompt = options.get("invalid_prompt") is not None
        return super().collect(prompt, **options)

    def _next(self, timeout: float) -> str:
        step = self.source.steps[0] if self.source.steps else "hangup"
        if not self.hung_up and self.windows:
            self.windows[-1].steps.append(step)
        return super()._next(timeout)

    def _await_keys(self, timeout: float, secret: bool = False) -> str | None:
        retry = bool(self.groups[-1]) and self.retry_prompt
        self.windows.append(Window("keys", timeout, secret=secret, prompts=2 if retry else 1))
        self.groups[-1].append(self.windows[-1])
        return super()._await_keys(timeout, secret)

    def record(self, path: str, max_seconds: int, silence_seconds: int) -> RecordingResult:
        self.windows.append(Window("record", max_seconds))
        self.groups.append([self.windows[-1]])
        return super().record(path, max_seconds, silence_seconds)


# --- translation ----------------------------------------------------------------------

@dataclass
class Plan:
    script: str  # the simulator caller script
    opens: list[float]  # model: when each window opens (simulated seconds from the call)


def translate(windows: list[Window], margin: float = MARGIN, prompt: float = 0.0,
              barge_in: bool = False) -> Plan:
    """The simulator caller script doing what the scripted caller did in each window.
    ``prompt``: how long one prompt lasts on the simulator (0 with fast_media);
    ``barge_in``: a key (or hang-up) that starts a window comes halfway through the prompt
    instead of after it."""
    actions: list[tuple[float, str]] = []
    opens: list[float] = []
    cursor = 0.0  # model time: when the IVR starts the next window (its prompt, then silence)
    for window in windows:
        opens.append(cursor)
        cursor = _window_actions(window, cursor, margin, prompt, barge_in, actions)
    script, clock = [], 0.0
    for at, action in actions:
        if at > clock:
            script.append(f"wait:{at - clock:.2f}")
            clock = at
        script.append(action)
        if action.startswith("press:"):
            clock += PRESS_GAP * len(action.removeprefix("press:"))
    return Plan(" ".join(script), opens)


def _window_actions(window: Window, cursor: float, margin: float, prompt: float,
                    barge_in: bool, actions: list[tuple[float, str]]) -> float:
    """Append this window's caller actions; returns when the model's IVR listens next."""
    if window.kind == "record":  # its prompt was played before: the recording starts now
        step = window.steps[0] if window.steps else "hangup"
        if step == "hangup":
            actions.append((cursor + margin, "hangup"))
            return cursor + margin
        spoken = float(step.split(":", 1)[1]) if ":" in step else 0.0
        key = "#" if ":" in step else step
        at = cursor + margin + spoken
        actions.append((at, f"press:{key}"))
        return at + PRESS_GAP * len(key)
    heard = cursor + prompt * window.prompts  # the prompt is over: the timeout starts
    act = min(margin, 0.4 * window.timeout)
    waited = 0.0
    for step in window.steps:
        if step.startswith(("wait:", "talk:")):
            waited += float(step.split(":", 1)[1])
            if waited >= window.timeout:
                return heard + window.timeout  # silence: the attempt times out
            continue
        at = heard + waited + act
        if barge_in and waited == 0 and heard > cursor:
            at = cursor + (heard - cursor) / 2  # while the prompt plays
        if step == "hangup":
            actions.append((at, "hangup"))
            return at
        actions.append((at, f"press:{step}"))
        return at + PRESS_GAP * len(step)
    return heard + window.timeout


@dataclass(frozen=True)
class Variant:
    """How the calls are placed: keys after each prompt on instant prompts (what the
    scripted caller does), or keys (and hang-ups) while a real-length prompt plays."""
    name: str
    fast_media: bool
    prompt: float  # seconds one prompt lasts on the simulator
    barge_in: bool

    def plans(self, groups: list[list[Window]]) -> list[Plan]:
        return [translate(group, MARGIN, self.prompt, self.barge_in) for group in groups]


AFTER_PROMPT = Variant("after_prompt", True, 0.0, False)
BARGE_IN = Variant("barge_in", False, 2.0, True)
VARIANTS = (AFTER_PROMPT, BARGE_IN)


# --- one call on the switch -------------------------------------------------------------

class RecordingCallLog:
    """Stands in for CallLog under the real CallEventSink: keeps the event rows."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, dict]] = []

    def event(self, uuid: str, kind: str, data: Mapping[str, Any]) -> None:
        self.rows.append((uuid, kind, json.loads(json.dumps(dict(data), default=str))))


class WatchedControl(SwitchCallControl):
    """The real SwitchCallControl. Each time the Interpreter asks it to listen (collect,
    record), the caller's script for that part starts on the simulator; right after a
    secret collect it notes what the channel's variables held."""

    def __init__(self, switch: Switch, uuid: str, sim: Simulator, plans: list[Plan]) -> None:
        super().__init__(switch, uuid)
        self.sim, self.plans = sim, list(plans)
        self.listened = 0
        self.after_secret: list[dict[str, str]] = []

    def _caller_listens(self) -> None:
        """Start the caller's part for this collect / record (a caller whose script ran out
        hangs up when the IVR waits for them, as with ScriptedControl)."""
        plan = self.plans[self.listened] if self.listened < len(self.plans) else \
            Plan(f"wait:{MARGIN:.2f} hangup", [0.0])
        self.listened += 1
        channel = self.sim.live_channel(self.uuid)
        if channel is not None and plan.script:
            self.sim.spawn(self.sim.run_script, channel, CallerScript.parse(plan.script))

    def collect(self, prompt, **options) -> CollectResult:
        self._caller_listens()
        result = super().collect(prompt, **options)
        if options.get("secret"):
            channel = self.sim.channel(self.uuid)
            self.after_secret.append(dict(channel.variables) if channel else {})
        return result

    def record(self, path: str, max_seconds: int, silence_seconds: int) -> RecordingResult:
        self._caller_listens()
        return super().record(path, max_seconds, silence_seconds)


@dataclass
class Run:
    outcome: IvrOutcome
    events: list[tuple[str, str, str, dict]]  # node, kind, outcome, data
    call_id: str
    recordings_dir: Path


@dataclass
class Case:
    name: str
    spec: dict
    reference: Run
    windows: list[Window]
    groups: list[list[Window]]  # the windows of each collect / record call
    plans: list[Plan]  # the caller's script for each collect / record call
    passwords: list[str]  # digits the caller typed into secret collects
    switch: Run | None = None
    error: str | None = None
    control: WatchedControl | None = None
    sink_rows: list[tuple[str, str, dict]] = field(default_factory=list)
    heard: list[str] = field(default_factory=list)  # scripted: what the caller heard
    files_played: tuple[str, ...] = ()  # switch: what the channel played
    channel_variables: dict[str, str] = field(default_factory=dict)
    parked_variables: dict[str, str] = field(default_factory=dict)  # before the IVR ran
    dtmf_heard: str = ""

    def caller(self) -> str:
        return " | ".join(plan.script for plan in self.plans)


class SerialWrites:
    """The same hooks, but hooks that write (tickets, callbacks) one at a time:
    next_ticket_number reads the day's highest number, so two concurrent calls
    could mint the same one."""

    def __init__(self, hooks: Any) -> None:
        self.hooks, self.lock = hooks, BoundedSemaphore(1)

    def call(self, name: str, args: Mapping[str, str], timeout: float):
        if name not in WRITE_HOOKS:
            return self.hooks.call(name, args, timeout)
        with self.lock:
            return self.hooks.call(name, args, timeout)


def hooks_for(spec: dict, runner: Any) -> Any:
    return OverriddenHooks(runner, dict(spec["hooks"])) if spec.get("hooks") else runner


def start_of(spec: dict) -> datetime:
    value = spec.get("time")
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value or OPEN_TIME


def call_info(spec: dict, call_id: str) -> CallInfo:
    dialled = str(spec.get("dialled", ""))
    return CallInfo(call_id=call_id, caller_number=str(spec.get("caller", "")),
                    dialled_number=dialled, need=NUMBERS.get(dialled, {}).get("need"),
                    language=spec.get("language"))


def run_reference(name: str, spec: dict, registry: FlowRegistry, hooks: Any,
                  prompts: PromptLibrary, recordings: Path) -> Case:
    control = TracingControl(ScriptSource(parse_script(spec["script"])), start=start_of(spec))
    sink = TraceSink()
    call_id = f"scripted-{name}"
    interpreter = Interpreter(registry.flow(spec.get("flow", "main")), control,
                              call=call_info(spec, call_id), hooks=hooks_for(spec, hooks),
                              prompts=prompts, sink=sink, calendar=registry.calendar,
                              flows=registry.flow, clock=control.now, recordings_dir=recordings)
    outcome = interpreter.run()
    passwords = [re.sub(r"[^0-9*]", "", step) for window in control.windows if window.secret
                 for step in window.steps if re.fullmatch(r"[0-9*#]+", step)]
    case = Case(name, spec, Run(outcome, sink.events, call_id, recordings), control.windows,
                control.groups, [], [p for p in passwords if p])
    case.heard = control.played
    return case


def run_on_switch(case: Case, sim: Simulator, switch: Switch, registry: FlowRegistry, hooks: Any,
                  prompts: PromptLibrary, recordings: Path) -> None:
    spec = case.spec
    destination = str(spec.get("dialled") or "10000")
    uuid = sim.place_call(str(spec.get("caller", "")), destination)
    try:
        if not sim.wait_until(lambda: _parked(sim, uuid), 10):
            raise AssertionError(f"the call to {destination} was not parked: {sim.channel(uuid)}")
        switch.cancel_scheduled(uuid)  # as the engine does: it has the call
        case.parked_variables = dict(sim.channel(uuid).variables)
        control = case.control = WatchedControl(switch, uuid, sim, case.plans)
        calllog = RecordingCallLog()
        trace = TraceSink()
        sink = _Both(CallEventSink(calllog, uuid), trace)
        interpreter = Interpreter(registry.flow(spec.get("flow", "main")), control,
                                  call=call_info(spec, uuid), hooks=hooks_for(spec, hooks),
                                  prompts=prompts, sink=sink, calendar=registry.calendar,
                                  flows=registry.flow, clock=lambda: start_of(spec),
                                  recordings_dir=recordings)
        outcome = interpreter.run()
        case.switch = Run(outcome, trace.events, uuid, recordings)
        case.sink_rows = calllog.rows
    except Exception as error:  # reported by the test of this script
        case.error = f"{type(error).__name__}: {error}"
    finally:
        channel = sim.channel(uuid)
        if channel is not None:
            case.channel_variables = dict(channel.variables)
            case.files_played = channel.files_played
            case.dtmf_heard = channel.dtmf_heard
        try:
            switch.hangup(uuid)
        except Exception:  # noqa: BLE001 - the call may be gone with the switch
            pass


def _parked(sim: Simulator, uuid: str) -> bool:
    channel = sim.channel(uuid)
    return channel is not None and (channel.parked or channel.gone)


class _Both:
    def __init__(self, *sinks) -> None:
        self.sinks = sinks

    def on_node(self, node_id: str, kind: str, outcome: str, data: Mapping[str, Any]) -> None:
        for sink in self.sinks:
            sink.on_node(node_id, kind, outcome, data)


# --- what the caller heard ---

SAID = {(say_type, method): kind for kind, (say_type, method) in SAY_TYPES.items()}


def heard_on_switch(files: tuple[str, ...], prompts: PromptLibrary) -> list[str]:
    """The same from the simulator's list of what the channel played (silence and music
    on hold left out: the hold music may be broken before it starts)."""
    heard = []
    parts = (part for entry in files for part in entry.removeprefix("file_string://").split("!"))
    for item in parts:
        if item.startswith("say:"):
            _, _, say_type, method, _ = item.split(":", 4)
            heard.append(f"say {SAID.get((say_type, method), say_type + '/' + method)}")
        elif item.startswith(str(prompts.directory)):
            heard.append(str(Path(item).relative_to(prompts.directory).with_suffix("")))
        elif item not in (SILENCE, MUSIC_ON_HOLD):
            heard.append(item)
    return heard


# --- comparison -------------------------------------------------------------------------

def comparable(run: Run) -> dict[str, Any]:
    """What must agree between the two runs: the outcome and every node's outcome. The
    call id and the recordings directory differ by construction; so do values a writing
    hook mints (a new ticket's number, a callback id: each run creates its own), compared
    by shape, and how long a recording lasted (the simulator has no silence detection)."""
    minted = any(kind == "lookup" and result == "found" and data.get("hook") in WRITE_HOOKS
                 for _, kind, result, data in run.events)

    def same(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: same(v, k) for k, v in value.items() if k != "duration_ms"}
        if isinstance(value, str):
            value = value.replace(str(run.recordings_dir), "<recordings>")
            value = value.replace(run.call_id, "<call>")
        if minted and key in MINTED and value:
            value = f"<minted {'digits' if str(value).isdigit() else value!r}>"
        return value

    return {"kind": run.outcome.kind, "need": run.outcome.need,
            "priority": run.outcome.priority, "path": list(run.outcome.path),
            "last_node": run.outcome.last_node, "error": run.outcome.error,
            "survey_score": run.outcome.survey_score,
            "variables": same(dict(run.outcome.variables)),
            "nodes": [(node, kind, result, same(data)) for node, kind, result, data in run.events]}


# --- the whole set, once per module --------------------------------------------------------

# Callers of this file's own, beside tests/ivr_scripts.
EXTRA_SCRIPTS = {
    # a password keyed with a star: six keys that fail the pattern, which FreeSWITCH
    # keeps in <var>_invalid; then the right one
    "x_password_with_star": {"flow": "main", "caller": "8613800000000",
                             "time": "2026-11-23T10:00:00+08:00",
                             "script": "1 1 1234*6# 111111# 2"},
    # no '#' after the password: the switch takes it when the digit timeout passes
    "x_password_without_hash": {"flow": "main", "caller": "8613800000000",
                                "time": "2026-11-23T10:00:00+08:00",
                                "script": "1 1 111111 2"},
    # two keys on a one-key menu (see KNOWN_DIFFERENCES in tests/test_ivr_on_switch.py)
    "x_two_keys_on_a_one_key_menu": {"flow": "main", "caller": "8613800000000",
                                     "time": "2026-11-23T10:00:00+08:00", "script": "12 4"},
}


def script_names() -> list[str]:
    return sorted(path.stem for path in SCRIPTS.glob("*.yaml"))


def load_spec(name: str) -> dict:
    if name in EXTRA_SCRIPTS:
        return dict(EXTRA_SCRIPTS[name])
    return yaml.safe_load((SCRIPTS / f"{name}.yaml").read_text(encoding="utf-8"))


def _dialplans(directory: Path) -> Path:
    """The shipped dialplans, plus a 10004 password line like 10001..10003 (the scripts'
    configuration lists 10004; the shipped public.xml does not route it)."""
    directory.mkdir(parents=True, exist_ok=True)
    public = (ROOT / "dialplans" / "public.xml").read_text(encoding="utf-8")
    block = public[public.index('    <!-- 10003'):public.index("    <!-- Every other number")]
    line = block.replace("10003", "10004").replace("service_orders", "password")
    public = public.replace("    <!-- Every other number", line + "    <!-- Every other number")
    (directory / "public.xml").write_text(public, encoding="utf-8")
    (directory / "agents.xml").write_text((ROOT / "dialplans" / "agents.xml").read_text(
        encoding="utf-8"), encoding="utf-8")
    return directory


def _database_url(tmp: Path):
    """Like the database_url fixture of conftest.py, for a module: SQLite, or a fresh
    PostgreSQL database when CALLCENTER_TEST_DATABASE_URL is set."""
    admin_url = os.environ.get("CALLCENTER_TEST_DATABASE_URL")
    if not admin_url:
        return f"sqlite:///{tmp / 'ivr_switch.db'}", lambda: None
    name = f"cc_test_{uuidlib.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def _seed(sessions) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(seed, "hash_password", _cheap_hash)
        patch.setattr(seed, "hash_service_password", _cheap_hash)
        seed.seed_demo(sessions, customers=10)
    now = datetime.now(OPEN_TIME.tzinfo)
    with db.transaction(sessions) as session:  # as tests/test_ivr_cli.py's coverage test
        for number, customer, status in (("2601010001", 1, TicketStatus.IN_PROGRESS),
                                         ("2601010002", 2, TicketStatus.CLOSED)):
            session.add(Ticket(number=number, customer_id=customer, category=TicketCategory.FAULT,
                               status=status, created_at=now + timedelta(days=1)))
        session.add_all(QueueMember(call_uuid=f"waiting-{n}", queue_name="service_orders")
                        for n in range(5))


class LogKeeper(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(f"{record.name}: {record.getMessage()}")
        except Exception:  # noqa: BLE001
            self.lines.append(f"{record.name}: {record.msg!r} {record.args!r}")
        if record.exc_info and record.exc_info[1] is not None:
            self.lines.append(repr(record.exc_info[1]))


@dataclass
class SwitchRuns:
    cases: dict[str, Case]
    prompts: PromptLibrary
    logs: list[str]
    seconds: float  # wall-clock time of all the calls (shown with -s; not asserted)
    peak_calls: int  # most calls the simulator held at once


def run_variant(variant: Variant, references: dict[str, Case], tmp: Path, registry: FlowRegistry,
                hooks: Any, prompts: PromptLibrary, keeper: LogKeeper) -> SwitchRuns:
    """Every script as a call at once on one simulator, through one ESL connection."""
    sim = Simulator(PASSWORD, speed=SPEED, fast_media=variant.fast_media,
                    default_prompt_seconds=variant.prompt or 2.0,
                    dialplan_dir=str(_dialplans(tmp / "dialplans")),
                    # every script dials in the same instant: more than the kit admits a second
                    global_vars={"cc_max_new_calls_per_second": "10000"})
    connection = None
    first_log = len(keeper.lines)
    try:
        port = sim.start()
        connection = SwitchConnection("127.0.0.1", port, PASSWORD, api_timeout=5)
        connection.start()
        assert connection.wait_connected(5), connection.state
        switch = Switch(connection)
        cases = {name: replace(case, plans=variant.plans(case.groups))
                 for name, case in references.items()}
        started = time.monotonic()
        calls = [gevent.spawn(run_on_switch, case, sim, switch, registry, hooks, prompts,
                              tmp / variant.name) for case in cases.values()]
        gevent.joinall(calls, timeout=120)
        seconds = time.monotonic() - started
        for name, greenlet in zip(cases, calls):
            if not greenlet.dead:
                greenlet.kill()
                cases[name].error = cases[name].error or "the call did not finish within 120 s"
        print(f"\n{variant.name}: {len(cases)} calls in {seconds:.1f} s, "
              f"at most {sim.peak_sessions} at once")
        return SwitchRuns(cases, prompts, keeper.lines[first_log:], seconds, sim.peak_sessions)
    finally:
        if connection is not None:
            connection.stop()
        sim.close()


@pytest.fixture(scope="module")
def switch_runs(tmp_path_factory) -> dict[str, SwitchRuns]:
    """variant name -> the runs of every script (the scripted reference runs once)."""
    tmp = tmp_path_factory.mktemp("ivr_switch")
    url, drop = _database_url(tmp)
    engine = db.make_engine(url)
    keeper = LogKeeper()
    root, callcenter_log = logging.getLogger(), logging.getLogger("callcenter")
    old_level = callcenter_log.level
    root.addHandler(keeper)
    callcenter_log.setLevel(logging.DEBUG)
    try:
        db.upgrade(engine)
        sessions = db.session_factory(engine)
        _seed(sessions)
        registry = FlowRegistry(FLOWS, NUMBERS, QUEUES_FILE)
        report = registry.reload()
        assert not report.refused, report.refused
        prompts = PromptLibrary(tmp / "prompts")
        hooks = SerialWrites(HookRunner(sessions))
        references = {name: run_reference(name, load_spec(name), registry, hooks, prompts,
                                          tmp / "scripted")
                      for name in script_names() + sorted(EXTRA_SCRIPTS)}
        yield {variant.name: run_variant(variant, references, tmp, registry, hooks, prompts,
                                         keeper) for variant in VARIANTS}
    finally:
        root.removeHandler(keeper)
        callcenter_log.setLevel(old_level)
        engine.dispose()
        drop()
