"""Teams through the console: an admin creates a team and puts agents in it (form, API),
the report shows the team's figures from the synthetic day, filters by team, drills into
the team's calls, and the CSV and XLSX exports hold the same figures as the page."""
from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import Agent, AuditLog, Role, Team
from callcenter.reports import dayfile
from test_reports_synthetic_day import DAY_FILE
from web_fixtures import *  # noqa: F401,F403
from web_fixtures import add_agent, csrf_of, login

DAY = "from=2026-11-16&to=2026-11-16&queue=billing"


def form_token(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def cells_of(page: str, marker: str) -> list[str]:
    row = page.split(marker)[1].split("</tr>")[0]
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]


@pytest.fixture
def the_day_in_teams(db_engine, sessions):
    """The synthetic day; hand01 and hand02 (who answered A1-A4, A8 on billing) in team
    desk_a "一组", agents a01 and a02 in desk_b, the others in none."""
    calls, changes = dayfile.read(DAY_FILE)
    with db_engine.begin() as connection:
        dayfile.store(connection, calls, changes)
    with transaction(sessions) as db:
        desk_a, desk_b = Team(key="desk_a", display_name="一组"), Team(key="desk_b", display_name="二组")
        db.add_all([desk_a, desk_b])
        agents = {a.login: a for a in db.scalars(select(Agent))}
        for login_, team in (("hand01", desk_a), ("hand02", desk_a), ("a01", desk_b), ("a02", desk_b)):
            agent = agents.get(login_) or Agent(login=login_, display_name=login_, password_hash="x")
            agent.team = team
            db.add(agent)


def test_an_admin_creates_a_team_and_puts_an_agent_in_it(client, sessions):
    add_agent(sessions, "admin", role=Role.ADMIN)
    agent01 = add_agent(sessions, "agent01", extension="1001")
    login(client, "admin")
    token = form_token(client.get("/admin/agents"))
    assert client.post("/admin/teams", data={"csrf_token": token, "key": "desk_a",
                                             "display_name": "一组"}).status_code == 302
    bad = client.post("/admin/teams", data={"csrf_token": token, "key": "Desk A!",
                                            "display_name": "x"}, follow_redirects=True)
    assert "key" in bad.get_data(as_text=True) and "lower-case" in bad.get_data(as_text=True)
    page = client.get(f"/admin/agents/{agent01}").get_data(as_text=True)
    assert '<option value="desk_a"' in page and "一组" in page
    saved = client.post(f"/admin/agents/{agent01}", data={
        "csrf_token": token, "display_name": "Agent01", "role": "agent", "language": "en",
        "sip_extension": "1001", "team": "desk_a", "active": "on"})
    assert saved.status_code == 302
    assert "一组" in client.get("/admin/agents").get_data(as_text=True)
    refused = client.post(f"/admin/agents/{agent01}", data={
        "csrf_token": token, "display_name": "Agent01", "role": "agent", "language": "en",
        "sip_extension": "1001", "team": "desk_z", "active": "on"})
    assert refused.status_code == 400
    assert "no team &#39;desk_z&#39;; the teams are desk_a" in refused.get_data(as_text=True)
    with sessions() as db:
        assert db.get(Agent, agent01).team.key == "desk_a"
        assert [a.details for a in db.scalars(select(AuditLog).where(
            AuditLog.action == "team_create"))] == [{"key": "desk_a", "name": "一组", "lead": None}]
        update = db.scalar(select(AuditLog).where(AuditLog.action == "agent_update"))
        assert update.details["team"] == [None, "desk_a"]


def test_the_agent_api_sets_and_clears_the_team_and_names_a_bad_one(client, sessions):
    add_agent(sessions, "admin", role=Role.ADMIN)
    with transaction(sessions) as db:
        db.add(Team(key="desk_a", display_name="一组"))
    login(client, "admin")
    headers = {"X-CSRF-Token": csrf_of(client)}
    created = client.post("/api/v1/agents", json={"login": "api1", "display_name": "Api One",
                                                  "password": "long-enough-1", "team": "desk_a"},
                          headers=headers)
    assert created.status_code == 201, created.json
    assert created.json["team"] == "desk_a"
    agent_id = created.json["id"]
    bad = client.patch(f"/api/v1/agents/{agent_id}", json={"team": "nope"}, headers=headers)
    assert bad.status_code == 400 and bad.json["field"] == "team"
    cleared = client.patch(f"/api/v1/agents/{agent_id}", json={"team": ""}, headers=headers)
    assert cleared.status_code == 200 and cleared.json["team"] is None


def test_the_report_shows_a_teams_figures_worked_out_by_hand(client, sessions, the_day_in_teams):
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    login(client, "lead1")
    page = client.get(f"/reports/?{DAY}").get_data(as_text=True)
    # desk_a on billing: A1 5 s / 120 s, A2 15 / 200, A3 20 / 100, A4 21 / 300, A8 30 / 60;
    # within 20 s: A1, A2, A3; hand01 logged in 08:55-12:00 (3:05), not ready 09:10-09:40
    cells = cells_of(page, 'data-team="desk_a"')
    assert cells[0] == "一组" and cells[1] == "2" and cells[2] == "3:05" and cells[5] == "0:30"
    assert cells[7:11] == ["5", "60.0%", "18.2 s", "156.0 s"]
    assert 'data-team="desk_b"' in page and 'data-team="_none"' in page
    answered = page.split('data-team="desk_a"')[1].split("</tr>")[0]
    link = re.findall(r'href="([^"]+figure=answered[^"]*)"', answered)[0].replace("&amp;", "&")
    calls = client.get(link).get_data(as_text=True)
    assert re.findall(r'data-call="(\w+)"', calls) == ["A1", "A2", "A3", "A4", "A8"]


def test_the_team_filter_keeps_the_teams_agents_and_a_bad_team_is_named(client, sessions,
                                                                       the_day_in_teams):
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    login(client, "lead1")
    page = client.get(f"/reports/?{DAY}&team=desk_b").get_data(as_text=True)
    agents = re.findall(r'<tr data-agent="(\w+)"', page)
    assert agents == ["a01", "a02"]
    assert re.findall(r'data-team="(\w+)"', page) == ["desk_b"]
    nobody = client.get(f"/reports/?{DAY}&team=_none").get_data(as_text=True)
    assert "a01" not in re.findall(r'<tr data-agent="(\w+)"', nobody)
    assert "a03" in re.findall(r'<tr data-agent="(\w+)"', nobody)
    bad = client.get(f"/reports/?{DAY}&team=desk_z")
    assert bad.status_code == 400 and "team: no such team" in bad.get_data(as_text=True)


def test_the_exports_hold_the_teams_figures_of_the_page(client, sessions, the_day_in_teams):
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    login(client, "lead1")
    page = client.get(f"/reports/?{DAY}").get_data(as_text=True)
    reply = client.get(f"/reports/export.csv?{DAY}&table=teams")
    assert reply.headers["Content-Disposition"].endswith('-teams.csv"')
    rows = list(csv.reader(io.StringIO(reply.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Team", "Agents", "Logged in min"]
    desk_a = next(r for r in rows if r[0] == "一组")
    on_page = cells_of(page, 'data-team="desk_a"')
    assert desk_a[1] == on_page[1] and float(desk_a[2]) == 185.0  # 3:05
    assert (desk_a[9], desk_a[10], desk_a[11], desk_a[12]) == ("5", "60.0", "18.2", "156.0")
    assert [r[0] for r in rows[1:]] == ["一组", "二组", "No team"]
    book = load_workbook(io.BytesIO(client.get(f"/reports/export.xlsx?{DAY}").data))
    assert book.sheetnames[:2] == ["Service", "Teams"]
    sheet = [["" if v is None else str(v) for v in r] for r in book["Teams"].iter_rows(values_only=True)]
    assert [[_number(v) for v in r] for r in sheet] == [[_number(v) for v in r] for r in rows]


def _number(value):
    try:
        return float(value)
    except ValueError:
        return value
