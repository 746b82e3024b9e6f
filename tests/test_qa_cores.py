"""The QA pure cores, table-driven: scorecard validation (file:line:column),
scoring, calibration spread, sampling rules, retention decisions."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from callcenter.qa.calibration import spread
from callcenter.qa.retention import DELETE, KEEP, RecordingFacts, decide
from callcenter.qa.sampling import CallFacts, SamplingRules, due, iso_week
from callcenter.qa.scorecard import (ScorecardInvalid, load_directory, load_scorecard,
                                     parse_scorecard, scorecard_from_definition)
from callcenter.qa.scoring import AnswerError, score

ROOT = Path(__file__).resolve().parent.parent

SMALL = """\
scorecard: small
version: 2
title: Small form
sections:
  - id: main
    title: Main
    items:
      - id: verified
        text: Verified the customer
        weight: 10
        critical: true
      - id: polite
        text: Polite
        kind: scale
        scale: 4
        weight: 20
      - id: ticket
        text: Ticket when needed
        weight: 10
        not_applicable: true
"""


def small():
    return parse_scorecard(SMALL, "small.yaml")


def test_the_shipped_hotline_form_is_valid():
    card = load_scorecard(ROOT / "scorecards" / "hotline_v1.yaml")
    assert (card.name, card.version) == ("hotline", 1)
    assert [i.id for i in card.items if i.critical] == ["verified_customer", "no_secret_read_aloud"]
    assert sum(i.weight for i in card.items) == 100
    assert scorecard_from_definition(card.definition()) == card


@pytest.mark.parametrize("replace, where, message", [
    ("version: 2", "small.yaml:2:1", "'version' of the scorecard must be a whole number"),
    ("scorecard: small", "small.yaml:1:1", "lower-case letters"),
    ("        weight: 20", "small.yaml:16:9", "'weight' of item 'polite' must be a whole number"),
    ("        scale: 4", "small.yaml:15:9", "'scale' of item 'polite' must be a whole number from 2"),
    ("      - id: ticket", "small.yaml:17:9", "item id 'verified' is used twice (first at line 8)"),
    ("        critical: true", "small.yaml:11:9", "'critical' of item 'verified' must be true or false"),
    ("        text: Polite", "small.yaml:14:9", "unknown key 'colour' in an item"),
    ("    title: Main", "small.yaml:5:5", "section 'main' needs 'title'"),
    ("        kind: scale", "small.yaml:14:9", "'kind' of item 'polite' must be one of yes_no, scale"),
    ("title: Small form", "small.yaml:4:9", "YAML syntax error"),
])
def test_a_bad_form_is_refused_naming_the_place(replace, where, message):
    bad = {
        "version: 2": "version: two",
        "scorecard: small": "scorecard: Small-Form",
        "        weight: 20": "        weight: -1",
        "        scale: 4": "        scale: 1",
        "      - id: ticket": "      - id: verified",
        "        critical: true": "        critical: 'yes'",
        "        text: Polite": "        text: Polite\n        colour: red",
        "    title: Main": "    heading: Main",
        "        kind: scale": "        kind: stars",
        "title: Small form": "title: [unclosed",
    }[replace]
    with pytest.raises(ScorecardInvalid) as caught:
        parse_scorecard(SMALL.replace(replace, bad), "small.yaml")
    problems = [str(p) for p in caught.value.problems]
    assert any(p.startswith(where) and message in p for p in problems), problems


@pytest.mark.parametrize("text, message", [
    ("scorecard: x\nversion: 1\ntitle: X\nsections: []\n", "small.yaml:4:1: a scorecard needs 'sections'"),
    ("scorecard: x\nversion: 1\ntitle: X\nsections:\n  - id: a\n    title: A\n    items:\n"
     "      - id: b\n        text: B\n        kind: scale\n        scale: 3\n        weight: 1\n"
     "        critical: true\n", "only a yes_no item can be critical"),
    ("scorecard: x\nversion: 1\ntitle: X\nsections:\n  - id: a\n    title: A\n    items:\n"
     "      - id: b\n        text: B\n        weight: 0\n", "add up to 0"),
    ("scorecard: x\nversion: 1\ntitle: X\nsections:\n  - id: a\n    title: A\n    items:\n"
     "      - id: b\n        text: B\n        weight: 1\n        scale: 3\n", "small.yaml:11:9: 'scale' is only"),
])
def test_form_rules(text, message):
    with pytest.raises(ScorecardInvalid) as caught:
        parse_scorecard(text, "small.yaml")
    assert message in str(caught.value)


def test_two_files_with_the_same_form_version_are_refused(tmp_path):
    (tmp_path / "a.yaml").write_text(SMALL)
    (tmp_path / "b.yaml").write_text(SMALL)
    (tmp_path / "c.yaml").write_text(SMALL.replace("version: 2", "version: 3"))
    cards, problems = load_directory(tmp_path)
    assert [(c.name, c.version) for c in cards] == [("small", 2), ("small", 3)]
    assert [str(p) for p in problems] == [
        f"{tmp_path / 'b.yaml'}:1:1: small version 2 is already defined in {tmp_path / 'a.yaml'}"]


@pytest.mark.parametrize("answers, total, failed", [
    ({"verified": "yes", "polite": 4, "ticket": "yes"}, 100, ()),
    ({"verified": "yes", "polite": 2, "ticket": "yes"}, 75, ()),  # (10+10+10)/40
    ({"verified": "yes", "polite": "3", "ticket": "no"}, 63, ()),  # 25/40 = 62.5 -> 63
    ({"verified": "yes", "polite": 0, "ticket": "na"}, 33, ()),  # 10/30
    ({"verified": "no", "polite": 4, "ticket": "yes"}, 0, ("verified",)),  # critical
    ({"verified": "YES", "polite": 4, "ticket": "NA"}, 100, ()),
])
def test_scoring(answers, total, failed):
    result = score(small(), answers)
    assert (result.total, result.critical_failed) == (total, failed)


@pytest.mark.parametrize("answers, item, message", [
    ({"verified": "yes", "polite": 5, "ticket": "yes"}, "polite", "from 0 to 4"),
    ({"verified": "maybe", "polite": 1, "ticket": "yes"}, "verified", "yes or no"),
    ({"verified": "na", "polite": 1, "ticket": "yes"}, "verified", "not applicable"),
    ({"polite": 1, "ticket": "yes"}, "verified", "not answered"),
    ({"verified": "yes", "polite": 1, "ticket": "yes", "extra": "yes"}, "extra", "no such item"),
])
def test_bad_answers_name_the_item(answers, item, message):
    with pytest.raises(AnswerError) as caught:
        score(small(), answers)
    assert caught.value.item == item and message in caught.value.message


def test_calibration_spread_per_item():
    sets = [{"verified": "yes", "polite": "4", "ticket": "na"},
            {"verified": "yes", "polite": "1", "ticket": "yes"},
            {"verified": "no", "polite": "3", "ticket": "yes"}]
    result = spread(small(), sets, [100, 50, 0])
    rows = {r.item: (r.scored, r.not_applicable, r.low, r.high, r.mean, r.spread)
            for r in result.items}
    assert rows == {"verified": (3, 0, 0, 100, 67, 100),
                    "polite": (3, 0, 25, 100, 67, 75),
                    "ticket": (2, 1, 100, 100, 100, 0)}
    assert result.total_spread == 100 and result.widest.item == "verified"


MON, TUE, NEXT_MON = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 30)


@pytest.mark.parametrize("calls, rules, expected", [
    # a low survey score and a complaint are always due; random fills the quota
    ([CallFacts(1, 7, MON, survey_score=1), CallFacts(2, 7, MON, disposition="complaint"),
      CallFacts(3, 7, TUE)], SamplingRules(per_agent_per_week=2),
     {(1, "survey_score"), (2, "disposition")}),
    ([CallFacts(1, 7, MON), CallFacts(2, 7, TUE), CallFacts(3, 7, TUE)],
     SamplingRules(per_agent_per_week=1), 1),
    # already evaluated counts towards the week
    ([CallFacts(1, 7, MON, evaluated=True), CallFacts(2, 7, TUE)],
     SamplingRules(per_agent_per_week=1), set()),
    # each week and each agent has its own quota
    ([CallFacts(1, 7, MON), CallFacts(2, 7, NEXT_MON), CallFacts(3, 8, MON)],
     SamplingRules(per_agent_per_week=1), {(1, "random"), (2, "random"), (3, "random")}),
    # an evaluated complaint is not due again
    ([CallFacts(1, 7, MON, disposition="complaint", evaluated=True)],
     SamplingRules(per_agent_per_week=0), set()),
    ([CallFacts(1, 7, MON, survey_score=3)], SamplingRules(per_agent_per_week=0), set()),
    # a complaint ticket on the call, unless the rule is off
    ([CallFacts(1, 7, MON, complaint_ticket=True)], SamplingRules(per_agent_per_week=0),
     {(1, "complaint_ticket")}),
    ([CallFacts(1, 7, MON, complaint_ticket=True)],
     SamplingRules(per_agent_per_week=0, complaint_tickets=False), set()),
])
def test_sampling(calls, rules, expected):
    picks = due(calls, rules)
    if isinstance(expected, int):
        assert len(picks) == expected and all(p.reason == "random" for p in picks)
    else:
        assert {(p.call_id, p.reason) for p in picks} == expected


def test_random_sampling_is_stable_and_depends_on_the_seed():
    calls = [CallFacts(i, 7, MON) for i in range(1, 40)]
    first = due(calls, SamplingRules(per_agent_per_week=3, seed="a"))
    assert first == due(list(reversed(calls)), SamplingRules(per_agent_per_week=3, seed="a"))
    others = {tuple(p.call_id for p in due(calls, SamplingRules(per_agent_per_week=3, seed=s)))
              for s in "bcdef"}
    assert len(others | {tuple(p.call_id for p in first)}) > 1
    assert iso_week(MON) == "2026-W48" and first[0].week == "2026-W48"


TODAY = date(2026, 11, 30)


@pytest.mark.parametrize("facts, action, reason", [
    (RecordingFacts(1, date(2026, 11, 29)), DELETE, "expired"),
    (RecordingFacts(1, TODAY), KEEP, "not_due"),
    (RecordingFacts(1, date(2027, 1, 1)), KEEP, "not_due"),
    (RecordingFacts(1, date(2026, 1, 1), legal_hold=True), KEEP, "legal_hold"),
    (RecordingFacts(1, date(2026, 1, 1), open_dispute=True), KEEP, "open_dispute"),
    (RecordingFacts(1, date(2026, 1, 1), open_ticket=True), KEEP, "open_ticket"),
    (RecordingFacts(1, date(2026, 1, 1), already_deleted=True), KEEP, "already_deleted"),
    (RecordingFacts(1, date(2027, 1, 1), legal_hold=True), KEEP, "not_due"),
])
def test_retention_decisions(facts, action, reason):
    decision = decide(facts, TODAY)
    assert (decision.action, decision.reason) == (action, reason)
