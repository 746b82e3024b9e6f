"""After a restart: rebuild the ACD from what the database remembers and
what the switch still has (`show channels` + the cc_* variables we set).

Waiting callers whose channel is still up keep their place, in the saved
order; connected pairs stay connected; agents get their states back. What
the switch no longer has is dropped; agent legs that were ringing when the
engine died are hung up (the call is offered again)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from acd.core import AcdCore
from acd.queue_config import AcdConfig
from callcenter.esl import ControlledChannel, Switch, SwitchError
from callcenter.live.acd_actions import ActionRunner, CallState, Leg
from callcenter.live.inbound import QueueRequest
from callcenter.live.presence import PresenceStore

log = logging.getLogger(__name__)
OFFERED_STATES = ("reserved", "ringing")
TALKING_STATES = ("on_call", "on_hold")


@dataclass
class Recovered:
    core: AcdCore
    ended: list[str] = field(default_factory=list)  # connected calls whose legs are gone
    orphans: list[ControlledChannel] = field(default_factory=list)  # hotline calls cut off in the IVR


def recover(config: AcdConfig, presence: PresenceStore, switch: Switch,
            runner: ActionRunner) -> Recovered:
    saved_calls, saved_agents = presence.load()
    try:
        channels = {c.info.uuid: c for c in switch.controlled_channels()}
    except SwitchError as error:
        log.warning("switch not readable at start (%s): restoring the saved state unchecked", error)
        channels = None
    alive = (lambda uuid: True) if channels is None else (lambda uuid: uuid in channels)
    waiting, active, ended, gone, seq = [], [], [], [], 0
    for saved in saved_calls:
        call, shell = dict(saved["acd"]), saved.get("shell", {})
        seq = max(seq, int(saved.get("seq", 0)))
        uuid = call["call_id"]
        if saved["state"] == "waiting" and (alive(uuid) or call.get("callback")):
            call["offered_to"] = call["offered_at"] = None
            waiting.append(call)
            _remember(runner, uuid, shell, None)
        elif saved["state"] == "active" and shell.get("agent_leg"):
            active.append({"call": call, "agent": saved["agent"], "answered_at": saved["answered_at"]})
            _remember(runner, uuid, shell, saved["agent"]).acd_record = call
            if not (alive(uuid) and alive(shell["agent_leg"])):
                ended.append(uuid)
        else:
            gone.append(uuid)
    talking = {entry["agent"] for entry in active}
    agents = []
    for agent in saved_agents:
        if agent["state"] in OFFERED_STATES or (agent["state"] in TALKING_STATES
                                                and agent["login"] not in talking):
            log.info("agent %s was %s when the engine stopped: ready again", agent["login"],
                     agent["state"])
            agent = {**agent, "state": "ready", "call_id": None}
        # only a consultation sets this, and no consultation survives a restart
        agents.append({**agent, "on_external_call": False})
    core = AcdCore.restore(config, {"version": 1, "seq": seq, "calls": waiting, "active": active,
                                    "agents": agents, "resume": [], "handle_times": {}})
    presence.forget_calls(gone)
    orphans = _tidy_switch(switch, channels or {}, runner)
    log.info("recovered %d waiting, %d connected, %d agents; %d calls gone, %d cut off in the IVR",
             len(waiting), len(active) - len(ended), len(agents), len(gone) + len(ended), len(orphans))
    return Recovered(core, ended, orphans)


def _remember(runner: ActionRunner, uuid: str, shell: dict[str, Any],
              agent: str | None) -> CallState:
    request = QueueRequest(**shell["request"]) if shell.get("request") else QueueRequest(
        uuid, "", None, 0, "regular", None)
    state = CallState(request, callback=bool(shell.get("callback")))
    if agent and shell.get("agent_leg"):
        state.leg = Leg(agent, shell["agent_leg"], answered=True, recording=shell.get("recording"))
        runner.agent_legs[state.leg.uuid] = uuid
    runner.calls[uuid] = state
    return state


def _tidy_switch(switch: Switch, channels: dict[str, ControlledChannel],
                 runner: ActionRunner) -> list[ControlledChannel]:
    orphans = []
    for uuid, channel in channels.items():
        variables = channel.variables
        if variables.get("cc_leg") == "consult" or (
                variables.get("cc_leg") == "agent" and uuid not in runner.agent_legs):
            log.info("[%s] hanging up an agent leg left ringing by the previous engine",
                     variables.get("cc_call_id"))
            try:
                switch.hangup(uuid, "ORIGINATOR_CANCEL")
            except SwitchError:
                pass
        elif variables.get("cc_entry") == "hotline" and uuid not in runner.calls:
            orphans.append(channel)
    return orphans
