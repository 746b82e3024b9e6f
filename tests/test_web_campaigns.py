"""The campaigns desk: a supervisor creates a campaign (form errors name the field),
starts, pauses and stops it, and reads its figures; every change is audited."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from callcenter.db import transaction
from callcenter.dialer import store
from callcenter.models import (AuditLog, Campaign, CampaignAttempt, CampaignKind, CampaignStatus,
                               Role)
from web_fixtures import *  # noqa: F401,F403
from web_fixtures import add_agent, csrf_of, login

FORM = {"name": "overdue november", "kind": "collections", "flow": "collections",
        "queue_name": "", "caller_id": "95555", "window_start": "09:00", "window_end": "20:00",
        "max_attempts": "3", "ring_timeout": "25", "max_lines": "12"}


class Contact:
    def __init__(self, phone, amount_cents=None):
        self.phone, self.amount_cents = phone, amount_cents


def supervisor(client, sessions):
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    login(client, "lead1")
    return csrf_of(client)


def test_a_supervisor_creates_a_collections_campaign_from_the_form(client, sessions):
    token = supervisor(client, sessions)

    response = client.post("/campaigns/new", data={**FORM, "csrf_token": token})

    assert response.status_code == 302
    with sessions() as db:
        campaign = db.scalar(select(Campaign))
        audit = db.scalar(select(AuditLog).where(AuditLog.action == "campaign_create"))
    assert (campaign.kind, campaign.flow, campaign.caller_id, campaign.max_lines) == (
        CampaignKind.COLLECTIONS, "collections", "95555", 12)
    assert campaign.status is CampaignStatus.DRAFT and campaign.ring_timeout == 25
    assert campaign.settings["windows"]["mon"] == ["09:00-20:00"] == campaign.settings["windows"]["sun"]
    assert response.headers["Location"].endswith(f"/campaigns/{campaign.id}")
    assert audit.actor_login == "lead1" and audit.object_id == str(campaign.id)
    listing = client.get("/campaigns/").get_data(as_text=True)
    assert "overdue november" in listing and "draft" in listing


def test_form_errors_name_the_field_and_nothing_is_saved(client, sessions):
    token = supervisor(client, sessions)
    cases = [({"name": ""}, "name-error"), ({"flow": ""}, "flow-error"),
             ({"kind": "marketing"}, "queue_name-error"), ({"window_end": "8pm"}, "window_end-error"),
             ({"window_start": "21:00"}, "window_end-error"), ({"max_lines": "0"}, "max_lines-error"),
             ({"caller_id": "95555; drop"}, "caller_id-error")]
    for change, field in cases:
        response = client.post("/campaigns/new", data={**FORM, **change, "csrf_token": token})
        assert response.status_code == 400, change
        assert f'id="{field}"' in response.get_data(as_text=True), change
    with sessions() as db:
        assert db.scalar(select(Campaign)) is None


def test_start_pause_stop_follow_the_campaign_s_state(client, sessions):
    token = supervisor(client, sessions)
    client.post("/campaigns/new", data={**FORM, "csrf_token": token})
    with transaction(sessions) as db:
        campaign_id = db.scalar(select(Campaign.id))
        store.add_contacts(db, campaign_id, [Contact("13900000001", 1000)])

    def act(action):
        return client.post(f"/campaigns/{campaign_id}/{action}", data={"csrf_token": token})

    def status():
        with sessions() as db:
            return db.get(Campaign, campaign_id).status

    act("pause")  # a draft cannot be paused
    assert status() is CampaignStatus.DRAFT
    act("start")
    assert status() is CampaignStatus.RUNNING
    act("pause")
    assert status() is CampaignStatus.PAUSED
    act("start")
    act("stop")
    assert status() is CampaignStatus.STOPPED
    act("start")  # stopped for good
    assert status() is CampaignStatus.STOPPED
    with sessions() as db:
        actions = list(db.scalars(select(AuditLog.action).where(AuditLog.object_type == "campaign")
                                  .order_by(AuditLog.id)))
    assert actions == ["campaign_create", "campaign_start", "campaign_pause", "campaign_start",
                       "campaign_stop"]


def test_a_campaign_with_nobody_to_call_cannot_start(client, sessions):
    token = supervisor(client, sessions)
    client.post("/campaigns/new", data={**FORM, "csrf_token": token})
    with sessions() as db:
        campaign_id = db.scalar(select(Campaign.id))
    page = client.post(f"/campaigns/{campaign_id}/start", data={"csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "Upload a contact list first" in page
    with sessions() as db:
        assert db.get(Campaign, campaign_id).status is CampaignStatus.DRAFT


def test_the_figures_show_the_abandon_rate_of_the_window_against_the_limit(client, sessions,
                                                                           web_services):
    pinned = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)
    web_services.extras["dialer_clock"] = lambda: pinned
    token = supervisor(client, sessions)
    client.post("/campaigns/new", data={**FORM, "csrf_token": token})
    recent = pinned - timedelta(hours=1)
    old = pinned - timedelta(days=3)  # outside the 24 h window
    with transaction(sessions) as db:
        campaign_id = db.scalar(select(Campaign.id))
        store.add_contacts(db, campaign_id, [Contact(f"1390000{n:04d}") for n in range(60)])
        contacts = store.contacts(db, campaign_id)
        for n, contact in enumerate(contacts):
            at = old if n < 20 else recent
            db.add(CampaignAttempt(campaign_id=campaign_id, contact_id=contact.id, uuid=f"u{n}",
                                   number=contact.phone, claimed_at=at, outcome="answered",
                                   answered_at=at, abandoned=n < 10 or n in (20, 21)))

    figures = client.get(f"/campaigns/{campaign_id}/figures").get_json()

    assert figures["dials"] == 60 and figures["answered"] == 60
    assert figures["abandon_rate"] == round(2 / 40, 4)  # the window's 40 calls, not all 60
    assert figures["abandon_limit"] == 0.03 and figures["within_limit"] is False
    assert figures["contacts"]["pending"] == 60 and figures["max_lines"] == 12
    page = client.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert 'id="abandon"' in page and "5.0% / 3.0%" in page
    assert 'id="hours"' in page and 'value="40"' in page  # the last hour's 40 dials (12 h shown)
    assert "11-23 13:00" in page  # 05:30 UTC is 13:30 in Shanghai


GOOD_CSV = """phone,name,amount_due,due_date,note
13900000001,Wang Fang,128.50,2026-11-10,first notice
13900000002,Li Na,99.00,2026-11-12,
13900000003,Zhang Wei,12.00,2026-11-15,
"""
BAD_CSV = """phone,name,amount_due,due_date,note
13900000001,Wang Fang,128.50,2026-11-10,first notice
not-a-number,Li Na,99.00,2026-11-12,
13900000003,Zhang Wei,twelve,2026-11-15,
"""


def upload(client, campaign_id, token, text, name="list.csv"):
    import io
    return client.post(f"/campaigns/{campaign_id}/contacts",
                       data={"csrf_token": token, "contacts": (io.BytesIO(text.encode()), name)},
                       content_type="multipart/form-data")


def test_a_list_with_bad_rows_is_refused_whole_with_each_line_and_reason(client, sessions):
    token = supervisor(client, sessions)
    client.post("/campaigns/new", data={**FORM, "csrf_token": token})
    with sessions() as db:
        campaign_id = db.scalar(select(Campaign.id))

    refused = upload(client, campaign_id, token, BAD_CSV)

    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "was not imported: 2 bad rows" in page
    assert "<td class=\"num\">3</td><td>phone: " in page and "<td class=\"num\">4</td><td>amount_due: " in page
    with sessions() as db:
        assert store.contacts(db, campaign_id) == []

    accepted = upload(client, campaign_id, token, GOOD_CSV)

    assert accepted.status_code == 200 and "3 contacts added" in accepted.get_data(as_text=True)
    with sessions() as db:
        rows = {c.phone: c for c in store.contacts(db, campaign_id)}
        audit = db.scalar(select(AuditLog).where(AuditLog.action == "campaign_contacts_import"))
    assert rows["8613900000001"].amount_cents == 12850 and rows["8613900000001"].source_line == 2
    assert rows["8613900000001"].data == {"note": "first notice"}
    assert audit.details["rows"] == 3


def test_listed_numbers_and_repeats_are_reported_as_not_called(client, sessions):
    token = supervisor(client, sessions)
    client.post("/campaigns/new", data={**FORM, "csrf_token": token})
    with transaction(sessions) as db:
        campaign_id = db.scalar(select(Campaign.id))
        store.add_do_not_call(db, "13900000002", at=datetime.now(timezone.utc))
    page = upload(client, campaign_id, token, GOOD_CSV + "13900000001,again,1.00,2026-11-10,\n"
                  ).get_data(as_text=True)
    assert "2 contacts added" in page
    assert "on the do-not-call list" in page and "duplicate of line 2" in page


def test_a_campaign_file_creates_the_campaign_and_its_problems_name_line_and_column(client, sessions):
    import io
    token = supervisor(client, sessions)
    good = """name: overdue_december
kind: collections
flow: collections
caller_id: "95598"
calling_windows: {mon: ["09:00-12:00", "14:00-20:00"], sat: ["10:00-16:00"]}
holidays: [2026-12-25]
retry_delays: {busy: 10m, no_answer: 1h}
abandon_window: 30d
max_lines: 15
"""
    bad = good.replace("max_lines: 15", "max_lines: 15\nring_timeout: 5s")

    refused = client.post("/campaigns/new", data={"csrf_token": token, "campaign_file": (
        io.BytesIO(bad.encode()), "december.yaml")}, content_type="multipart/form-data")
    created = client.post("/campaigns/new", data={"csrf_token": token, "campaign_file": (
        io.BytesIO(good.encode()), "december.yaml")}, content_type="multipart/form-data")

    assert refused.status_code == 400
    assert "december.yaml:10:" in refused.get_data(as_text=True)  # ring_timeout is on line 10
    assert created.status_code == 302, created.get_data(as_text=True)[-3000:]
    with sessions() as db:
        campaign = db.scalar(select(Campaign))
    assert campaign.name == "overdue_december" and campaign.max_lines == 15
    assert campaign.settings["windows"]["mon"] == ["09:00-12:00", "14:00-20:00"]
    assert campaign.settings["windows"]["sun"] == [] and campaign.settings["holidays"] == ["2026-12-25"]
    assert campaign.settings["retry_delays"]["busy"] == 600
    assert campaign.settings["abandon_window_hours"] == 720
    assert campaign.source_yaml == good


def test_an_agent_sees_the_callbacks_they_promised_the_most_overdue_first(client, sessions,
                                                                          web_services):
    pinned = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)
    web_services.extras["dialer_clock"] = lambda: pinned
    me = add_agent(sessions, "agent01")
    other = add_agent(sessions, "agent02")
    from callcenter.models import CallbackRequest
    with transaction(sessions) as db:
        db.add_all([
            CallbackRequest(phone="8613900000002", agent_id=me, note="later",
                            scheduled_for=pinned + timedelta(hours=2)),
            CallbackRequest(phone="8613900000001", agent_id=me, note="overdue",
                            scheduled_for=pinned - timedelta(hours=1)),
            CallbackRequest(phone="8613900000003", agent_id=other, note="not mine")])
    login(client, "agent01")

    page = client.get("/campaigns/my-callbacks").get_data(as_text=True)

    assert page.index("overdue") < page.index("later") and "not mine" not in page
    assert "2026-11-23 13:00" in page  # 05:00 UTC in Shanghai, marked overdue
    assert 'href="/campaigns/my-callbacks"' in page


def test_callbacks_show_their_attempts_next_attempt_and_how_they_ended(client, sessions,
                                                                       web_services):
    pinned = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)
    web_services.extras["dialer_clock"] = lambda: pinned
    me = add_agent(sessions, "agent01")
    from callcenter.models import CallbackRequest, CallbackStatus
    with transaction(sessions) as db:
        db.add_all([
            CallbackRequest(phone="8613900000001", agent_id=me, note="busy twice", attempts=2,
                            last_outcome="busy", scheduled_for=pinned + timedelta(minutes=5),
                            reason="busy on attempt 2 of 4: retry after 5 min"),
            CallbackRequest(phone="8613900000002", agent_id=me, note="given up", attempts=4,
                            status=CallbackStatus.FAILED, last_outcome="no_answer",
                            last_attempt_at=pinned - timedelta(hours=1),
                            reason="no more attempts (no_answer on attempt 4 of 4)"),
            CallbackRequest(phone="8613900000003", note="from the IVR", attempts=0),
            CallbackRequest(phone="8613900000004", agent_id=me, note="long done", attempts=1,
                            status=CallbackStatus.FAILED, last_attempt_at=pinned - timedelta(days=30))])
    login(client, "agent01")

    mine = client.get("/campaigns/my-callbacks").get_data(as_text=True)
    assert mine.index("busy twice") < mine.index("given up") and "from the IVR" not in mine
    assert "2026-11-23 14:05" in mine  # the next attempt, in Shanghai
    assert "to try again" in mine and "no more attempts" in mine and "long done" not in mine
    assert '<td class="num attempts">2</td>' in mine and '<td class="num attempts">4</td>' in mine

    lead = client.application.test_client()
    supervisor(lead, sessions)
    everyone = lead.get("/campaigns/callbacks").get_data(as_text=True)
    assert "from the IVR" in everyone and "as soon as possible" in everyone
    assert "agent01" in everyone and "no answer" in everyone
    assert 'href="/campaigns/callbacks"' in lead.get("/campaigns/").get_data(as_text=True)


def test_the_timeline_gives_quarter_hours_with_abandon_rate_and_agent_occupancy(client, sessions,
                                                                               web_services):
    from callcenter.models import Call, CallDirection
    pinned = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)
    web_services.extras["dialer_clock"] = lambda: pinned
    token = supervisor(client, sessions)
    agent_id = add_agent(sessions, "agent01")
    client.post("/campaigns/new", data={**FORM, "csrf_token": token})
    quarter = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)  # the 06:00-06:15 quarter
    with transaction(sessions) as db:
        campaign_id = db.scalar(select(Campaign.id))
        store.add_contacts(db, campaign_id, [Contact(f"1390000{n:04d}") for n in range(4)])
        for n, contact in enumerate(store.contacts(db, campaign_id)):
            at = quarter + timedelta(minutes=n)
            answered = at + timedelta(seconds=5) if n < 3 else None
            db.add(CampaignAttempt(campaign_id=campaign_id, contact_id=contact.id, uuid=f"u{n}",
                                   number=contact.phone, claimed_at=at, answered_at=answered,
                                   outcome="answered" if answered else "no_answer", abandoned=n == 2))
            if n == 0:  # agent01 talks 450 s of that quarter
                db.add(Call(uuid=f"u{n}", direction=CallDirection.OUTBOUND, campaign_contact_id=contact.id,
                            agent_id=agent_id, agent_answered_at=quarter,
                            ended_at=quarter + timedelta(seconds=450), created_at=at))
    timeline = client.get(f"/campaigns/{campaign_id}/timeline").get_json()
    assert timeline["abandon_limit"] == 0.03 and len(timeline["quarters"]) == 25  # 6 h, both ends
    by_start = {q["start"]: q for q in timeline["quarters"]}
    assert by_start[quarter.isoformat()] == {
        "start": quarter.isoformat(), "dials": 4, "answered": 3, "abandoned": 1,
        "abandon_rate": round(1 / 3, 4), "over_limit": True, "occupancy": 0.5}
    assert by_start[(quarter + timedelta(minutes=15)).isoformat()]["dials"] == 0
    client.get("/logout")
    login(client, "agent01")
    assert client.get(f"/campaigns/{campaign_id}/timeline").status_code == 403
