"""Server-sent events: the desk stream pops a call with the bill, the floor stream
sends snapshots, and a stream ends (unsubscribing) when the client goes away."""
from __future__ import annotations

import json

import gevent
import pytest

from callcenter.models import Role
from web.ports import LiveCall
from web_fixtures import *  # noqa: F401,F403
from web_fixtures import add_agent, add_customer, login


def events(response):
    """Parsed (event, data) pairs from a streaming response, one chunk at a time."""
    for chunk in response.response:
        text = chunk.decode() if isinstance(chunk, bytes) else chunk
        if text.startswith("event: "):
            name, data = text.split("\n")[:2]
            yield name[7:], json.loads(data[6:])
        elif text.startswith(":"):
            yield "keep-alive", None


def test_the_desk_stream_pops_the_offered_call_with_the_bill(client, sessions, fake_live):
    agent = add_agent(sessions, "agent01")
    add_customer(sessions)
    login(client, "agent01")
    response = client.get("/events/desk")
    assert response.mimetype == "text/event-stream"
    chunks = iter(response.response)
    assert next(chunks).startswith(b"retry:")  # subscribed from here on
    stream = events(response)
    with gevent.Timeout(5):
        fake_live.offer(agent, LiveCall("c1", "13800000001", "offered", None, queue="billing"))
        fake_live.offer(agent + 1, LiveCall("c2", "13900000000", "offered", None))  # not mine
        kind, state = next(stream)
        assert kind == "agent_state" and state["state"] == "offered"
        kind, pop = next(stream)
        assert kind == "call_offered"
        assert pop["customer"]["name"] == "Zhang San" and pop["bills"][0]["period"] == "2026-10"
        assert next(stream) == ("keep-alive", None)  # quiet: the other agent's call never came
    response.close()
    assert fake_live.subscribers == []


def test_the_floor_stream_sends_snapshots(client, sessions, fake_live):
    agent = add_agent(sessions, "agent01")
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    login(client, "lead1")
    response = client.get("/events/floor")
    stream = events(response)
    with gevent.Timeout(5):
        next(iter(response.response))
        kind, board = next(stream)
        assert kind == "floor" and board["agents"] == []
        fake_live.set_agent_state(agent, "ready")
        kind, board = next(stream)
        assert [a["state"] for a in board["agents"]] == ["ready"]
    response.close()
    assert fake_live.subscribers == []


@pytest.mark.parametrize("url", ["/events/desk", "/events/floor"])
def test_streams_end_after_their_time_limit(web_services, sessions, fake_live, url):
    from web import create_app
    app = create_app(web_services, {"SSE_KEEPALIVE": 0.05, "SSE_MAX_SECONDS": 0.2,
                                    "FLOOR_INTERVAL": 0.05, "LOGIN_FAILURE_DELAY": 0})
    add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    client = app.test_client()
    login(client, "lead1")
    with gevent.Timeout(5):
        body = client.get(url).get_data(as_text=True)  # returns: the stream ended by itself
    assert body.startswith("retry:")
    assert fake_live.subscribers == []
