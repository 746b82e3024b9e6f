"""The router's cached eligibility: each agent's first matching group and its level there."""
from __future__ import annotations

import pytest

from acd.router import Group, _first_group
from acd_fixtures import agent

GROUPS = (Group(0, 0, {"billing": 3}, "specialist", "specialist: billing>=3"),
          Group(1, 1, {"general": 5}, "general_overflow", "overflow step 1"),
          Group(2, 1, {"billing": 1, "complaints": 2}, "overflow_accept", "overflow step 1"))

CASES = [  # agent's skills, (group index, level) or None
    ({"billing": 7}, (0, 7)),
    ({"billing": 3, "general": 9}, (0, 3)),  # the first group that matches wins, not the best level
    ({"billing": 2, "general": 5}, (1, 5)),
    ({"billing": 2, "complaints": 4}, (2, 2)),  # the lowest of the group's skills
    ({"billing": 2, "complaints": 1}, None),
    ({"general": 4}, None),
    ({}, None),
]


@pytest.mark.parametrize("skills, expected", CASES)
def test_first_group_and_level(skills, expected):
    hit = _first_group(agent("x", skills), GROUPS)
    assert (None if hit is None else (hit[0].index, hit[1])) == expected
