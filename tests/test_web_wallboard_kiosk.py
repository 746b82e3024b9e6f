"""The kiosk role: an admin creates a wall screen's login; it lands on the wallboard, reads
its data, and is refused everything else (the route walk in test_web_access covers every
route for it; here the story a reader follows)."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from callcenter.models import Agent, Role
from web.ports import AgentStatus, FloorSnapshot, QueueLive
from web_fixtures import *  # noqa: F401,F403
from web_fixtures import FakeLive, add_agent, csrf_of, login, now

import pytest


class WaitingLive(FakeLive):
    def __init__(self) -> None:
        super().__init__()
        self.at = now()

    def floor(self):
        return FloorSnapshot(self.at, (QueueLive("billing", 2, 75.0),), tuple(self.status.values()),
                             tuple(self.calls.values()))


@pytest.fixture
def fake_live():
    return WaitingLive()


def test_an_admin_creates_a_wall_screen_login_that_sees_only_the_wallboard(client, sessions,
                                                                          fake_live):
    add_agent(sessions, "admin", role=Role.ADMIN)
    agent = add_agent(sessions, "agent01", skills={"billing": 5})
    fake_live.status[agent] = AgentStatus(agent, "ready", None, fake_live.at - timedelta(minutes=1))
    login(client, "admin")
    form = client.get("/admin/agents/new").get_data(as_text=True)
    assert "<option >wallboard</option>" in form or "<option>wallboard</option>" in form
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    created = client.post("/admin/agents/new", data={
        "csrf_token": token, "login": "wall1", "display_name": "Hall screen",
        "password": "a-long-wall-secret", "role": "wallboard", "language": "zh", "active": "on"})
    assert created.status_code == 302
    with sessions() as db:
        assert db.scalar(select(Agent.role).where(Agent.login == "wall1")) == Role.WALLBOARD
    client.post("/logout", headers={"X-CSRF-Token": csrf_of(client)})

    landed = login(client, "wall1", "a-long-wall-secret")
    assert landed.headers["Location"].endswith("/wallboard/")
    page = client.get("/wallboard/").get_data(as_text=True)
    assert 'data-queue="billing"' in page and 'data-kind="longest_wait"' in page
    assert 'id="nav-reports"' not in page and "/admin/agents" not in page
    data = client.get("/wallboard/data.json").json
    billing = next(q for q in data["queues"] if q["name"] == "billing")
    assert (billing["waiting"], billing["longest_wait_seconds"]) == (2, 75.0)
    assert data["agents"] == {"ready": 1}
    assert [a["kind"] for a in data["alerts"]] == ["longest_wait"]
    for refused in ("/reports/", "/floor/", "/welcome", "/api/v1/me", "/desk/", "/tickets/"):
        assert client.get(refused).status_code == 403, refused
