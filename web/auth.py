"""Log in / log out, the role check every route goes through, the audit trail."""
from __future__ import annotations

import functools
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import gevent
from flask import (Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template,
                   request, session, url_for)
from flask_babel import gettext as _
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import Agent, AuditLog, Role
from callcenter.security import hash_password, verify_password
from web import csrf

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)

MAX_FAILURES = 5
LOCK_MINUTES = 5
DESK_ROLES = (Role.AGENT, Role.SUPERVISOR)
FLOOR_ROLES = (Role.SUPERVISOR, Role.ADMIN)
ADMIN_ROLES = (Role.ADMIN,)
KIOSK_ROLES = (Role.WALLBOARD,)  # a wall screen's login: the wallboard and nothing else
ALL_ROLES = tuple(role for role in Role if role not in KIOSK_ROLES)  # every console user
EVERY_ROLE = tuple(Role)  # the session itself: home, log out, language


@dataclass(frozen=True)
class User:
    id: int
    login: str
    display_name: str
    role: Role
    language: str
    sip_extension: str | None


def services() -> Any:
    return current_app.extensions["callcenter"]


def sessions():
    return services().sessions


def current_user() -> User | None:
    if "user" not in g:
        g.user = _load_user(session.get("agent_id"))
    return g.user


def _load_user(agent_id: int | None) -> User | None:
    if agent_id is None:
        return None
    with sessions()() as db:
        agent = db.get(Agent, agent_id)
        if agent is None or not agent.active:
            return None
        return User(agent.id, agent.login, agent.display_name, agent.role, agent.language,
                    agent.sip_extension)


def requires(*roles: Role) -> Callable:
    """Every view carries this: anonymous -> login (401 for the API), wrong role -> 403."""
    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                if request.path.startswith("/api/"):
                    return jsonify(error="not logged in"), 401
                return redirect(url_for("auth.login", next=request.path))
            if user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        wrapped.allowed_roles = roles  # read by the route-walking test
        return wrapped
    return decorate


def audit(db, action: str, object_type: str, object_id: Any = None,
          details: dict | None = None) -> None:
    """Add an audit entry in the caller's transaction (so it commits with the change)."""
    user = current_user()
    db.add(AuditLog(actor_agent_id=user.id if user else None,
                    actor_login=user.login if user else "-", action=action,
                    object_type=object_type, object_id=None if object_id is None else str(object_id),
                    details=details, remote_addr=request.remote_addr))


def home_for(user: User) -> str:
    if user.role in KIOSK_ROLES:
        return url_for("wallboard.wallboard")
    if user.role in FLOOR_ROLES:
        return url_for("floor.board")
    if user.role in DESK_ROLES:
        return url_for("desk.desk")
    if user.role == Role.QA:
        return url_for("qa.search")
    return url_for("auth.welcome")


@bp.get("/")
@requires(*EVERY_ROLE)
def index():
    return redirect(home_for(current_user()))


@bp.get("/welcome")
@requires(*ALL_ROLES)
def welcome():
    return render_template("welcome.html")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html")
    name = request.form.get("login", "").strip()
    password = request.form.get("password", "")
    agent_id, error = _check_credentials(name, password)
    if error:
        gevent.sleep(current_app.config["LOGIN_FAILURE_DELAY"])
        flash(error, "error")
        return render_template("login.html", login=name), 401
    session.clear()  # a new session on login: no fixation, a new CSRF token
    session["agent_id"] = agent_id
    csrf.token()
    session.permanent = True
    g.pop("user", None)
    target = request.args.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = home_for(current_user())
    return redirect(target)


def _check_credentials(name: str, password: str) -> tuple[int | None, str | None]:
    now = datetime.now(timezone.utc)
    wrong = _("Wrong login or password.")
    with transaction(sessions()) as db:
        agent = db.scalar(select(Agent).where(Agent.login == name))
        if agent is None or not agent.active:
            verify_password(_dummy_hash(), password)  # the same work: no login enumeration
            return None, wrong
        if agent.locked_until and agent.locked_until > now:
            return None, _("Too many failed attempts: try again in a few minutes.")
        if not verify_password(agent.password_hash, password):
            agent.failed_logins = (agent.failed_logins or 0) + 1
            if agent.failed_logins >= MAX_FAILURES:
                agent.locked_until = now + timedelta(minutes=LOCK_MINUTES)
                agent.failed_logins = 0
                db.add(AuditLog(actor_agent_id=agent.id, actor_login=agent.login,
                                action="login_locked", object_type="agent",
                                object_id=str(agent.id), remote_addr=request.remote_addr))
            log.info("failed login for %s from %s", name, request.remote_addr)
            return None, wrong
        agent.failed_logins = 0
        agent.locked_until = None
        db.add(AuditLog(actor_agent_id=agent.id, actor_login=agent.login, action="login",
                        object_type="agent", object_id=str(agent.id),
                        remote_addr=request.remote_addr))
        return agent.id, None


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


@bp.post("/logout")
@requires(*EVERY_ROLE)
def logout():
    session.clear()
    return redirect(url_for("auth.login"))


@bp.post("/language")
@requires(*EVERY_ROLE)
def language():
    choice = request.form.get("language", "")
    if choice in current_app.config["LANGUAGES"]:
        session["language"] = choice
    return redirect(request.referrer if _same_site(request.referrer) else url_for("auth.index"))


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)
