"""The QA desk: find calls, play their recordings (range requests, audited),
score them on the operator's form, calibrate, answer disputes, figures;
agents read and acknowledge or dispute their own evaluations; admins see the
access log and set legal holds.

Who may do what (docs/qa.md): qa - search, listen, download, score, calibrate;
supervisor - the same but download, for their team's agents; agent - their own
evaluations (and recordings if recordings.agents_hear_own); admin - access log,
legal hold."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import (Blueprint, Response, abort, flash, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import gettext as _
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import (Agent, Call, QaEvaluation, QaEvaluationStatus, QaSavedSearch,
                               Recording, RecordingAccess, Role)
from callcenter.qa import housekeeping
from callcenter.qa.calibration import spread
from callcenter.qa.storage import RecordingPaths
from callcenter.tickets import teams as ticket_teams
from web import qa_data
from web.auth import audit, current_user, requires, services, sessions
from web.data import FormError

bp = Blueprint("qa", __name__, url_prefix="/qa")

REVIEWERS = (Role.QA, Role.SUPERVISOR)
DOWNLOADERS = (Role.QA,)
LISTENERS = (Role.QA, Role.SUPERVISOR, Role.AGENT)
FIGURE_WEEKS = 8
LISTEN_WINDOW = timedelta(minutes=2)


def _config():
    return services().config


def _zone() -> ZoneInfo:
    return ZoneInfo(_config().general.timezone)


def _now() -> datetime:
    return datetime.now(timezone.utc)


@bp.app_template_filter("qa_local")
def _local(value: datetime | None) -> str:
    return value.astimezone(_zone()).strftime("%Y-%m-%d %H:%M") if value else ""


@bp.app_template_filter("qa_clock")
def _clock(ms: int | None) -> str:
    if ms is None:
        return ""
    sign, ms = ("-" if ms < 0 else ""), abs(int(ms))
    return f"{sign}{ms // 60000}:{ms // 1000 % 60:02d}"


def _scope(db):
    return qa_data.agent_scope(db, _config(), current_user())


def _call_or_404(db, call_id: int) -> Call:
    call = db.get(Call, call_id)
    if call is None or not qa_data.may_see_call(_scope(db), call):
        abort(404, description=f"no call {call_id} that you may see")
    return call


# --- search ---------------------------------------------------------------------

@bp.get("/")
@requires(*REVIEWERS)
def search():
    query = {k: request.args.get(k, "") for k in qa_data.SEARCH_FIELDS}
    page_number = request.args.get("page", "1")
    error, results = None, None
    with sessions()() as db:
        try:
            results = qa_data.search_calls(db, _config(), _scope(db), query,
                                           int(page_number) if page_number.isdigit() else 1)
        except FormError as exc:
            error = exc
        saved = db.scalars(select(QaSavedSearch).where(QaSavedSearch.owner_id == current_user().id)
                           .order_by(QaSavedSearch.name)).all()
        saved = [{"id": s.id, "name": s.name, "query": s.query} for s in saved]
        teams = ticket_teams.names(db)
    return render_template("qa_search.html", query=query, results=results, error=error,
                           saved=saved, teams=teams,
                           given={k: v for k, v in query.items() if v}), \
        400 if error else 200


@bp.post("/searches")
@requires(*REVIEWERS)
def search_save():
    name = request.form.get("name", "").strip()
    query = {k: request.form.get(k, "").strip() for k in qa_data.SEARCH_FIELDS
             if request.form.get(k, "").strip()}
    if not name:
        flash(_("Search not saved: give it a name."), "error")
        return redirect(url_for("qa.search", **query))
    with transaction(sessions()) as db:
        row = db.scalar(select(QaSavedSearch).where(QaSavedSearch.owner_id == current_user().id,
                                                    QaSavedSearch.name == name))
        if row is None:
            db.add(QaSavedSearch(owner_id=current_user().id, name=name[:80], query=query))
        else:
            row.query = query
    flash(_("Search %(name)s saved.", name=name), "ok")
    return redirect(url_for("qa.search", **query))


@bp.post("/searches/<int:search_id>/delete")
@requires(*REVIEWERS)
def search_delete(search_id: int):
    with transaction(sessions()) as db:
        row = db.get(QaSavedSearch, search_id)
        if row is None or row.owner_id != current_user().id:
            abort(404)
        db.delete(row)
    return redirect(url_for("qa.search"))


# --- one call: player, timeline, evaluations, score form ---------------------------

@bp.get("/calls/<int:call_id>")
@requires(*REVIEWERS)
def call(call_id: int):
    cards, problems = qa_data.scorecards(_config())
    chosen = request.args.get("form") or (f"{cards[0].name}:{cards[0].version}" if cards else "")
    return _call_page(call_id, cards, chosen, request.args, None, problems)


@bp.post("/calls/<int:call_id>/evaluations")
@requires(*REVIEWERS)
def evaluate(call_id: int):
    cards, problems = qa_data.scorecards(_config())
    chosen = request.form.get("form", "")
    card = next((c for c in cards if f"{c.name}:{c.version}" == chosen), None)
    try:
        if card is None:
            raise FormError("form", "choose a scorecard form")
        with transaction(sessions()) as db:
            row = _call_or_404(db, call_id)
            evaluation = qa_data.evaluate(
                db, call=row, recording=qa_data.live_recording(db, call_id), card=card,
                form=request.form, evaluator_id=current_user().id,
                calibration="calibration" in request.form)
            audit(db, "qa_evaluation", "call", call_id,
                  {"evaluation": evaluation.id, "total": evaluation.total,
                   "form": chosen, "status": evaluation.status.value})
            evaluation_id, total = evaluation.id, evaluation.total
    except FormError as exc:
        return _call_page(call_id, cards, chosen, request.form, exc, problems, 400)
    flash(_("Evaluation saved: %(total)s / 100.", total=total), "ok")
    return redirect(url_for("qa.evaluation", evaluation_id=evaluation_id))


def _call_page(call_id: int, cards, chosen: str, form, error: FormError | None,
               problems: list[str], status: int = 200):
    with sessions()() as db:
        row = _call_or_404(db, call_id)
        recordings = qa_data.call_recordings(db, call_id)
        wanted = request.args.get("recording", type=int)  # another of the call's files
        recording = next((r for r in recordings if r.id == wanted), recordings[0] if recordings else None)
        timeline = qa_data.timeline(db, row, recording)
        agent_names = qa_data.names(db)
        evaluations = [qa_data.evaluation_dict(e, agent_names) for e in db.scalars(
            select(QaEvaluation).where(QaEvaluation.call_id == call_id).order_by(QaEvaluation.id))]
        info = {"id": row.id, "uuid": row.uuid, "caller": row.caller_number,
                "agent": agent_names.get(row.agent_id, ""), "queue": row.queue_name or "",
                "direction": row.direction.value, "disposition": row.disposition or "",
                "at": row.created_at, "survey_score": row.survey_score}
    card = next((c for c in cards if f"{c.name}:{c.version}" == chosen), None)
    return render_template("qa_call.html", call=info, recording=recording, timeline=timeline,
                           recordings=recordings, evaluations=evaluations, cards=cards, card=card, chosen=chosen,
                           form_problems=problems, form=form, error=error,
                           may_download=current_user().role in DOWNLOADERS), status


@bp.get("/calls/<int:call_id>/calibration")
@requires(*REVIEWERS)
def calibration(call_id: int):
    with sessions()() as db:
        _call_or_404(db, call_id)
        agent_names = qa_data.names(db)
        rows = db.scalars(select(QaEvaluation).where(QaEvaluation.call_id == call_id)
                          .order_by(QaEvaluation.id)).all()
        by_form: dict[str, list[QaEvaluation]] = {}
        for evaluation in rows:
            by_form.setdefault(f"{evaluation.form} v{evaluation.scorecard_version.version}"
                               if evaluation.scorecard_version else evaluation.form,
                               []).append(evaluation)
        results = []
        for form, group in by_form.items():
            card = qa_data.card_of(group[0])
            if card is None:
                continue
            result = spread(card, [e.scores for e in group], [e.total for e in group])
            results.append({"form": form, "card": card, "result": result,
                            "inspectors": [agent_names.get(e.evaluator_id, "?") for e in group]})
    return render_template("qa_calibration.html", call_id=call_id, results=results)


# --- audio: listen (range requests) and download, every one recorded --------------

def _recording_for_listening(db, recording_id: int) -> Recording:
    """404 for a recording outside the listener's scope: its existence is not revealed."""
    user = current_user()
    if user.role == Role.AGENT and not _config().recordings.agents_hear_own:
        abort(403)
    recording = db.get(Recording, recording_id)
    if recording is None or recording.deleted_at is not None:
        abort(404)
    if not qa_data.may_see_call(_scope(db), recording.call):
        abort(404)
    return recording


def _first_request_of_a_playback() -> bool:
    """A player asks for the file in ranges; one listen is the request from byte 0."""
    wanted = request.headers.get("Range", "")
    return not wanted or wanted.replace(" ", "").startswith("bytes=0-")


def _just_logged(db, recording: Recording) -> bool:
    """A browser may start one playback with several requests from byte 0 (e.g. after
    a seek back to the start): one listen per person and recording within LISTEN_WINDOW."""
    since = _now() - LISTEN_WINDOW
    return db.scalar(select(RecordingAccess.id).where(
        RecordingAccess.recording_id == recording.id, RecordingAccess.agent_id == current_user().id,
        RecordingAccess.action == "listen", RecordingAccess.at >= since).limit(1)) is not None


def _send(recording_id: int, action: str, as_attachment: bool) -> Response:
    with transaction(sessions()) as db:
        recording = _recording_for_listening(db, recording_id)
        if recording.empty:
            abort(404, description="no audio: the switch discarded this recording as empty")
        local = RecordingPaths.from_config(_config()).local(recording.path)
        if not local.is_file():
            abort(404, description="the recording's file is missing")
        if as_attachment or (_first_request_of_a_playback() and not _just_logged(db, recording)):
            db.add(RecordingAccess(recording_id=recording.id, agent_id=current_user().id,
                                   remote_addr=request.remote_addr, action=action))
        name = f"{recording.call.uuid}.wav"
    response = send_file(local, mimetype="audio/wav", conditional=True,
                         as_attachment=as_attachment, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/audio/<int:audio_id>")
@requires(*LISTENERS)
def audio(audio_id: int):
    """``audio_id`` is the recording's id (the URL names no file or folder)."""
    return _send(audio_id, "listen", as_attachment=False)


@bp.get("/audio/<int:audio_id>/download")
@requires(*DOWNLOADERS)
def download(audio_id: int):
    return _send(audio_id, "download", as_attachment=True)


# --- evaluations: read, acknowledge, dispute, answer ------------------------------

def _evaluation_or_404(db, evaluation_id: int) -> QaEvaluation:
    evaluation = db.get(QaEvaluation, evaluation_id)
    if evaluation is None:
        abort(404)
    user = current_user()
    if user.role == Role.AGENT:
        if evaluation.agent_id != user.id or evaluation.status == QaEvaluationStatus.CALIBRATION:
            abort(404)
    elif evaluation.agent_id is not None:
        scope = _scope(db)
        if scope is not None and evaluation.agent_id not in scope:
            abort(404)
    return evaluation


@bp.get("/evaluations/<int:evaluation_id>")
@requires(*LISTENERS)
def evaluation(evaluation_id: int):
    with sessions()() as db:
        row = _evaluation_or_404(db, evaluation_id)
        data = qa_data.evaluation_dict(row, qa_data.names(db))
        call_row = db.get(Call, row.call_id)
        recording = qa_data.live_recording(db, row.call_id)
        timeline = qa_data.timeline(db, call_row, recording)
    user = current_user()
    playable = recording is not None and (
        user.role != Role.AGENT or _config().recordings.agents_hear_own)
    return render_template("qa_evaluation.html", evaluation=data, recording=recording,
                           timeline=timeline, playable=playable,
                           is_agent=user.role == Role.AGENT)


def _agent_action(evaluation_id: int, act) -> Response:
    try:
        with transaction(sessions()) as db:
            row = _evaluation_or_404(db, evaluation_id)
            act(db, row)
    except qa_data.NotAllowed:
        abort(403)
    except FormError as exc:
        flash(_("Not saved: %(field)s — %(message)s", field=exc.field, message=exc.message),
              "error")
    return redirect(url_for("qa.evaluation", evaluation_id=evaluation_id))


@bp.post("/evaluations/<int:evaluation_id>/acknowledge")
@requires(Role.AGENT)
def acknowledge(evaluation_id: int):
    def act(db, row):
        qa_data.acknowledge(row, current_user().id, _now())
        audit(db, "qa_acknowledged", "qa_evaluation", row.id)
    return _agent_action(evaluation_id, act)


@bp.post("/evaluations/<int:evaluation_id>/dispute")
@requires(Role.AGENT)
def dispute(evaluation_id: int):
    def act(db, row):
        qa_data.dispute(db, row, current_user().id, request.form.get("reason", ""))
        audit(db, "qa_disputed", "qa_evaluation", row.id)
    return _agent_action(evaluation_id, act)


@bp.post("/evaluations/<int:evaluation_id>/answer")
@requires(*REVIEWERS)
def answer(evaluation_id: int):
    def act(db, row):
        qa_data.answer_dispute(row, current_user().id, request.form.get("answer", ""), _now())
        audit(db, "qa_dispute_answered", "qa_evaluation", row.id)
    return _agent_action(evaluation_id, act)


@bp.get("/mine")
@requires(Role.AGENT)
def mine():
    with sessions()() as db:
        agent_names = qa_data.names(db)
        rows = [qa_data.evaluation_dict(e, agent_names) for e in db.scalars(
            select(QaEvaluation).where(QaEvaluation.agent_id == current_user().id,
                                       QaEvaluation.status.in_(qa_data.AGENT_VISIBLE))
            .order_by(QaEvaluation.id.desc()))]
    return render_template("qa_mine.html", evaluations=rows)


# --- work list, figures -----------------------------------------------------------

@bp.get("/worklist")
@requires(*REVIEWERS)
def worklist():
    since = _now() - timedelta(weeks=2)
    with sessions()() as db:
        scope = _scope(db)
        due = qa_data.work_list(db, _config(), scope, since)
        disputes = qa_data.open_disputes(db, scope)
    return render_template("qa_worklist.html", due=due, disputes=disputes)


def _figures():
    since = _now() - timedelta(weeks=FIGURE_WEEKS)
    with sessions()() as db:
        return qa_data.figures(db, _config(), _scope(db), since)


@bp.get("/figures")
@requires(*REVIEWERS)
def figures():
    return render_template("qa_figures.html", rows=_figures(), weeks=FIGURE_WEEKS)


@bp.get("/figures.csv")
@requires(*REVIEWERS)
def figures_csv():
    body = qa_data.figures_csv(_figures())
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=qa-figures.csv"})


# --- admin: access log, legal hold -------------------------------------------------

@bp.get("/access-log")
@requires(Role.ADMIN)
def access_log():
    with sessions()() as db:
        rows = db.execute(
            select(RecordingAccess, Agent.login, Call.uuid, Call.id)
            .join(Agent, Agent.id == RecordingAccess.agent_id)
            .join(Recording, Recording.id == RecordingAccess.recording_id)
            .join(Call, Call.id == Recording.call_id)
            .order_by(RecordingAccess.id.desc()).limit(200)).all()
        entries = [{"at": a.at, "login": login, "action": a.action, "recording_id": a.recording_id,
                    "call_uuid": uuid, "call_id": call_id, "remote_addr": a.remote_addr or ""}
                   for a, login, uuid, call_id in rows]
        held = [{"id": r.id, "call_uuid": r.call.uuid, "reason": r.legal_hold_reason or "",
                 "retain_until": r.retain_until}
                for r in db.scalars(select(Recording).where(Recording.legal_hold.is_(True),
                                                            Recording.deleted_at.is_(None)))]
    return render_template("qa_access_log.html", entries=entries, held=held)


@bp.post("/holds")
@requires(Role.ADMIN)
def hold():
    user = current_user()
    actor = housekeeping.Actor(user.login, user.id, request.remote_addr)
    recording_id = request.form.get("recording_id", "")
    held = request.form.get("action") != "lift"
    try:
        if not recording_id.isdigit():
            raise housekeeping.HoldError("give the recording's number")
        with transaction(sessions()) as db:
            housekeeping.set_legal_hold(db, int(recording_id), held,
                                        request.form.get("reason", ""), actor)
    except housekeeping.HoldError as exc:
        flash(_("Legal hold not changed: %(reason)s", reason=str(exc)), "error")
        return redirect(url_for("qa.access_log"))
    flash(_("Legal hold set on recording %(id)s.", id=recording_id) if held else
          _("Legal hold lifted from recording %(id)s.", id=recording_id), "ok")
    return redirect(url_for("qa.access_log"))
