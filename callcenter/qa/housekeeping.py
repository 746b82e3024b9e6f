"""Recordings kept and verified: ``verify`` (re-hash every file against its
sha256, find missing, changed and orphaned files; a recording the switch discarded
as empty never had a file and is listed apart), ``retention`` (delete what
retention.decide says may go, one audit row each) and legal hold (set / lift,
audited). Used by ``callcenter recordings ...`` and the admin pages."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.models import (AuditLog, QaDispute, QaEvaluation, Recording, Ticket,
                               TicketStatus)
from callcenter.qa.retention import DELETE, Decision, RecordingFacts, decide
from callcenter.qa.storage import RecordingPaths, sha256_of

log = logging.getLogger(__name__)
FINISHED_TICKETS = tuple(s for s in TicketStatus if s.value in ("closed", "cancelled"))


@dataclass(frozen=True)
class Actor:
    """Who does it, for the audit row: an admin in the console, or a job."""
    login: str
    agent_id: int | None = None
    remote_addr: str | None = None


@dataclass
class VerifyReport:
    checked: int = 0
    missing: list[tuple[int, str]] = field(default_factory=list)
    changed: list[tuple[int, str]] = field(default_factory=list)
    unhashed: list[tuple[int, str]] = field(default_factory=list)  # never measured
    empty: list[tuple[int, str]] = field(default_factory=list)  # no audio: the switch kept no file
    orphaned: list[str] = field(default_factory=list)  # files no recording row names

    @property
    def ok(self) -> bool:
        return not (self.missing or self.changed or self.orphaned)


def verify(db: Session, paths: RecordingPaths) -> VerifyReport:
    report = VerifyReport()
    known: set[Path] = set()
    for recording in db.scalars(select(Recording).order_by(Recording.id)):
        local = paths.local(recording.path)
        known.add(local.resolve())
        if recording.deleted_at is not None:
            continue
        if recording.empty:
            report.empty.append((recording.id, str(local)))
            continue
        report.checked += 1
        if not local.is_file():
            report.missing.append((recording.id, str(local)))
        elif recording.sha256 is None:
            report.unhashed.append((recording.id, str(local)))
        elif sha256_of(local) != recording.sha256:
            report.changed.append((recording.id, str(local)))
    report.orphaned = [str(p) for p in paths.files() if p.resolve() not in known]
    return report


def _audit(db: Session, actor: Actor, action: str, recording: Recording,
           details: dict[str, Any]) -> None:
    db.add(AuditLog(actor_agent_id=actor.agent_id, actor_login=actor.login, action=action,
                    object_type="recording", object_id=str(recording.id), details=details,
                    remote_addr=actor.remote_addr))


def facts(db: Session) -> list[tuple[Recording, RecordingFacts]]:
    """Every live recording with what retention needs to know about it."""
    disputed = set(db.scalars(
        select(QaEvaluation.call_id).join(QaDispute, QaDispute.evaluation_id == QaEvaluation.id)
        .where(QaDispute.answered_at.is_(None))))
    ticketed = set(db.scalars(select(Ticket.call_id).where(
        Ticket.call_id.is_not(None), Ticket.status.not_in(FINISHED_TICKETS))))
    rows = db.scalars(select(Recording).where(Recording.deleted_at.is_(None))
                      .order_by(Recording.id))
    return [(r, RecordingFacts(r.id, r.retain_until, r.legal_hold, r.call_id in disputed,
                               r.call_id in ticketed)) for r in rows]


def retention(db: Session, paths: RecordingPaths, today: date, now: datetime,
              actor: Actor = Actor("retention"), dry_run: bool = False) -> list[Decision]:
    """Delete every recording past retain_until that nothing holds; the caller commits."""
    decisions = []
    for recording, known in facts(db):
        decision = decide(known, today)
        decisions.append(decision)
        if decision.action != DELETE or dry_run:
            continue
        local = paths.local(recording.path)
        local.unlink(missing_ok=True)
        recording.deleted_at = now
        _audit(db, actor, "recording_deleted", recording,
               {"reason": decision.reason, "retain_until": recording.retain_until.isoformat(),
                "path": recording.path, "sha256": recording.sha256})
        log.info("recording %s deleted: past %s", recording.id, recording.retain_until)
    return decisions


class HoldError(ValueError):
    pass


def set_legal_hold(db: Session, recording_id: int, held: bool, reason: str, actor: Actor) -> Recording:
    recording = db.get(Recording, recording_id)
    if recording is None:
        raise HoldError(f"no recording {recording_id}")
    if recording.deleted_at is not None:
        raise HoldError(f"recording {recording_id} was deleted on {recording.deleted_at:%Y-%m-%d}")
    reason = reason.strip()
    if held and not reason:
        raise HoldError("a legal hold needs a reason (case or request number)")
    recording.legal_hold = held
    recording.legal_hold_reason = reason if held else None
    _audit(db, actor, "legal_hold_set" if held else "legal_hold_lifted", recording,
           {"reason": reason})
    return recording
