"""Who is told when a ticket's answer-back deadline nears or passes. Pure.

The deadline sweep flags a ticket once with ``deadline_warning`` (within
``warn_before``) and once with ``escalated`` (the deadline passed). Each flag is
also pushed as a message to people, by this table:

| flag             | owner | group | supervisors |
| ---------------- | ----- | ----- | ----------- |
| deadline_warning | yes   | yes   | no          |
| escalated        | yes   | yes   | yes         |

- owner: the agent who owns the ticket (首问负责); a ticket handed over to a team
  of agents (班组) and not yet taken: every active agent of that team;
- group: the back-office worker who accepted the ticket, else every member of the
  back-office group it is dispatched to;
- supervisors: every active supervisor (an escalation goes up).

Each person gets one message per flag, with the first reason that names them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

WARNING, ESCALATED = "deadline_warning", "escalated"
OWNER, GROUP, SUPERVISOR = "owner", "group", "supervisor"

AUDIENCE: dict[str, tuple[str, ...]] = {
    WARNING: (OWNER, GROUP),
    ESCALATED: (OWNER, GROUP, SUPERVISOR),
}


@dataclass(frozen=True)
class People:
    """The people around one ticket, as agent ids."""
    owner: int | None = None
    owner_group: tuple[int, ...] = ()  # the agents of the team it was handed to, not yet taken
    worker: int | None = None
    group_members: tuple[int, ...] = ()  # the back-office group's members
    supervisors: tuple[int, ...] = ()


def audience(flag: str, people: People) -> list[tuple[int, str]]:
    """(agent id, why) for every person told about ``flag``; KeyError for an unknown flag."""
    told: dict[int, str] = {}
    for reason in AUDIENCE[flag]:
        for agent_id in _of(reason, people):
            told.setdefault(agent_id, reason)
    return list(told.items())


def _of(reason: str, people: People) -> Iterable[int]:
    if reason == OWNER:
        return [people.owner] if people.owner is not None else people.owner_group
    if reason == GROUP:
        return [people.worker] if people.worker is not None else people.group_members
    return people.supervisors
