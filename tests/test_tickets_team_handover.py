"""Hand-over to a team of the center's agents (the database's teams, Agent.team_id): the owner
hands a ticket to a team with a note; it waits on the team's list until one of its
agents takes it; history, audit, roles; the same through the API. Deadline messages
for a ticket no one has taken go to the whole team. Real database, pinned clock."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import Agent, AuditLog, Team, TicketNotification
from callcenter.tickets import notifications, service
from callcenter.tickets.dispatch import DispatchRulesError, load_rules as rules_file, parse_rules
from web.tickets import rules
from web_fixtures import *  # noqa: F401,F403
from web_fixtures import add_agent, add_team, csrf_of
from test_tickets_dispatch import GOOD
from test_web_backoffice import MONDAY_10, app, as_user, clock, create, form, people  # noqa: F401


@pytest.fixture
def team(sessions, people):
    """agent03 and agent04 are the complaints team; agent02 is in the billing team."""
    members = {login: add_agent(sessions, login) for login in ("agent03", "agent04")}
    add_team(sessions, "complaints_team", "投诉班组", tuple(members.values()))
    add_team(sessions, "billing_team", "账务班组", (people["agent02"],))
    return members


def api(client, url, **payload):
    return client.post(url, json=payload, headers={"X-CSRF-Token": csrf_of(client)})


def section(page: str, name: str) -> str:
    return page.split(f'id="{name}"')[1].split("</section>")[0] if f'id="{name}"' in page else ""


def history(sessions, number):
    with sessions() as db:
        return [(h.action, h.note) for h in service.find(db, number).history]


def test_a_ticket_waits_on_the_teams_list_until_one_of_them_takes_it(app, sessions, people, team):
    owner = as_user(app, "agent01")
    number = create(owner, people["customer"])
    form(owner, f"/tickets/{number}/hand-over-team", team="complaints_team",
         note="The customer speaks only Cantonese: Liu Yang will call.")
    assert history(sessions, number)[-1] == (
        "hand_over", "agent01 -> team complaints_team: The customer speaks only Cantonese: Liu Yang will call.")
    with sessions() as db:
        ticket = service.find(db, number)
        assert (ticket.owner_agent_id, ticket.owner_group) == (None, "complaints_team")
    assert number not in section(owner.get("/tickets/").get_data(as_text=True), "my-tickets")
    page = as_user(app, "agent04").get("/tickets/").get_data(as_text=True)
    assert number in section(page, "team-tickets")
    assert number not in as_user(app, "agent02").get("/tickets/").get_data(as_text=True)  # not theirs
    detail = owner.get(f"/tickets/{number}").get_data(as_text=True)
    assert "投诉班组" in detail.split('id="owner"')[1].split("</dd>")[0]

    # someone outside the team cannot take it; one of the team does
    form(as_user(app, "agent02"), f"/tickets/{number}/take")
    with sessions() as db:
        assert service.find(db, number).owner_group == "complaints_team"
    taker = as_user(app, "agent04")
    form(taker, f"/tickets/{number}/take")
    with sessions() as db:
        ticket = service.find(db, number)
        assert (ticket.owner_agent_id, ticket.owner_group) == (team["agent04"], None)
    assert history(sessions, number)[-1] == ("take", "team complaints_team -> agent04")
    assert number in section(taker.get("/tickets/").get_data(as_text=True), "my-tickets")
    assert number not in section(as_user(app, "agent03").get("/tickets/").get_data(as_text=True),
                                 "team-tickets")
    with sessions() as db:
        actions = [a.action for a in db.scalars(select(AuditLog).where(AuditLog.object_id == number))]
    assert "ticket_hand_over_team" in actions and "ticket_take" in actions


@pytest.mark.parametrize("fields,message", [
    ({"team": "complaints_team", "note": " "}, "Note: a hand-over needs a note for the new owner"),
    ({"team": "night_shift", "note": "please"}, "Team: unknown team night_shift"),
])
def test_a_bad_hand_over_names_the_field_and_changes_nothing(app, sessions, people, team, fields,
                                                             message):
    owner = as_user(app, "agent01")
    number = create(owner, people["customer"])
    reply = form(owner, f"/tickets/{number}/hand-over-team", **fields)
    assert message in owner.get(reply.headers["Location"]).get_data(as_text=True)
    with sessions() as db:
        assert service.find(db, number).owner_agent_id == people["agent01"]


def test_only_the_owner_or_a_supervisor_hands_over(app, sessions, people, team):
    number = create(as_user(app, "agent01"), people["customer"])
    form(as_user(app, "agent02"), f"/tickets/{number}/hand-over-team", team="billing_team", note="mine?")
    with sessions() as db:
        assert service.find(db, number).owner_group is None
    form(as_user(app, "lead"), f"/tickets/{number}/hand-over-team", team="billing_team", note="night")
    with sessions() as db:
        assert service.find(db, number).owner_group == "billing_team"


def test_the_api_hands_over_to_a_team_or_an_agent_and_takes(app, sessions, people, team):
    owner = as_user(app, "agent01")
    number = create(owner, people["customer"])
    assert api(as_user(app, "agent02"), f"/api/v1/tickets/{number}/hand-over", team="complaints_team",
               note="x").status_code == 403
    reply = api(owner, f"/api/v1/tickets/{number}/hand-over", team="nobody", note="x")
    assert reply.status_code == 400 and reply.json["field"] == "team"
    reply = api(owner, f"/api/v1/tickets/{number}/hand-over", team="complaints_team", note="for Liu")
    assert reply.status_code == 200 and (reply.json["owner"], reply.json["owner_team"]) == \
        (None, "complaints_team")
    reply = api(as_user(app, "agent02"), f"/api/v1/tickets/{number}/take")
    assert reply.status_code == 400 and reply.json["field"] == "team"
    reply = api(as_user(app, "agent03"), f"/api/v1/tickets/{number}/take")
    assert reply.status_code == 200 and reply.json["owner"] == "agent03"
    reply = api(as_user(app, "agent03"), f"/api/v1/tickets/{number}/hand-over", agent="agent02",
                note="billing question after all")
    assert reply.status_code == 200 and reply.json["owner"] == "agent02"
    with sessions() as db:
        actions = [a.action for a in db.scalars(select(AuditLog).where(AuditLog.object_id == number))]
    assert actions.count("ticket_hand_over") == 2 and "ticket_take" in actions


def test_deadline_messages_for_an_untaken_ticket_go_to_the_whole_team(app, sessions, people, team):
    owner = as_user(app, "agent01")
    number = create(owner, people["customer"], category="fault")
    form(owner, f"/tickets/{number}/hand-over-team", team="complaints_team", note="they know the area")
    with app.app_context(), transaction(sessions) as db:
        service.sweep_deadlines(db, rules(), MONDAY_10 + timedelta(hours=21))
    with sessions() as db:
        told = sorted((n.agent_id, n.why) for n in db.scalars(select(TicketNotification)))
    assert told == sorted([(team["agent03"], "owner"), (team["agent04"], "owner"),
                           (people["bo_network"], "group")])


def test_teams_in_the_rules_file_are_refused_with_where_they_went_now():
    with pytest.raises(DispatchRulesError) as refused:
        parse_rules(GOOD + "teams:\n  day: {name: 白班, members: [agent01]}\n", "rules.yaml")
    assert refused.value.problems == [
        "rules.yaml:22:1: teams are now managed in the console (Admin → Agents → Teams), each "
        "agent's team on the agent; remove 'teams:' from the rules file"]
    assert not hasattr(parse_rules(GOOD), "teams")


def test_only_active_agents_of_the_team_take_it_or_are_told(app, sessions, people, team):
    owner = as_user(app, "agent01")
    number = create(owner, people["customer"])
    form(owner, f"/tickets/{number}/hand-over-team", team="complaints_team", note="night shift")
    with transaction(sessions) as db:  # a member leaves the center
        db.get(Agent, team["agent03"]).active = False
    with sessions() as db:
        ticket = service.find(db, number)
        assert notifications.people_of(db, ticket, rules_file()).owner_group == (team["agent04"],)
    billing = as_user(app, "agent02")  # in a team, not this one
    assert number not in section(billing.get("/tickets/").get_data(as_text=True), "team-tickets")
    form(billing, f"/tickets/{number}/take")
    with sessions() as db:
        assert service.find(db, number).owner_group == "complaints_team"


def test_a_renamed_team_shows_its_new_name_and_a_member_moved_away_no_longer_sees_it(
        app, sessions, people, team):
    owner = as_user(app, "agent01")
    number = create(owner, people["customer"])
    form(owner, f"/tickets/{number}/hand-over-team", team="complaints_team", note="x")
    with transaction(sessions) as db:
        db.scalar(select(Team).where(Team.key == "complaints_team")).display_name = "夜班投诉"
        db.get(Agent, team["agent03"]).team_id = db.scalar(
            select(Team.id).where(Team.key == "billing_team"))
    detail = owner.get(f"/tickets/{number}").get_data(as_text=True)
    assert "夜班投诉" in detail.split('id="owner"')[1].split("</dd>")[0]
    assert number not in section(as_user(app, "agent03").get("/tickets/").get_data(as_text=True),
                                 "team-tickets")
    assert number in section(as_user(app, "agent04").get("/tickets/").get_data(as_text=True),
                             "team-tickets")


def test_the_call_back_task_waits_with_the_team_and_goes_to_whoever_takes_it(app, sessions, people,
                                                                             team):
    owner = as_user(app, "agent01")
    number = create(owner, people["customer"])
    form(owner, f"/tickets/{number}/hand-over-team", team="complaints_team", note="night shift")
    office = as_user(app, "bo_complaints")
    form(office, f"/backoffice/tickets/{number}/accept")
    form(office, f"/backoffice/tickets/{number}/answer", result="Refund made.")
    lead = as_user(app, "lead").get("/backoffice/").get_data(as_text=True)
    assert number not in lead.split('id="unowned"')[1].split("</table>")[0]  # the team's to take
    taker = as_user(app, "agent03")
    form(taker, f"/tickets/{number}/take")
    tasks = taker.get("/tickets/").get_data(as_text=True).split('id="tasks"')[1].split("</section>")[0]
    assert number in tasks
