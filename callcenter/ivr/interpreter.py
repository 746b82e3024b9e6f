"""Runs one flow on one call, node by node, through a CallControl.

    interpreter = Interpreter(flow, control, call=CallInfo(call_id, caller_number, ...),
                              hooks=HookRunner(sessions), prompts=PromptLibrary(dir),
                              sink=sink, calendar=calendar, flows=registry.flow)
    outcome = interpreter.run()   # IvrOutcome: queue / transfer / hangup / caller_hung_up

Every node's outcome goes to the sink (on_node), including the caller hanging
up in the middle of one. Digits collected by a ``secret: true`` node are
never logged, reported to the sink, or returned in the outcome.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol

from callcenter.ivr.calendar import WEEKDAYS, Calendar, in_range
from callcenter.ivr.control import CallControl, CallerHungUp, PromptAudio, RecordingResult
from callcenter.ivr.flow import Flow, Node, render, template_vars
from callcenter.ivr.prompts import PromptLibrary

log = logging.getLogger(__name__)

REDACTED = "******"
MAX_STEPS = 1000
FALLBACK_NEED = "general"


@dataclass(frozen=True)
class CallInfo:
    call_id: str
    caller_number: str
    dialled_number: str = ""
    need: str | None = None  # preselected by the dialled number (config ivr.numbers)
    language: str | None = None  # None: the flow's first language
    caller_tier: str | None = None  # None: looked up with the customer_by_number hook


@dataclass(frozen=True)
class IvrOutcome:
    kind: str  # queue | transfer | hangup | caller_hung_up
    flow_id: str
    flow_version: str
    path: tuple[str, ...]  # node keys in the order visited (sub-flow nodes as "flow/node")
    variables: Mapping[str, Any]  # secret variables removed
    need: str | None = None  # queue
    priority: int = 0  # queue
    target: str | None = None  # transfer: the number
    survey_score: int | None = None
    recordings: tuple[RecordingResult, ...] = ()
    last_node: str | None = None
    error: str | None = None  # set when the interpreter itself failed and sent the caller to an agent


class IvrSink(Protocol):
    def on_node(self, node_id: str, kind: str, outcome: str, data: Mapping[str, Any]) -> None:
        """Called once per node run, after it finished (or when the caller hung up in it)."""


class HookCaller(Protocol):
    def call(self, name: str, args: Mapping[str, str], timeout: float) -> Any:
        """Returns an object with .status (found | not_found | error), .values, .error."""


class NullSink:
    def on_node(self, node_id: str, kind: str, outcome: str, data: Mapping[str, Any]) -> None:
        pass


@dataclass
class _Step:
    outcome: str
    next: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    end: dict[str, Any] | None = None  # kind, need, priority, target


class Interpreter:
    def __init__(self, flow: Flow, control: CallControl, *, call: CallInfo,
                 hooks: HookCaller | None, prompts: PromptLibrary, sink: IvrSink | None = None,
                 calendar: Calendar | None = None, flows: Callable[[str], Flow | None] | None = None,
                 clock: Callable[[], datetime] | None = None,
                 recordings_dir: str | Path = "data/recordings"):
        self.top, self.flow, self.control, self.call = flow, flow, control, call
        self.hooks, self.prompts, self.sink = hooks, prompts, sink or NullSink()
        self.calendar = calendar or Calendar.always_open()
        self.flows = flows or (lambda flow_id: None)
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.recordings_dir = Path(recordings_dir)
        self.variables: dict[str, Any] = {}
        self.secret: set[str] = set()
        self.path: list[str] = []
        self.stack: list[tuple[Flow, str]] = []
        self.recordings: list[RecordingResult] = []
        self.survey_score: int | None = None

    # --- the loop ---------------------------------------------------------

    def run(self) -> IvrOutcome:
        self._start_variables()
        node_id, steps = self.flow.entry, 0
        while True:
            steps += 1
            node = self.flow.nodes[node_id]
            key = self._key(node)
            self.path.append(key)
            try:
                if steps > MAX_STEPS:
                    raise RuntimeError(f"more than {MAX_STEPS} nodes on one call")
                step = getattr(self, f"_{node.kind}")(node)
            except CallerHungUp:
                log.info("call %s: caller hung up in %s", self.call.call_id, key)
                self._report(key, node, "caller_hung_up", {})
                return self._outcome("caller_hung_up", key)
            except Exception as exc:  # a bug or a broken flow must not leave the caller in silence
                log.exception("call %s: IVR failed in %s; sending the caller to an agent",
                              self.call.call_id, key)
                self._report(key, node, "error", {"error": str(exc)})
                return self._outcome("queue", key, need=self.call.need or FALLBACK_NEED,
                                     error=f"{type(exc).__name__}: {exc}")
            self._report(key, node, step.outcome, step.data)
            if step.end is not None:
                return self._outcome(node_key=key, **step.end)
            node_id = step.next

    def _start_variables(self) -> None:
        language = self.call.language if self.call.language in self.flow.languages \
            else self.flow.languages[0]
        self.variables.update(caller_number=self.call.caller_number, language=language,
                              dialled_number=self.call.dialled_number, call_id=self.call.call_id,
                              need=self.call.need or "", caller_tier=self._caller_tier())

    def _caller_tier(self) -> str:
        if self.call.caller_tier is not None:
            return self.call.caller_tier
        if self.hooks is None:
            return "regular"
        try:
            result = self.hooks.call("customer_by_number", {"number": self.call.caller_number}, 2.0)
        except KeyError:
            return "regular"
        return (result.values.get("customer_tier") or "regular") if result.status == "found" \
            else "regular"

    def _key(self, node: Node) -> str:
        return node.id if self.flow is self.top else f"{self.flow.id}/{node.id}"

    def _report(self, key: str, node: Node, outcome: str, data: dict[str, Any]) -> None:
        log.debug("call %s: %s (%s) -> %s %s", self.call.call_id, key, node.kind, outcome, data)
        try:
            self.sink.on_node(key, node.kind, outcome, data)
        except Exception:  # the event log is not worth a caller stuck in silence
            log.exception("call %s: the IVR sink failed on %s -> %s", self.call.call_id, key, outcome)

    def _outcome(self, kind: str, node_key: str, need: str | None = None, priority: int = 0,
                 target: str | None = None, error: str | None = None) -> IvrOutcome:
        return IvrOutcome(kind=kind, flow_id=self.top.id, flow_version=self.top.version,
                          path=tuple(self.path), variables=self.public_variables(), need=need,
                          priority=priority, target=target, survey_score=self.survey_score,
                          recordings=tuple(self.recordings), last_node=node_key, error=error)

    def public_variables(self) -> dict[str, Any]:
        return {k: v for k, v in self.variables.items() if k not in self.secret}

    def redacted(self, values: Mapping[str, Any], sources: Mapping[str, Any] | None = None
                 ) -> dict[str, Any]:
        """Values safe to log: secret variables, and anything filled from one, hidden."""
        sources = sources or {}
        return {k: (REDACTED if k in self.secret or template_vars(sources.get(k)) & self.secret
                    else v) for k, v in values.items()}

    # --- prompts ----------------------------------------------------------

    def _prompt(self, prompt_id: str | None) -> PromptAudio | None:
        if not prompt_id:
            return None
        language = self.variables.get("language")
        if language not in self.flow.languages:
            language = self.flow.languages[0]
        return self.prompts.resolve(self.flow, prompt_id, language)

    # --- node kinds -------------------------------------------------------

    def _play(self, node: Node) -> _Step:
        self.control.play([self._prompt(p) for p in node.get("prompts")])
        return _Step("played", node.get("next"))

    def _menu(self, node: Node) -> _Step:
        choices = dict(node.get("choices"))
        pattern = "^[" + "".join("\\" + k if k in "*#" else k for k in choices) + "]$"
        tries, reason = node.get("tries", 3), "timeout"
        for attempt in range(1, tries + 1):
            result = self.control.collect(
                self._prompt(node.get("prompt")), min_digits=1, max_digits=1, tries=1,
                timeout=node.get("timeout", 5), terminators="", pattern=pattern,
                invalid_prompt=None)
            if result.digits is not None and result.digits in choices:
                return _Step(f"choice {result.digits}", choices[result.digits],
                             {"pressed": result.digits, "tries": attempt})
            reason = "timeout" if result.timed_out else "invalid"
            if attempt < tries:
                again = node.get("timeout_prompt") if reason == "timeout" else node.get("invalid_prompt")
                if again:
                    self.control.play([self._prompt(again)])
        return _Step(reason, node.get(f"on_{reason}"), {"tries": tries})

    def _collect(self, node: Node) -> _Step:
        low, high = node.get("min_length", 1), node.get("max_length")
        pattern = node.get("pattern") or f"^\\d{{{low},{high}}}$"
        result = self.control.collect(
            self._prompt(node.get("prompt")), min_digits=low, max_digits=high,
            tries=node.get("tries", 3), timeout=node.get("timeout", 5),
            terminators=node.get("terminator", "#"), pattern=pattern,
            invalid_prompt=self._prompt(node.get("invalid_prompt")), secret=bool(node.get("secret")))
        name, secret = node.get("variable"), bool(node.get("secret"))
        if secret:
            self.secret.add(name)
        if result.digits is None:
            return _Step("failure", node.get("on_failure"), {"variable": name})
        self.variables[name] = result.digits
        shown = REDACTED if secret else result.digits
        return _Step("ok", node.get("next"), {"variable": name, "digits": shown})

    def _say(self, node: Node) -> _Step:
        if node.get("prompt"):
            self.control.play([self._prompt(node.get("prompt"))])
        kind, raw = node.get("say"), self.variables.get(node.get("variable"))
        value = format_money(int(raw)) if kind == "money" else str(raw)
        self.control.say(kind, value, self.variables["language"])
        return _Step("said", node.get("next"), {"say": kind})

    def _lookup(self, node: Node) -> _Step:
        args = {k: render(str(v), self.variables) for k, v in (node.get("args") or {}).items()}
        result = self._known_answer(node.get("hook"), args)
        if result is None:
            hold = node.get("hold_music", True)
            if hold:
                self.control.start_hold_music()
            try:
                result = self.hooks.call(node.get("hook"), args, node.get("timeout", 3)) \
                    if self.hooks is not None else _NoHooks()
            finally:
                if hold:
                    self.control.stop_hold_music()
        data = {"hook": node.get("hook"), "args": self.redacted(args, node.get("args") or {})}
        if result.status == "found":
            self.variables.update(result.values)
        if result.status == "error":
            data["error"] = result.error
            log.warning("call %s: hook %s failed: %s", self.call.call_id, node.get("hook"),
                        result.error)
        return _Step(result.status, node.get(result.status), data)

    def _known_answer(self, hook: str, args: Mapping[str, str]) -> Any:
        """What the engine already knows for this call (hooks.KnownAnswers), else None."""
        known = getattr(self.hooks, "known", None)
        return known(hook, args) if known is not None else None

    def _branch(self, node: Node) -> _Step:
        now = self.clock()
        for index, case in enumerate(node.get("cases")):
            if self._holds(case["when"], now):
                return _Step(f"case {index + 1}", case["next"])
        return _Step("else", node.get("else"))

    def _holds(self, when: Mapping[str, Any], now: datetime) -> bool:
        checks = []
        if "var" in when:
            checks.append(compare(self.variables.get(when["var"]), when))
        if "tier" in when:
            checks.append(self.variables.get("caller_tier") in when["tier"])
        local = self.calendar.local(now)
        if "time" in when:
            checks.append(in_range(local.time(), when["time"]))
        if "weekday" in when:
            checks.append(WEEKDAYS[local.weekday()] in when["weekday"])
        if "holiday" in when:
            checks.append(self.calendar.is_holiday(now) == when["holiday"])
        if "open" in when:
            checks.append(self.calendar.is_open(now) == when["open"])
        return all(checks)

    def _set(self, node: Node) -> _Step:
        changed = {}
        for name, value in (node.get("values") or {}).items():
            changed[name] = render(value, self.variables) if isinstance(value, str) else value
            if template_vars(value) & self.secret:
                self.secret.add(name)  # a copy of a secret is a secret
        for name, amount in (node.get("increment") or {}).items():
            changed[name] = int(self.variables.get(name) or 0) + int(amount)
        self.variables.update(changed)
        return _Step("set", node.get("next"),
                     {"values": self.redacted(changed, node.get("values") or {})})

    def _queue(self, node: Node) -> _Step:
        end = {"kind": "queue", "need": node.get("need"), "priority": node.get("priority", 0)}
        return _Step("queued", data={"need": end["need"], "priority": end["priority"]}, end=end)

    def _transfer(self, node: Node) -> _Step:
        if node.get("to") is not None:
            target = render(node.get("to"), self.variables)
            return _Step("transferred", data={"to": target},
                         end={"kind": "transfer", "target": target})
        target_flow = self.flows(node.get("flow"))
        if target_flow is None:
            raise LookupError(f"flow '{node.get('flow')}' is not loaded")
        self.flow, self.stack = target_flow, []
        return _Step("to flow", target_flow.entry, {"flow": target_flow.id})

    def _record(self, node: Node) -> _Step:
        if node.get("prompt"):
            self.control.play([self._prompt(node.get("prompt"))], interruptible=False)
        path = self.recordings_dir / "ivr" / f"{_safe(self.call.call_id)}-{node.id}-" \
                                             f"{len(self.recordings) + 1}.wav"
        result = self.control.record(str(path), node.get("max_seconds", 120),
                                     node.get("silence_seconds", 3))
        self.recordings.append(result)
        self.variables[node.get("variable")] = result.path
        return _Step("recorded", node.get("next"),
                     {"path": result.path, "duration_ms": result.duration_ms,
                      "purpose": node.get("purpose", "voicemail")})

    def _survey(self, node: Node) -> _Step:
        result = self.control.collect(
            self._prompt(node.get("prompt")), min_digits=1, max_digits=1,
            tries=node.get("tries", 2), timeout=node.get("timeout", 5), terminators="",
            pattern="^[1-5]$", invalid_prompt=self._prompt(node.get("invalid_prompt")))
        if result.digits is None:
            return _Step("failure", node.get("on_failure"))
        self.survey_score = int(result.digits)
        self.variables[node.get("variable", "survey_score")] = self.survey_score
        return _Step("scored", node.get("next"), {"score": self.survey_score})

    def _hangup(self, node: Node) -> _Step:
        if node.get("prompt"):
            self.control.play([self._prompt(node.get("prompt"))], interruptible=False)
        self.control.hangup()
        return _Step("hangup", end={"kind": "hangup"})

    def _subflow(self, node: Node) -> _Step:
        target = self.flows(node.get("flow"))
        if target is None:
            raise LookupError(f"sub-flow '{node.get('flow')}' is not loaded")
        self.stack.append((self.flow, node.get("next")))
        self.flow = target
        return _Step("enter", target.entry, {"flow": target.id})

    def _return(self, node: Node) -> _Step:
        if not self.stack:
            self.control.hangup()
            return _Step("hangup", end={"kind": "hangup"})
        self.flow, next_id = self.stack.pop()
        return _Step("return", next_id)


@dataclass(frozen=True)
class _NoHooks:
    status: str = "error"
    values: Mapping[str, Any] = field(default_factory=dict)
    error: str = "no hooks configured"


def compare(value: Any, when: Mapping[str, Any]) -> bool:
    if "is_set" in when:
        return (value not in (None, "")) == when["is_set"]
    if "equals" in when:
        return str(value) == str(when["equals"])
    if "not_equals" in when:
        return str(value) != str(when["not_equals"])
    if "in" in when:
        return str(value) in {str(v) for v in when["in"]}
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return number >= when["gte"] if "gte" in when else number <= when["lte"]


def format_money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)[:80]
