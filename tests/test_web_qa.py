"""The QA desk through the Flask test client on a real SQLite database and real
WAV files: search, range-served audio with every listen logged, scoring with a
critical item, the agent's acknowledgement and dispute, calibration, figures,
the admin's access log and legal hold, and who may do what."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import (Agent, AuditLog, Call, CallDirection, QaEvaluation, QaSavedSearch,
                               QaScorecardVersion, Recording, RecordingAccess, Role, Team, Ticket,
                               TicketCategory)
from qa_fixtures import add_recorded_call, make_app
from web_fixtures import add_agent, add_team, csrf_of, login
from web_fixtures import fake_live  # noqa: F401

ALL_GOOD = {"item_greeting": "yes", "item_verified_customer": "yes", "item_understood_need": "5",
            "item_correct_answer": "5", "item_ticket_when_needed": "na",
            "item_hold_etiquette": "yes", "item_courtesy": "5", "item_no_secret_read_aloud": "yes"}


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "recordings"


@pytest.fixture
def app(db_engine, sessions, write_config, fake_live, folder):
    return make_app(db_engine, sessions, write_config, fake_live, folder)


@pytest.fixture
def people(sessions):
    """The staff, and one database team: billing, led by lead1, with agent01."""
    people = {"qa": add_agent(sessions, "qa1", role=Role.QA, name="Inspector Li"),
              "lead": add_agent(sessions, "lead1", role=Role.SUPERVISOR),
              "other_lead": add_agent(sessions, "lead2", role=Role.SUPERVISOR),
              "agent": add_agent(sessions, "agent01", extension="1007", name="Wang Fang"),
              "other": add_agent(sessions, "agent02", extension="1008"),
              "admin": add_agent(sessions, "admin", role=Role.ADMIN)}
    add_team(sessions, "billing", "账务班组", (people["agent"],), lead=people["lead"])
    return people


def client_as(app, name):
    client = app.test_client()
    assert login(client, name).status_code == 302
    return client


def post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_of(client)})


def test_search_filters_and_pages(app, sessions, people, folder):
    base = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)  # a Tuesday, 10:00 in Shanghai
    for n in range(30):
        add_recorded_call(sessions, folder, f"tue-{n}", agent_id=people["agent"], seconds=0.2,
                          started=base + timedelta(minutes=n), caller=f"1390000{n:04d}",
                          disposition="complaint" if n % 10 == 0 else "resolved")
    add_recorded_call(sessions, folder, "other", agent_id=people["other"], started=base,
                      seconds=3.0, survey_score=1, direction=CallDirection.OUTBOUND)
    add_recorded_call(sessions, folder, "monday", agent_id=people["agent"],
                      started=base - timedelta(days=1))
    qa = client_as(app, "qa1")

    def found(**query):
        page = qa.get("/qa/", query_string=query)
        assert page.status_code == 200, page.get_data(as_text=True)
        return page.get_data(as_text=True)

    text = found(**{"from": "2026-11-24", "to": "2026-11-24", "agent": "1007",
                    "disposition": "complaint"})
    assert "3 calls" in text and "13900000010" in text and "13900000011" not in text
    assert "31 calls" in found(**{"from": "2026-11-24", "to": "2026-11-24"})
    assert "Page 1 of 2" in found(**{"from": "2026-11-24"}) and \
        "Page 2 of 2" in found(**{"from": "2026-11-24", "page": "2"})
    assert "1 calls" in found(number="0000012")
    with transaction(sessions) as db:  # a second recording of one call: still one row
        db.add(Recording(call_id=db.scalar(select(Call.id).where(Call.uuid == "tue-12")),
                         path=str(folder / "tue-12-whole.wav"), kind="whole_call",
                         retain_until=date(2027, 3, 1)))
    assert "1 calls" in found(number="0000012")
    assert "1 calls" in found(survey_max="2") and "1 calls" in found(direction="outbound")
    assert "1 calls" in found(min_seconds="3")
    assert "31 calls" in found(team="billing", **{"from": "2026-11-23"})
    add_team(sessions, "empty_team", "空班组")
    assert "0 calls" in found(team="empty_team", **{"from": "2026-11-23"})
    unknown = qa.get("/qa/", query_string={"team": "nope"})
    assert unknown.status_code == 400 and "team: no team &#39;nope&#39;" in unknown.get_data(as_text=True)
    bad = qa.get("/qa/", query_string={"from": "24/11/2026"})
    assert bad.status_code == 400 and "from: a date as YYYY-MM-DD" in bad.get_data(as_text=True)

    assert post(qa, "/qa/searches", {"name": "Tuesday complaints", "from": "2026-11-24",
                                     "disposition": "complaint"}).status_code == 302
    with sessions() as db:
        saved = db.scalar(select(QaSavedSearch))
    assert saved.query == {"from": "2026-11-24", "disposition": "complaint"}
    assert "Tuesday complaints" in found()

    # a supervisor sees only the agents of the team they lead
    assert "31 calls" in client_as(app, "lead1").get("/qa/").get_data(as_text=True)
    assert "0 calls" in client_as(app, "lead2").get("/qa/").get_data(as_text=True)


def test_audio_is_served_in_ranges_and_each_listen_is_logged(app, sessions, people, folder):
    _, recording_id = add_recorded_call(sessions, folder, "c1", agent_id=people["agent"])
    size = (folder / "c1-call.wav").stat().st_size
    qa = client_as(app, "qa1")
    first = qa.get(f"/qa/audio/{recording_id}", headers={"Range": "bytes=0-"})
    assert first.status_code == 206 and first.headers["Content-Type"] == "audio/wav"
    assert first.headers["Content-Range"] == f"bytes 0-{size - 1}/{size}"
    middle = qa.get(f"/qa/audio/{recording_id}", headers={"Range": "bytes=1000-1999"})
    assert middle.status_code == 206 and len(middle.data) == 1000
    assert middle.data == (folder / "c1-call.wav").read_bytes()[1000:2000]
    download = qa.get(f"/qa/audio/{recording_id}/download")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    with sessions() as db:
        log = [(a.agent_id, a.action, a.remote_addr) for a in db.scalars(select(RecordingAccess))]
    assert log == [(people["qa"], "listen", "127.0.0.1"), (people["qa"], "download", "127.0.0.1")]

    lead = client_as(app, "lead1")
    assert lead.get(f"/qa/audio/{recording_id}").status_code == 200
    assert lead.get(f"/qa/audio/{recording_id}/download").status_code == 403  # not theirs to take
    assert client_as(app, "lead2").get(f"/qa/audio/{recording_id}").status_code == 404
    assert client_as(app, "agent01").get(f"/qa/audio/{recording_id}").status_code == 403

    admin = client_as(app, "admin")
    page = admin.get("/qa/access-log").get_data(as_text=True)
    assert page.count("qa1") == 2 and "lead1" in page and "downloaded" in page


def test_agents_hear_their_own_calls_only_when_configured(app, db_engine, sessions, write_config,
                                                           fake_live, folder, people):
    _, own = add_recorded_call(sessions, folder, "own", agent_id=people["agent"])
    _, theirs = add_recorded_call(sessions, folder, "theirs", agent_id=people["other"])
    assert client_as(app, "agent01").get(f"/qa/audio/{own}").status_code == 403
    allowed = make_app(db_engine, sessions, write_config, fake_live, folder, hear_own=True)
    agent = client_as(allowed, "agent01")
    assert agent.get(f"/qa/audio/{own}").status_code == 200
    assert agent.get(f"/qa/audio/{theirs}").status_code == 404
    assert agent.get(f"/qa/audio/{own}/download").status_code == 403


def test_scoring_with_a_failed_critical_item_then_dispute_and_answer(app, sessions, people,
                                                                     folder):
    call_id, _ = add_recorded_call(sessions, folder, "c1", agent_id=people["agent"])
    qa = client_as(app, "qa1")
    page = qa.get(f"/qa/calls/{call_id}").get_data(as_text=True)
    assert "Verified the customer before discussing" in page and 'id="timeline-data"' in page
    assert '"label": "Hold"' in page and '"at_ms": 1000' in page  # hold 1 s after the answer
    assert '"masked": [{"end_ms": 600, "start_ms": 200}]' in page  # paused around a secret

    missing = post(qa, f"/qa/calls/{call_id}/evaluations",
                   {**ALL_GOOD, "form": "hotline:1", "item_courtesy": ""})
    assert missing.status_code == 400 and "item_courtesy: not answered" in missing.get_data(as_text=True)
    answers = {**ALL_GOOD, "form": "hotline:1", "item_verified_customer": "no",
               "comments": "Discussed the bill before verifying.",
               "moment_at_ms": ["1200", ""], "moment_text": ["Bill read out here", ""]}
    saved = post(qa, f"/qa/calls/{call_id}/evaluations", answers)
    assert saved.status_code == 302
    with sessions() as db:
        evaluation = db.scalar(select(QaEvaluation))
        assert (evaluation.total, evaluation.critical_failed, evaluation.status.value) == \
            (0, True, "submitted")
        assert evaluation.scorecard_version.definition["name"] == "hotline"
        assert [(m.at_ms, m.text) for m in evaluation.moments] == [(1200, "Bill read out here")]
        assert {i.item: i.answer for i in evaluation.items}["ticket_when_needed"] == "na"
        evaluation_id = evaluation.id

    agent = client_as(app, "agent01")
    mine = agent.get("/qa/mine").get_data(as_text=True)
    assert f'data-evaluation="{evaluation_id}"' in mine
    view = agent.get(f"/qa/evaluations/{evaluation_id}").get_data(as_text=True)
    assert "A critical item failed" in view and 'id="audio"' not in view  # no playback for agents
    assert client_as(app, "agent02").get(f"/qa/evaluations/{evaluation_id}").status_code == 404
    assert post(agent, f"/qa/evaluations/{evaluation_id}/dispute", {"reason": " "}).status_code == 302
    assert "reason — say what you dispute" in agent.get(f"/qa/evaluations/{evaluation_id}") \
        .get_data(as_text=True)
    post(agent, f"/qa/evaluations/{evaluation_id}/dispute",
         {"reason": "I verified by the service password in the IVR."})
    work = qa.get("/qa/worklist").get_data(as_text=True)
    assert "I verified by the service password" in work
    post(qa, f"/qa/evaluations/{evaluation_id}/answer",
         {"answer": "The IVR check is not enough for a bill: ask the account name."})
    view = agent.get(f"/qa/evaluations/{evaluation_id}").get_data(as_text=True)
    assert "ask the account name" in view and "btn-acknowledge" in view
    post(agent, f"/qa/evaluations/{evaluation_id}/acknowledge", {})
    with sessions() as db:
        evaluation = db.get(QaEvaluation, evaluation_id)
        assert evaluation.status.value == "acknowledged" and evaluation.acknowledged_at
        assert evaluation.disputes[0].answered_by_id == people["qa"]
        actions = [a.action for a in db.scalars(select(AuditLog).where(
            AuditLog.action.like("qa_%")).order_by(AuditLog.id))]
    assert actions == ["qa_evaluation", "qa_disputed", "qa_dispute_answered", "qa_acknowledged"]


def test_calibration_scores_stay_with_qa_and_show_the_spread(app, sessions, people, folder):
    call_id, _ = add_recorded_call(sessions, folder, "c1", agent_id=people["agent"])
    add_agent(sessions, "qa2", role=Role.QA)
    for name, courtesy in (("qa1", "5"), ("qa2", "2")):
        post(client_as(app, name), f"/qa/calls/{call_id}/evaluations",
             {**ALL_GOOD, "form": "hotline:1", "item_courtesy": courtesy, "calibration": "on"})
    page = client_as(app, "qa1").get(f"/qa/calls/{call_id}/calibration").get_data(as_text=True)
    # courtesy 2 of 5 loses 9 of the 90 points that apply (the ticket item is n/a): 90
    assert "Totals: 100, 90" in page and '<strong class="total-spread">10</strong>' in page
    assert "Courteous and patient" in page
    assert "No evaluation yet" in client_as(app, "agent01").get("/qa/mine").get_data(as_text=True)


def test_figures_per_agent_team_and_item_export_as_csv(app, sessions, people, folder):
    qa = client_as(app, "qa1")
    for uuid, verified in (("c1", "yes"), ("c2", "no")):
        call_id, _ = add_recorded_call(sessions, folder, uuid, agent_id=people["agent"])
        post(qa, f"/qa/calls/{call_id}/evaluations",
             {**ALL_GOOD, "form": "hotline:1", "item_verified_customer": verified})
    reply = qa.get("/qa/figures.csv")
    assert reply.status_code == 200 and reply.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(reply.get_data(as_text=True))))
    by = {(r["level"], r["key"]): r for r in rows}
    assert by[("agent", "agent01")]["evaluations"] == "2"
    assert by[("agent", "agent01")]["average"] == "50.0"
    assert by[("agent", "agent01")]["critical_failed"] == "1"
    assert by[("team", "billing")]["evaluations"] == "2"
    assert by[("item", "verified_customer")]["average"] == "50.0"
    assert "ticket_when_needed" not in {k for _, k in by}  # n/a both times: nothing to average


def test_the_work_list_samples_calls_by_the_rules(app, sessions, people, folder):
    now = datetime.now(timezone.utc) - timedelta(hours=1)
    add_recorded_call(sessions, folder, "low", agent_id=people["agent"], survey_score=1, started=now)
    complained, _ = add_recorded_call(sessions, folder, "complained", agent_id=people["agent"],
                                      started=now)
    with transaction(sessions) as db:
        db.add(Ticket(number="2611300009", call_id=complained, category=TicketCategory.COMPLAINT))
    for n in range(5):
        add_recorded_call(sessions, folder, f"n{n}", agent_id=people["other"], started=now)
    page = client_as(app, "qa1").get("/qa/worklist").get_data(as_text=True)
    assert page.count("low survey score") == 1 and page.count("complaint ticket") == 1
    assert page.count("random sample") == 2  # agent02's quota; agent01's is met by the two


def test_a_form_changed_under_the_same_version_is_refused(app, sessions, people, folder):
    call_id, _ = add_recorded_call(sessions, folder, "c1", agent_id=people["agent"])
    with transaction(sessions) as db:
        db.add(QaScorecardVersion(name="hotline", version=1, title="old", fingerprint="0" * 64,
                                  definition={}))
    reply = post(client_as(app, "qa1"), f"/qa/calls/{call_id}/evaluations",
                 {**ALL_GOOD, "form": "hotline:1"})
    assert reply.status_code == 400
    assert "hotline version 1 was changed after evaluations used it" in reply.get_data(as_text=True)


def test_legal_hold_from_the_admin_page_is_audited(app, sessions, people, folder):
    _, recording_id = add_recorded_call(sessions, folder, "c1", agent_id=people["agent"])
    admin = client_as(app, "admin")
    post(admin, "/qa/holds", {"recording_id": str(recording_id), "reason": ""})
    assert "needs a reason" in admin.get("/qa/access-log").get_data(as_text=True)
    post(admin, "/qa/holds", {"recording_id": str(recording_id), "reason": "case 9"})
    assert "case 9" in admin.get("/qa/access-log").get_data(as_text=True)
    post(admin, "/qa/holds", {"recording_id": str(recording_id), "action": "lift"})
    with sessions() as db:
        assert db.get(Recording, recording_id).legal_hold is False
        entries = [(a.action, a.actor_login) for a in db.scalars(
            select(AuditLog).where(AuditLog.object_type == "recording").order_by(AuditLog.id))]
    assert entries == [("legal_hold_set", "admin"), ("legal_hold_lifted", "admin")]


def test_the_qa_desk_speaks_mandarin(app, sessions, people, folder):
    call_id, _ = add_recorded_call(sessions, folder, "c1", agent_id=people["agent"])
    qa = client_as(app, "qa1")
    post(qa, "/language", {"language": "zh"})
    search = qa.get("/qa/").get_data(as_text=True)
    assert "查找通话" in search and "1 通" in search
    call = qa.get(f"/qa/calls/{call_id}").get_data(as_text=True)
    assert "为该通话评分" in call and "静音客户（左声道）" in call and "保持" in call
    post(qa, f"/qa/calls/{call_id}/evaluations",
         {**ALL_GOOD, "form": "hotline:1", "item_verified_customer": "no"})
    with sessions() as db:
        evaluation_id = db.scalar(select(QaEvaluation.id))
    page = qa.get(f"/qa/evaluations/{evaluation_id}").get_data(as_text=True)
    assert "致命项未通过：总分为 0" in page and "待座席确认" in page
    for url in ("/qa/worklist", "/qa/figures", f"/qa/calls/{call_id}/calibration"):
        assert qa.get(url).status_code == 200
    admin = client_as(app, "admin")
    post(admin, "/language", {"language": "zh"})
    assert "录音访问记录" in admin.get("/qa/access-log").get_data(as_text=True)


def test_search_by_campaign_and_by_ticket_number(app, sessions, people, folder):
    from callcenter.models import Campaign, CampaignContact, CampaignKind, Ticket, TicketCategory
    for n in range(4):
        add_recorded_call(sessions, folder, f"out-{n}", agent_id=people["agent"],
                          caller=f"8613700000{n:02d}", direction=CallDirection.OUTBOUND)
    add_recorded_call(sessions, folder, "in-0", agent_id=people["agent"])
    with transaction(sessions) as db:
        campaigns = [Campaign(name=name, kind=CampaignKind.MARKETING) for name in ("family plan", "fibre")]
        db.add_all(campaigns)
        db.flush()
        calls = {c.uuid: c for c in db.scalars(select(Call))}
        for n, campaign in ((0, campaigns[0]), (1, campaigns[0]), (2, campaigns[1])):
            contact = CampaignContact(campaign_id=campaign.id, phone=f"8613700000{n:02d}")
            db.add(contact)
            db.flush()
            calls[f"out-{n}"].campaign_contact_id = contact.id
        db.add(Ticket(number="2611300042", call_id=calls["out-2"].id, category=TicketCategory.COMPLAINT))
        ids = {uuid: call.id for uuid, call in calls.items()}
    qa = client_as(app, "qa1")

    def found(**query):
        page = qa.get("/qa/", query_string=query)
        assert page.status_code == 200, page.get_data(as_text=True)
        return page.get_data(as_text=True)

    family = found(campaign="family plan")
    rows = {uuid for uuid, call_id in ids.items() if f'data-call="{call_id}"' in family}
    assert "2 calls" in family and rows == {"out-0", "out-1"}
    assert "1 calls" in found(campaign="fibre", ticket="2611300042")
    assert "0 calls" in found(campaign="family plan", ticket="2611300042")
    bad = qa.get("/qa/", query_string={"campaign": "no such"})
    assert bad.status_code == 400 and "campaign: no campaign named &#39;no such&#39;" in bad.get_data(as_text=True)


def test_a_consultations_recording_is_offered_beside_the_calls_own(app, sessions, people, folder):
    call_id, own_id = add_recorded_call(sessions, folder, "with-consult", agent_id=people["agent"])
    with transaction(sessions) as db:
        consult = Recording(call_id=call_id, path=str(folder / "with-consult-consult-ab12cd34.wav"),
                            kind="consult", retain_until=date(2027, 3, 1))
        db.add(consult)
        db.flush()
        consult_id = consult.id
    qa = client_as(app, "qa1")
    page = qa.get(f"/qa/calls/{call_id}").get_data(as_text=True)
    assert f"/qa/audio/{own_id}" in page and f"recording={consult_id}" in page
    chosen = qa.get(f"/qa/calls/{call_id}", query_string={"recording": consult_id}).get_data(as_text=True)
    assert f"/qa/audio/{consult_id}" in chosen and f"recording={own_id}" in chosen
    other_call, _ = add_recorded_call(sessions, folder, "unrelated", agent_id=people["agent"])
    foreign = qa.get(f"/qa/calls/{other_call}", query_string={"recording": consult_id}).get_data(as_text=True)
    assert f"/qa/audio/{consult_id}" not in foreign  # only the call's own files


def test_a_supervisor_scope_follows_the_database_teams(app, sessions, people, folder):
    """lead1 leads billing (agent01); a team member made inactive drops out; while no
    team has a lead, every supervisor sees every agent (as with no teams configured)."""
    add_recorded_call(sessions, folder, "mine", agent_id=people["agent"])
    add_recorded_call(sessions, folder, "theirs", agent_id=people["other"])
    lead1, lead2 = client_as(app, "lead1"), client_as(app, "lead2")
    assert "1 calls" in lead1.get("/qa/").get_data(as_text=True)
    assert "0 calls" in lead2.get("/qa/").get_data(as_text=True)
    add_team(sessions, "orders", "业务受理班组", (people["other"],), lead=people["other_lead"])
    assert "1 calls" in lead2.get("/qa/").get_data(as_text=True)
    with transaction(sessions) as db:
        db.get(Agent, people["agent"]).active = False
    assert "0 calls" in lead1.get("/qa/").get_data(as_text=True)
    with transaction(sessions) as db:
        for team in db.scalars(select(Team)):
            team.lead_id = None
    assert "2 calls" in lead1.get("/qa/").get_data(as_text=True)
    assert "2 calls" in lead2.get("/qa/").get_data(as_text=True)


def test_a_recording_the_switch_discarded_as_empty_says_no_audio_instead_of_a_player(
        app, sessions, people, folder):
    call_id, recording_id = add_recorded_call(sessions, folder, "as-connected", agent_id=people["agent"])
    (folder / "as-connected-call.wav").unlink()  # the switch deleted it: no audio frame came
    with transaction(sessions) as db:
        recording = db.get(Recording, recording_id)
        recording.empty, recording.duration_ms, recording.sha256, recording.size_bytes = True, 0, None, None
    qa = client_as(app, "qa1")
    page = qa.get(f"/qa/calls/{call_id}").get_data(as_text=True)
    assert 'id="no-audio"' in page and "the call ended as it was connected" in page
    assert f"/qa/audio/{recording_id}" not in page and 'id="audio"' not in page
    found = qa.get("/qa/").get_data(as_text=True)
    row = found[found.index(f'<tr data-call="{call_id}">'):]
    assert "no audio" in row[:row.index("</tr>")]
    assert qa.get(f"/qa/audio/{recording_id}").status_code == 404
    assert client_as(app, "agent01").get(f"/qa/audio/{recording_id}").status_code == 403  # roles as before
