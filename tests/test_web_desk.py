"""The agent desk through its JSON API: login, state, screen pop, call controls,
tickets, wrap-up; the port is the in-memory FakeLive."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import (Agent, AuditLog, Call, CallbackRequest, Ticket,
                               TicketCategory, TicketHistory)
from callcenter.tickets.deadlines import deadline
from callcenter.tickets.dispatch import load_rules
from web.ports import IvrStep, LiveCall, TransferTarget
from web_fixtures import *  # noqa: F401,F403
from web_fixtures import add_agent, add_call, add_customer, csrf_of, login


def offered_call(customer_id=None, uuid="call-1"):
    return LiveCall(uuid=uuid, caller_number="13800000001", state="offered", agent_id=None,
                    queue="billing", need="billing", customer_id=customer_id,
                    ivr_path=(IvrStep("main", "Main menu", "1"),
                              IvrStep("service_password", "Service password", None, True),
                              IvrStep("billing_menu", "Bill inquiry", "2")),
                    routing_reason="billing specialist, level 9; VIP3 ahead of the queue")


def post(client, url, body=None):
    return client.post(url, json=body or {}, headers={"X-CSRF-Token": csrf_of(client)})


def test_an_agent_goes_ready_and_takes_a_call_with_a_screen_pop(client, sessions, fake_live):
    agent_id = add_agent(sessions, "agent01", skills={"billing": 9})
    customer_id = add_customer(sessions)
    add_call(sessions, "old-call", "13800000001", customer_id, agent_id=agent_id, queued_ago=86400)
    assert login(client, "agent01").status_code == 302

    reply = post(client, "/api/v1/desk/state", {"state": "ready"})
    assert reply.status_code == 200 and reply.json["state"] == "ready"
    assert fake_live.actions[-1] == ("state", agent_id, "ready", None, agent_id)

    add_call(sessions, "call-1", "13800000001", customer_id, agent_id=agent_id, wait=None)
    fake_live.offer(agent_id, offered_call())  # identified by number, not by the engine
    desk = client.get("/api/v1/desk").json
    assert desk["state"] == "offered"
    pop = desk["call"]
    assert pop["customer"]["name"] == "Zhang San" and pop["customer"]["vip"] is True
    assert [b["period"] for b in pop["bills"]] == ["2026-10", "2026-09", "2026-08"]
    assert pop["bills"][1]["balance_cents"] == 9650
    assert pop["call"]["routing_reason"].startswith("billing specialist")
    steps = pop["call"]["ivr_path"]
    assert steps[0]["entered"] == "1" and steps[1]["masked"] is True
    assert [c["disposition"] for c in pop["contacts"]] == [None]  # the old call, not this one
    ringing = post(client, "/api/v1/desk/calls/call-1/hangup")
    assert ringing.status_code == 409 and "ringing" in ringing.json["error"]
    assert not any(action[0] == "hangup" for action in fake_live.actions)  # the caller stays

    fake_live.connect(agent_id)
    assert post(client, "/api/v1/desk/calls/call-1/hold", {"held": True}).status_code == 200
    assert fake_live.current_call(agent_id).state == "held"
    assert post(client, "/api/v1/desk/calls/call-1/hold", {"held": False}).status_code == 200
    assert post(client, "/api/v1/desk/calls/call-1/hangup").status_code == 200
    desk = client.get("/api/v1/desk").json
    assert (desk["state"], desk["call"], desk["call_uuid"]) == ("wrapup", None, "call-1")


def test_password_digits_never_reach_the_pop_even_if_the_engine_forgets(client, sessions,
                                                                        fake_live):
    agent_id = add_agent(sessions, "agent01")
    login(client, "agent01")
    leaky = LiveCall(uuid="c", caller_number="13900000000", state="bridged", agent_id=agent_id,
                     ivr_path=(IvrStep("service_password", "Service password", "123456"),))
    fake_live.calls[agent_id] = leaky
    body = client.get("/api/v1/desk").get_data(as_text=True)
    assert "123456" not in body and "Service password" in body


def test_ticket_owned_by_the_agent_with_the_category_deadline_and_notes(client, sessions,
                                                                        fake_live):
    agent_id = add_agent(sessions, "agent01")
    customer_id = add_customer(sessions)
    add_call(sessions, "call-1", "13800000001", customer_id, agent_id=agent_id)
    fake_live.calls[agent_id] = offered_call(customer_id)
    login(client, "agent01")

    reply = post(client, "/api/v1/tickets", {"category": "complaint", "customer_id": customer_id,
                                             "description": "No signal at home\nsince Monday",
                                             "call_uuid": "call-1"})
    assert reply.status_code == 201, reply.json
    number = reply.json["number"]
    assert reply.json["owner"] == "agent01" and reply.json["subject"] == "No signal at home"
    note = post(client, f"/api/v1/tickets/{number}/notes", {"note": "customer called again"})
    assert note.status_code == 201
    assert [h["action"] for h in note.json["history"]] == ["created", "dispatch", "note"]
    with sessions() as db:
        ticket = db.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket.owner_agent_id == agent_id and ticket.category == TicketCategory.COMPLAINT
        assert ticket.call_id is not None
        # dispatched by rule; a complaint is answered back within two working days
        assert ticket.backoffice_group == "complaints_desk"
        rules = load_rules()
        assert ticket.answer_back_deadline == deadline(
            ticket.created_at, rules.limit("complaint", ticket.priority), rules.calendar)
        assert db.scalar(select(AuditLog).where(AuditLog.action == "ticket_create")).remote_addr


def test_ticket_form_errors_name_the_field(client, sessions):
    add_agent(sessions, "agent01")
    login(client, "agent01")
    reply = post(client, "/api/v1/tickets", {"category": "gossip", "description": "x"})
    assert reply.status_code == 400 and reply.json["field"] == "category"
    reply = post(client, "/api/v1/tickets", {"category": "fault", "description": "  "})
    assert reply.status_code == 400 and reply.json["field"] == "description"
    reply = post(client, "/api/v1/tickets/999/notes", {"note": "x"})
    assert reply.status_code == 404
    with sessions() as db:
        assert db.scalar(select(Ticket)) is None and db.scalar(select(TicketHistory)) is None


def test_wrap_up_needs_a_disposition_and_can_book_a_callback(client, sessions, fake_live):
    agent_id = add_agent(sessions, "agent01")
    customer_id = add_customer(sessions)
    add_call(sessions, "call-1", "13800000001", customer_id, agent_id=agent_id)
    login(client, "agent01")
    fake_live.offer(agent_id, offered_call(customer_id))
    fake_live.connect(agent_id)
    post(client, "/api/v1/desk/calls/call-1/hangup")

    missing = post(client, "/api/v1/desk/calls/call-1/wrapup", {"notes": "x"})
    assert missing.status_code == 400 and missing.json["field"] == "disposition"
    early = post(client, "/api/v1/desk/wrapup/end")
    assert early.status_code == 409 and early.json["field"] == "disposition"
    assert fake_live.agent_status(agent_id).state == "wrapup"
    more = post(client, "/api/v1/desk/wrapup/extend")
    assert more.status_code == 200 and more.json["state"] == "wrapup"
    assert fake_live.actions[-1] == ("extend_wrapup", agent_id)
    past = post(client, "/api/v1/desk/calls/call-1/wrapup",
                {"disposition": "callback", "notes": "x", "callback_at": "2020-01-01T10:00"})
    assert past.status_code == 400 and past.json["field"] == "callback_at"
    shanghai = ZoneInfo("Asia/Shanghai")  # the centre's local time (config general.timezone)
    local = (datetime.now(shanghai) + timedelta(days=1)).replace(hour=10, minute=30,
                                                                  second=0, microsecond=0)
    done = post(client, "/api/v1/desk/calls/call-1/wrapup",
                {"disposition": "callback", "notes": "wants a call about the bill",
                 "callback_at": local.strftime("%Y-%m-%dT%H:%M")})
    assert done.status_code == 200 and done.json["state"] == "ready"
    with sessions() as db:
        call = db.scalar(select(Call).where(Call.uuid == "call-1"))
        assert call.disposition == "callback"
        assert call.wrapup_notes == "wants a call about the bill"  # the time is not in the notes
        callback = db.scalar(select(CallbackRequest))
        assert callback.scheduled_for == local.astimezone(timezone.utc)
        assert callback.phone == "13800000001" and callback.customer_id == customer_id
        assert callback.call_id == call.id
        assert callback.agent_id == agent_id, "the promised callback is not the promising agent's"


def test_a_past_call_can_still_get_its_disposition_but_not_someone_elses(client, sessions,
                                                                          fake_live):
    agent_id = add_agent(sessions, "agent01")
    other = add_agent(sessions, "agent02")
    add_call(sessions, "mine", "13800000001", None, agent_id=agent_id)
    add_call(sessions, "theirs", "13800000002", None, agent_id=other)
    login(client, "agent01")
    fake_live.set_agent_state(agent_id, "ready")  # the engine's wrap-up time ran out
    reply = post(client, "/api/v1/desk/calls/mine/wrapup", {"disposition": "resolved"})
    assert reply.status_code == 200 and reply.json["state"] == "ready"
    reply = post(client, "/api/v1/desk/calls/theirs/wrapup", {"disposition": "resolved"})
    assert reply.status_code == 404
    with sessions() as db:
        dispositions = dict(db.execute(select(Call.uuid, Call.disposition)).all())
    assert dispositions == {"mine": "resolved", "theirs": None}


def test_transfer_and_consult_reach_the_port_with_the_target(client, sessions, fake_live):
    agent_id = add_agent(sessions, "agent01")
    login(client, "agent01")
    fake_live.offer(agent_id, offered_call())
    fake_live.connect(agent_id)
    assert post(client, "/api/v1/desk/calls/call-1/consult", {"agent_id": 7}).status_code == 200
    assert fake_live.actions[-1] == ("consult", agent_id, "call-1", TransferTarget(agent_id=7))
    bad = post(client, "/api/v1/desk/calls/call-1/transfer", {"need": "billing", "agent_id": 3})
    assert bad.status_code == 400
    ok = post(client, "/api/v1/desk/calls/call-1/transfer", {"need": "complaints", "note": "angry"})
    assert ok.status_code == 200
    assert fake_live.actions[-1] == ("transfer", agent_id, "call-1",
                                     TransferTarget(need="complaints"), "angry")


def test_an_agent_cannot_touch_another_agents_call(client, sessions, fake_live):
    add_agent(sessions, "agent01")
    other = add_agent(sessions, "agent02")
    login(client, "agent01")
    fake_live.offer(other, offered_call())
    fake_live.connect(other)
    for verb in ("hold", "hangup", "transfer", "consult"):
        assert post(client, f"/api/v1/desk/calls/call-1/{verb}", {"need": "x"}).status_code == 404
    assert fake_live.current_call(other).state == "bridged"


def test_illegal_state_changes_come_back_as_409(client, sessions, fake_live):
    agent_id = add_agent(sessions, "agent01")
    login(client, "agent01")
    fake_live.offer(agent_id, offered_call())
    reply = post(client, "/api/v1/desk/state", {"state": "not_ready", "reason": "lunch"})
    assert reply.status_code == 409 and reply.json["kind"] == "IllegalTransition"
    reply = post(client, "/api/v1/desk/state", {"state": "not_ready", "reason": "nap"})
    assert reply.status_code == 400


def test_desk_page_renders_in_chinese_for_a_chinese_agent(client, sessions):
    add_agent(sessions, "agent01")
    with transaction(sessions) as db:
        db.scalar(select(Agent).where(Agent.login == "agent01")).language = "zh"
    login(client, "agent01")
    page = client.get("/desk/").get_data(as_text=True)
    assert "就绪" in page and "挂机" in page
    client.post("/language", data={"language": "en", "csrf_token": csrf_of(client)})
    page = client.get("/desk/").get_data(as_text=True)
    assert "Ready" in page and "Hang up" in page and "就绪" not in page


def test_without_a_live_engine_the_desk_says_so(web_services, sessions):
    from web import create_app
    web_services.extras.clear()
    client = create_app(web_services, {"LOGIN_FAILURE_DELAY": 0}).test_client()
    add_agent(sessions, "agent01")
    login(client, "agent01")
    assert client.get("/desk/").status_code == 200
    reply = client.get("/api/v1/desk")
    assert reply.status_code == 503 and "not running" in reply.json["error"]
