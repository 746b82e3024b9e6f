"""Per team figures (pure): the team's agents' productivity added up, and the calls its
agents answered. An agent counts toward the team they belong to now (the model keeps no
history of moves); agents without a team are gathered under NO_TEAM. Definitions:
docs/indicators.md, "Per team"."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from callcenter.reports.agents import AgentSums
from callcenter.reports.facts import Visit
from callcenter.reports.indicators import Rules, Sums

NO_TEAM = ""


@dataclass
class TeamFigures:
    agents: list[str] = field(default_factory=list)  # logins with activity in the period
    work: AgentSums = field(default_factory=AgentSums)  # the agents' sums added up
    calls: Sums = field(default_factory=Sums)  # the visits the team's agents answered

    @property
    def answered(self) -> int:
        return self.calls.answered

    @property
    def answered_in_limit_rate(self) -> float | None:
        """Answered within the queue's limit ÷ answered (1 − 应答逾限率 of the team's calls)."""
        c = self.calls
        return c.answered_in_limit / c.answered if c.answered else None

    @property
    def asa_seconds(self) -> float | None:
        c = self.calls
        return c.wait_answered_ms / 1000 / c.answered if c.answered else None

    @property
    def not_ready_total_ms(self) -> int:
        return sum(self.work.not_ready_ms.values())


def add_agent_sums(into: AgentSums, sums: AgentSums) -> None:
    for name in ("logged_in_ms", "ready_ms", "busy_ms", "talk_ms", "hold_ms", "wrap_up_ms",
                 "handled", "handle_ms", "transfers"):
        setattr(into, name, getattr(into, name) + getattr(sums, name))
    for reason, ms in sums.not_ready_ms.items():
        into.not_ready_ms[reason] = into.not_ready_ms.get(reason, 0) + ms


def team_figures(agents: Mapping[str, AgentSums], visits: Iterable[Visit], rules: Rules,
                 team_of: Mapping[str, str]) -> dict[str, TeamFigures]:
    """Team key (NO_TEAM for agents without one) -> its figures, from the per-agent sums
    and the period's visits; ``team_of``: agent login -> team key."""
    out: dict[str, TeamFigures] = {}
    for login, sums in sorted(agents.items()):
        team = out.setdefault(team_of.get(login, NO_TEAM), TeamFigures())
        team.agents.append(login)
        add_agent_sums(team.work, sums)
    for visit in visits:
        if visit.outcome == "answered" and visit.agent:
            team = out.setdefault(team_of.get(visit.agent, NO_TEAM), TeamFigures())
            team.calls.add_visit(visit, rules)
    return out


def members(team_of: Mapping[str, str], team: str) -> set[str]:
    """The logins of a team's agents (NO_TEAM: those without a team)."""
    return {login for login, key in team_of.items() if key == team}
