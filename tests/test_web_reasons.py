"""The routing reason in the reader's language: the router's codes worded by the
console, English as in the engine's log, Mandarin on the Mandarin desk and floor."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.live.states import describe_reason, reason_parts
from callcenter.models import Agent, Role
from web import create_app
from web.ports import LiveCall
from web.reasons import words
from web_fixtures import *  # noqa: F401,F403
from web_fixtures import add_agent, csrf_of, login

SPECIALIST = {"rule": "specialist", "queue": "billing", "candidates": [{"level": 9}],
              "priority_class": "vip3", "tie_break": "highest level 9 (next: agent02 level 7)",
              "tie": {"code": "highest_level", "level": 9, "next": "agent02", "next_level": 7}}
OWNER = {"rule": "ticket_owner", "queue": "complaints", "candidates": [{"level": 0}],
         "priority_class": "regular", "tie_break": "ticket 2611230001",
         "tie": {"code": "ticket", "number": "2611230001"}}
OVERFLOW = {"rule": "general_overflow", "queue": "billing", "priority_class": "transferred",
            "tie": {"code": "longest_idle", "idle": 70, "next": "recent", "next_idle": 10,
                    "declined_skipped": True}}
OLD = {"rule": "general", "tie_break": "only eligible free agent"}  # logged before the codes

CASES = [
    (SPECIALIST, "billing specialist, level 9; VIP 3 first; highest level 9 (next: agent02 level 7)",
     "billing 专席，等级 9；VIP 3 优先；最高等级 9（其次：agent02，等级 7）"),
    (OWNER, "calls again about this agent's open ticket; ticket 2611230001",
     "来电询问此座席负责的未结工单；工单 2611230001"),
    (OVERFLOW, "general agent after the wait; transferred call first; longest idle 70 s "
               "(next: recent idle 10 s) (agents who declined this call skipped)",
     "等待超时后转综合台；转接来电优先；空闲最久 70 秒（其次：recent，空闲 10 秒）（已跳过拒接此来电的座席）"),
    (OLD, "general agent; only eligible free agent", "综合台；only eligible free agent"),
]


@pytest.fixture
def app(web_services):
    return create_app(web_services, {"TESTING": True, "LOGIN_FAILURE_DELAY": 0.0})


@pytest.mark.parametrize("reason,english,mandarin", CASES)
def test_the_reason_in_english_and_in_mandarin(app, reason, english, mandarin):
    assert describe_reason(reason) == english  # the engine's log
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert words(reason_parts(reason), describe_reason(reason)) == english
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        assert words(reason_parts(reason), describe_reason(reason)) == mandarin


def test_no_reason_words_as_the_engines_fallback(app):
    with app.test_request_context():
        assert words((), "as the engine said") == "as the engine said"


def offered(agent_id):
    return LiveCall("live-1", "13800000001", "offered", agent_id, queue="complaints",
                    routing_reason=describe_reason(OWNER), routing_reason_parts=reason_parts(OWNER))


def test_the_mandarin_desk_pop_and_floor_show_the_reason_in_mandarin(client, sessions, fake_live):
    agent = add_agent(sessions, "agent01")
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    with transaction(sessions) as db:
        db.scalar(select(Agent).where(Agent.login == "agent01")).language = "zh"
    fake_live.set_agent_state(agent, "ready")
    fake_live.offer(agent, offered(agent))
    login(client, "agent01")
    pop = client.get("/api/v1/desk").json["call"]
    assert pop["call"]["routing_reason"] == "来电询问此座席负责的未结工单；工单 2611230001"

    login(client, "lead1")  # an English supervisor, then the same on the Mandarin floor
    assert client.get("/api/v1/floor").json["calls"][0]["routing_reason"] == \
        "calls again about this agent's open ticket; ticket 2611230001"
    client.post("/language", data={"language": "zh", "csrf_token": csrf_of(client)})
    assert client.get("/api/v1/floor").json["calls"][0]["routing_reason"] == \
        "来电询问此座席负责的未结工单；工单 2611230001"


def test_queues_are_named_in_the_readers_language_on_the_floor_and_in_the_reason(client, sessions, fake_live):
    agent = add_agent(sessions, "agent01")
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    fake_live.set_agent_state(agent, "ready")
    fake_live.offer(agent, LiveCall("live-2", "13800000002", "offered", agent, queue="billing",
                                    routing_reason=describe_reason(SPECIALIST),
                                    routing_reason_parts=reason_parts(SPECIALIST)))
    login(client, "lead1")
    board = client.get("/api/v1/floor").json
    assert board["calls"][0]["routing_reason"].startswith("Bill inquiry specialist, level 9")
    client.post("/language", data={"language": "zh", "csrf_token": csrf_of(client)})
    board = client.get("/api/v1/floor").json
    assert board["calls"][0]["routing_reason"].startswith("账单查询 专席")
    assert "账单查询" in client.get("/reports/").get_data(as_text=True)  # the queue filter's names
