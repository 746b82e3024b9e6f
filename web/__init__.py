"""The console: a Flask app factory; one blueprint per desk."""
from __future__ import annotations

from typing import Any

from flask import Flask

from web.health import bp as health_bp


def create_app(services: Any, test_config: dict[str, Any] | None = None) -> Flask:
    """``services`` is the engine's façade (callcenter.engine.Services): config,
    database sessions and the switch's state. The web layer reaches the rest of
    the engine only through it."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=services.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=services.config.web.secure_cookies,
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["callcenter"] = services
    app.register_blueprint(health_bp)
    return app
