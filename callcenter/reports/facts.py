"""A call's events -> its queue visits (pure: plain records in, plain records out).

A visit is one stay of a call in one queue, from joining it ("offered") to an
agent answering, the caller abandoning or leaving for a callback. The rules
(which event starts and ends a visit) are in docs/indicators.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Iterable, Mapping

OUTBOUND = "outbound"
DEFAULT_QUEUE = "general"
NOT_A_QUEUE = ("callback", "voicemail")  # overflow destinations that keep the visit's queue


@dataclass(frozen=True)
class Event:
    """One row of call_events, reduced to plain data."""
    at: datetime
    kind: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CallRecord:
    """A call and its events in the order they were written (call_events.id)."""
    uuid: str
    direction: str = "inbound"
    events: tuple[Event, ...] = ()
    queued_at: datetime | None = None  # the row's, for a call the log gives no queue time
    queue_name: str | None = None
    ivr_flow: str | None = None
    survey_score: int | None = None


@dataclass(frozen=True)
class Visit:
    call: str
    queue: str
    offered_at: datetime
    direction: str = "inbound"
    outcome: str = "waiting"  # answered | abandoned | callback | waiting
    decided_at: datetime | None = None  # answered / abandoned / left for a callback
    agent: str | None = None
    handle_end: datetime | None = None  # end of the agent's part (ended, transferred)
    transferred_in: bool = False
    transferred_out: bool = False

    @property
    def wait_ms(self) -> int | None:
        if self.decided_at is None:
            return None
        return max(0, round((self.decided_at - self.offered_at).total_seconds() * 1000))

    @property
    def handle_ms(self) -> int | None:
        if self.outcome != "answered" or self.handle_end is None:
            return None
        return max(0, round((self.handle_end - self.decided_at).total_seconds() * 1000))


def visits_of(call: CallRecord) -> list[Visit]:
    events = list(call.events)
    if call.queued_at is not None and not any(_starts_visit(e) for e in events):
        place = next((i for i, e in enumerate(events) if e.at > call.queued_at), len(events))
        events.insert(place, Event(call.queued_at, "queued", {"queue": call.queue_name}))
    visits: list[Visit] = []
    open_: Visit | None = None

    def close(visit: Visit) -> None:
        visits.append(visit)

    for event in events:
        kind, data = event.kind, event.data or {}
        if _starts_visit(event) and open_ is None:
            queue = data.get("queue") or data.get("need") or call.queue_name or DEFAULT_QUEUE
            open_ = Visit(call.uuid, queue, event.at, call.direction)
        elif open_ is None:
            continue
        elif kind == "overflow" and open_.outcome == "waiting":
            to = data.get("to")
            if to and to not in NOT_A_QUEUE:
                open_ = replace(open_, queue=to)
        elif kind == "connected" and open_.outcome == "waiting":
            open_ = replace(open_, outcome="answered", decided_at=event.at, agent=data.get("agent"))
        elif kind == "abandoned" and open_.outcome == "waiting":
            close(replace(open_, outcome="abandoned", decided_at=event.at))
            open_ = None
        elif kind == "callback_requested" and open_.outcome == "waiting":
            close(replace(open_, outcome="callback", decided_at=event.at))
            open_ = None
        elif kind == "transferred" and open_.outcome == "answered":
            close(replace(open_, handle_end=event.at, transferred_out=True))
            open_ = Visit(call.uuid, data.get("need") or open_.queue, event.at, call.direction,
                          transferred_in=True)
        elif kind == "ended" and open_.outcome == "answered":
            close(replace(open_, handle_end=event.at))
            open_ = None
    if open_ is not None:
        close(open_)
    return visits


def _starts_visit(event: Event) -> bool:
    return event.kind == "queued" or (event.kind == "ivr_finished"
                                      and (event.data or {}).get("outcome") == "queue")


def visits_of_all(calls: Iterable[CallRecord]) -> list[Visit]:
    return [visit for call in calls for visit in visits_of(call)]
