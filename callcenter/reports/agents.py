"""Agents' state changes -> time per state, split at interval boundaries (pure)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable
from zoneinfo import ZoneInfo

from callcenter.reports.facts import Visit
from callcenter.reports.intervals import interval_start

BUSY = ("reserved", "ringing", "on_call", "on_hold", "wrap_up")


@dataclass(frozen=True)
class StateChange:
    agent: str
    at: datetime
    to_state: str
    reason: str | None = None


@dataclass(frozen=True)
class Span:
    agent: str
    state: str
    reason: str | None
    start: datetime
    end: datetime

    @property
    def ms(self) -> int:
        return round((self.end - self.start).total_seconds() * 1000)


def spans(changes: Iterable[StateChange], start: datetime, end: datetime,
          before: dict[str, StateChange] | None = None) -> list[Span]:
    """Each agent's spans clipped to [start, end). ``before``: each agent's last change
    before ``start`` (the state they were in when the period began)."""
    per_agent: dict[str, list[StateChange]] = defaultdict(list)
    for change in (before or {}).values():
        per_agent[change.agent].append(change)
    for change in sorted(changes, key=lambda c: c.at):
        per_agent[change.agent].append(change)
    out = []
    for agent, changes_ in per_agent.items():
        for current, following in zip(changes_, changes_[1:] + [None]):
            s = max(current.at, start)
            e = min(following.at if following else end, end)
            if e > s and current.to_state != "logged_out":
                out.append(Span(agent, current.to_state, current.reason, s, e))
    return out


def split(span: Span, minutes: int, zone: ZoneInfo) -> list[Span]:
    out, cursor = [], span.start
    while cursor < span.end:
        boundary = interval_start(cursor, minutes, zone) + timedelta(minutes=minutes)
        piece_end = min(boundary, span.end)
        out.append(Span(span.agent, span.state, span.reason, cursor, piece_end))
        cursor = piece_end
    return out


@dataclass
class AgentSums:
    logged_in_ms: int = 0
    ready_ms: int = 0
    busy_ms: int = 0
    talk_ms: int = 0
    hold_ms: int = 0
    wrap_up_ms: int = 0
    not_ready_ms: dict[str, int] = field(default_factory=dict)  # per reason
    handled: int = 0
    handle_ms: int = 0
    transfers: int = 0

    def add_span(self, span: Span) -> None:
        ms = span.ms
        self.logged_in_ms += ms
        if span.state == "ready":
            self.ready_ms += ms
        elif span.state == "not_ready":
            reason = span.reason or "unspecified"
            self.not_ready_ms[reason] = self.not_ready_ms.get(reason, 0) + ms
        if span.state in BUSY:
            self.busy_ms += ms
        self.talk_ms += ms if span.state == "on_call" else 0
        self.hold_ms += ms if span.state == "on_hold" else 0
        self.wrap_up_ms += ms if span.state == "wrap_up" else 0

    @property
    def occupancy(self) -> float | None:
        denominator = self.busy_ms + self.ready_ms
        return None if denominator == 0 else self.busy_ms / denominator

    @property
    def aht_seconds(self) -> float | None:
        return None if self.handled == 0 else self.handle_ms / 1000 / self.handled


def agent_sums(agent_spans: Iterable[Span], visits: Iterable[Visit]) -> dict[str, AgentSums]:
    """Per agent over the spans given; calls handled / transfers from the answered visits."""
    out: dict[str, AgentSums] = defaultdict(AgentSums)
    for span in agent_spans:
        out[span.agent].add_span(span)
    for visit in visits:
        if visit.outcome == "answered" and visit.agent:
            sums = out[visit.agent]
            if visit.handle_ms is not None:
                sums.handled += 1
                sums.handle_ms += visit.handle_ms
            sums.transfers += visit.transferred_out
    return dict(out)


def agent_interval_sums(agent_spans: Iterable[Span], minutes: int,
                        zone: ZoneInfo) -> dict[tuple[datetime, str], AgentSums]:
    out: dict[tuple[datetime, str], AgentSums] = defaultdict(AgentSums)
    for span in agent_spans:
        for piece in split(span, minutes, zone):
            out[(interval_start(piece.start, minutes, zone), piece.agent)].add_span(piece)
    return dict(out)
