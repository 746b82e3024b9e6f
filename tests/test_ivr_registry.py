"""Hot reload: real files in a directory, changed while a call runs."""
from __future__ import annotations

import logging
import os

from callcenter.ivr.interpreter import CallInfo, Interpreter
from callcenter.ivr.prompts import PromptLibrary
from callcenter.ivr.registry import FlowRegistry
from callcenter.ivr.scripted import ScriptedControl, ScriptSource
from ivr_fixtures import OPEN_TIME

FLOW = """\
flow: hot
version: {version}
languages: [en]
entry: menu
prompts:
  greeting: {{en: "{greeting}"}}
  bye: {{en: Goodbye}}
nodes:
  menu:
    kind: menu
    prompt: greeting
    choices: {{"1": agent}}
    on_invalid: bye
    on_timeout: bye
  agent: {{kind: queue, need: {need}}}
  bye: {{kind: hangup, prompt: bye}}
"""


def write(path, version, greeting="Hello", need="billing", stamp=None):
    path.write_text(FLOW.format(version=version, greeting=greeting, need=need))
    stamp = stamp or (1_000_000 + version)
    os.utime(path, (stamp, stamp))  # a distinct modification time even within one clock tick


class ChangingSource(ScriptSource):
    """A caller who presses 1 - but the flow file changes while the greeting plays."""

    def __init__(self, on_first_prompt):
        super().__init__(["1"])
        self.on_first_prompt = on_first_prompt

    def next(self, timeout):
        if self.on_first_prompt:
            self.on_first_prompt()
            self.on_first_prompt = None
        return super().next(timeout)


def test_changed_flow_serves_new_calls_while_running_calls_keep_their_version(tmp_path):
    path = tmp_path / "hot.yaml"
    write(path, 1, "Hello from version one")
    registry = FlowRegistry(tmp_path, {"10000": {"flow": "hot", "need": "general"}})
    assert registry.reload().loaded == ["hot"]
    entry = registry.for_number("10000")
    assert entry.flow.version == "1" and entry.need == "general"

    def change_file():
        write(path, 2, "Hello from version two", need="general")
        assert registry.reload().loaded == ["hot"]

    control = ScriptedControl(ChangingSource(change_file), start=OPEN_TIME)
    outcome = Interpreter(entry.flow, control, call=CallInfo("c1", "8613800000000", "10000"),
                          hooks=None, prompts=PromptLibrary(tmp_path)).run()
    assert outcome.kind == "queue" and outcome.need == "billing"  # version 1's queue
    assert outcome.flow_version == "1"
    assert registry.for_number("10000").flow.version == "2"
    assert registry.flow("hot").prompts["greeting"]["en"] == "Hello from version two"


def test_invalid_change_is_refused_logged_and_the_previous_version_keeps_serving(tmp_path, caplog):
    path = tmp_path / "hot.yaml"
    write(path, 1)
    registry = FlowRegistry(tmp_path, {"10000": {"flow": "hot"}})
    registry.reload()
    path.write_text(FLOW.format(version=2, greeting="Hi", need="billing")
                    .replace("on_timeout: bye", "on_timeout: nowhere"))
    os.utime(path, (2_000_000, 2_000_000))
    with caplog.at_level(logging.ERROR):
        report = registry.reload()
    assert list(report.refused) == [str(path)]
    assert "node 'menu' goes to 'nowhere' (timeout), which does not exist" in \
        str(report.refused[str(path)][0])
    assert "refused" in caplog.text and "nowhere" in caplog.text
    assert registry.flow("hot").version == "1"
    # an unchanged bad file is not re-read on every pass; fixing it loads it
    assert registry.reload().refused == {}
    write(path, 3, stamp=3_000_000)
    assert registry.reload().loaded == ["hot"] and registry.flow("hot").version == "3"
    assert registry.refused == {}


def test_unknown_number_and_a_new_file(tmp_path):
    registry = FlowRegistry(tmp_path, {"10000": {"flow": "hot"}})
    registry.reload()
    assert registry.for_number("10000") is None and registry.for_number("99") is None
    write(tmp_path / "hot.yaml", 1)
    registry.reload()
    assert registry.for_number("10000").flow.id == "hot"


def test_calendar_changes_are_picked_up(tmp_path):
    calendar = tmp_path / "calendar.yaml"
    calendar.write_text("timezone: Asia/Shanghai\nholidays:\n  - {date: 2026-11-23, name: Test}\n")
    registry = FlowRegistry(tmp_path, {})
    registry.reload()
    assert registry.calendar.is_holiday(OPEN_TIME)
    calendar.write_text("timezone: Asia/Shanghai\nopening_hours: {mon: '08:00-20:00'}\n")
    os.utime(calendar, (5_000_000, 5_000_000))
    registry.reload()
    assert not registry.calendar.is_holiday(OPEN_TIME) and registry.calendar.is_open(OPEN_TIME)
