"""Node kinds the hotline flows do not use, on small inline flows (no database)."""
from __future__ import annotations

from datetime import datetime

from callcenter.ivr.calendar import Calendar
from callcenter.ivr.flow import build_flow
from callcenter.ivr.interpreter import CallInfo, Interpreter, compare, format_money
from callcenter.ivr.prompts import PromptLibrary
from callcenter.ivr.rules import ValidationContext, check_flow
from callcenter.ivr.scripted import ScriptedControl, ScriptSource, parse_script
from ivr_fixtures import OPEN_TIME, SHANGHAI


def flow(nodes, flow_id="t", prompts=None, **extra):
    return build_flow({"flow": flow_id, "version": 1, "languages": ["en"], "entry": "first",
                       "prompts": prompts or {}, "nodes": nodes, **extra})


def run(the_flow, script="", at=OPEN_TIME, flows=None, calendar=None, tier="regular"):
    control = ScriptedControl(ScriptSource(parse_script(script)), start=at)
    interpreter = Interpreter(the_flow, control, call=CallInfo("c", "8613800000000", caller_tier=tier),
                              hooks=None, prompts=PromptLibrary("p"), calendar=calendar,
                              flows=(flows or {}).get, clock=control.now)
    return interpreter.run(), control


def test_transfer_to_a_number_renders_its_template():
    outcome, _ = run(flow({"first": {"kind": "set", "values": {"ext": "8001"}, "next": "go"},
                           "go": {"kind": "transfer", "to": "9${ext}"}}))
    assert outcome.kind == "transfer" and outcome.target == "98001"


def test_transfer_to_another_flow_and_a_subflow_that_sets_its_output():
    ask = flow({"first": {"kind": "collect", "prompt": "p", "variable": "code", "max_length": 4,
                          "next": "done", "on_failure": "done_empty"},
                "done": {"kind": "return"},
                "done_empty": {"kind": "set", "values": {"code": ""}, "next": "done"}},
               flow_id="ask", prompts={"p": {"en": "Code?"}}, outputs=["code"])
    other = flow({"first": {"kind": "subflow", "flow": "ask", "next": "end"},
                  "end": {"kind": "queue", "need": "general", "priority": 5}}, flow_id="other")
    main = flow({"first": {"kind": "transfer", "flow": "other"}}, flow_id="main")
    outcome, _ = run(main, "1234#", flows={"ask": ask, "other": other})
    assert outcome.kind == "queue" and outcome.priority == 5
    assert outcome.variables["code"] == "1234"
    assert outcome.path == ("first", "other/first", "ask/first", "ask/done", "other/end")
    context = ValidationContext(flows={"ask": ask, "other": other})
    assert check_flow(other, context) == []


def test_subflow_output_missing_at_return_is_a_validation_problem():
    ask = flow({"first": {"kind": "return"}}, flow_id="ask", outputs=["code"])
    problems = check_flow(ask, ValidationContext())
    assert ["sub-flow returns at 'first' without setting its output 'code'" in p.message
            for p in problems] == [True]


def test_branch_on_time_weekday_and_tier():
    nodes = {"first": {"kind": "branch", "cases": [
        {"when": {"tier": ["vip3"]}, "next": "vip"},
        {"when": {"weekday": ["sat", "sun"], "time": "09:00-12:00"}, "next": "weekend_morning"}],
        "else": "other"},
        "vip": {"kind": "queue", "need": "general", "priority": 30},
        "weekend_morning": {"kind": "queue", "need": "general", "priority": 1},
        "other": {"kind": "hangup"}}
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)
    assert run(flow(nodes), tier="vip3")[0].priority == 30
    assert run(flow(nodes), at=saturday)[0].priority == 1
    assert run(flow(nodes), at=saturday.replace(hour=13))[0].kind == "hangup"
    assert run(flow(nodes), at=OPEN_TIME)[0].kind == "hangup"  # a Monday


def test_calendar_opening_hours_and_ranges_over_midnight():
    calendar = Calendar(opening_hours={"mon": "08:00-20:00", "tue": "22:00-06:00"})
    assert calendar.is_open(OPEN_TIME)
    assert not calendar.is_open(OPEN_TIME.replace(hour=21))
    assert calendar.is_open(datetime(2026, 11, 24, 23, 0, tzinfo=SHANGHAI))
    assert not calendar.is_open(datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI))  # no Wednesday


def test_compare_and_money_formatting():
    assert compare("3", {"gte": 3}) and not compare("x", {"gte": 3})
    assert compare("", {"is_set": False}) and compare("a", {"in": ["a", "b"]})
    assert compare(1, {"equals": "1"}) and compare("1", {"not_equals": 2})
    assert format_money(12345) == "123.45" and format_money(5) == "0.05"
    assert format_money(-250) == "-2.50"


def test_set_copy_of_a_secret_is_secret_too():
    nodes = {"first": {"kind": "collect", "prompt": "p", "variable": "pin", "secret": True,
                       "max_length": 6, "next": "copy", "on_failure": "end"},
             "copy": {"kind": "set", "values": {"again": "${pin}"}, "next": "end"},
             "end": {"kind": "hangup"}}
    outcome, control = run(flow(nodes, prompts={"p": {"en": "PIN?"}}), "424242#")
    assert "pin" not in outcome.variables and "again" not in outcome.variables
    assert "424242" not in repr(control.heard)


class BrokenSink:
    def __init__(self):
        self.calls = 0

    def on_node(self, node_id, kind, outcome, data):
        self.calls += 1
        raise ConnectionError("event log database unreachable")


def test_a_failing_sink_does_not_stop_the_call_and_missing_hooks_take_the_error_branch():
    nodes = {"first": {"kind": "lookup", "hook": "bill_summary", "args": {"customer_id": "1"},
                       "found": "end", "not_found": "end", "error": "agent"},
             "agent": {"kind": "queue", "need": "billing"}, "end": {"kind": "hangup"}}
    sink = BrokenSink()
    control = ScriptedControl(ScriptSource([]), start=OPEN_TIME)
    outcome = Interpreter(flow(nodes), control, call=CallInfo("c", "1", caller_tier="regular"),
                          hooks=None, prompts=PromptLibrary("p"), sink=sink).run()
    assert outcome.kind == "queue" and outcome.path == ("first", "agent") and sink.calls == 2
