"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json.

A test checks that every /api/v1 route of the app is described here."""
from __future__ import annotations

from typing import Any

from callcenter import __version__

ERROR = {"description": "error", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}


def _op(summary: str, roles: str, body: dict | None = None, ok: str = "200",
        params: tuple[str, ...] = ()) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary, "description": f"Roles: {roles}.",
        "responses": {ok: {"description": "success", "content": {"application/json": {}}},
                      "400": ERROR, "401": ERROR, "403": ERROR, "404": ERROR, "409": ERROR,
                      "503": ERROR}}
    if params:
        op["parameters"] = [{"name": p, "in": "path", "required": True,
                             "schema": {"type": "integer" if p.endswith("_id") else "string"}}
                            for p in params]
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"type": "object", "properties": body}}}}
    return op


S, I, B = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
DESK, FLOOR, ADMIN = "agent, supervisor", "supervisor, admin", "admin"
TARGET = {"need": S, "agent_id": I}


def spec() -> dict[str, Any]:
    call = ("uuid",)
    return {
        "openapi": "3.1.0",
        "info": {"title": "callcenter console API", "version": __version__,
                 "description": "Cookie session (POST /login); every POST/PATCH needs the "
                                "X-CSRF-Token header, whose value GET /api/v1/me returns."},
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"}},
            "schemas": {"Error": {"type": "object", "properties": {
                "error": S, "field": S, "kind": S}}}},
        "security": [{"session": [], "csrf": []}],
        "paths": {
            "/api/v1/openapi.json": {"get": _op("This description", "anyone")},
            "/api/v1/me": {"get": _op("Who is logged in, and the CSRF token", "any role")},
            "/api/v1/desk": {"get": _op("My state and the screen pop of my current call", DESK)},
            "/api/v1/desk/state": {"post": _op(
                "Ready / not ready", DESK, {"state": {"enum": ["ready", "not_ready"]},
                                            "reason": {"enum": ["break", "lunch", "training",
                                                                "back_office"]}})},
            "/api/v1/desk/calls/{uuid}/hold": {"post": _op("Hold (held=true) or unhold", DESK,
                                                           {"held": B}, params=call)},
            "/api/v1/desk/pause": {"get": _op(
                "Whether my call is recorded and its recording paused", DESK)},
            "/api/v1/desk/calls/{uuid}/pause": {"post": _op(
                "Pause (paused=true) or resume the recording of my call", DESK,
                {"paused": B}, params=call)},
            "/api/v1/desk/calls/{uuid}/transfer": {"post": _op(
                "Transfer to a need or an agent, with a note", DESK,
                {**TARGET, "note": S}, params=call)},
            "/api/v1/desk/calls/{uuid}/consult": {"post": _op(
                "Consult a need or an agent", DESK, TARGET, params=call)},
            "/api/v1/desk/calls/{uuid}/hangup": {"post": _op("Hang up", DESK, {}, params=call)},
            "/api/v1/desk/calls/{uuid}/wrapup": {"post": _op(
                "Wrap up: disposition (required), notes, optional callback", DESK,
                {"disposition": S, "notes": S, "callback_at": {"type": "string",
                                                               "format": "date-time"}},
                params=call)},
            "/api/v1/desk/wrapup/end": {"post": _op("End wrap-up early", DESK, {})},
            "/api/v1/desk/preview": {"get": _op(
                "My preview card (preview campaigns): the contact, bills, tickets, past attempts, "
                "script, skip reasons, seconds left; card null when none", DESK)},
            "/api/v1/desk/preview/{contact_id}/call": {"post": _op(
                "Call the contact on my card (agent first); 409 when blocked or withdrawn", DESK, {},
                params=("contact_id",))},
            "/api/v1/desk/preview/{contact_id}/skip": {"post": _op(
                "Skip the contact on my card with a reason from the card's list", DESK,
                {"reason": S}, params=("contact_id",))},
            "/api/v1/desk/wrapup/extend": {"post": _op(
                "Lengthen wrap-up once by the queue's wrap-up extension", DESK, {})},
            "/api/v1/customers/{customer_id}": {"get": _op(
                "Customer, bills, open tickets, last contacts", f"{DESK}, admin",
                params=("customer_id",))},
            "/api/v1/tickets": {"post": _op(
                "Create a ticket (the caller becomes its owner)", DESK,
                {"category": {"enum": ["complaint", "fault", "service_order", "inquiry"]},
                 "description": S, "customer_id": I, "call_uuid": S}, ok="201")},
            "/api/v1/tickets/{number}": {"get": _op("A ticket with its history",
                                                    f"{DESK}, admin", params=("number",))},
            "/api/v1/tickets/{number}/notes": {"post": _op(
                "Add a note to a ticket", f"{DESK}, admin", {"note": S}, ok="201",
                params=("number",))},
            "/api/v1/notifications": {"get": _op(
                "My messages about tickets (deadline near, escalated), newest first, and the "
                "unread count; ?unread=1 for the unread only", f"{DESK}, backoffice")},
            "/api/v1/notifications/{notification_id}/read": {"post": _op(
                "Mark one of my messages read (audited)", f"{DESK}, backoffice", {},
                params=("notification_id",))},
            "/api/v1/tickets/{number}/hand-over": {"post": _op(
                "Hand a ticket over to a named agent (agent: login) or a team (team), with a "
                "note; the owner or a supervisor (audited)", DESK,
                {"agent": S, "team": S, "note": S}, params=("number",))},
            "/api/v1/tickets/{number}/take": {"post": _op(
                "Take a ticket handed over to my team (audited)", DESK, {}, params=("number",))},
            "/api/v1/floor": {"get": _op(
                "Floor board: queues (waiting, longest wait, service level, abandoned), "
                "agents, calls in progress with routing reason", FLOOR)},
            "/api/v1/floor/agents/{agent_id}/state": {"post": _op(
                "Force an agent's state (audited)", FLOOR,
                {"state": {"enum": ["ready", "not_ready", "logged_out"]}, "reason": S},
                params=("agent_id",))},
            "/api/v1/floor/agents/{agent_id}/eavesdrop": {"post": _op(
                "Listen, whisper or barge on the agent's call (audited)", FLOOR,
                {"mode": {"enum": ["listen", "whisper", "barge"]}}, params=("agent_id",))},
            "/api/v1/agents": {
                "get": _op("Agents and skills", ADMIN),
                "post": _op("Create an agent (audited); a generated SIP password is answered once "
                            "as sip_password", ADMIN, {
                    "login": S, "password": S, "display_name": S, "role": S,
                    "sip_extension": S, "sip_password": S, "generate_sip_password": B,
                    "language": S, "active": B, "team": S,
                    "skills": {"type": "object", "additionalProperties": I}}, ok="201")},
            "/api/v1/skills": {"post": _op("Create a skill (audited)", ADMIN,
                                           {"name": S, "description": S}, ok="201")},
            "/api/v1/agents/{agent_id}": {"patch": _op(
                "Change an agent: name, role, team (a team's key; empty: none), levels (0 "
                "removes), deactivate (audited)", ADMIN,
                {"display_name": S, "role": S, "sip_extension": S, "language": S,
                 "active": B, "team": S, "password": S, "sip_password": S, "generate_sip_password": B,
                 "skills": {"type": "object", "additionalProperties": I}},
                params=("agent_id",))},
            "/api/v1/agents/{agent_id}/sip-password": {"post": _op(
                "Rotate the phone's SIP password: the given one, or a generated one answered "
                "once as sip_password (audited; only the digest hash is stored)", ADMIN,
                {"sip_password": S}, params=("agent_id",))},
        },
    }
