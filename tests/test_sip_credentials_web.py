"""SIP credentials on the admin console and API: apart from the console password,
generated and shown once, stored only as the HA1 of the current extension, rotated on
demand; a renumbered phone without a new password is refused with the field named;
the engine in the same process is told at once."""
from __future__ import annotations

import re

from sqlalchemy import select

from callcenter.models import Agent, AuditLog, Role
from callcenter.security import verify_password
from callcenter.sip_credentials import ha1
from web_fixtures import *  # noqa: F401,F403
from web_fixtures import PASSWORD, add_agent, csrf_of, login


def form_token(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def shown_password(reply) -> str:
    return re.search(r'<code id="sip-password">([^<]+)</code>', reply.get_data(as_text=True)).group(1)


def stored(sessions, login_: str) -> Agent:
    with sessions() as db:
        return db.scalar(select(Agent).where(Agent.login == login_))


def test_a_new_agent_gets_a_generated_sip_password_shown_once_and_stored_as_ha1(client, sessions,
                                                                                  web_services):
    pokes = []
    web_services.extras["agents_changed"] = lambda: pokes.append(1)
    add_agent(sessions, "admin", role=Role.ADMIN)
    login(client, "admin")
    token = form_token(client.get("/admin/agents/new"))
    assert 'id="generate_sip_password" name="generate_sip_password" type="checkbox" checked' in \
        client.get("/admin/agents/new").get_data(as_text=True)  # the default for a new agent

    reply = client.post("/admin/agents/new", data={
        "csrf_token": token, "login": "agent20", "display_name": "Qian Li", "password": "console pass 20",
        "role": "agent", "sip_extension": "1020", "language": "zh", "active": "on",
        "generate_sip_password": "on"})

    assert reply.status_code == 200 and reply.headers["Cache-Control"] == "no-store"
    secret = shown_password(reply)
    agent = stored(sessions, "agent20")
    assert agent.sip_a1_hash == ha1("1020", secret) and agent.sip_password_set_at is not None
    assert verify_password(agent.password_hash, "console pass 20")  # the console's door is its own
    assert agent.sip_a1_hash != ha1("1020", "console pass 20")
    assert secret not in client.get(f"/admin/agents/{agent.id}").get_data(as_text=True)  # once only
    with sessions() as db:
        assert all(secret not in str(a.details) for a in db.scalars(select(AuditLog)))
    assert pokes == [1]


def test_a_new_extension_without_a_new_sip_password_is_refused_naming_the_field(client, sessions):
    add_agent(sessions, "admin", role=Role.ADMIN)
    agent_id = add_agent(sessions, "agent01", extension="1001")
    with sessions() as db:
        db.get(Agent, agent_id).sip_a1_hash = ha1("1001", "old-phone-pass")
        db.commit()
    login(client, "admin")
    token = form_token(client.get(f"/admin/agents/{agent_id}"))
    form = {"csrf_token": token, "display_name": "Agent01", "role": "agent", "language": "en",
            "sip_extension": "1009", "active": "on"}

    refused = client.post(f"/admin/agents/{agent_id}", data=form)

    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'id="sip_password-error"' in page
    assert "extension 1009 needs a new SIP password" in page and 'value="1009"' in page
    agent = stored(sessions, "agent01")
    assert (agent.sip_extension, agent.sip_a1_hash) == ("1001", ha1("1001", "old-phone-pass"))

    saved = client.post(f"/admin/agents/{agent_id}", data={**form, "sip_password": "typed-phone-pass"})

    assert saved.status_code == 302  # typed by the admin: nothing to show
    agent = stored(sessions, "agent01")
    assert (agent.sip_extension, agent.sip_a1_hash) == ("1009", ha1("1009", "typed-phone-pass"))


def test_rotation_from_the_form_replaces_the_hash_and_shows_the_new_password_once(client, sessions):
    add_agent(sessions, "admin", role=Role.ADMIN)
    agent_id = add_agent(sessions, "agent01", extension="1001")
    login(client, "admin")
    page = client.get(f"/admin/agents/{agent_id}")
    assert "sip-rotate" in page.get_data(as_text=True)

    first = client.post(f"/admin/agents/{agent_id}/sip-password", data={"csrf_token": form_token(page)})
    second = client.post(f"/admin/agents/{agent_id}/sip-password", data={"csrf_token": form_token(page)})

    assert first.status_code == second.status_code == 200
    assert shown_password(first) != shown_password(second)
    assert stored(sessions, "agent01").sip_a1_hash == ha1("1001", shown_password(second))
    with sessions() as db:
        audit = [a.details for a in db.scalars(select(AuditLog).where(AuditLog.action == "sip_password_rotate"))]
    assert audit == [{"sip_extension": "1001", "generated": True}] * 2


def test_rotation_needs_an_extension(client, sessions):
    add_agent(sessions, "admin", role=Role.ADMIN)
    lead = add_agent(sessions, "lead1", role=Role.SUPERVISOR)
    login(client, "admin")

    reply = client.post(f"/api/v1/agents/{lead}/sip-password", json={},
                        headers={"X-CSRF-Token": csrf_of(client)})

    assert reply.status_code == 400 and reply.json["field"] == "sip_extension"


def test_the_api_generates_once_sets_a_typed_one_and_never_answers_a_hash(client, sessions):
    add_agent(sessions, "admin", role=Role.ADMIN)
    login(client, "admin")
    headers = {"X-CSRF-Token": csrf_of(client)}

    created = client.post("/api/v1/agents", json={
        "login": "api1", "display_name": "Api One", "password": PASSWORD, "role": "supervisor",
        "sip_extension": "1030", "generate_sip_password": True}, headers=headers)
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    assert stored(sessions, "api1").sip_a1_hash == ha1("1030", created.json["sip_password"])
    agent_id = created.json["id"]

    listed = client.get("/api/v1/agents").json["agents"]
    assert "sip_password" not in str(listed).replace("sip_password_set", "")
    assert not any("sip_a1_hash" in a for a in listed)

    typed = client.post(f"/api/v1/agents/{agent_id}/sip-password", json={"sip_password": "a-typed-phone-pass"},
                        headers=headers)
    assert typed.status_code == 200 and "sip_password" not in typed.json
    assert stored(sessions, "api1").sip_a1_hash == ha1("1030", "a-typed-phone-pass")

    weak = client.post(f"/api/v1/agents/{agent_id}/sip-password", json={"sip_password": "short"},
                       headers=headers)
    assert weak.status_code == 400 and weak.json["field"] == "sip_password"

    renumbered = client.patch(f"/api/v1/agents/{agent_id}", json={"sip_extension": "1031"}, headers=headers)
    assert renumbered.status_code == 400 and renumbered.json["field"] == "sip_password"
    moved = client.patch(f"/api/v1/agents/{agent_id}", json={"sip_extension": "1031", "generate_sip_password": True},
                         headers=headers)
    assert moved.status_code == 200 and moved.json["sip_extension"] == "1031"
    assert stored(sessions, "api1").sip_a1_hash == ha1("1031", moved.json["sip_password"])
