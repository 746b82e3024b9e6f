"""The router, one routing rule of docs/domain.md per table row."""
from __future__ import annotations

import pytest

from acd.agent_state import AgentState as S
from acd.router import current_step, effective_priority, logged_in_levels, route
from acd_fixtures import agent, call, config

CONFIG = config()

# name, agents, calls, now, expected [(call, agent, rule)], expected passed_over {agent: reason}
CASES = [
    ("rule 1: specialist first, general agent not yet",
     [agent("spec", {"billing": 2}), agent("gen", {"general": 9})],
     [call("c1", "billing", 0)], 5,
     [("c1", "spec", "specialist")], {"gen": "overflow_step_not_reached:1"}),
    ("rule 2: no specialist free and step not reached -> the call waits",
     [agent("spec", {"billing": 2}, S.ON_CALL), agent("gen", {"general": 9})],
     [call("c1", "billing", 0)], 29, [], {}),
    ("rule 2: general agent as overflow after the step's wait",
     [agent("spec", {"billing": 2}, S.ON_CALL), agent("gen", {"general": 9})],
     [call("c1", "billing", 0)], 30,
     [("c1", "gen", "general_overflow")], {"spec": "on_call"}),
    ("rule 2: general agent below the overflow level is not taken",
     [agent("spec", {"billing": 2}, S.ON_CALL), agent("gen", {"general": 4})],
     [call("c1", "billing", 0)], 60, [], {}),
    ("rule 2: specialist still preferred over a higher-level general agent after the step",
     [agent("gen", {"general": 9}), agent("spec", {"billing": 1})],
     [call("c1", "billing", 0)], 45,
     [("c1", "spec", "specialist")], {"gen": "ranked_lower"}),
    ("rule 3: unidentified need goes to a general agent",
     [agent("spec", {"billing": 9}), agent("gen", {"general": 3})],
     [call("c1", "general", 0, need=None)], 1,
     [("c1", "gen", "unidentified_need_to_general")], {}),
    ("rule 4: a transferred call gets the agent before an earlier regular call",
     [agent("spec", {"billing": 5})],
     [call("old", "billing", 0), call("xfer", "billing", 20, "transferred")], 25,
     [("xfer", "spec", "specialist")], {}),
    ("rule 5: a VIP call gets the agent before an earlier regular call",
     [agent("spec", {"billing": 5})],
     [call("old", "billing", 0), call("vip", "billing", 5, "vip1")], 10,
     [("vip", "spec", "specialist")], {}),
    ("rule 5: higher VIP tier first",
     [agent("spec", {"billing": 5})],
     [call("v1", "billing", 0, "vip1"), call("v3", "billing", 5, "vip3"),
      call("v2", "billing", 2, "vip2")], 10,
     [("v3", "spec", "specialist")], {}),
    ("policy longest_idle: a regular caller gets the longest idle agent",
     [agent("junior", {"service_orders": 2}, idle_since=10),
      agent("senior", {"service_orders": 8}, idle_since=50)],
     [call("c1", "service_orders", 60)], 60,
     [("c1", "junior", "specialist")], {"senior": "ranked_lower"}),
    ("rule 5: a VIP caller gets the highest-level agent even where the queue uses longest idle",
     [agent("junior", {"service_orders": 2}, idle_since=10),
      agent("senior", {"service_orders": 8}, idle_since=50)],
     [call("c1", "service_orders", 60, "vip2")], 60,
     [("c1", "senior", "specialist")], {"junior": "ranked_lower"}),
    ("default policy: highest relevant skill level",
     [agent("three", {"billing": 3}, idle_since=0), agent("seven", {"billing": 7}, idle_since=50)],
     [call("c1", "billing", 60)], 60,
     [("c1", "seven", "specialist")], {"three": "ranked_lower"}),
    ("tie-break: equal level -> longest idle",
     [agent("recent", {"billing": 5}, idle_since=100), agent("idle", {"billing": 5}, idle_since=50)],
     [call("c1", "billing", 110)], 110,
     [("c1", "idle", "specialist")], {"recent": "ranked_lower"}),
    ("ageing: a regular caller waiting 11 min overtakes a fresh vip1 (+10)",
     [agent("spec", {"billing": 5})],
     [call("old", "billing", 0), call("vip", "billing", 660, "vip1")], 661,
     [("old", "spec", "specialist")], {}),
    ("ageing: ... but not after 9 min",
     [agent("spec", {"billing": 5})],
     [call("old", "billing", 0), call("vip", "billing", 540, "vip1")], 541,
     [("vip", "spec", "specialist")], {}),
    ("availability: an agent whose phone is not registered is skipped",
     [agent("nophone", {"billing": 9}, phone=False), agent("ok", {"billing": 2})],
     [call("c1", "billing", 0)], 1,
     [("c1", "ok", "specialist")], {"nophone": "phone_not_registered"}),
    ("availability: an unregistered phone alone gets nothing",
     [agent("nophone", {"billing": 9}, phone=False)], [call("c1", "billing", 0)], 1, [], {}),
    ("availability: an agent on a non-queue call is skipped",
     [agent("busy", {"billing": 9}, external=True), agent("ok", {"billing": 2})],
     [call("c1", "billing", 0)], 1,
     [("c1", "ok", "specialist")], {"busy": "on_non_queue_call"}),
    ("reasons: not ready with its code, wrap-up, reserved, logged out, level below minimum",
     [agent("lunch", {"complaints": 9}, S.NOT_READY, reason="lunch"),
      agent("wrap", {"complaints": 9}, S.WRAP_UP),
      agent("ring", {"complaints": 9}, S.RINGING),
      agent("away", {"complaints": 9}, S.LOGGED_OUT),
      agent("low", {"complaints": 2}),
      agent("ok", {"complaints": 3}),
      agent("other", {"service_orders": 9})],
     [call("c1", "complaints", 0)], 1,
     [("c1", "ok", "specialist")],
     {"lunch": "not_ready:lunch", "wrap": "wrap_up", "ring": "already_reserved", "away": "logged_out",
      "low": "overflow_step_not_reached:1"}),
    ("overflow min_level step: a lower-level agent after 60 s",
     [agent("low", {"complaints": 2})], [call("c1", "complaints", 0)], 60,
     [("c1", "low", "overflow_lower_level")], {}),
    ("freed agent: the earliest call across every queue the agent serves",
     [agent("both", {"billing": 4, "complaints": 4})],
     [call("b", "billing", 10), call("c", "complaints", 5), call("b2", "billing", 1, seq=999)], 20,
     [("b2", "both", "specialist")], {}),
    ("several free agents: one pass, best call first, the next agent for the next call",
     [agent("a", {"billing": 9}), agent("b", {"billing": 5})],
     [call("c2", "billing", 5), call("c1", "billing", 0), call("c3", "billing", 6)], 10,
     [("c1", "a", "specialist"), ("c2", "b", "specialist")], {}),
    ("an agent who declined the call is asked last",
     [agent("a", {"billing": 9}), agent("b", {"billing": 5})],
     [call("c1", "billing", 0, declined=("a",))], 10,
     [("c1", "b", "specialist")], {"a": "declined_this_call"}),
    ("an agent who declined the call is asked again when nobody else is free",
     [agent("a", {"billing": 9})], [call("c1", "billing", 0, declined=("a",))], 10,
     [("c1", "a", "specialist")], {}),
]


@pytest.mark.parametrize("name, agents, calls, now, expected, passed",
                         CASES, ids=[case[0] for case in CASES])
def test_routing_rule(name, agents, calls, now, expected, passed):
    decisions = route(calls, agents, now, CONFIG)
    assert [(d.call_id, d.agent, d.rule) for d in decisions] == expected
    if passed:
        assert {login: decisions[0].passed_over.get(login) for login in passed} == passed


def test_decision_explains_candidates_tie_break_and_priority():
    agents = [agent("recent", {"billing": 5}, idle_since=100), agent("idle", {"billing": 5}, idle_since=40),
              agent("other", {"complaints": 9})]
    [decision] = route([call("c1", "billing", 70, "vip1")], agents, 110, CONFIG)
    reason = decision.as_dict()
    assert [c["agent"] for c in reason["candidates"]] == ["idle", "recent"]
    assert reason["candidates"][0]["idle_seconds"] == 70
    assert reason["tie_break"] == "longest idle 70 s (next: recent idle 10 s)"
    assert reason["priority_class"] == "vip1"
    assert reason["priority"] == pytest.approx(10 + 40 / 60, abs=1e-3)
    assert reason["policy"] == "vip_highest_level"
    assert reason["others_lacking_skill"] == 1  # 'other' holds no billing or general skill
    assert reason["step"] == 1 and "accept general>=5" in reason["step_rule"]


def test_reserved_for_a_higher_priority_call_in_the_same_pass():
    agents = [agent("a", {"billing": 9}), agent("b", {"billing": 5}, S.NOT_READY, reason="break")]
    first, = route([call("c1", "billing", 0), call("c2", "billing", 1)], agents, 2, CONFIG)
    assert first.call_id == "c1"
    agents.append(agent("c", {"billing": 1}))
    decisions = route([call("c1", "billing", 0), call("c2", "billing", 1)], agents, 2, CONFIG)
    assert [(d.call_id, d.agent) for d in decisions] == [("c1", "a"), ("c2", "c")]
    assert decisions[1].passed_over["a"] == "reserved_for_higher_priority_call"
    assert decisions[1].passed_over["b"] == "not_ready:break"


def test_offered_calls_are_not_routed_again():
    offered = call("c1", "billing", 0)
    offered.offered_to = "x"
    assert route([offered], [agent("a", {"billing": 1})], 5, CONFIG) == []


@pytest.mark.parametrize("logged_in, waited, expected", [
    ({"billing": 3, "general": 9}, 0, (0, False)),  # specialists logged in: no step yet
    ({"general": 9}, 0, (1, False)),  # no billing agent logged in: general step at once
    ({"general": 2}, 0, (2, True)),  # nobody who could ever take it: straight to the last step
    ({}, 0, (2, True)),
    ({"billing": 3}, 30, (1, False)),
    ({"billing": 3}, 120, (2, False)),
])
def test_overflow_step_skips_ahead_when_nobody_is_logged_in(logged_in, waited, expected):
    agents = [agent(f"a{i}", {skill: level}, S.NOT_READY, reason="break")
              for i, (skill, level) in enumerate(logged_in.items())]
    agents.append(agent("gone", {"billing": 9}, S.LOGGED_OUT))
    step = current_step(call("c1", "billing", 0), waited, CONFIG, logged_in_levels(agents))
    assert step == expected


def test_effective_priority_ages_with_waiting_time():
    assert effective_priority(call("c", "billing", 0), 120, CONFIG) == pytest.approx(2.0)
    assert effective_priority(call("c", "billing", 0, "vip3"), 0, CONFIG) == 30
    assert effective_priority(call("c", "billing", 0, "transferred"), 60, CONFIG) == 101


def test_a_logged_decision_lists_the_best_few_and_counts_everyone():
    from acd.router import LOGGED_CANDIDATES, LOGGED_PASSED_OVER, Candidate, Decision
    candidates = tuple(Candidate(f"a{n:03d}", 0, 5, float(300 - n)) for n in range(300))
    passed = {f"b{n:03d}": ("busy" if n % 3 else "not_ready") for n in range(90)}
    reason = Decision("c1", "a000", "general", "specialist", "general", 0, "", "regular", 0.0, 0,
                      1.0, "longest_idle", candidates, passed, 4, "longest idle").as_dict()
    assert [c["agent"] for c in reason["candidates"]] == [f"a{n:03d}" for n in range(LOGGED_CANDIDATES)]
    assert reason["candidates_total"] == 300
    assert len(reason["passed_over"]) == LOGGED_PASSED_OVER
    assert reason["passed_over_counts"] == {"busy": 60, "not_ready": 30}
