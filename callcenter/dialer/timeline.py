"""The campaign's figures per quarter hour, from its attempts log (plain data in and out):
dials, answered, abandoned, the abandon rate against the limit, and agent occupancy
(time agents spent on the campaign's calls over the time of the agents who took one in
that quarter hour)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

QUARTER = timedelta(minutes=15)


@dataclass(frozen=True)
class Quarter:
    start: datetime
    dials: int
    answered: int
    abandoned: int
    abandon_rate: float
    over_limit: bool
    occupancy: float | None  # None: no agent took a call of the campaign in it

    def as_dict(self) -> dict:
        return {"start": self.start.isoformat(), "dials": self.dials, "answered": self.answered,
                "abandoned": self.abandoned, "abandon_rate": round(self.abandon_rate, 4),
                "over_limit": self.over_limit,
                "occupancy": None if self.occupancy is None else round(self.occupancy, 3)}


def floor_quarter(at: datetime) -> datetime:
    return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)


def quarters(attempts: Iterable[tuple[datetime, datetime | None, bool]],
             talks: Iterable[tuple[int, datetime, datetime]], start: datetime, end: datetime,
             abandon_limit: float) -> list[Quarter]:
    """Every quarter hour from the one holding ``start`` to the one holding ``end``.

    attempts: (claimed at, answered at or None, abandoned?) of the dials (not the
        contacts the last check before dialling refused);
    talks: (agent id, connected at, ended at) of the campaign's calls taken by agents;
        a talk spanning quarters is split between them.
    """
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    first = floor_quarter(start)
    count = int((floor_quarter(end) - first) / QUARTER) + 1
    dials, answered, abandoned = [0] * count, [0] * count, [0] * count
    busy = [0.0] * count
    agents: list[set[int]] = [set() for _ in range(count)]
    for claimed, answer, dropped in attempts:
        index = int((claimed - first) / QUARTER)
        if 0 <= index < count:
            dials[index] += 1
            answered[index] += answer is not None
            abandoned[index] += bool(dropped)
    for agent, talk_start, talk_end in talks:
        index = max(0, int((talk_start - first) / QUARTER))
        while index < count:
            low = first + index * QUARTER
            overlap = (min(talk_end, low + QUARTER) - max(talk_start, low)).total_seconds()
            if overlap <= 0 and talk_end <= low:
                break
            if overlap > 0:
                busy[index] += overlap
                agents[index].add(agent)
            index += 1
    out = []
    for index in range(count):
        rate = abandoned[index] / answered[index] if answered[index] else 0.0
        occupancy = (min(1.0, busy[index] / (len(agents[index]) * QUARTER.total_seconds()))
                     if agents[index] else None)
        out.append(Quarter(first + index * QUARTER, dials[index], answered[index], abandoned[index],
                           rate, rate > abandon_limit, occupancy))
    return out
