"""Per team figures, table-driven with figures worked out by hand (docs/indicators.md,
"Per team")."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from callcenter.reports.agents import AgentSums
from callcenter.reports.facts import Visit
from callcenter.reports.indicators import Rules
from callcenter.reports.report import drill
from callcenter.reports.teams import NO_TEAM, members, team_figures

T0 = datetime(2026, 11, 16, 1, 0, tzinfo=timezone.utc)
RULES = Rules({"billing": 20.0, "general": 15.0})
TEAM_OF = {"a1": "red", "a2": "red", "b1": "blue", "c1": NO_TEAM}


def answered(call, queue, agent, wait_s, talk_s, transferred_out=False):
    at = T0 + timedelta(minutes=len(call))
    return Visit(call, queue, at, outcome="answered", decided_at=at + timedelta(seconds=wait_s),
                 agent=agent, handle_end=at + timedelta(seconds=wait_s + talk_s),
                 transferred_out=transferred_out)


def abandoned(call, queue, wait_s):
    return Visit(call, queue, T0, outcome="abandoned", decided_at=T0 + timedelta(seconds=wait_s))


VISITS = [
    answered("c1", "billing", "a1", 10, 100),
    answered("c2", "billing", "a2", 30, 200, transferred_out=True),  # over billing's 20 s
    answered("c3", "general", "a1", 15, 60),  # exactly general's 15 s: within
    answered("c4", "general", "b1", 16, 40),  # over general's 15 s
    answered("c5", "billing", "c1", 5, 30),
    abandoned("c6", "billing", 40),  # nobody's: counted for no team
]
AGENTS = {
    "a1": AgentSums(logged_in_ms=3_600_000, ready_ms=1_200_000, busy_ms=1_800_000,
                    talk_ms=1_500_000, wrap_up_ms=300_000, not_ready_ms={"lunch": 600_000},
                    handled=2, handle_ms=160_000),
    "a2": AgentSums(logged_in_ms=1_800_000, ready_ms=600_000, busy_ms=600_000, talk_ms=600_000,
                    not_ready_ms={"lunch": 300_000, "training": 300_000}, handled=1,
                    handle_ms=200_000, transfers=1),
    "b1": AgentSums(logged_in_ms=600_000, ready_ms=0, busy_ms=600_000, talk_ms=600_000,
                    handled=1, handle_ms=40_000),
}


@pytest.mark.parametrize("team, agents, logged_in_ms, not_ready, answered, in_limit, asa, aht, "
                         "occupancy, transfers", [
    # red: a1 + a2; calls c1 (10 s, in), c2 (30 s, over), c3 (15 s, in)
    ("red", ["a1", "a2"], 5_400_000, {"lunch": 900_000, "training": 300_000}, 3, 2 / 3,
     (10 + 30 + 15) / 3, (100 + 200 + 60) / 3, 2_400_000 / (2_400_000 + 1_800_000), 1),
    # blue: b1 only; c4 waited 16 s against general's 15 s
    ("blue", ["b1"], 600_000, {}, 1, 0.0, 16.0, 40.0, 1.0, 0),
    # no team: c1 has no productivity rows, only a call
    (NO_TEAM, [], 0, {}, 1, 1.0, 5.0, 30.0, None, 0),
])
def test_a_teams_figures_add_up_its_agents(team, agents, logged_in_ms, not_ready, answered,
                                           in_limit, asa, aht, occupancy, transfers):
    figures = team_figures(AGENTS, VISITS, RULES, TEAM_OF)[team]
    assert figures.agents == agents
    assert figures.work.logged_in_ms == logged_in_ms
    assert figures.work.not_ready_ms == not_ready
    assert figures.answered == answered
    assert figures.answered_in_limit_rate == pytest.approx(in_limit)
    assert figures.asa_seconds == pytest.approx(asa)
    assert figures.calls.handled and figures.calls.handle_ms / 1000 / figures.calls.handled \
        == pytest.approx(aht)
    assert figures.work.occupancy == (None if occupancy is None else pytest.approx(occupancy))
    assert figures.work.transfers == transfers


def test_teams_cover_every_answered_call_once_and_leave_abandons_out():
    teams = team_figures(AGENTS, VISITS, RULES, TEAM_OF)
    assert sorted(teams) == [NO_TEAM, "blue", "red"]
    assert sum(t.answered for t in teams.values()) == 5  # c6 abandoned: nobody's call
    assert sum(t.calls.abandoned for t in teams.values()) == 0


def test_a_team_with_no_activity_has_no_data_not_zero():
    teams = team_figures({}, [], RULES, TEAM_OF)
    assert teams == {}
    empty = team_figures({"a1": AgentSums()}, [], RULES, TEAM_OF)["red"]
    assert empty.answered_in_limit_rate is None and empty.asa_seconds is None
    assert empty.work.occupancy is None


@pytest.mark.parametrize("team, figure, calls", [
    ("red", "answered", ["c1", "c2", "c3"]),
    ("red", "no_answer_in_time", ["c2"]),
    ("blue", "answered", ["c4"]),
    (NO_TEAM, "answered", ["c5"]),
    (NO_TEAM, "abandoned", []),  # an abandoned call is no team's
])
def test_a_team_figure_drills_down_to_its_calls(team, figure, calls):
    from zoneinfo import ZoneInfo
    found = drill(VISITS, RULES, 30, ZoneInfo("Asia/Shanghai"), None, None, figure,
                  members(TEAM_OF, team))
    assert sorted(v.call for v in found) == calls
