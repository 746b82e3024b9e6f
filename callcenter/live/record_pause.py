"""Pause / resume of a call's recording by its agent (issue 13), e.g. while the
customer reads out a card number.

The switch keeps writing the file and writes silence in the span
(`uuid_record <uuid> mask <path>` / `unmask`, FreeSWITCH 1.10 mod_dptools), so the
file's times still match the call's events. Only the agent on the call may pause
it. Each pause / resume is in the call's events (recording_paused /
recording_resumed, at the ACD's clock as the desk's hold is) and the span goes into
the recording's metadata (RecordingStore.mark_paused)."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from web.ports import IllegalTransition, LiveEvent, NoSuchCall

if TYPE_CHECKING:  # pragma: no cover
    from callcenter.live.floor import LiveFloor

log = logging.getLogger(__name__)


def secret_masked(recordings, calllog, call_uuid: str, masked: bool) -> None:
    """An IVR `collect` marked secret masked / unmasked the call's recording."""
    from callcenter.live.acd_actions import utcnow
    at = utcnow()
    recordings.mark_paused(call_uuid, masked, at)
    calllog.event(call_uuid, "recording_paused" if masked else "recording_resumed",
                  {"reason": "secret", "by": "ivr"}, at=at)


def recording_state(floor: LiveFloor, agent_id: int) -> dict:
    """The agent's current call and whether its recording runs or is paused."""
    try:
        call_id, _ = floor._agents_call(agent_id)
    except NoSuchCall:
        return {"call_uuid": None, "recorded": False, "paused": False}
    current = floor.runner.recordings.recording_of(call_id)
    return {"call_uuid": call_id, "recorded": current is not None,
            "paused": current is not None and current.paused_at is not None}


def set_recording_paused(floor: LiveFloor, agent_id: int, call_uuid: str, paused: bool) -> None:
    """Mask (pause) or unmask (resume) the agent's own call's recording."""
    from callcenter.live.acd_actions import switch_time
    _, state = floor._agents_call(agent_id, call_uuid)  # NoSuchCall unless it is theirs
    if not state.leg.answered:
        raise IllegalTransition("the call is not connected")
    recordings = floor.runner.recordings
    current = recordings.recording_of(call_uuid)
    if current is None:
        raise IllegalTransition("the call is not being recorded")
    if (current.paused_at is not None) == paused:
        raise IllegalTransition(f"the recording is {'already paused' if paused else 'not paused'}")
    command = floor.switch.record_mask if paused else floor.switch.record_unmask
    floor._switch(command, call_uuid, current.path)
    agent = state.leg.agent

    def log_it(now: float) -> list:
        at = switch_time(now)
        recordings.mark_paused(call_uuid, paused, at)
        floor.runner.calllog.event(call_uuid, "recording_paused" if paused else "recording_resumed",
                                   {"agent": agent, "by": "agent", "recording": current.path}, at=at)
        floor.bus.publish(LiveEvent("recording_paused", agent_id,
                                    {"call_uuid": call_uuid, "paused": paused}))
        return []

    floor._apply(log_it)
    log.info("[%s] recording %s by agent %s", call_uuid, "paused" if paused else "resumed", agent)
