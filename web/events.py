"""Server-sent events: the desk's and the floor's live updates.

The stream reads the live port's event bus (``subscribe``), which yields None
on every quiet ``timeout``: then a keep-alive comment goes out, and a client
that left makes that write fail, which ends the generator and unsubscribes.
Runs as a plain generator: under gevent's WSGI server each stream is one
greenlet blocked on the bus, not a thread.
"""
from __future__ import annotations

import json
import time
from typing import Any, Iterator

from flask import Blueprint, Response, current_app, stream_with_context

from web import data
from web.auth import DESK_ROLES, FLOOR_ROLES, current_user, requires, sessions
from web.live import floor_board, live
from web.ports import LiveEvent

bp = Blueprint("events", __name__, url_prefix="/events")


def sse(event: str, payload: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(payload, default=str)}\n\n"


def _stream(events: Iterator[str]) -> Response:
    response = Response(stream_with_context(events), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    return response


def _limits() -> tuple[float, float]:
    return current_app.config["SSE_KEEPALIVE"], current_app.config["SSE_MAX_SECONDS"]


@bp.get("/desk")
@requires(*DESK_ROLES)
def desk():
    agent_id = current_user().id
    port, factory = live(), sessions()
    keepalive, max_seconds = _limits()

    def generate() -> Iterator[str]:
        events = port.subscribe(agent_id, keepalive)
        deadline = time.monotonic() + max_seconds
        try:
            yield "retry: 2000\n\n"
            for event in events:
                if event is None:
                    yield ": keep-alive\n\n"
                elif event.agent_id == agent_id:
                    yield sse(event.kind, _desk_payload(event, factory))
                if time.monotonic() > deadline:
                    break  # the browser reconnects; bounded streams never leak
        finally:
            getattr(events, "close", lambda: None)()
    return _stream(generate())


def _desk_payload(event: LiveEvent, factory) -> dict[str, Any]:
    if event.kind in ("call_offered", "call_connected"):
        call = event.data["call"]
        with factory() as db:
            return data.screen_pop(db, call)
    return event.data


@bp.get("/floor")
@requires(*FLOOR_ROLES)
def floor():
    port, app = live(), current_app._get_current_object()
    keepalive, max_seconds = _limits()
    interval = app.config["FLOOR_INTERVAL"]

    def generate() -> Iterator[str]:
        events = port.subscribe(None, interval)
        deadline = time.monotonic() + max_seconds
        try:
            yield "retry: 2000\n\n"
            yield sse("floor", floor_board())
            sent = time.monotonic()
            for event in events:
                # a snapshot every quiet interval, and on change (at most 4 per interval)
                now = time.monotonic()
                if event is None or now - sent >= interval / 4:
                    yield sse("floor", floor_board())
                    sent = now
                if now > deadline:
                    break
        finally:
            getattr(events, "close", lambda: None)()
    return _stream(generate())
