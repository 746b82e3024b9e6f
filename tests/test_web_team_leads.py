"""Who leads a team (the supervisor who sees its members' calls in QA): set on the admin
agents page, audited, a lead must be an active supervisor; migration 0015 down and up."""
from __future__ import annotations

import re

from sqlalchemy import inspect, select

from callcenter import db as callcenter_db
from callcenter.models import Agent, AuditLog, Role, Team
from web_fixtures import *  # noqa: F401,F403
from web_fixtures import add_agent, add_team, login


def form_token(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def lead_of(sessions, key):
    with sessions() as db:
        team = db.scalar(select(Team).where(Team.key == key))
        return team.lead.login if team.lead else None


def test_an_admin_sets_and_clears_a_teams_lead_audited(client, sessions):
    add_agent(sessions, "admin", role=Role.ADMIN)
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    add_agent(sessions, "agent01", extension="1001")
    add_team(sessions, "desk_a", "一组")
    login(client, "admin")
    page = client.get("/admin/agents")
    assert 'id="team-lead-form"' in page.get_data(as_text=True)
    token = form_token(page)
    done = client.post("/admin/teams/lead", data={"csrf_token": token, "team": "desk_a",
                                                  "lead": "lead1"}, follow_redirects=True)
    assert "lead1 leads team desk_a" in done.get_data(as_text=True)
    assert lead_of(sessions, "desk_a") == "lead1"
    assert client.post("/admin/teams/lead", data={"csrf_token": token, "team": "desk_a",
                                                  "lead": ""}).status_code == 302
    assert lead_of(sessions, "desk_a") is None
    with sessions() as db:
        details = [a.details for a in db.scalars(select(AuditLog).where(AuditLog.action == "team_lead")
                                                 .order_by(AuditLog.id))]
    assert details == [{"key": "desk_a", "lead": [None, "lead1"]},
                       {"key": "desk_a", "lead": ["lead1", None]}]


def test_a_lead_must_be_a_supervisor_and_the_field_is_named(client, sessions):
    add_agent(sessions, "admin", role=Role.ADMIN)
    add_agent(sessions, "agent01", extension="1001")
    add_team(sessions, "desk_a", "一组")
    login(client, "admin")
    token = form_token(client.get("/admin/agents"))
    refused = client.post("/admin/teams/lead", data={"csrf_token": token, "team": "desk_a",
                                                     "lead": "agent01"}, follow_redirects=True)
    text = refused.get_data(as_text=True)
    assert "Team lead not set: lead" in text and "not an active supervisor" in text
    nobody = client.post("/admin/teams/lead", data={"csrf_token": token, "team": "desk_a",
                                                    "lead": "ghost"}, follow_redirects=True)
    assert "no agent &#39;ghost&#39;" in nobody.get_data(as_text=True)
    created = client.post("/admin/teams", data={"csrf_token": token, "key": "desk_b",
                                                "display_name": "二组", "lead": "agent01"},
                          follow_redirects=True)
    assert "Team not created: lead" in created.get_data(as_text=True)
    assert lead_of(sessions, "desk_a") is None
    with sessions() as db:
        assert db.scalar(select(Team).where(Team.key == "desk_b")) is None
        assert db.scalar(select(AuditLog).where(AuditLog.action.in_(("team_lead", "team_create")))) is None


def test_a_team_created_with_a_lead(client, sessions):
    add_agent(sessions, "admin", role=Role.ADMIN)
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    login(client, "admin")
    token = form_token(client.get("/admin/agents"))
    assert client.post("/admin/teams", data={"csrf_token": token, "key": "desk_b",
                                             "display_name": "二组", "lead": "lead1"}).status_code == 302
    assert lead_of(sessions, "desk_b") == "lead1"
    with sessions() as db:
        audit = db.scalar(select(AuditLog).where(AuditLog.action == "team_create"))
    assert audit.details == {"key": "desk_b", "name": "二组", "lead": "lead1"}


def test_the_team_leads_migration_goes_down_and_up_again(db_engine, sessions):
    from alembic import command
    lead = add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    member = add_agent(sessions, "agent01", extension="1001")
    add_team(sessions, "desk_a", "一组", (member,), lead=lead)  # rows referencing the team
    command.downgrade(callcenter_db.alembic_config(db_engine), "0014")
    inspector = inspect(db_engine)
    assert "lead_id" not in {c["name"] for c in inspector.get_columns("teams")}
    assert "teams" in inspector.get_table_names()
    callcenter_db.upgrade(db_engine)
    assert callcenter_db.current_revision(db_engine) == callcenter_db.head_revision()
    with sessions() as db:
        team = db.scalar(select(Team).where(Team.key == "desk_a"))
        assert team.display_name == "一组" and team.lead is None
        assert [a.login for a in db.scalars(select(Agent).where(Agent.team_id == team.id))] == ["agent01"]
