"""Scoring arithmetic: answers to a scorecard -> item points and a total out of 100.

An item earns ``weight x fraction`` (yes 1, no 0, scale v/scale); "na" takes the
item out of both the points earned and the points possible; a critical item
answered "no" makes the total 0 whatever else was earned. Exact fractions,
rounded half up once at the end, so two inspectors' equal answers give equal totals.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping

from callcenter.qa.scorecard import Item, Scorecard

NA = "na"


class AnswerError(ValueError):
    """An answer that does not fit the form; ``item`` names the item."""

    def __init__(self, item: str, message: str):
        super().__init__(f"{item}: {message}")
        self.item = item
        self.message = message


@dataclass(frozen=True)
class ItemScore:
    item: str
    answer: str  # yes | no | na | the scale value as text
    fraction: Fraction | None  # None when not applicable
    earned: Fraction
    possible: int


@dataclass(frozen=True)
class Result:
    total: int  # 0..100
    items: tuple[ItemScore, ...]
    critical_failed: tuple[str, ...]

    @property
    def earned(self) -> Fraction:
        return sum((i.earned for i in self.items), Fraction(0))

    @property
    def possible(self) -> int:
        return sum(i.possible for i in self.items)


def normalize_answer(item: Item, raw: Any) -> str:
    """The answer as stored: 'yes', 'no', 'na' or a scale value; AnswerError otherwise."""
    text = str(raw).strip().lower() if raw is not None else ""
    if text == "":
        raise AnswerError(item.id, "not answered")
    if text == NA:
        if not item.not_applicable:
            raise AnswerError(item.id, "cannot be marked not applicable")
        return NA
    if item.kind == "yes_no":
        if text not in ("yes", "no"):
            raise AnswerError(item.id, f"answer yes or no (got {raw!r})")
        return text
    if not text.isdigit() or not 0 <= int(text) <= item.scale:
        raise AnswerError(item.id, f"answer a whole number from 0 to {item.scale} (got {raw!r})")
    return str(int(text))


def fraction_of(item: Item, answer: str) -> Fraction | None:
    if answer == NA:
        return None
    if item.kind == "yes_no":
        return Fraction(1 if answer == "yes" else 0)
    return Fraction(int(answer), item.scale)


def score(card: Scorecard, answers: Mapping[str, Any]) -> Result:
    unknown = sorted(set(answers) - {item.id for item in card.items})
    if unknown:
        raise AnswerError(unknown[0], "no such item on this form")
    items, failed = [], []
    for item in card.items:
        answer = normalize_answer(item, answers.get(item.id))
        fraction = fraction_of(item, answer)
        if fraction is None:
            items.append(ItemScore(item.id, answer, None, Fraction(0), 0))
            continue
        items.append(ItemScore(item.id, answer, fraction, item.weight * fraction, item.weight))
        if item.critical and fraction == 0:
            failed.append(item.id)
    result = Result(0, tuple(items), tuple(failed))
    return Result(_total(result) if not failed else 0, result.items, result.critical_failed)


def _total(result: Result) -> int:
    if result.possible == 0:
        return 100  # everything not applicable: nothing was done wrong
    percent = result.earned * 100 / result.possible
    return int(percent + Fraction(1, 2))  # half up; percent is never negative
