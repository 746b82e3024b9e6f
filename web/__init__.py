"""The console: a Flask app factory; one blueprint per desk."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, request, session
from flask_babel import Babel, get_locale

from web import (admin, api, auth, backoffice, campaigns, csrf, desk, events, floor, live,
                 notifications, qa, reports, tickets, wallboard)
from web.health import bp as health_bp

LANGUAGES = ("en", "zh")


def create_app(services: Any, test_config: dict[str, Any] | None = None) -> Flask:
    """``services`` is the engine's façade (callcenter.engine.Services): config,
    database sessions and the switch's state; the live engine is its ``live``
    attribute (or ``extras["live"]``), a web.ports.LivePort. The web layer
    reaches the rest of the engine only through it."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=services.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=services.config.web.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        LANGUAGES=LANGUAGES,
        LOGIN_FAILURE_DELAY=1.0,  # seconds added to every failed login
        SSE_KEEPALIVE=15.0,  # seconds between keep-alive comments
        SSE_MAX_SECONDS=600.0,  # a stream ends after this; EventSource reconnects
        FLOOR_INTERVAL=1.0,  # the floor board's snapshot period
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["callcenter"] = services
    Babel(app, locale_selector=_locale)
    csrf.init_app(app)
    live.init_app(app)
    app.after_request(_security_headers)
    app.jinja_env.globals.update(current_user=auth.current_user, get_locale=get_locale,
                                  services_config=lambda: services.config)
    app.register_blueprint(health_bp)
    for module in (auth, desk, floor, admin, api, events, qa, reports, wallboard, tickets, backoffice,
                   campaigns, notifications):
        app.register_blueprint(module.bp)
    return app


def _locale() -> str:
    chosen = session.get("language")
    if chosen in LANGUAGES:
        return chosen
    user = auth.current_user() if "agent_id" in session else None
    if user is not None and user.language in LANGUAGES:
        return user.language
    return request.accept_languages.best_match(LANGUAGES) or "en"


def _security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'")
    return response
