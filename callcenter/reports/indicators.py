"""Queue visits -> service figures (pure). Definitions: docs/indicators.md.

Figures are kept as additive sums (counts and milliseconds), so that intervals
add up to days and months exactly and can be stored; the rates are computed
from the sums when shown. Each visit is judged by its own queue's answer time
limit, so sums of different queues still add up.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Callable, Iterable, Mapping
from zoneinfo import ZoneInfo

from callcenter.reports.facts import Visit
from callcenter.reports.intervals import bucket_start

DEFAULT_LIMIT_SECONDS = 20.0
DEFAULT_SHORT_ABANDON_SECONDS = 5.0


@dataclass(frozen=True)
class Rules:
    limits: Mapping[str, float]  # queue -> answer time limit (应答时限), seconds
    short_abandon_seconds: float = DEFAULT_SHORT_ABANDON_SECONDS
    count_short_abandons: bool = False  # keep short abandons in service level's denominator

    def limit_ms(self, queue: str) -> int:
        return round(self.limits.get(queue, DEFAULT_LIMIT_SECONDS) * 1000)

    @property
    def short_ms(self) -> int:
        return round(self.short_abandon_seconds * 1000)


@dataclass
class Sums:
    offered: int = 0
    first_offered: int = 0  # not transferred in: the center's "calls offered"
    transferred_in: int = 0
    answered: int = 0
    answered_in_limit: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    abandoned_over_limit: int = 0
    callbacks: int = 0
    waiting: int = 0
    wait_answered_ms: int = 0
    longest_wait_ms: int = 0
    handled: int = 0
    handle_ms: int = 0

    def add_visit(self, visit: Visit, rules: Rules) -> None:
        self.offered += 1
        self.first_offered += not visit.transferred_in
        self.transferred_in += visit.transferred_in
        wait, limit = visit.wait_ms, rules.limit_ms(visit.queue)
        if visit.outcome == "waiting":
            self.waiting += 1
            return
        if visit.outcome == "callback":
            self.callbacks += 1
            return
        self.longest_wait_ms = max(self.longest_wait_ms, wait)
        if visit.outcome == "answered":
            self.answered += 1
            self.answered_in_limit += wait <= limit
            self.wait_answered_ms += wait
            if visit.handle_ms is not None:
                self.handled += 1
                self.handle_ms += visit.handle_ms
        elif visit.outcome == "abandoned":
            self.abandoned += 1
            self.short_abandoned += wait < rules.short_ms
            self.abandoned_over_limit += wait > limit

    def __iadd__(self, other: Sums) -> Sums:
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            setattr(self, f.name, max(mine, theirs) if f.name == "longest_wait_ms" else mine + theirs)
        return self

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


SUM_FIELDS = tuple(f.name for f in fields(Sums))


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator <= 0 else numerator / denominator


@dataclass(frozen=True)
class Figures:
    """The rates of one set of sums; None: nothing to measure."""
    sums: Sums
    count_short_abandons: bool = False

    @property
    def no_answer_in_time(self) -> int:  # 久叫不应
        s = self.sums
        return (s.answered - s.answered_in_limit) + s.abandoned_over_limit

    @property
    def service_level(self) -> float | None:
        s = self.sums
        short = 0 if self.count_short_abandons else s.short_abandoned
        return _ratio(s.answered_in_limit, s.answered + s.abandoned - short)

    @property
    def over_limit_answer_rate(self) -> float | None:  # 应答逾限率
        s = self.sums
        return _ratio(s.answered - s.answered_in_limit, s.answered)

    @property
    def connection_rate(self) -> float | None:  # 接通率
        s = self.sums
        return _ratio(s.answered, s.answered + s.abandoned)

    @property
    def abandon_rate(self) -> float | None:
        s = self.sums
        return _ratio(s.abandoned, s.answered + s.abandoned)

    @property
    def abandon_rate_without_short(self) -> float | None:
        s = self.sums
        return _ratio(s.abandoned - s.short_abandoned, s.answered + s.abandoned - s.short_abandoned)

    @property
    def asa_seconds(self) -> float | None:
        s = self.sums
        return _ratio(s.wait_answered_ms / 1000, s.answered)

    @property
    def aht_seconds(self) -> float | None:
        s = self.sums
        return _ratio(s.handle_ms / 1000, s.handled)

    def as_dict(self) -> dict[str, object]:
        return {**self.sums.as_dict(), "no_answer_in_time": self.no_answer_in_time,
                "service_level": self.service_level,
                "over_limit_answer_rate": self.over_limit_answer_rate,
                "connection_rate": self.connection_rate, "abandon_rate": self.abandon_rate,
                "abandon_rate_without_short": self.abandon_rate_without_short,
                "asa_seconds": self.asa_seconds, "aht_seconds": self.aht_seconds}


IntervalKey = tuple[datetime, str, str]  # (interval start UTC, queue, direction)


def interval_sums(visits: Iterable[Visit], rules: Rules, minutes: int,
                  zone: ZoneInfo) -> dict[IntervalKey, Sums]:
    """Sums per (interval, queue, direction); a visit counts in the interval it was offered in
    (``minutes``: 15, 30, 60, or intervals.DAY for the center's days)."""
    out: dict[IntervalKey, Sums] = {}
    for visit in visits:
        key = (bucket_start(visit.offered_at, minutes, zone), visit.queue, visit.direction)
        out.setdefault(key, Sums()).add_visit(visit, rules)
    return out


def total(sums: Iterable[Sums]) -> Sums:
    out = Sums()
    for s in sums:
        out += s
    return out


def rollup(by_key: Mapping[IntervalKey, Sums],
           key: Callable[[IntervalKey], object]) -> dict[object, Sums]:
    """Sums regrouped, e.g. per queue (key=lambda k: k[1]) or per day."""
    out: dict[object, Sums] = {}
    for k, s in by_key.items():
        out.setdefault(key(k), Sums()).__iadd__(s)
    return out


# --- drill-down: the visits behind a figure ------------------------------------------

def _wait_over(visit: Visit, rules: Rules) -> bool:
    return visit.wait_ms is not None and visit.wait_ms > rules.limit_ms(visit.queue)


DRILL: dict[str, Callable[[Visit, Rules], bool]] = {
    "offered": lambda v, r: True,
    "answered": lambda v, r: v.outcome == "answered",
    "answered_in_limit": lambda v, r: v.outcome == "answered" and not _wait_over(v, r),
    "abandoned": lambda v, r: v.outcome == "abandoned",
    "short_abandoned": lambda v, r: v.outcome == "abandoned" and v.wait_ms < r.short_ms,
    "no_answer_in_time": lambda v, r: v.outcome in ("answered", "abandoned") and _wait_over(v, r),
    "callbacks": lambda v, r: v.outcome == "callback",
    "transferred_in": lambda v, r: v.transferred_in,
}


def drill_down(visits: Iterable[Visit], rules: Rules, figure: str) -> list[Visit]:
    try:
        keep = DRILL[figure]
    except KeyError:
        raise ValueError(f"no drill-down for '{figure}': one of {', '.join(DRILL)}") from None
    return sorted((v for v in visits if keep(v, rules)), key=lambda v: (v.offered_at, v.call))


@dataclass(frozen=True)
class Satisfaction:  # 答复满意率, from post-call surveys (scores 1-5)
    answers: int
    satisfied: int  # 4 or 5

    @property
    def rate(self) -> float | None:
        return _ratio(self.satisfied, self.answers)


def satisfaction(scores: Iterable[int | None]) -> Satisfaction:
    given = [s for s in scores if s is not None]
    return Satisfaction(len(given), sum(s >= 4 for s in given))
