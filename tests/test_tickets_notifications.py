"""Deadline warnings and escalations pushed as messages: who gets which (a table),
the sweep pushing them once, and the desks' list, unread count and mark-read
(pages and API, each person their own). Real database, pinned clock."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import AuditLog, TicketNotification
from callcenter.tickets import service
from callcenter.tickets.audience import ESCALATED, WARNING, People, audience
from web.tickets import rules
from web_fixtures import *  # noqa: F401,F403
from web_fixtures import csrf_of
from test_web_backoffice import MONDAY_10, app, as_user, clock, create, form, people  # noqa: F401

AROUND = People(owner=1, owner_group=(7, 8), worker=2, group_members=(2, 3), supervisors=(4, 1))


@pytest.mark.parametrize("flag,people_,told", [
    (WARNING, AROUND, [(1, "owner"), (2, "group")]),
    (ESCALATED, AROUND, [(1, "owner"), (2, "group"), (4, "supervisor")]),  # 1 once, as owner
    (WARNING, People(owner=1, group_members=(2, 3), supervisors=(4,)),
     [(1, "owner"), (2, "group"), (3, "group")]),  # nobody accepted it: the whole group
    (WARNING, People(owner_group=(7, 8), group_members=(3,)),
     [(7, "owner"), (8, "owner"), (3, "group")]),  # handed to a team, not taken yet
    (ESCALATED, People(supervisors=(4,)), [(4, "supervisor")]),  # an IVR ticket, no group member
    (WARNING, People(), []),
])
def test_who_is_told(flag, people_, told):
    assert audience(flag, people_) == told


def test_an_unknown_flag_is_refused():
    with pytest.raises(KeyError):
        audience("reminder", AROUND)


def sweep(app, sessions, at):
    """What the engine's timer does (callcenter.live.ticket_timers)."""
    with app.app_context(), transaction(sessions) as db:
        return service.sweep_deadlines(db, rules(), at)


def notices(sessions):
    with sessions() as db:
        return sorted((n.agent_id, n.kind, n.why) for n in db.scalars(select(TicketNotification)))


def test_the_sweep_pushes_each_flag_once_to_the_owner_group_and_supervisors(app, sessions, people,
                                                                            clock):
    number = create(as_user(app, "agent01"), people["customer"], category="fault")  # 24 h, warned 4 h before
    sweep(app, sessions, MONDAY_10 + timedelta(hours=1))
    assert notices(sessions) == []
    sweep(app, sessions, MONDAY_10 + timedelta(hours=21))
    sweep(app, sessions, MONDAY_10 + timedelta(hours=22))  # once however many sweeps
    assert notices(sessions) == sorted([(people["agent01"], "deadline_warning", "owner"),
                                        (people["bo_network"], "deadline_warning", "group")])
    sweep(app, sessions, MONDAY_10 + timedelta(hours=25))
    assert sorted(n for n in notices(sessions) if n[1] == "escalated") == sorted([
        (people["agent01"], "escalated", "owner"), (people["bo_network"], "escalated", "group"),
        (people["lead"], "escalated", "supervisor")])
    assert number


def test_the_desk_lists_counts_and_marks_read(app, sessions, people, clock):
    number = create(as_user(app, "agent01"), people["customer"], category="fault")
    clock.at = MONDAY_10 + timedelta(hours=25)
    sweep(app, sessions, clock.at)  # warned and escalated in one sweep: escalated only
    agent = as_user(app, "agent01")
    page = agent.get("/notifications/").get_data(as_text=True)
    assert f"Ticket {number} passed its answer-back deadline" in page
    assert 'id="notice-count" >1<' in page  # the menu's count on every page
    listed = agent.get("/api/v1/notifications").json
    assert listed["unread"] == 1 and listed["items"][0]["ticket"] == number
    assert listed["items"][0]["why_text"] == "you own it"
    notice_id = listed["items"][0]["id"]

    # somebody else's message is not theirs to read
    office = as_user(app, "bo_network")
    reply = office.post(f"/api/v1/notifications/{notice_id}/read",
                        headers={"X-CSRF-Token": csrf_of(office)})
    assert reply.status_code == 404
    assert agent.get("/api/v1/notifications?unread=1").json["unread"] == 1

    reply = agent.post(f"/api/v1/notifications/{notice_id}/read", headers={"X-CSRF-Token": csrf_of(agent)})
    assert reply.status_code == 200 and reply.json["unread"] == 0
    assert agent.get("/api/v1/notifications?unread=1").json["items"] == []
    assert agent.get("/api/v1/notifications").json["items"][0]["read"] is True
    assert office.get("/api/v1/notifications").json["unread"] == 1  # theirs is still unread
    form(office, "/notifications/read-all")
    assert office.get("/api/v1/notifications").json["unread"] == 0
    with sessions() as db:
        actions = [a.action for a in db.scalars(select(AuditLog))]
    assert "notification_read" in actions and "notification_read_all" in actions


def test_the_mandarin_desk_words_the_message_in_mandarin(app, sessions, people, clock):
    number = create(as_user(app, "agent01"), people["customer"], category="fault")
    clock.at = MONDAY_10 + timedelta(hours=21)
    sweep(app, sessions, clock.at)
    agent = as_user(app, "agent01")
    form(agent, "/language", language="zh")
    page = agent.get("/notifications/").get_data(as_text=True)
    assert f"工单 {number} 须在" in page and "您负责此工单" in page
