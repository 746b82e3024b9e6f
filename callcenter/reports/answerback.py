"""回告时限 (answer-back within the deadline), pure: of the tickets whose answer-back
deadline fell in the period, how many customers were told the result (informed_at)
by the deadline. A ticket still not told after its deadline counts as late."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable


@dataclass(frozen=True)
class TicketDeadline:
    number: str
    deadline: datetime
    informed_at: datetime | None
    not_reached: bool = False  # closed after the attempts to reach the customer ran out


@dataclass
class AnswerBack:
    due: int = 0  # deadline in the period and passed (or met) by now
    in_time: int = 0
    late: int = 0  # told after the deadline
    not_told: int = 0  # deadline passed, not told (not_reached included)

    @property
    def rate(self) -> float | None:
        return self.in_time / self.due if self.due else None


IN_TIME, LATE, NOT_TOLD = "in_time", "late", "not_told"


def classify(ticket: TicketDeadline, start: datetime, end: datetime, now: datetime) -> str | None:
    """in_time | late | not_told; None: not counted (deadline outside the period, or
    still ahead and not told yet)."""
    if not start <= ticket.deadline < end:
        return None
    told = ticket.informed_at is not None and not ticket.not_reached
    if told:
        return IN_TIME if ticket.informed_at <= ticket.deadline else LATE
    return NOT_TOLD if ticket.deadline <= now else None


def answer_back(tickets: Iterable[TicketDeadline], start: datetime, end: datetime,
                now: datetime) -> AnswerBack:
    out = AnswerBack()
    for ticket in tickets:
        status = classify(ticket, start, end, now)
        if status is not None:
            out.due += 1
            setattr(out, status, getattr(out, status) + 1)
    return out
