"""Service indicators as pure functions over plain data (no database, no clock).

Definitions (domain.md, 服务指标):
- service level: calls answered within the threshold / calls offered to the
  queue (answered + abandoned), abandons within a short grace period excluded;
- abandon rate: callers who hung up while waiting / calls offered;
- ASA: mean seconds from queueing to the agent answering, answered calls only;
- AHT: mean seconds from the agent answering to the end of the call.
An indicator with no calls to measure is None ("no data"), never 0 or 100 %.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

DEFAULT_THRESHOLD_SECONDS = 20.0
DEFAULT_SHORT_ABANDON_SECONDS = 5.0


@dataclass(frozen=True)
class QueuedCall:
    """One call that waited in a queue, reduced to what the indicators need."""
    queued_at: datetime
    answered_at: datetime | None = None  # agent answered
    ended_at: datetime | None = None
    abandoned: bool = False

    @property
    def wait_seconds(self) -> float | None:
        end = self.answered_at or (self.ended_at if self.abandoned else None)
        return None if end is None else max(0.0, (end - self.queued_at).total_seconds())


def service_level(calls: Iterable[QueuedCall], threshold: float = DEFAULT_THRESHOLD_SECONDS,
                  short_abandon: float = DEFAULT_SHORT_ABANDON_SECONDS) -> float | None:
    answered_in_time = counted = 0
    for call in calls:
        wait = call.wait_seconds
        if wait is None:
            continue  # still waiting or ringing: not decided yet
        if call.abandoned:
            if wait < short_abandon:
                continue
            counted += 1
        else:
            counted += 1
            answered_in_time += wait <= threshold
    return None if counted == 0 else answered_in_time / counted


def abandon_rate(calls: Iterable[QueuedCall]) -> float | None:
    decided = [c for c in calls if c.wait_seconds is not None]
    if not decided:
        return None
    return sum(c.abandoned for c in decided) / len(decided)


def average_speed_of_answer(calls: Iterable[QueuedCall]) -> float | None:
    waits = [c.wait_seconds for c in calls if not c.abandoned and c.answered_at is not None]
    return None if not waits else sum(waits) / len(waits)


def average_handle_time(calls: Iterable[QueuedCall]) -> float | None:
    durations = [(c.ended_at - c.answered_at).total_seconds() for c in calls
                 if c.answered_at is not None and c.ended_at is not None and not c.abandoned]
    return None if not durations else sum(durations) / len(durations)


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}s"
