"""The campaigns desk (supervisors): the list, a new campaign from the form or a
YAML file, a contact list's upload with its per-line error report, start /
pause / stop, and the live view (contacts by state, dials, answers, the
abandon rate of the compliance window against its limit, lines in use).
Agents: the callbacks they promised ("my callbacks"), due first; supervisors: every
callback request, with its attempts and next attempt time."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.dialer import store
from callcenter.dialer.timeline import floor_quarter, quarters
from callcenter.dialer.windows import WEEKDAYS
from callcenter.models import (Agent, CallbackRequest, CallbackStatus, Campaign, CampaignKind,
                               CampaignStatus, ContactStatus, Customer, DoNotCall, Role)
from web.auth import audit, current_user, requires, services, sessions

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")
SUPERVISORS = (Role.SUPERVISOR,)
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
ABANDON_LIMIT = 0.03  # default, when the campaign file does not set one
ABANDON_WINDOW_HOURS = 24
HOURS_SHOWN = 12  # the live view's hour-by-hour table
TIMELINE_HOURS = 6  # the live view's chart: 24 quarter hours
# status -> what a supervisor may do next
NEXT = {CampaignStatus.DRAFT: ("start",), CampaignStatus.RUNNING: ("pause", "stop"),
        CampaignStatus.PAUSED: ("start", "stop"), CampaignStatus.STOPPED: (),
        CampaignStatus.FINISHED: ()}
ACTIONS = {"start": CampaignStatus.RUNNING, "pause": CampaignStatus.PAUSED,
           "stop": CampaignStatus.STOPPED}


class FormError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def now() -> datetime:
    clock = services().extras.get("dialer_clock")
    return clock() if clock else datetime.now(timezone.utc)


# --- list and new -----------------------------------------------------------------------------

@bp.get("/")
@requires(*SUPERVISORS)
def index():
    with sessions()() as db:
        campaigns = db.scalars(select(Campaign).order_by(Campaign.id.desc())).all()
        counts = {c.id: store.contacts_by_state(db, c.id) for c in campaigns}
        return render_template("campaigns.html", campaigns=campaigns, counts=counts)


@bp.route("/new", methods=["GET", "POST"])
@requires(*SUPERVISORS)
def new():
    values: dict[str, Any] = dict(request.form) if request.method == "POST" else {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            fields = _from_yaml() if request.files.get("campaign_file") else _from_form(values)
            with transaction(sessions()) as db:
                if db.scalar(select(Campaign.id).where(Campaign.name == fields["name"])):
                    raise FormError("name", _("A campaign with this name exists already."))
                campaign = Campaign(**fields)
                db.add(campaign)
                db.flush()
                audit(db, "campaign_create", "campaign", campaign.id, {"name": campaign.name})
                campaign_id = campaign.id
            flash(_("Campaign created: now upload its contact list."), "ok")
            return redirect(url_for("campaigns.show", campaign_id=campaign_id))
        except FormError as error:
            errors[error.field] = error.message
    return render_template("campaigns_new.html", values=values, errors=errors,
                           kinds=[k.value for k in CampaignKind]), 400 if errors else 200


def _from_form(values: dict[str, Any]) -> dict[str, Any]:
    name = (values.get("name") or "").strip()
    if not name or len(name) > 80:
        raise FormError("name", _("Give the campaign a name of at most 80 characters."))
    try:
        kind = CampaignKind(values.get("kind") or "")
    except ValueError:
        raise FormError("kind", _("Choose a kind of campaign.")) from None
    flow = (values.get("flow") or "").strip() or None
    queue = (values.get("queue_name") or "").strip() or None
    if kind in (CampaignKind.COLLECTIONS, CampaignKind.SURVEY) and not flow:
        raise FormError("flow", _("An agentless campaign needs the flow its customers hear."))
    if kind not in (CampaignKind.COLLECTIONS, CampaignKind.SURVEY) and not queue:
        raise FormError("queue_name", _("An agent campaign needs the queue its calls go to."))
    start, end = _time(values, "window_start"), _time(values, "window_end")
    if start >= end:
        raise FormError("window_end", _("The calling window must end after it starts."))
    return {"name": name, "kind": kind, "flow": flow, "queue_name": queue,
            "caller_id": _digits(values, "caller_id"),
            "max_attempts": _number(values, "max_attempts", 1, 10, 3),
            "ring_timeout": _number(values, "ring_timeout", 10, 120, 30),
            "max_lines": _number(values, "max_lines", 1, 500, 10),
            "window_start": start, "window_end": end,
            "settings": {"windows": {day: [f"{start}-{end}"] for day in WEEKDAYS}}}


def _from_yaml() -> dict[str, Any]:
    upload = request.files["campaign_file"]
    text = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(text) > MAX_UPLOAD_BYTES:
        raise FormError("campaign_file", _("The file is larger than 5 MB."))
    try:
        return fields_from_campaign_file(text.decode("utf-8"), upload.filename or "campaign.yaml")
    except UnicodeDecodeError:
        raise FormError("campaign_file", _("The file is not UTF-8 text.")) from None
    except ValueError as error:
        raise FormError("campaign_file", str(error)) from None


def _time(values: dict[str, Any], field: str) -> str:
    text = (values.get(field) or "").strip()
    try:
        return datetime.strptime(text, "%H:%M").strftime("%H:%M")
    except ValueError:
        raise FormError(field, _("Write the time as HH:MM, e.g. 09:00.")) from None


def _digits(values: dict[str, Any], field: str) -> str:
    text = (values.get(field) or "").strip()
    if text and (not text.isdigit() or len(text) > 20):
        raise FormError(field, _("Digits only, at most 20."))
    return text


def _number(values: dict[str, Any], field: str, low: int, high: int, default: int) -> int:
    text = (values.get(field) or "").strip()
    if not text:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise FormError(field, _("A whole number from %(low)d to %(high)d.", low=low, high=high))
    return int(text)


@bp.get("/my-callbacks")
@requires(Role.AGENT, Role.SUPERVISOR)
def my_callbacks():
    """The callbacks I promised and not yet made, the most overdue first (the dialler offers
    each to me when it is due), with their attempts and next attempt time; then those that
    ended unreached in the last days (no more attempts)."""
    with sessions()() as db:
        rows = _callbacks(db, CallbackRequest.agent_id == current_user().id)
        return render_template("campaigns_callbacks.html", rows=rows, now=now(), everyone=False,
                               zone=ZoneInfo(services().config.general.timezone))


@bp.get("/callbacks")
@requires(*SUPERVISORS)
def callbacks():
    """Every callback request still to make (IVR, queue, promised), and those that ended
    unreached in the last days: attempts, next attempt, last outcome, who promised it."""
    with sessions()() as db:
        rows = _callbacks(db)
        return render_template("campaigns_callbacks.html", rows=rows, now=now(), everyone=True,
                               zone=ZoneInfo(services().config.general.timezone))


CALLBACKS_SHOWN = 500
ENDED_SHOWN_DAYS = 7  # requests that ended unreached stay on the list this long


def _callbacks(db: Any, *where: Any) -> list:
    """(request, customer name, promising agent's login): open ones first, the next attempt
    soonest (as soon as possible before any time), then the failed of the last days."""
    open_states = (CallbackStatus.PENDING, CallbackStatus.DIALING)
    since = now() - timedelta(days=ENDED_SHOWN_DAYS)
    base = (select(CallbackRequest, Customer.name, Agent.login)
            .outerjoin(Customer, Customer.id == CallbackRequest.customer_id)
            .outerjoin(Agent, Agent.id == CallbackRequest.agent_id).where(*where))
    pending = db.execute(base.where(CallbackRequest.status.in_(open_states))
                         .order_by(CallbackRequest.scheduled_for.is_not(None),
                                   CallbackRequest.scheduled_for, CallbackRequest.requested_at)
                         .limit(CALLBACKS_SHOWN)).all()
    ended = db.execute(base.where(CallbackRequest.status == CallbackStatus.FAILED,
                                  CallbackRequest.last_attempt_at >= since)
                       .order_by(CallbackRequest.last_attempt_at.desc())
                       .limit(CALLBACKS_SHOWN)).all()
    return list(pending) + list(ended)


# --- one campaign ----------------------------------------------------------------------------

@bp.get("/<int:campaign_id>")
@requires(*SUPERVISORS)
def show(campaign_id: int):
    with sessions()() as db:
        campaign = _campaign(db, campaign_id)
        hours = store.attempts_by_hour(db, campaign_id, now() - timedelta(hours=HOURS_SHOWN))
        return render_template("campaigns_show.html", campaign=campaign, figures=figures(db, campaign),
                               actions=NEXT[campaign.status], report=None, hours=hours,
                               busiest=max([h["dials"] for h in hours] or [1]),
                               zone=ZoneInfo(campaign.timezone or services().config.general.timezone),
                               contacts=store.contacts(db, campaign_id, limit=100))


@bp.get("/<int:campaign_id>/figures")
@requires(*SUPERVISORS)
def live_figures(campaign_id: int):
    with sessions()() as db:
        return jsonify(figures(db, _campaign(db, campaign_id)))


@bp.get("/<int:campaign_id>/timeline")
@requires(*SUPERVISORS)
def live_timeline(campaign_id: int):
    """The chart's figures: the last TIMELINE_HOURS per quarter hour (callcenter.dialer.timeline)."""
    end = now()
    start = end - timedelta(hours=TIMELINE_HOURS)
    with sessions()() as db:
        campaign = _campaign(db, campaign_id)
        limit = float(dict(campaign.settings or {}).get("abandon_limit", ABANDON_LIMIT))
        attempts, talks = store.timeline_inputs(db, campaign_id, floor_quarter(start), end)
    return jsonify(abandon_limit=limit, quarters=[q.as_dict() for q in
                                                  quarters(attempts, talks, start, end, limit)])


def figures(db, campaign: Campaign) -> dict[str, Any]:
    settings = dict(campaign.settings or {})
    limit = float(settings.get("abandon_limit", ABANDON_LIMIT))
    hours = float(settings.get("abandon_window_hours", ABANDON_WINDOW_HOURS))
    everything = store.attempt_figures(db, campaign.id)
    window = store.attempt_figures(db, campaign.id, since=now() - timedelta(hours=hours))
    rate = window["abandoned"] / window["answered"] if window["answered"] else 0.0
    lines = store.in_flight(db, campaign.id)
    return {"status": campaign.status.value, "contacts": store.contacts_by_state(db, campaign.id),
            "dials": everything["dials"], "answered": everything["answered"],
            "answer_rate": round(everything["answered"] / everything["dials"], 3)
            if everything["dials"] else 0.0,
            "abandon_rate": round(rate, 4), "abandon_limit": limit, "abandon_window_hours": hours,
            "within_limit": rate <= limit, "lines_in_use": lines, "max_lines": campaign.max_lines,
            "pacing_ratio": round(lines / campaign.max_lines, 2) if campaign.max_lines else 0.0}


@bp.post("/<int:campaign_id>/<any(start, pause, stop):action>")
@requires(*SUPERVISORS)
def change(campaign_id: int, action: str):
    with transaction(sessions()) as db:
        campaign = _campaign(db, campaign_id)
        if action not in NEXT[campaign.status]:
            flash(_("A %(status)s campaign cannot be changed that way.",
                    status=campaign.status.value), "error")
            return redirect(url_for("campaigns.show", campaign_id=campaign_id))
        if action == "start" and not any(store.contacts_by_state(db, campaign_id)[s.value]
                                         for s in (ContactStatus.PENDING,)):
            flash(_("Upload a contact list first: nobody is left to call."), "error")
            return redirect(url_for("campaigns.show", campaign_id=campaign_id))
        store.set_status(db, campaign_id, ACTIONS[action], now())
        audit(db, f"campaign_{action}", "campaign", campaign_id)
    flash({"start": _("Campaign started."), "pause": _("Campaign paused."),
           "stop": _("Campaign stopped.")}[action], "ok")
    return redirect(url_for("campaigns.show", campaign_id=campaign_id))


@bp.post("/<int:campaign_id>/contacts")
@requires(*SUPERVISORS)
def upload(campaign_id: int):
    upload_file = request.files.get("contacts")
    with sessions()() as db:
        _campaign(db, campaign_id)
    if upload_file is None or not upload_file.filename:
        flash(_("Choose a CSV file to upload."), "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign_id))
    raw = upload_file.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        flash(_("The file is larger than 5 MB."), "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign_id))
    with sessions()() as db:
        kind = _campaign(db, campaign_id).kind
    result = parse_contact_list(raw, upload_file.filename, kind)
    imported = None
    if result.contacts and not result.errors:  # a file with a bad row: nothing is imported
        with transaction(sessions()) as db:
            imported = store.add_contacts(db, campaign_id, result.contacts)
            audit(db, "campaign_contacts_import", "campaign", campaign_id,
                  {"file": upload_file.filename, "rows": len(result.contacts),
                   "skipped": len(result.skipped)})
    report = {"file": upload_file.filename, "errors": result.errors, "skipped": result.skipped,
              "good": len(result.contacts), "imported": imported}
    with sessions()() as db:
        campaign = _campaign(db, campaign_id)
        return render_template("campaigns_show.html", campaign=campaign, figures=figures(db, campaign),
                               actions=NEXT[campaign.status], report=report,
                               contacts=store.contacts(db, campaign_id, limit=100)), \
            200 if imported is not None else 400


def _campaign(db, campaign_id: int) -> Campaign:
    campaign = db.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


# --- the dialer core's file formats ------------------------------------------------------------

def parse_contact_list(raw: bytes, filename: str, kind: CampaignKind) -> Any:
    """callcenter.dialer.contact_list on an uploaded CSV: ImportResult(contacts, errors,
    skipped); a file that is not UTF-8 is one error on line 1."""
    from callcenter.dialer import contact_list
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return contact_list.ImportResult((), (contact_list.RowProblem(
            1, _("%(file)s is not UTF-8 text: save it as CSV UTF-8", file=filename)),))
    with sessions()() as db:
        listed = list(db.scalars(select(DoNotCall.number)))
    return contact_list.parse_contacts(text, do_not_call=listed,
                                       require_amount=kind is CampaignKind.COLLECTIONS)


def fields_from_campaign_file(text: str, filename: str) -> dict[str, Any]:
    """A campaign YAML file (callcenter.dialer.campaign_file) as Campaign columns; its
    problems, each at file:line:column, in one ValueError."""
    from acd.queue_config import load_queues
    from callcenter.dialer import campaign_file
    config = services().config
    # flow ids are the files' names (callcenter.ivr); none found: not checked here (the
    # engine refuses to dial a campaign whose flow it does not have)
    flows = [path.stem for path in Path(config.ivr.flows_directory).glob("*.yaml")] or None
    queues = load_queues(config.acd.queues_file).queues
    spec = campaign_file.load_campaign_text(text, filename, known_flows=flows, known_queues=queues)
    return campaign_columns(spec, text)


def campaign_columns(spec: Any, source: str) -> dict[str, Any]:
    windows = {day: [str(w) for w in spec.windows.days[index]] for index, day in enumerate(WEEKDAYS)}
    first = next((w for day in spec.windows.days for w in day), None)
    kind = CampaignKind.CALLBACK if spec.kind == "callbacks" else CampaignKind(spec.kind)
    return {"name": spec.name, "kind": kind, "flow": spec.flow, "queue_name": spec.queue,
            "caller_id": spec.caller_id, "timezone": spec.timezone,
            "max_attempts": spec.max_attempts, "ring_timeout": int(spec.ring_timeout),
            "max_lines": spec.max_lines or 10, "pacing": spec.pacing,
            "window_start": first.start.strftime("%H:%M") if first else "09:00",
            "window_end": "24:00" if first and str(first).endswith("24:00") else
            first.end.strftime("%H:%M") if first else "20:00",
            "source_yaml": source,
            "settings": {"windows": windows, "holidays": sorted(d.isoformat() for d in spec.holidays),
                         "retry_delays": dict(spec.retry_delays), "abandon_limit": spec.abandon_limit,
                         "abandon_window_hours": spec.abandon_window / 3600,
                         "abandon_quiet_seconds": spec.abandon_quiet_period,
                         "skills": dict(spec.skills), "max_ratio": spec.max_ratio,
                         "preview_timeout": int(spec.preview_timeout),
                         "description": spec.description, "record": spec.record}}
