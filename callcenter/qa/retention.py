"""Retention: which recordings may be deleted today, and why the others stay.

A recording goes once ``retain_until`` has passed, unless it is on legal hold
or still referenced by an open QA dispute or an open ticket. Pure: the caller
gathers the facts and carries out (and audits) the decisions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable

DELETE = "delete"
KEEP = "keep"


@dataclass(frozen=True)
class RecordingFacts:
    recording_id: int
    retain_until: date
    legal_hold: bool = False
    open_dispute: bool = False
    open_ticket: bool = False
    already_deleted: bool = False


@dataclass(frozen=True)
class Decision:
    recording_id: int
    action: str  # delete | keep
    reason: str  # expired | not_due | legal_hold | open_dispute | open_ticket | already_deleted


def decide(recording: RecordingFacts, today: date) -> Decision:
    keep = lambda reason: Decision(recording.recording_id, KEEP, reason)  # noqa: E731
    if recording.already_deleted:
        return keep("already_deleted")
    if recording.retain_until >= today:
        return keep("not_due")
    if recording.legal_hold:
        return keep("legal_hold")
    if recording.open_dispute:
        return keep("open_dispute")
    if recording.open_ticket:
        return keep("open_ticket")
    return Decision(recording.recording_id, DELETE, "expired")


def decide_all(recordings: Iterable[RecordingFacts], today: date) -> list[Decision]:
    return [decide(r, today) for r in recordings]
