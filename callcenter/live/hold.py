"""Hold: the caller hears music, the agent silence, and the recording goes on.

From the desk (LiveFloor.hold), the switch parks the caller out of the bridge and
plays the music (Switch.hold_call), then bridges the two again (resume_call). The
caller's leg carries the recording, so the held time is in the file as the music
the caller heard, and in the call's events as a 'held' / 'resumed' span at the
switch's times.

An agent may also hold on the phone itself (a re-INVITE a=sendonly / inactive):
the switch then plays the music to the caller by itself and reports
CHANNEL_HOLD / CHANNEL_UNHOLD on the agent's leg, which the engine follows the
same way (the desk shows it; it is resumed on the phone).
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from web.ports import LiveEvent

if TYPE_CHECKING:  # pragma: no cover
    from acd.core import AcdCore
    from callcenter.live.acd_actions import ActionRunner, CallState

log = logging.getLogger(__name__)


def set_held(runner: ActionRunner, core: AcdCore, call_id: str, state: CallState, held: bool,
             now: float, source: str) -> list:
    """Put the call's agent on hold in the ACD (or take them off), log the span's edge
    and tell the desk; nothing if it is so already. ``source``: 'desk' or 'phone'."""
    from callcenter.live.acd_actions import switch_time
    leg = state.leg
    if leg is None or not leg.answered or leg.held == held:
        return []
    leg.held, leg.held_by = held, (source if held else None)
    actions = (core.agent_hold if held else core.agent_unhold)(leg.agent, now)
    runner.calllog.event(call_id, "held" if held else "resumed",
                         {"agent": leg.agent, "by": source, "recording": leg.recording},
                         at=switch_time(now))
    card = runner.agents.by_login(leg.agent)
    if card is not None:
        runner.bus.publish(LiveEvent("call_held", card.id,
                                     {"call_uuid": call_id, "held": held, "by": source}))
    log.info("[%s] %s by the %s of agent %s", call_id, "held" if held else "resumed", source, leg.agent)
    return actions


def on_hold_event(runner: ActionRunner, core: AcdCore, uuid: str, held: bool, now: float) -> list:
    """CHANNEL_HOLD / CHANNEL_UNHOLD from the switch. Only the agent's own leg counts
    (a caller's phone holding the agent changes nothing in the ACD); during a
    consultation the ACD already has the agent on hold."""
    call_id = runner.agent_legs.get(uuid)
    state = runner.calls.get(call_id) if call_id else None
    if state is None or state.leg is None or state.leg.uuid != uuid:
        return []
    if runner.consults.get(call_id) is not None:
        return []
    return set_held(runner, core, call_id, state, held, now, "phone")
