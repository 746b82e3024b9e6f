"""Calibration: several inspectors score the same call; how far apart are they?

Per item, the spread is the highest minus the lowest score in percent of the
item (yes = 100, no = 0, scale v/scale); items marked not applicable by some
inspectors are compared over those who scored them, and the disagreement about
applicability itself is counted."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping, Sequence

from callcenter.qa.scorecard import Scorecard
from callcenter.qa.scoring import fraction_of, normalize_answer


@dataclass(frozen=True)
class ItemSpread:
    item: str
    scored: int  # inspectors who scored it
    not_applicable: int  # inspectors who marked it n/a
    low: int | None  # percent
    high: int | None
    mean: int | None

    @property
    def spread(self) -> int | None:
        return None if self.low is None else self.high - self.low


@dataclass(frozen=True)
class Calibration:
    items: tuple[ItemSpread, ...]
    totals: tuple[int, ...]

    @property
    def total_spread(self) -> int:
        return max(self.totals) - min(self.totals) if self.totals else 0

    @property
    def widest(self) -> ItemSpread | None:
        scored = [i for i in self.items if i.spread is not None]
        return max(scored, key=lambda i: i.spread) if scored else None


def _percent(value: Fraction) -> int:
    return int(value * 100 + Fraction(1, 2))


def spread(card: Scorecard, answer_sets: Sequence[Mapping[str, str]],
           totals: Sequence[int]) -> Calibration:
    rows = []
    for item in card.items:
        fractions = []
        not_applicable = 0
        for answers in answer_sets:
            if item.id not in answers:
                continue
            value = fraction_of(item, normalize_answer(item, answers[item.id]))
            if value is None:
                not_applicable += 1
            else:
                fractions.append(value)
        if fractions:
            mean = sum(fractions, Fraction(0)) / len(fractions)
            rows.append(ItemSpread(item.id, len(fractions), not_applicable,
                                   _percent(min(fractions)), _percent(max(fractions)),
                                   _percent(mean)))
        else:
            rows.append(ItemSpread(item.id, 0, not_applicable, None, None, None))
    return Calibration(tuple(rows), tuple(totals))
