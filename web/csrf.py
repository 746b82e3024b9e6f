"""CSRF protection for every state-changing request.

A random token lives in the (signed, HttpOnly) session; forms carry it in a
hidden ``csrf_token`` field and JavaScript sends it in the ``X-CSRF-Token``
header (read from the page's <meta name="csrf-token">). Written here rather
than taking Flask-WTF: the console has no WTForms forms, and this is 30 lines.
"""
from __future__ import annotations

import secrets

from flask import Flask, abort, request, session

from callcenter.security import constant_time_equal

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


def token() -> str:
    if FIELD not in session:
        session[FIELD] = secrets.token_urlsafe(32)
    return session[FIELD]


def _check() -> None:
    if request.method in SAFE_METHODS or request.endpoint in (None, "static"):
        return
    sent = request.headers.get(HEADER) or request.form.get(FIELD) or ""
    expected = session.get(FIELD, "")
    if not expected or not sent or not constant_time_equal(sent, expected):
        abort(400, description="missing or wrong CSRF token: reload the page and try again")


def init_app(app: Flask) -> None:
    app.before_request(_check)
    app.jinja_env.globals["csrf_token"] = token
