"""The supervisor floor: board (live + KPIs from the call log), callers waiting and why,
force state, eavesdrop, and agent management with its audit trail."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from callcenter.config import load_config
from callcenter.models import Agent, AgentSkill, AuditLog, Role, Skill
from callcenter.reports import dayfile
from callcenter.reports.facts import CallRecord, Event
from web.ports import LiveCall, QueueLive, WaitingCaller
from web_fixtures import *  # noqa: F401,F403
from web_fixtures import QUEUES, FakeLive, add_agent, add_customer, csrf_of, login, now


def post(client, url, body=None):
    return client.post(url, json=body or {}, headers={"X-CSRF-Token": csrf_of(client)})


def log_call(db_engine, uuid, queued_ago, *, queue="billing", wait=None, talk=60, abandon=None,
             agent="agent01", at=None):
    """A call as the engine logs it: joined ``queue`` ``queued_ago`` s before ``at`` (default:
    the fake console's now), answered by ``agent`` after ``wait`` s and talked ``talk`` s, or
    abandoned after ``abandon`` s."""
    joined = (at or now()) - timedelta(seconds=queued_ago)
    events = [Event(joined, "ivr_finished", {"outcome": "queue", "need": queue})]
    if abandon is not None:
        events.append(Event(joined + timedelta(seconds=abandon), "abandoned", {"queue": queue}))
    elif wait is not None:
        answered = joined + timedelta(seconds=wait)
        events.append(Event(answered, "connected", {"agent": agent}))
        if talk is not None:
            events.append(Event(answered + timedelta(seconds=talk), "ended", {}))
    with db_engine.begin() as connection:
        dayfile.store(connection, [CallRecord(uuid, events=tuple(events), queue_name=queue,
                                              ivr_flow="main")], [])


def test_the_board_shows_queues_agents_and_calls_with_their_routing_reason(client, sessions,
                                                                          fake_live, db_engine):
    agent = add_agent(sessions, "agent01", name="Wang Fang")
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    add_customer(sessions)
    # today on billing (11:00 in Shanghai): answered in 10 s, in 40 s, abandoned after 30 s;
    # plus one 2 hours ago
    log_call(db_engine, "a", 300, wait=10)
    log_call(db_engine, "b", 200, wait=40)
    log_call(db_engine, "c", 100, abandon=30)
    log_call(db_engine, "d", 7200, wait=5)
    fake_live.queues["billing"] = QueueLive("billing", 2, 47.4)
    fake_live.set_agent_state(agent, "ready")
    fake_live.offer(agent, LiveCall("live-1", "13800000001", "offered", None, queue="billing",
                                    routing_reason="billing level 9, longest idle"))
    login(client, "lead1")
    board = client.get("/api/v1/floor").json
    billing = board["queues"][0]
    assert billing["name"] == "billing" and billing["waiting"] == 2 and billing["longest_wait"] == 47
    assert billing["display_name"] == "Bill inquiry" and billing["aht"] == "60s"
    assert billing["offered"] == 4 and billing["abandoned"] == 1
    assert billing["service_level_today"] == "50%"  # a, d in time; b late; c abandoned
    assert billing["service_level_30min"] == "33%"  # a in time; b late; c abandoned
    assert board["agents_by_state"] == {"offered": 1}
    row = board["agents"][0]
    assert (row["name"], row["state"], row["handled_today"], row["call_uuid"]) == \
        ("Wang Fang", "offered", 3, "live-1")
    assert board["calls"][0]["routing_reason"] == "billing level 9, longest idle"


def test_the_service_level_counts_each_queues_own_threshold_from_the_queues_file(
        client, sessions, fake_live, web_services, tmp_path, write_config, db_engine):
    import yaml
    document = yaml.safe_load(QUEUES.read_text(encoding="utf-8"))
    document["queues"]["billing"]["service_level"] = {"percent": 80, "seconds": 45}
    queues = tmp_path / "queues-45.yaml"
    queues.write_text(yaml.safe_dump(document), encoding="utf-8")
    web_services.config = load_config(write_config(
        f"switch:\n  password: x\nacd:\n  queues_file: {queues}\n", "sl.yaml"))
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    log_call(db_engine, "a", 300, queue="billing", wait=40)
    log_call(db_engine, "b", 300, queue="complaints", wait=40)
    login(client, "lead1")
    board = {q["name"]: q for q in client.get("/api/v1/floor").json["queues"]}
    assert board["billing"]["service_level_seconds"] == 45
    assert board["billing"]["service_level_today"] == "100%"  # 40 s is within billing's 45 s
    assert board["complaints"]["service_level_seconds"] == 20
    assert board["complaints"]["service_level_today"] == "0%"  # but not within complaints' 20 s


def test_a_simulated_switch_is_said_plainly_on_every_page(client, sessions, web_services,
                                                         write_config):
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    assert web_services.config.switch.kind == "simulator"
    assert 'id="sim-banner"' in client.get("/login").get_data(as_text=True)
    login(client, "lead1")
    assert "Simulated switch" in client.get("/floor/").get_data(as_text=True)
    web_services.config = load_config(write_config(
        "switch:\n  kind: freeswitch\n  password: a-real-secret\n", "real.yaml"))
    assert 'id="sim-banner"' not in client.get("/floor/").get_data(as_text=True)


def test_a_supervisor_forces_a_state_and_barges_in_audited(client, sessions, fake_live):
    agent = add_agent(sessions, "agent01")
    lead = add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    login(client, "lead1")
    reply = post(client, f"/api/v1/floor/agents/{agent}/state",
                 {"state": "not_ready", "reason": "training"})
    assert reply.status_code == 200
    assert fake_live.actions[-1] == ("state", agent, "not_ready", "training", lead)
    assert post(client, f"/api/v1/floor/agents/{agent}/eavesdrop",
                {"mode": "barge"}).status_code == 404  # no call to barge into
    fake_live.offer(agent, LiveCall("live-1", "13800000001", "offered", None))
    fake_live.connect(agent)
    assert post(client, f"/api/v1/floor/agents/{agent}/eavesdrop",
                {"mode": "shout"}).status_code == 400
    assert post(client, f"/api/v1/floor/agents/{agent}/eavesdrop",
                {"mode": "barge"}).status_code == 200
    assert fake_live.actions[-1] == ("eavesdrop", lead, agent, "barge")
    with sessions() as db:
        actions = [(e.action, e.object_id, e.actor_login, e.remote_addr)
                   for e in db.scalars(select(AuditLog).where(AuditLog.action != "login"))]
    assert actions == [("force_state", str(agent), "lead1", "127.0.0.1"),
                       ("eavesdrop_barge", str(agent), "lead1", "127.0.0.1")]


def form_token(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def test_an_admin_creates_changes_and_deactivates_an_agent(client, sessions):
    add_agent(sessions, "admin", role=Role.ADMIN, skills={"billing": 5, "complaints": 3})
    login(client, "admin")
    token = form_token(client.get("/admin/agents/new"))
    created = client.post("/admin/agents/new", data={
        "csrf_token": token, "login": "agent20", "display_name": "Qian Li",
        "password": "long enough pw", "role": "agent", "sip_extension": "1020",
        "language": "zh", "active": "on", "skill_billing": "7", "skill_complaints": "",
        "generate_sip_password": "on"})
    assert created.status_code == 200 and 'id="sip-password"' in created.get_data(as_text=True)  # shown once
    with sessions() as db:
        agent = db.scalar(select(Agent).where(Agent.login == "agent20"))
        assert {s.skill.name: s.level for s in agent.skills} == {"billing": 7}
        assert agent.sip_a1_hash and agent.password_hash != "long enough pw"
        agent_id = agent.id

    changed = client.post(f"/admin/agents/{agent_id}", data={
        "csrf_token": token, "display_name": "Qian Li", "role": "agent", "sip_extension": "1020",
        "language": "en", "skill_billing": "", "skill_complaints": "4"})  # no "active": off
    assert changed.status_code == 302
    with sessions() as db:
        agent = db.get(Agent, agent_id)
        assert not agent.active and agent.language == "en"
        assert {s.skill.name: s.level for s in agent.skills} == {"complaints": 4}
        audit = list(db.scalars(select(AuditLog).where(AuditLog.object_id == str(agent_id))))
    assert [a.action for a in audit] == ["agent_create", "agent_update"]
    assert audit[1].details["active"] == [True, False]
    assert audit[1].details["skills"] == [{"billing": 7}, {"complaints": 4}]
    assert all(a.remote_addr == "127.0.0.1" and a.actor_login == "admin" for a in audit)


def test_a_bad_form_names_the_field_keeps_the_input_and_stores_nothing(client, sessions):
    admin = add_agent(sessions, "admin", role=Role.ADMIN, skills={"billing": 5})
    add_agent(sessions, "agent01", extension="1001", skills={"billing": 6})
    login(client, "admin")
    token = form_token(client.get("/admin/agents/new"))
    reply = client.post("/admin/agents/new", data={
        "csrf_token": token, "login": "agent21", "display_name": "Typed Name",
        "password": "long enough pw", "role": "agent", "sip_extension": "1001",
        "language": "zh", "skill_billing": "8"})
    page = reply.get_data(as_text=True)
    assert reply.status_code == 400 and "sip_extension" in page and "belongs to another" in page
    assert 'value="Typed Name"' in page and 'value="agent21"' in page and 'value="8"' in page
    with sessions() as db:
        assert db.scalar(select(Agent).where(Agent.login == "agent21")) is None
    with sessions() as db:
        agent01 = db.scalar(select(Agent).where(Agent.login == "agent01")).id
    reply = client.post(f"/admin/agents/{agent01}", data={
        "csrf_token": token, "display_name": "Renamed", "role": "agent", "language": "zh",
        "sip_extension": "1001", "active": "on", "skill_billing": "11"})
    assert reply.status_code == 400 and "skill_billing" in reply.get_data(as_text=True)
    with sessions() as db:
        agent = db.get(Agent, agent01)
        assert agent.display_name == "Agent01"  # nothing of the rejected form was stored
        level = db.scalar(select(AgentSkill.level).join(Skill).where(
            AgentSkill.agent_id == agent01, Skill.name == "billing"))
        assert level == 6
        assert db.scalar(select(AuditLog).where(AuditLog.actor_agent_id == admin,
                                                AuditLog.action != "login")) is None


def test_the_agent_api_mirrors_the_forms(client, sessions):
    add_agent(sessions, "admin", role=Role.ADMIN, skills={"billing": 5})
    login(client, "admin")
    reply = post(client, "/api/v1/agents", {"login": "api1", "display_name": "Api One",
                                            "password": "short", "role": "agent"})
    assert reply.status_code == 400 and reply.json["field"] == "password"
    reply = post(client, "/api/v1/agents", {"login": "api1", "display_name": "Api One",
                                            "password": "long enough pw", "role": "agent",
                                            "skills": {"billing": 3}})
    assert reply.status_code == 201 and reply.json["skills"] == {"billing": 3}
    agent_id = reply.json["id"]
    reply = client.patch(f"/api/v1/agents/{agent_id}", json={"skills": {"billing": 9}},
                         headers={"X-CSRF-Token": csrf_of(client)})
    assert reply.status_code == 200 and reply.json["skills"] == {"billing": 9}
    assert [a["login"] for a in client.get("/api/v1/agents").json["agents"]] == ["admin", "api1"]


def test_an_admin_adds_a_skill_audited_and_a_duplicate_is_refused(client, sessions):
    add_agent(sessions, "admin", role=Role.ADMIN, skills={"billing": 5})
    login(client, "admin")
    token = form_token(client.get("/admin/agents"))
    reply = client.post("/admin/skills", data={"csrf_token": token, "name": "roaming",
                                               "description": "Roaming charges"})
    assert reply.status_code == 302
    again = client.post("/admin/skills", data={"csrf_token": token, "name": "billing"},
                        follow_redirects=True)
    assert "name" in again.get_data(as_text=True) and "exists" in again.get_data(as_text=True)
    with sessions() as db:
        assert sorted(db.scalars(select(Skill.name))) == ["billing", "roaming"]
        assert [a.details for a in db.scalars(select(AuditLog).where(
            AuditLog.action == "skill_create"))] == [{"name": "roaming"}]


class FloorAt(FakeLive):
    """The fake engine with a clock the test sets, and callers waiting with the
    router's explanation (the port's optional waiting_callers())."""

    def __init__(self, at: datetime) -> None:
        super().__init__()
        self.at, self.waiting = at, ()

    def floor(self):
        snapshot = super().floor()
        return type(snapshot)(self.at, snapshot.queues, snapshot.agents, snapshot.calls)

    def waiting_callers(self):
        return self.waiting


def test_today_is_the_centers_day_whatever_the_hour(client, sessions, db_engine, web_services):
    just_after_midnight = datetime(2026, 11, 23, 16, 30, tzinfo=timezone.utc)  # 00:30 in Shanghai
    web_services.extras["live"] = FloorAt(just_after_midnight)
    add_agent(sessions, "agent01")
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    log_call(db_engine, "today", 600, wait=5, at=just_after_midnight)
    log_call(db_engine, "yesterday", 7200, wait=5, at=just_after_midnight)  # 22:30 the day before
    login(client, "lead1")
    billing = next(q for q in client.get("/api/v1/floor").json["queues"] if q["name"] == "billing")
    assert billing["offered"] == 1 and billing["service_level_today"] == "100%"


def test_a_queue_with_offered_calls_and_none_handled_shows_no_aht_not_zero(client, sessions,
                                                                         db_engine):
    add_agent(sessions, "agent01")
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    log_call(db_engine, "talking", 120, wait=10, talk=None)  # connected, not ended yet
    log_call(db_engine, "gone", 60, abandon=12)
    login(client, "lead1")
    billing = next(q for q in client.get("/api/v1/floor").json["queues"] if q["name"] == "billing")
    assert (billing["offered"], billing["aht"], billing["asa"]) == (2, "–", "10s")


def test_the_board_lists_callers_waiting_with_flags_and_why_no_agent_has_them(client, sessions,
                                                                            web_services):
    live = web_services.extras["live"] = FloorAt(now())
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    live.waiting = (
        WaitingCaller("w1", "13800000001", "billing", 42.4, "vip3", why={
            "step": 1, "step_rule": "after 30 s: general level 5 or more",
            "nobody_logged_in": False, "agents": {"agent01": "on_call", "agent02": "not_ready:lunch"},
            "others_lacking_skill": 3}),
        WaitingCaller("w2", "13900000002", "complaints", 8.0, "transferred", transferred=True,
                      why={"nobody_logged_in": True, "agents": {}}))
    login(client, "lead1")
    waiting = client.get("/api/v1/floor").json["waiting"]
    assert [(w["uuid"], w["queue_name"], w["waited"], w["vip"], w["transferred"]) for w in waiting] \
        == [("w1", "Bill inquiry", 42, True, False), ("w2", "Complaints and faults", 8, False, True)]
    assert waiting[0]["why"] == ("after 30 s: general level 5 or more; agent01: on_call; "
                                 "agent02: not_ready:lunch; 3 other agents lack the skill")
    assert waiting[1]["why"] == "nobody with the skill is logged in"


def test_the_floor_shows_the_wallboards_alerts(client, sessions, web_services):
    live = web_services.extras["live"] = FloorAt(now())
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    live.queues["billing"] = QueueLive("billing", 1, 95.0)
    login(client, "lead1")
    alerts = client.get("/api/v1/floor").json["alerts"]
    assert {"kind": "longest_wait", "subject": "billing",
            "text": "Bill inquiry: a caller has waited 95 s (limit 60 s)"} in alerts
    assert {"kind": "no_agent", "subject": "billing",  # nobody is logged in
            "text": "Bill inquiry: 1 callers waiting and no agent logged in who could take them"} \
        in alerts
