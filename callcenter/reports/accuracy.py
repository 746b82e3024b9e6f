"""查询准确率 (inquiry accuracy), pure: of the QA evaluations of the period's calls
that scored the accuracy item (the scorecard's `correct_answer`, "gave correct,
complete information"), the share with full marks on it. Calibration scores are
an inspector's practice and are left out; an item answered n/a (weight 0) too."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

ACCURACY_ITEM = "correct_answer"


@dataclass(frozen=True)
class ItemScore:
    status: str  # the evaluation's status
    earned_milli: int
    possible: int
    evaluation: int | None = None  # the evaluation's id (drill-down)
    call: str | None = None  # the call's uuid (drill-down)


@dataclass
class Accuracy:
    scored: int = 0
    accurate: int = 0

    @property
    def rate(self) -> float | None:
        return self.accurate / self.scored if self.scored else None


ACCURATE, NOT_ACCURATE = "accurate", "not_accurate"


def judge(score: ItemScore) -> str | None:
    """accurate | not_accurate; None: left out (calibration, or the item n/a)."""
    if score.status == "calibration" or score.possible <= 0:
        return None
    return ACCURATE if score.earned_milli >= score.possible * 1000 else NOT_ACCURATE


def accuracy(scores: Iterable[ItemScore]) -> Accuracy:
    out = Accuracy()
    for verdict in map(judge, scores):
        if verdict is not None:
            out.scored += 1
            out.accurate += verdict == ACCURATE
    return out
