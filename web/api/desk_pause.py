"""/api/v1: pausing the recording of the agent's own call (issue 13), e.g. while the
customer reads out a card number. The routes say "pause", never "record": no route
names recordings (tests/test_web_access.py)."""
from __future__ import annotations

from flask import jsonify

from web.api import body, bp
from web.auth import DESK_ROLES, current_user, requires
from web.live import live, own_call


@bp.get("/desk/pause")
@requires(*DESK_ROLES)
def desk_pause_state():
    """Whether my current call is recorded and whether its recording is paused."""
    return jsonify(live().recording_state(current_user().id))


@bp.post("/desk/calls/<uuid>/pause")
@requires(*DESK_ROLES)
def desk_pause(uuid: str):
    """Pause (paused=true) or resume the recording of my own call: 409 when it is not
    recorded or is so already, 404 when it is not my call."""
    paused = bool(body().get("paused", True))
    live().pause_recording(current_user().id, own_call(uuid).uuid, paused)
    return jsonify(ok=True, paused=paused)
