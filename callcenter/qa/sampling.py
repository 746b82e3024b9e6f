"""Sampling rules: which calls the QA work list says are due for review.

Rules: every call with a survey score in ``survey_scores`` (e.g. 1-2), every call
whose disposition is in ``dispositions`` (e.g. complaint), every call a complaint
ticket was opened on (``complaint_tickets``), and ``per_agent_per_week``
calls per agent per ISO week at random. "Random" is a stable hash of the call and
a seed, so the list does not reshuffle each time the page is opened, and calls
already evaluated count towards the week's quota."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Iterable


@dataclass(frozen=True)
class SamplingRules:
    per_agent_per_week: int = 2
    survey_scores: tuple[int, ...] = (1, 2)
    dispositions: tuple[str, ...] = ("complaint",)
    complaint_tickets: bool = True
    seed: str = "qa"


@dataclass(frozen=True)
class CallFacts:
    call_id: int
    agent_id: int | None
    day: date
    survey_score: int | None = None
    disposition: str | None = None
    evaluated: bool = False
    complaint_ticket: bool = False  # a complaint ticket was opened on the call


@dataclass(frozen=True)
class Pick:
    call_id: int
    agent_id: int | None
    week: str  # ISO week, e.g. 2026-W48
    reason: str  # survey_score | disposition | complaint_ticket | random


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _draw(seed: str, call_id: int) -> str:
    return hashlib.sha256(f"{seed}:{call_id}".encode()).hexdigest()


def due(calls: Iterable[CallFacts], rules: SamplingRules) -> list[Pick]:
    """Calls to review (not yet evaluated), the mandatory ones first, then random."""
    calls = list(calls)
    picks: list[Pick] = []
    taken: set[int] = set()
    for call in calls:
        reason = _mandatory_reason(call, rules)
        if reason and not call.evaluated:
            picks.append(Pick(call.call_id, call.agent_id, iso_week(call.day), reason))
            taken.add(call.call_id)
    groups: dict[tuple[int, str], list[CallFacts]] = {}
    for call in calls:
        if call.agent_id is not None:
            groups.setdefault((call.agent_id, iso_week(call.day)), []).append(call)
    for (agent_id, week), group in sorted(groups.items()):
        already = sum(1 for c in group if c.evaluated or c.call_id in taken)
        wanted = rules.per_agent_per_week - already
        pool = sorted((c for c in group if not c.evaluated and c.call_id not in taken),
                      key=lambda c: _draw(rules.seed, c.call_id))
        picks.extend(Pick(c.call_id, agent_id, week, "random") for c in pool[:max(wanted, 0)])
    return picks


def _mandatory_reason(call: CallFacts, rules: SamplingRules) -> str | None:
    if call.survey_score is not None and call.survey_score in rules.survey_scores:
        return "survey_score"
    if call.disposition and call.disposition in rules.dispositions:
        return "disposition"
    if rules.complaint_tickets and call.complaint_ticket:
        return "complaint_ticket"
    return None
