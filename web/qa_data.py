"""Plain-data reads and writes for the QA desk: who may see which calls, call
search, a call's timeline, evaluations and disputes, figures.

Functions take an open session and return plain dicts/objects; views own the
transaction. Scoring arithmetic is callcenter.qa.scoring (pure)."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from callcenter.models import (Agent, Call, CallDirection, CallEvent, Campaign, CampaignContact,
                               QaDispute, QaEvaluation, QaEvaluationItem, QaEvaluationStatus, QaMomentComment,
                               QaScorecardVersion, Recording, Role, Team, Ticket, TicketCategory)
from callcenter.qa.scorecard import Scorecard, load_directory, scorecard_from_definition
from callcenter.qa.scoring import AnswerError, score
from callcenter.tickets import teams as ticket_teams
from web.data import FormError

PAGE_SIZE = 25
SEARCH_FIELDS = ("from", "to", "agent", "team", "queue", "number", "direction", "campaign",
                 "disposition", "ticket", "min_seconds", "max_seconds", "survey_max", "evaluated")
TIMELINE_KINDS = {
    "ivr_finished": "IVR end", "queued": "Queue", "routed": "Routed", "offered": "Offered",
    "connected": "Answered", "answered": "Answered", "hold": "Hold", "unhold": "Resume",
    "held": "Hold", "unheld": "Resume", "transferred": "Transfer", "consult_started": "Consult",
    "consult_completed": "Consult done", "recording_paused": "Pause",
    "recording_resumed": "Resume recording", "ended": "End", "ivr_end": "IVR end",
    "engine_restarted": "Engine restart",  # the engine saw nothing of the call before this
}
AGENT_VISIBLE = (QaEvaluationStatus.SUBMITTED, QaEvaluationStatus.ACKNOWLEDGED,
                 QaEvaluationStatus.DISPUTED, QaEvaluationStatus.ANSWERED)


# --- who sees whom -------------------------------------------------------------

def agent_scope(db: Session, config, user) -> set[int] | None:
    """The agents whose calls ``user`` may search and hear; None means all. A supervisor
    sees the active agents of the teams they lead; while no team has a lead, every agent."""
    if user.role in (Role.QA, Role.ADMIN):
        return None
    if user.role == Role.SUPERVISOR:
        if db.scalar(select(Team.id).where(Team.lead_id.is_not(None)).limit(1)) is None:
            return None
        return set(db.scalars(select(Agent.id).join(Team, Team.id == Agent.team_id)
                              .where(Team.lead_id == user.id, Agent.active.is_(True))))
    return {user.id}


def team_members(db: Session, team: str) -> set[int]:
    return set(ticket_teams.member_ids(db, team))


def may_see_call(scope: set[int] | None, call: Call) -> bool:
    return scope is None or call.agent_id in scope


# --- search --------------------------------------------------------------------

@dataclass(frozen=True)
class SearchPage:
    rows: list[dict[str, Any]]
    page: int
    pages: int
    total: int


def _day(text: str, field: str, zone: ZoneInfo) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise FormError(field, "a date as YYYY-MM-DD") from None
    return datetime.combine(day, time(0), zone).astimezone(timezone.utc)


def _int(text: str, field: str, low: int = 0, high: int = 10**7) -> int:
    if not text.strip().isdigit() or not low <= int(text) <= high:
        raise FormError(field, f"a whole number from {low} to {high}")
    return int(text)


def search_calls(db: Session, config, scope: set[int] | None, query: Mapping[str, str],
                 page: int = 1) -> SearchPage:
    """Calls with a recording, newest first; FormError names a bad field."""
    zone = ZoneInfo(config.general.timezone)
    q = {k: (query.get(k) or "").strip() for k in SEARCH_FIELDS}
    evaluated = exists().where(QaEvaluation.call_id == Call.id,
                               QaEvaluation.status != QaEvaluationStatus.CALIBRATION)
    # one row per call: its first recording (a whole-call one, when the IVR started one)
    first = (select(Recording.call_id, func.min(Recording.id).label("recording_id"))
             .where(Recording.deleted_at.is_(None)).group_by(Recording.call_id).subquery())
    stmt = (select(Call, Recording, Agent.display_name, evaluated.label("evaluated"))
            .join(first, first.c.call_id == Call.id)
            .join(Recording, Recording.id == first.c.recording_id)
            .outerjoin(Agent, Agent.id == Call.agent_id))
    if scope is not None:
        stmt = stmt.where(Call.agent_id.in_(scope))
    if q["from"]:
        stmt = stmt.where(Call.created_at >= _day(q["from"], "from", zone))
    if q["to"]:
        stmt = stmt.where(Call.created_at < _day(q["to"], "to", zone) + timedelta(days=1))
    if q["agent"]:
        stmt = stmt.where(or_(Agent.login == q["agent"], Agent.sip_extension == q["agent"]))
    if q["team"]:
        if ticket_teams.find(db, q["team"]) is None:
            raise FormError("team", f"no team {q['team']!r} (teams: Admin → Agents)")
        stmt = stmt.where(Call.agent_id.in_(team_members(db, q["team"])))
    if q["queue"]:
        stmt = stmt.where(Call.queue_name == q["queue"])
    if q["number"]:
        digits = "".join(ch for ch in q["number"] if ch.isdigit())
        if not digits:
            raise FormError("number", "digits of the customer's number")
        stmt = stmt.where(or_(Call.caller_number.contains(digits),
                              Call.dialled_number.contains(digits)))
    if q["direction"]:
        if q["direction"] not in {d.value for d in CallDirection}:
            raise FormError("direction", "inbound or outbound")
        stmt = stmt.where(Call.direction == CallDirection(q["direction"]))
    if q["campaign"]:
        stmt = stmt.where(Call.campaign_contact_id.in_(_campaign_contacts(db, q["campaign"])))
    if q["disposition"]:
        stmt = stmt.where(Call.disposition == q["disposition"])
    if q["ticket"]:
        stmt = stmt.where(Call.id.in_(select(Ticket.call_id).where(Ticket.number == q["ticket"])))
    if q["min_seconds"]:
        stmt = stmt.where(Recording.duration_ms >= _int(q["min_seconds"], "min_seconds") * 1000)
    if q["max_seconds"]:
        stmt = stmt.where(Recording.duration_ms <= _int(q["max_seconds"], "max_seconds") * 1000)
    if q["survey_max"]:
        stmt = stmt.where(Call.survey_score <= _int(q["survey_max"], "survey_max", 1, 5))
    if q["evaluated"] in ("yes", "no"):
        stmt = stmt.where(evaluated if q["evaluated"] == "yes" else ~evaluated)
    elif q["evaluated"]:
        raise FormError("evaluated", "yes, no or empty")
    total = db.scalar(select(func.count()).select_from(stmt.subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = db.execute(stmt.order_by(Call.created_at.desc(), Call.id.desc())
                      .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    return SearchPage([_row(call, rec, name, done, zone) for call, rec, name, done in rows],
                      page, pages, total)


def _campaign_contacts(db: Session, name: str):
    """The contacts of the campaign named ``name`` (FormError when there is none)."""
    campaign_id = db.scalar(select(Campaign.id).where(Campaign.name == name))
    if campaign_id is None:
        raise FormError("campaign", f"no campaign named {name!r}")
    return select(CampaignContact.id).where(CampaignContact.campaign_id == campaign_id)


def _row(call: Call, recording: Recording, agent_name: str | None, evaluated: bool,
         zone: ZoneInfo) -> dict[str, Any]:
    return {"call_id": call.id, "uuid": call.uuid,
            "at": call.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "direction": call.direction.value,
            "number": call.caller_number if call.direction == CallDirection.INBOUND
            else call.dialled_number,
            "agent": agent_name or "", "queue": call.queue_name or "",
            "disposition": call.disposition or "", "survey_score": call.survey_score,
            "seconds": (recording.duration_ms or 0) // 1000, "recording_id": recording.id,
            "empty": recording.empty,
            "evaluated": bool(evaluated)}


# --- one call ----------------------------------------------------------------------

def live_recording(db: Session, call_id: int) -> Recording | None:
    return next(iter(call_recordings(db, call_id)), None)


def call_recordings(db: Session, call_id: int) -> list[Recording]:
    """Every recording of the call still kept: the call's own first, then e.g. a
    consultation's (kind 'consult')."""
    return list(db.scalars(select(Recording).where(Recording.call_id == call_id,
                                                   Recording.deleted_at.is_(None))
                           .order_by(Recording.id)))


def timeline(db: Session, call: Call, recording: Recording | None) -> dict[str, Any]:
    """The call's events in ms from the recording's start (negative: before it began),
    and the masked (paused) spans."""
    origin = recording.started_at if recording else call.created_at
    events = db.scalars(select(CallEvent).where(CallEvent.call_id == call.id,
                                                CallEvent.kind.in_(TIMELINE_KINDS))
                        .order_by(CallEvent.at, CallEvent.id))
    marks = [{"kind": e.kind, "label": TIMELINE_KINDS[e.kind],
              "at_ms": int((e.at - origin).total_seconds() * 1000)} for e in events]
    stored = (recording.masked_spans if recording else None)
    spans = stored if stored is not None else _paused_spans(marks)
    masked = [{"start_ms": int(start), "end_ms": int(end)} for start, end in spans]
    return {"duration_ms": recording.duration_ms if recording else None, "events": marks,
            "masked": masked}


def _paused_spans(marks: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Masked spans from the recording_paused / recording_resumed events."""
    spans, started = [], None
    for mark in marks:
        if mark["kind"] == "recording_paused" and started is None:
            started = mark["at_ms"]
        elif mark["kind"] == "recording_resumed" and started is not None:
            spans.append((started, mark["at_ms"]))
            started = None
    return spans


# --- scorecards --------------------------------------------------------------------

def scorecards(config) -> tuple[list[Scorecard], list[str]]:
    cards, problems = load_directory(config.qa.scorecards_directory)
    return sorted(cards, key=lambda c: (c.name, -c.version)), [str(p) for p in problems]


def version_row(db: Session, card: Scorecard) -> QaScorecardVersion:
    """The stored copy of this form version; a file changed under an existing version is refused."""
    row = db.scalar(select(QaScorecardVersion).where(QaScorecardVersion.name == card.name,
                                                     QaScorecardVersion.version == card.version))
    if row is None:
        row = QaScorecardVersion(name=card.name, version=card.version, title=card.title,
                                 fingerprint=card.fingerprint(), definition=card.definition())
        db.add(row)
        db.flush()
    elif row.fingerprint != card.fingerprint():
        raise FormError("form", f"{card.name} version {card.version} was changed after "
                                "evaluations used it: save the new form as a new version")
    return row


def card_of(evaluation: QaEvaluation) -> Scorecard | None:
    version = evaluation.scorecard_version
    return scorecard_from_definition(version.definition) if version else None


def evaluate(db: Session, *, call: Call, recording: Recording | None, card: Scorecard,
             form: Mapping[str, Any], evaluator_id: int, calibration: bool) -> QaEvaluation:
    answers = {item.id: form.get(f"item_{item.id}") for item in card.items}
    try:
        result = score(card, answers)
    except AnswerError as exc:
        raise FormError(f"item_{exc.item}", exc.message) from None
    moments = _moments(form, recording)
    evaluation = QaEvaluation(
        call_id=call.id, recording_id=recording.id if recording else None, form=card.name,
        scores={i.item: i.answer for i in result.items}, total=result.total,
        evaluator_id=evaluator_id, comments=str(form.get("comments", "")).strip(),
        scorecard_version_id=version_row(db, card).id, agent_id=call.agent_id,
        status=QaEvaluationStatus.CALIBRATION if calibration else QaEvaluationStatus.SUBMITTED,
        critical_failed=bool(result.critical_failed))
    evaluation.items = [QaEvaluationItem(item=i.item, answer=i.answer, possible=i.possible,
                                         earned_milli=int(i.earned * 1000)) for i in result.items]
    evaluation.moments = [QaMomentComment(at_ms=at, text=text) for at, text in moments]
    db.add(evaluation)
    db.flush()
    return evaluation


def _moments(form: Mapping[str, Any], recording: Recording | None) -> list[tuple[int, str]]:
    getlist = getattr(form, "getlist", lambda key: [])
    times, texts = getlist("moment_at_ms"), getlist("moment_text")
    limit = (recording.duration_ms or 0) if recording else 0
    moments = []
    for at, text in zip(times, texts):
        if not text.strip():
            continue
        if not at.isdigit() or (limit and int(at) > limit):
            raise FormError("moment_at_ms", "a moment within the recording")
        moments.append((int(at), text.strip()))
    return moments


def evaluation_dict(evaluation: QaEvaluation, names: Mapping[int, str]) -> dict[str, Any]:
    card = card_of(evaluation)
    items = {i.item: i for i in evaluation.items}
    sections = []
    for section in (card.sections if card else ()):
        sections.append({"title": section.title, "items": [
            {"id": it.id, "text": it.text, "critical": it.critical, "weight": it.weight,
             "kind": it.kind, "scale": it.scale,
             "answer": items[it.id].answer if it.id in items else "",
             "earned": items[it.id].earned_milli / 1000 if it.id in items else 0,
             "possible": items[it.id].possible if it.id in items else 0}
            for it in section.items]})
    return {"id": evaluation.id, "call_id": evaluation.call_id, "total": evaluation.total,
            "status": evaluation.status.value, "critical_failed": evaluation.critical_failed,
            "form": f"{evaluation.form} v{card.version if card else '?'}",
            "form_title": card.title if card else evaluation.form,
            "evaluator": names.get(evaluation.evaluator_id, "?"),
            "agent": names.get(evaluation.agent_id, "") if evaluation.agent_id else "",
            "agent_id": evaluation.agent_id, "comments": evaluation.comments,
            "created_at": evaluation.created_at, "sections": sections,
            "moments": [{"at_ms": m.at_ms, "text": m.text} for m in evaluation.moments],
            "disputes": [{"id": d.id, "reason": d.reason, "opened_at": d.opened_at,
                          "answer": d.answer, "answered_at": d.answered_at,
                          "answered_by": names.get(d.answered_by_id, "")}
                         for d in evaluation.disputes]}


def names(db: Session) -> dict[int, str]:
    return dict(db.execute(select(Agent.id, Agent.display_name)).all())


# --- the agent's side: acknowledge, dispute; QA answers ---------------------------

class NotAllowed(Exception):
    pass


def acknowledge(evaluation: QaEvaluation, agent_id: int, now: datetime) -> None:
    _own(evaluation, agent_id)
    if evaluation.status not in (QaEvaluationStatus.SUBMITTED, QaEvaluationStatus.ANSWERED):
        raise FormError("status", f"this evaluation is {evaluation.status.value}")
    evaluation.status = QaEvaluationStatus.ACKNOWLEDGED
    evaluation.acknowledged_at = now


def dispute(db: Session, evaluation: QaEvaluation, agent_id: int, reason: str) -> QaDispute:
    _own(evaluation, agent_id)
    if evaluation.status != QaEvaluationStatus.SUBMITTED:
        raise FormError("status", f"this evaluation is {evaluation.status.value}: "
                                  "only a new evaluation can be disputed")
    if not reason.strip():
        raise FormError("reason", "say what you dispute")
    evaluation.status = QaEvaluationStatus.DISPUTED
    row = QaDispute(evaluation_id=evaluation.id, opened_by_id=agent_id, reason=reason.strip())
    db.add(row)
    return row


def answer_dispute(evaluation: QaEvaluation, answerer_id: int, answer: str, now: datetime) -> None:
    open_ = [d for d in evaluation.disputes if d.answered_at is None]
    if not open_:
        raise FormError("answer", "this evaluation has no open dispute")
    if not answer.strip():
        raise FormError("answer", "write the answer to the agent")
    open_[-1].answer, open_[-1].answered_by_id, open_[-1].answered_at = answer.strip(), answerer_id, now
    evaluation.status = QaEvaluationStatus.ANSWERED


def _own(evaluation: QaEvaluation, agent_id: int) -> None:
    if evaluation.agent_id != agent_id or evaluation.status == QaEvaluationStatus.CALIBRATION:
        raise NotAllowed()


# --- figures --------------------------------------------------------------------

def figures(db: Session, config, scope: set[int] | None, since: datetime) -> list[dict[str, Any]]:
    """Per week: per agent, per team and per form item, the evaluations and average scores."""
    from callcenter.qa.sampling import iso_week
    zone = ZoneInfo(config.general.timezone)
    stmt = (select(QaEvaluation).where(QaEvaluation.status != QaEvaluationStatus.CALIBRATION,
                                       QaEvaluation.created_at >= since)
            .order_by(QaEvaluation.id))
    if scope is not None:
        stmt = stmt.where(QaEvaluation.agent_id.in_(scope))
    logins = dict(db.execute(select(Agent.id, Agent.login)).all())
    team_of = dict(db.execute(select(Agent.login, Team.key).join(Team, Team.id == Agent.team_id)).all())
    buckets: dict[tuple[str, str, str], list[float]] = {}
    fails: dict[tuple[str, str, str], int] = {}
    for evaluation in db.scalars(stmt):
        week = iso_week(evaluation.created_at.astimezone(zone).date())
        login = logins.get(evaluation.agent_id, "-")
        for key in (("agent", login), ("team", team_of.get(login, "-"))):
            bucket = (week, *key)
            buckets.setdefault(bucket, []).append(evaluation.total)
            fails[bucket] = fails.get(bucket, 0) + int(evaluation.critical_failed)
        for item in evaluation.items:
            if item.possible:
                bucket = (week, "item", item.item)
                buckets.setdefault(bucket, []).append(item.earned_milli / 10 / item.possible)
    return [{"week": week, "level": level, "key": key, "evaluations": len(values),
             "average": round(sum(values) / len(values), 1),
             "critical_failed": fails.get((week, level, key), 0)}
            for (week, level, key), values in sorted(buckets.items())]


def figures_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["week", "level", "key", "evaluations", "average",
                                             "critical_failed"], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


# --- the work list (sampling) ------------------------------------------------------

def work_list(db: Session, config, scope: set[int] | None, since: datetime) -> list[dict[str, Any]]:
    from callcenter.qa.sampling import CallFacts, SamplingRules, due
    zone = ZoneInfo(config.general.timezone)
    rules = SamplingRules(per_agent_per_week=config.qa.sample_per_agent_per_week,
                          survey_scores=tuple(config.qa.sample_survey_scores),
                          dispositions=tuple(config.qa.sample_dispositions))
    evaluated = set(db.scalars(select(QaEvaluation.call_id).where(
        QaEvaluation.status != QaEvaluationStatus.CALIBRATION)))
    stmt = (select(Call).join(Recording, Recording.call_id == Call.id)
            .where(Recording.deleted_at.is_(None), Call.created_at >= since,
                   Call.agent_id.is_not(None)))
    if scope is not None:
        stmt = stmt.where(Call.agent_id.in_(scope))
    calls = {c.id: c for c in db.scalars(stmt)}
    complained = set(db.scalars(select(Ticket.call_id).where(
        Ticket.call_id.in_(calls), Ticket.category == TicketCategory.COMPLAINT)))
    facts = [CallFacts(c.id, c.agent_id, c.created_at.astimezone(zone).date(), c.survey_score,
                       c.disposition, c.id in evaluated, c.id in complained)
             for c in calls.values()]
    agent_names = names(db)
    return [{"call_id": p.call_id, "week": p.week, "reason": p.reason,
             "agent": agent_names.get(p.agent_id, ""),
             "at": calls[p.call_id].created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
             "number": calls[p.call_id].caller_number}
            for p in due(facts, rules)]


def open_disputes(db: Session, scope: set[int] | None) -> list[dict[str, Any]]:
    stmt = (select(QaDispute, QaEvaluation).join(QaEvaluation)
            .where(QaDispute.answered_at.is_(None)).order_by(QaDispute.opened_at))
    if scope is not None:
        stmt = stmt.where(QaEvaluation.agent_id.in_(scope))
    agent_names = names(db)
    return [{"evaluation_id": e.id, "agent": agent_names.get(e.agent_id, ""), "reason": d.reason,
             "total": e.total, "opened_at": d.opened_at} for d, e in db.execute(stmt)]
