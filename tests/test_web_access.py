"""Every route, every role and anonymous: the expected status; CSRF on every
state-changing route; login lockout; cookie flags; the OpenAPI description."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import Agent, AuditLog, Role
from web_fixtures import *  # noqa: F401,F403
from web_fixtures import add_agent, add_customer, login

PUBLIC = {"static", "health.health", "auth.login", "api.openapi"}
ANY = {"agent", "supervisor", "qa", "admin", "backoffice"}
KIOSK = {"wallboard"}  # a wall screen's login: the wallboard, its data, and its own session
DESK = {"agent", "supervisor"}
FLOOR = {"supervisor", "admin"}
# The access rules, written down independently of the code: endpoint -> roles.
RULES = {
    "auth.index": ANY | KIOSK, "auth.welcome": ANY, "auth.logout": ANY | KIOSK,
    "auth.language": ANY | KIOSK,
    "desk.desk": DESK, "floor.board": FLOOR,
    "admin.agents": {"admin"}, "admin.agent_new": {"admin"}, "admin.agent_edit": {"admin"},
    "admin.skill_new": {"admin"}, "api.skills_create": {"admin"},
    "api.me": ANY, "api.desk_status": DESK, "api.desk_state": DESK, "api.desk_hold": DESK,
    "api.desk_transfer": DESK, "api.desk_consult": DESK, "api.desk_hangup": DESK,
    "api.desk_wrapup": DESK, "api.desk_end_wrapup": DESK, "api.desk_extend_wrapup": DESK,
    "api.customer": DESK | FLOOR, "api.ticket_create": DESK, "api.ticket_get": DESK | FLOOR,
    "api.ticket_note": DESK | FLOOR,
    "api.floor": FLOOR, "api.floor_force_state": FLOOR, "api.floor_eavesdrop": FLOOR,
    "api.agents_list": {"admin"}, "api.agents_create": {"admin"}, "api.agents_update": {"admin"},
    "events.desk": DESK, "events.floor": FLOOR,
}
# issue 11: SIP credentials apart from the console password
RULES.update({"admin.sip_password_rotate": {"admin"}, "api.agents_sip_password": {"admin"}})
SAMPLE = {"uuid": "call-1", "number": "2611210001", "filename": "app.css"}
# issue 13, the QA desk: qa and supervisors review; agents their own evaluations; admins the log
RULES.update({f"qa.{name}": {"qa", "supervisor"} for name in (
    "search", "search_save", "search_delete", "call", "evaluate", "calibration", "answer",
    "worklist", "figures", "figures_csv")})
# (agents hear their own calls only with recordings.agents_hear_own, off here: 403)
RULES.update({"qa.audio": {"qa", "supervisor"}, "qa.download": {"qa"},
              "qa.evaluation": {"qa", "supervisor", "agent"}, "qa.acknowledge": {"agent"},
              "qa.dispute": {"agent"}, "qa.mine": {"agent"}, "qa.access_log": {"admin"},
              "qa.hold": {"admin"}})
SAMPLE.update({"call_id": 1, "audio_id": 1, "evaluation_id": 1, "search_id": 1})
# issue 15: reports and the wallboard
RULES.update({"reports.index": FLOOR, "reports.calls": FLOOR, "reports.export": FLOOR,
              "reports.agent_spans": FLOOR, "wallboard.wallboard": FLOOR})
PUBLIC.add("wallboard.screen")  # its own key (reports.wallboard_key), else 404
SAMPLE.update({"kind": "csv", "login": "user_supervisor", "key": "not-the-key"})
# issue 14: tickets closed loop; the back-office desk
BACKOFFICE = {"backoffice", "supervisor"}
RULES.update({f"tickets.{name}": DESK for name in (
    "mine", "finish_call", "hand_over", "reopen", "cancel", "dispatch", "inform", "customers",
    "customer")})
RULES.update({name: DESK | FLOOR | {"backoffice"} for name in (
    "tickets.detail", "tickets.note", "tickets.attach", "tickets.attachment")})
RULES.update({"tickets.search": DESK | FLOOR})
RULES.update({f"backoffice.{name}": BACKOFFICE for name in (
    "queue", "accept", "start", "answer", "send_back", "retry")})
SAMPLE.update({"message_id": 1, "attachment_id": 1})
# issue 12: the campaigns desk (supervisors)
RULES.update({f"campaigns.{name}": {"supervisor"} for name in (
    "index", "new", "show", "live_figures", "live_timeline", "change", "upload")})
RULES.update({"campaigns.my_callbacks": DESK, "campaigns.callbacks": {"supervisor"}})
# issue 13: the agent pauses their own call's recording
RULES.update({"api.desk_pause": DESK, "api.desk_pause_state": DESK})
SAMPLE.update({"campaign_id": 1, "action": "start"})
RULES.update({f"api.{name}": DESK for name in ("desk_preview", "desk_preview_call", "desk_preview_skip")})
SAMPLE.update({"contact_id": 1})
# issue 15, the rest: teams, the newer figures' drill-downs, the kiosk role
RULES.update({"admin.team_new": {"admin"}, "admin.team_lead": {"admin"}, "wallboard.wallboard": FLOOR | KIOSK,
              "wallboard.data": FLOOR | KIOSK})
RULES.update({f"reports.{name}": FLOOR for name in (
    "availability_day", "campaign_dials", "answer_back_tickets", "accuracy_evaluations")})
SAMPLE.update({"day": "2026-11-16"})
# issue 14: ticket deadline messages (owner, group, supervisors)
NOTICES = DESK | {"backoffice"}
RULES.update({f"notifications.{name}": NOTICES for name in ("inbox", "read", "read_all")})
RULES.update({"api.notifications_list": NOTICES, "api.notification_read": NOTICES})
SAMPLE.update({"notification_id": 1})
# issue 14: hand-over to a team of agents, taken by one of them
RULES.update({"tickets.hand_over_team": DESK, "tickets.take": DESK,
              "api.ticket_hand_over": DESK, "api.ticket_take": DESK})


@pytest.fixture
def staff(sessions):
    ids = {role.value: add_agent(sessions, f"user_{role.value}", role=role) for role in Role}
    ids["customer"] = add_customer(sessions)
    return ids


def routes(app, staff):
    for rule in app.url_map.iter_rules():
        values = {arg: staff["customer"] if arg == "customer_id" else
                  staff["agent"] if arg == "agent_id" else SAMPLE[arg] for arg in rule.arguments}
        url = app.url_map.bind("localhost").build(rule.endpoint, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def as_role(client, agent_id):
    with client.session_transaction() as session:
        session.clear()
        if agent_id is not None:
            session["agent_id"] = agent_id
        session["csrf_token"] = "token-for-tests"


def request(client, method, url, csrf=True):
    headers = {"X-CSRF-Token": "token-for-tests"} if csrf else {}
    response = client.open(url, method=method, json={} if method != "GET" else None,
                           headers=headers)
    status, location = response.status_code, response.headers.get("Location", "")
    response.close()  # event streams: stop at the headers
    return status, location


def test_every_route_has_a_written_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - PUBLIC == set(RULES), "classify new routes in RULES"


@pytest.mark.parametrize("role", [None, "agent", "supervisor", "qa", "admin", "backoffice",
                                  "wallboard"])
def test_every_route_with_every_role(app, client, staff, role):
    checked = 0
    for endpoint, method, url in routes(app, staff):
        as_role(client, staff[role] if role else None)
        status, location = request(client, method, url)
        where = f"{method} {url} as {role or 'anonymous'}"
        if endpoint in PUBLIC:  # (POST /login answers 401 to the empty credentials)
            assert status < 500 and status != 403, f"{where}: {status}"
        elif role is None:
            expected = 401 if url.startswith("/api/") else 302
            assert status == expected, f"{where}: {status}"
            if status == 302:
                assert "/login" in location, where
        elif role in RULES[endpoint]:
            assert status < 500 and status not in (401, 403), f"{where}: {status}"
        else:
            assert status == 403, f"{where}: {status}"
        checked += 1
    assert checked > 30


def test_every_state_changing_route_refuses_a_missing_csrf_token(app, client, staff):
    posts = [(e, m, u) for e, m, u in routes(app, staff) if m not in ("GET",)]
    assert len(posts) >= 15
    for endpoint, method, url in posts:
        as_role(client, staff["admin"] if endpoint != "auth.login" else None)
        status, _ = request(client, method, url, csrf=False)
        assert status == 400, f"{method} {url} without a CSRF token: {status}"
    as_role(client, staff["agent"])
    bad = client.post("/api/v1/desk/state", json={"state": "ready"},
                      headers={"X-CSRF-Token": "forged"})
    assert bad.status_code == 400


def test_login_failures_lock_the_account_and_log_it(client, sessions, app):
    add_agent(sessions, "agent01")
    for _ in range(5):
        assert login(client, "agent01", "wrong password").status_code == 401
    # now even the right password is refused until the lock expires
    page = login(client, "agent01")
    assert page.status_code == 401 and "Too many failed attempts" in page.get_data(as_text=True)
    with sessions() as db:
        agent = db.scalar(select(Agent).where(Agent.login == "agent01"))
        assert agent.locked_until > datetime.now(timezone.utc)
        entry = db.scalar(select(AuditLog).where(AuditLog.action == "login_locked"))
        assert entry.remote_addr == "127.0.0.1"
    with transaction(sessions) as db:
        db.scalar(select(Agent).where(Agent.login == "agent01")).locked_until = None
    assert login(client, "agent01").status_code == 302


def test_a_failed_login_is_slowed_down(web_services):
    import time

    from web import create_app
    app = create_app(web_services, {"LOGIN_FAILURE_DELAY": 0.3})
    add_agent(web_services.sessions, "agent01")
    client = app.test_client()
    started = time.monotonic()
    assert login(client, "agent01", "nope").status_code == 401
    assert time.monotonic() - started >= 0.3


def test_session_cookie_is_httponly_and_samesite(client, sessions, web_services):
    add_agent(sessions, "agent01")
    reply = login(client, "agent01")
    cookie = reply.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert reply.headers["X-Frame-Options"] == "DENY"


def test_secure_cookies_follow_the_config(db_engine, sessions, write_config, fake_live):
    from callcenter.config import load_config
    from callcenter.engine import Services
    from web import create_app
    config = load_config(write_config("switch:\n  password: x\nweb:\n  secure_cookies: true\n"))
    services = Services(config=config, db_engine=db_engine, sessions=sessions,
                        secret_key="k" * 32, extras={"live": fake_live})
    add_agent(sessions, "agent01")
    reply = login(create_app(services).test_client(), "agent01")
    assert "Secure" in reply.headers["Set-Cookie"]


def test_login_redirect_never_leaves_the_site(client, sessions):
    add_agent(sessions, "agent01")
    page = client.get("/login?next=//evil.example/x")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    reply = client.post("/login?next=//evil.example/x",
                        data={"login": "agent01", "password": "correct horse 1", "csrf_token": token})
    assert reply.headers["Location"] == "/desk/"


def test_every_api_route_is_in_the_openapi_description(app, client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    described = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<int:{arg}>", f"{{{arg}}}").replace(f"<{arg}>", f"{{{arg}}}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in described, f"{method} {path} is not described"
    assert len(described) == sum(len(r.methods - {"HEAD", "OPTIONS"})
                                 for r in app.url_map.iter_rules() if r.rule.startswith("/api/"))


def test_no_recording_path_is_exposed(app):
    assert not [r.rule for r in app.url_map.iter_rules() if "record" in r.rule.lower()]
