"""The flow validator: schema problems with file:line:column, then one test per graph rule."""
from __future__ import annotations

import textwrap

import pytest

from callcenter.ivr.rules import HookSpec, ValidationContext
from callcenter.ivr.validate import (FlowInvalid, context_for, flow_files, load_flow, parse_flow,
                                     read_queue_names, validate_files)
from ivr_fixtures import FLOWS, QUEUES_FILE

HOOKS = {"bill_summary": HookSpec("bill_summary", ("customer_id",), ("balance_cents",))}
CONTEXT = ValidationContext(queues=frozenset({"billing", "general"}), hooks=HOOKS)

VALID = """\
flow: demo
version: 1
languages: [zh, en]
entry: menu
prompts:
  hello: {zh: 您好, en: Hello}
  sorry: {zh: 抱歉, en: Sorry}
nodes:
  menu:
    kind: menu
    prompt: hello
    choices: {"1": ask, "0": agent}
    tries: 3
    on_invalid: agent
    on_timeout: agent
  ask:
    kind: collect
    prompt: hello
    variable: customer_id
    max_length: 8
    next: bill
    on_failure: agent
  bill:
    kind: lookup
    hook: bill_summary
    args: {customer_id: "${customer_id}"}
    found: say
    not_found: agent
    error: agent
  say:
    kind: say
    say: money
    variable: balance_cents
    next: bye
  agent: {kind: queue, need: billing}
  bye: {kind: hangup, prompt: sorry}
"""


def problems(tmp_path, text: str, context: ValidationContext = CONTEXT) -> list[str]:
    path = tmp_path / "demo.yaml"
    path.write_text(textwrap.dedent(text))
    try:
        load_flow(path, context)
    except FlowInvalid as exc:
        return [str(p) for p in exc.problems]
    return []


def only(found: list[str], fragment: str) -> str:
    matching = [p for p in found if fragment in p]
    assert len(matching) == 1, found
    return matching[0]


def test_the_valid_example_is_valid(tmp_path):
    assert problems(tmp_path, VALID) == []


def test_every_shipped_flow_validates():
    files = flow_files(FLOWS)
    assert {p.stem for p in files} >= {"main", "survey", "language"}
    reports = validate_files(files, context_for(FLOWS, QUEUES_FILE))
    assert [str(p) for r in reports for p in r.problems] == []


def test_schema_problems_name_file_line_and_column_and_all_are_listed(tmp_path):
    text = VALID.replace("    tries: 3\n", "    tries: three\n    colour: blue\n") \
                .replace("    max_length: 8\n", "")
    found = problems(tmp_path, text)
    path = tmp_path / "demo.yaml"
    assert f"{path}:13:5: 'tries' in menu node 'menu' must be a positive whole number, " \
           "got 'three'" in found
    assert any(p.startswith(f"{path}:14:5: unknown key 'colour' in menu node 'menu'") for p in found)
    assert f"{path}:17:3: collect node 'ask' is missing 'max_length'" in found
    assert len(found) == 3


def test_schema_rejects_unknown_kind_and_missing_top_level_fields(tmp_path):
    found = problems(tmp_path, "flow: x\nnodes:\n  a: {kind: dance}\n")
    assert any("node 'a' has unknown kind 'dance'" in p for p in found)
    for key in ("version", "languages", "entry", "prompts"):
        assert any(f"the flow is missing '{key}'" in p for p in found)


def test_yaml_syntax_error_has_a_position(tmp_path):
    found = problems(tmp_path, "flow: [unclosed\n")
    assert len(found) == 1 and ":2:1: YAML syntax error" in found[0]


def test_rule_entry_exists(tmp_path):
    found = problems(tmp_path, VALID.replace("entry: menu", "entry: welcome"))
    assert ":4:1: flow 'demo': the entry node 'welcome' does not exist" in only(found, "entry node")


def test_rule_every_target_exists(tmp_path):
    found = problems(tmp_path, VALID.replace('"0": agent', '"0": agnet'))
    assert "node 'menu' goes to 'agnet' (choice 0), which does not exist" in \
        only(found, "does not exist")


def test_rule_every_node_is_reachable(tmp_path):
    text = VALID + "  orphan: {kind: hangup}\n"
    assert "node 'orphan' cannot be reached from the entry 'menu'" in \
        only(problems(tmp_path, text), "orphan")


def test_rule_menus_handle_timeout_and_invalid_with_bounded_tries(tmp_path):
    text = VALID.replace("    on_timeout: agent\n", "").replace("tries: 3", "tries: 9")
    found = problems(tmp_path, text)
    assert "menu 'menu' does not say where to go after a timeout (add 'on_timeout')" in \
        only(found, "after a timeout")
    assert "menu 'menu' allows 9 tries; at most 5" in only(found, "allows")


def test_rule_no_cycle_without_caller_input(tmp_path):
    text = VALID.replace("next: bye", "next: again") + \
        "  again: {kind: set, values: {x: 1}, next: say}\n"
    found = problems(tmp_path, text)
    assert "nodes again -> say form a loop with no menu, collect or survey" in only(found, "loop")


def test_rule_every_path_ends(tmp_path):
    text = VALID.replace("next: bye", "next: again") + \
        "  again: {kind: collect, prompt: hello, variable: v, max_length: 1, next: again, " \
        "on_failure: again}\n"
    found = problems(tmp_path, text)
    assert "no path from node 'again' ends in hangup, queue or transfer" in only(found, "node 'again' ends")


def test_rule_prompts_exist_in_every_language(tmp_path):
    text = VALID.replace("sorry: {zh: 抱歉, en: Sorry}", "sorry: {zh: 抱歉}") \
                .replace("prompt: sorry", "prompt: farewell")
    found = problems(tmp_path, text)
    assert "prompt 'sorry' has no 'en' text (the flow declares languages zh, en)" in \
        only(found, "'sorry'")
    assert "node 'bye' plays prompt 'farewell', which is not in 'prompts'" in \
        only(found, "farewell")


def test_rule_queues_hooks_and_arguments_exist(tmp_path):
    text = VALID.replace("need: billing", "need: biling") \
                .replace("hook: bill_summary", "hook: bill_sumary")
    found = problems(tmp_path, text)
    assert "queue 'biling' in node 'agent' is not in the ACD queues file (known: billing, general)" \
        in only(found, "biling")
    assert "hook 'bill_sumary' in node 'bill' is not registered" in only(found, "bill_sumary")
    found = problems(tmp_path, VALID.replace('{customer_id: "${customer_id}"}',
                                             '{account: "${customer_id}"}'))
    assert "hook 'bill_summary' in node 'bill' needs argument 'customer_id'" in \
        only(found, "needs argument")
    assert "hook 'bill_summary' takes no argument 'account'" in only(found, "takes no")


def test_rule_variables_are_set_before_use_on_every_path(tmp_path):
    # 'say' reached from the menu directly: balance_cents is only set on the lookup's found path
    text = VALID.replace('"0": agent', '"0": say')
    found = problems(tmp_path, text)
    assert "node 'say' uses variable 'balance_cents', which is not set on every path" in \
        only(found, "balance_cents")
    # built-ins need no setting
    text = VALID.replace('"${customer_id}"', '"${caller_number}"')
    assert problems(tmp_path, text) == []


def test_subflow_must_exist_and_return(tmp_path):
    text = VALID.replace('"0": agent', '"0": sub') + "  sub: {kind: subflow, flow: nope, next: agent}\n"
    assert "node 'sub' goes to flow 'nope', which is not among the flows" in \
        only(problems(tmp_path, text), "nope")


def test_queue_names_come_from_the_acd_queues_file(tmp_path):
    names = read_queue_names(QUEUES_FILE)
    assert {"billing", "complaints", "service_orders", "password", "general"} <= names
    bad = tmp_path / "queues.yaml"
    bad.write_text("settings: {}\n")
    with pytest.raises(FlowInvalid, match="top-level 'queues:'"):
        read_queue_names(bad)


def test_parse_flow_freezes_the_flow(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text(VALID)
    flow = parse_flow(path)
    with pytest.raises(TypeError):
        flow.nodes["menu"].spec["choices"]["9"] = "x"  # noqa
