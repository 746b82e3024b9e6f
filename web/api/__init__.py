"""/api/v1: the JSON API behind the pages, for a CRM or another front end.

Cookie-authenticated like the pages; every POST/PATCH needs the X-CSRF-Token
header (GET /api/v1/me returns it). Described in web/openapi.py, served at
/api/v1/openapi.json.
One module per desk: desk.py, tickets.py, floor.py, admin.py.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request

from web import csrf
from web.auth import ALL_ROLES, current_user, requires
from web.openapi import spec

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def body() -> dict[str, Any]:
    payload = request.get_json(silent=True)
    if payload is None:
        payload = request.form.to_dict()
    if not isinstance(payload, dict):
        abort(400, description="the request body must be a JSON object")
    return payload


@bp.get("/openapi.json")
def openapi():
    return jsonify(spec())


@bp.get("/me")
@requires(*ALL_ROLES)
def me():
    user = current_user()
    return jsonify(id=user.id, login=user.login, display_name=user.display_name,
                   role=user.role.value, language=user.language, csrf_token=csrf.token())


from web.api import admin, desk, floor, tickets  # noqa: E402,F401  (they add their routes to bp)
from web.api import desk_pause  # noqa: E402,F401  (issue 13: pause the call's recording)
from web.api import desk_preview  # noqa: E402,F401  (preview campaigns' card)
from web.api import notifications  # noqa: E402,F401  (issue 14: ticket deadline messages)
