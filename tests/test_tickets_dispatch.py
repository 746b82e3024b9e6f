"""The dispatch rules file: routing by category and detail, deadlines by category
and priority, and every mistake reported as file:line:column."""
from __future__ import annotations

from datetime import timedelta

import pytest

from callcenter.tickets.deadlines import WORKING_HOURS
from callcenter.tickets.dispatch import DEFAULT_RULES, DispatchRulesError, load_rules, parse_rules

GOOD = """\
calendar:
  timezone: Asia/Shanghai
  working_hours: {mon: "08:30-17:30"}
  holidays:
    - {date: 2027-01-01, name: New Year}
groups:
  repair: {name: 网络维修组, members: [bo1]}
  desk: {name: 投诉处理组, members: [bo2, bo1]}
rules:
  - {category: complaint, detail: roaming, group: desk, forward: true}
  - {category: complaint, group: desk}
  - {category: fault, group: repair}
  - {category: service_order, group: repair}
  - {category: inquiry, group: desk}
deadlines:
  - {category: complaint, priority: 1, within: 4h, counted: working_hours, warn_before: 1h}
  - {category: complaint, within: 2d}
  - {category: fault, within: 1d}
  - {category: service_order, within: 3d}
  - {category: inquiry, within: 1d}
forward: {endpoint: "http://127.0.0.1:1/x"}
"""


def test_the_shipped_rules_file_is_valid():
    rules = load_rules(DEFAULT_RULES)
    assert rules.route("fault").group == "network_repair"
    assert rules.route("complaint", "roaming").forward


@pytest.mark.parametrize("category,detail,group,forward", [
    ("complaint", "roaming", "desk", True),
    ("complaint", "billing", "desk", False),  # no rule for billing: the catch-all
    ("complaint", None, "desk", False),
    ("fault", "roaming", "repair", False),
    ("inquiry", "", "desk", False),
])
def test_routing_first_match_wins(category, detail, group, forward):
    rule = parse_rules(GOOD).route(category, detail)
    assert (rule.group, rule.forward) == (group, forward)


@pytest.mark.parametrize("category,priority,within,counted", [
    ("complaint", 1, timedelta(hours=4), WORKING_HOURS),
    ("complaint", 3, timedelta(days=2), "calendar"),
    ("fault", 1, timedelta(days=1), "calendar"),
])
def test_deadline_by_category_and_priority(category, priority, within, counted):
    limit = parse_rules(GOOD).limit(category, priority)
    assert (limit.within, limit.counted) == (within, counted)


def test_groups_of_a_back_office_login():
    rules = parse_rules(GOOD)
    assert rules.groups_of("bo1") == ["repair", "desk"] and rules.groups_of("x") == []
    assert rules.groups["repair"].display_name == "网络维修组"


def replace(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


@pytest.mark.parametrize("text,where,message", [
    (replace("group: repair}\n  - {category: service", "group: repairs}\n  - {category: service"),
     "rules.yaml:12:", "group 'repairs' is not one of the groups: repair, desk"),
    (replace("{category: inquiry, group", "{category: enquiry, group"),
     "rules.yaml:14:6:", "category must be one of complaint, fault, service_order, inquiry"),
    (replace("within: 4h,", "within: 4 hours,"), "rules.yaml:16:",
     "within: a duration looks like 30m, 4h, 2d or 1h30m, got '4 hours'"),
    (replace("counted: working_hours", "counted: office"), "rules.yaml:16:",
     "counted must be calendar or working_hours, got 'office'"),
    (replace('{mon: "08:30-17:30"}', '{mon: "8.30 to 5"}'), "rules.yaml:3:",
     "working hours must look like 08:30-17:30"),
    (replace("Asia/Shanghai", "Mars/Olympus"), "rules.yaml:2:3:", "unknown time zone"),
    (replace("  - {category: inquiry, group: desk}\n", ""), "rules.yaml:9:1:",
     "no rule dispatches every 'inquiry' ticket"),
    (replace("priority: 1,", "priority: urgent,"), "rules.yaml:16:",
     "priority must be 1 (highest) to 5, got 'urgent'"),
    (replace("warn_before: 1h", "warn_before: 5h"), "rules.yaml:16:",
     "warn_before must be shorter than within"),
    (replace('forward: {endpoint: "http://127.0.0.1:1/x"}', ""), "rules.yaml:1:1:",
     "a rule forwards tickets but 'forward: endpoint:' is not set"),
    (replace("calendar:", "calender:"), "rules.yaml:1:1:", "unknown key 'calender'"),
    (replace("groups:\n", "groups:\n  broken: [1, 2\n"), "rules.yaml:", "YAML syntax error"),
])
def test_mistakes_are_reported_with_file_line_and_column(text, where, message):
    with pytest.raises(DispatchRulesError) as refused:
        parse_rules(text, "rules.yaml")
    matching = [p for p in refused.value.problems if message in p]
    assert matching, refused.value.problems
    assert matching[0].startswith(where), matching[0]


def test_every_problem_is_reported_at_once(tmp_path):
    path = tmp_path / "dispatch.yaml"
    path.write_text(GOOD.replace("group: repair}", "group: nowhere}").replace("within: 3d", "within: soon"),
                    encoding="utf-8")
    with pytest.raises(DispatchRulesError) as refused:
        load_rules(path)
    problems = refused.value.problems
    assert len(problems) >= 3  # two unknown groups, one bad duration (and the lost catch-alls)
    assert all(p.startswith(f"{path}:") for p in problems)


@pytest.mark.parametrize("category, detail, stored", [
    ("complaint", "roaming", "roaming"),
    ("complaint", " billing ", "billing"),
    ("complaint", "", None),
    ("complaint", None, None),
    ("fault", "", None),
])
def test_a_known_detail_or_none_is_taken(category, detail, stored):
    assert load_rules().check_detail(category, detail) == stored


@pytest.mark.parametrize("category, detail, known", [
    ("complaint", "network", "roaming, billing"),
    ("fault", "roaming", "none"),  # roaming is a complaint's detail only
])
def test_an_unknown_detail_is_refused_naming_the_known_ones(category, detail, known):
    with pytest.raises(ValueError, match=rf"unknown detail '{detail}' for {category} \(known: {known}\)"):
        load_rules().check_detail(category, detail)
