"""Shared helpers for the IVR tests: a seeded hotline database and a scripted caller."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from werkzeug.security import generate_password_hash

from callcenter import seed
from callcenter.hooks import HookRunner
from callcenter.ivr.interpreter import CallInfo, Interpreter, IvrOutcome
from callcenter.ivr.prompts import PromptLibrary
from callcenter.ivr.registry import FlowRegistry
from callcenter.ivr.scripted import ScriptedControl, ScriptSource, parse_script
from callcenter.ivr.trial import TraceSink

ROOT = Path(__file__).resolve().parent.parent
FLOWS = ROOT / "ivr_flows"
QUEUES_FILE = ROOT / "acd" / "queues.yaml"
SHANGHAI = ZoneInfo("Asia/Shanghai")
OPEN_TIME = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)  # a Monday morning
NIGHT_TIME = datetime(2026, 11, 23, 23, 30, tzinfo=SHANGHAI)
HOLIDAY_TIME = datetime(2026, 10, 1, 10, 0, tzinfo=SHANGHAI)  # National Day
NUMBERS = {"10000": {"flow": "main", "need": None}, "10001": {"flow": "main", "need": "billing"}}
# seed_demo: customers 1..5 have numbers 8613800000000..4 and passwords 111111..555555; #5 is vip3
REGULAR = "8613800000000"
VIP = "8613800000004"
UNKNOWN = "8613999999999"


def _cheap_hash(secret: str) -> str:
    # a real werkzeug hash with few iterations: check_password_hash verifies it as in production
    return generate_password_hash(secret, method="pbkdf2:sha256:1000")


@pytest.fixture
def hotline_db(sessions, monkeypatch):
    """The demo data set (10 customers), with cheap password hashes so seeding takes
    well under a second instead of scrypt's seconds."""
    monkeypatch.setattr(seed, "hash_password", _cheap_hash)
    monkeypatch.setattr(seed, "hash_service_password", _cheap_hash)
    seed.seed_demo(sessions, customers=10)
    return sessions


@pytest.fixture(scope="session")
def shipped_flows():
    registry = FlowRegistry(FLOWS, NUMBERS, QUEUES_FILE)
    report = registry.reload()
    assert not report.refused, report.refused
    return registry


@dataclass
class CallResult:
    outcome: IvrOutcome
    control: ScriptedControl
    sink: TraceSink

    @property
    def prompts(self) -> list[str]:
        return self.control.prompt_ids()

    @property
    def said(self) -> list[str]:
        return [h.detail for h in self.control.heard if h.kind == "say"]

    def outcomes(self) -> dict[str, str]:
        """node -> its last outcome"""
        return {node: outcome for node, _, outcome, _ in self.sink.events}


def place_call(registry: FlowRegistry, hooks, script: str, *, caller: str = REGULAR,
               flow: str = "main", at: datetime = OPEN_TIME, dialled: str = "10000",
               language: str | None = None, recordings: Path | None = None,
               tmp: Path | None = None) -> CallResult:
    control = ScriptedControl(ScriptSource(parse_script(script)), start=at)
    sink = TraceSink()
    entry = registry.numbers.get(dialled, {})
    call = CallInfo(call_id="test-call-1", caller_number=caller, dialled_number=dialled,
                    need=entry.get("need"), language=language)
    interpreter = Interpreter(registry.flow(flow), control, call=call, hooks=hooks,
                              prompts=PromptLibrary(tmp or "prompts"), sink=sink,
                              calendar=registry.calendar, flows=registry.flow, clock=control.now,
                              recordings_dir=recordings or (tmp or Path("data")) / "recordings")
    return CallResult(interpreter.run(), control, sink)


def runner(sessions) -> HookRunner:
    return HookRunner(sessions)
