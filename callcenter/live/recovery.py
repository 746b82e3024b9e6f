"""After a restart: rebuild the ACD from what the database remembers and
what the switch still has (`show channels` + the cc_* variables we set).

Waiting callers whose channel is still up keep their place, in the saved
order; connected pairs stay connected; agents get their states back. What
the switch no longer has is dropped; agent legs that were ringing when the
engine died are hung up (the call is offered again). An agent leg that had been
answered (the switch bridges it to its caller by itself, see ActionRunner._ring)
makes its call a connected one, with its recording; if its caller is gone it is
hung up at once, so no agent is left answering silence. So is a callback's agent
leg whose customer dial ended while no engine ran; a customer leg the switch
still has (ringing, or talking) ends the call when it hangs up."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from acd.core import AcdCore
from acd.model import CallInfo
from acd.queue_config import AcdConfig
from callcenter.esl import ControlledChannel, Switch, SwitchError
from callcenter.esl.commands import ANSWERED_US
from callcenter.live.acd_actions import ActionRunner, CallState, Leg, request_dict, switch_time
from callcenter.live.inbound import QueueRequest
from callcenter.live.presence import PresenceStore, call_record
from callcenter.models import CallDirection

log = logging.getLogger(__name__)
OFFERED_STATES = ("reserved", "ringing")
ANSWERED_CALLSTATES = ("ACTIVE", "HELD")  # show channels' callstate of an answered leg
TALKING_STATES = ("on_call", "on_hold")


@dataclass
class Recovered:
    core: AcdCore
    # connected calls that are over: the leg whose hang-up ends each (the caller's channel,
    # or a callback's agent leg)
    ended: list[str] = field(default_factory=list)
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
    answered = _answered_agent_legs(channels or {})
    waiting, active, ended, gone, seq = [], [], [], [], 0
    now = time.time()
    for saved in saved_calls:
        call, shell = dict(saved["acd"]), saved.get("shell", {})
        seq = max(seq, int(saved.get("seq", 0)))
        uuid = call["call_id"]
        leg = answered.get(uuid)
        if saved["state"] == "waiting" and leg is not None and alive(uuid) and not call.get("callback"):
            log.info("[%s] %s had answered when the engine stopped: connected", uuid,
                     leg.variables["cc_agent"])
            active.append(_connect_answered(switch, runner, call, shell, leg, now))
        elif saved["state"] == "waiting" and (alive(uuid) or call.get("callback")):
            call["offered_to"] = call["offered_at"] = None
            waiting.append(call)
            _remember(runner, uuid, shell, None)
        elif saved["state"] == "active" and shell.get("agent_leg"):
            active.append({"call": call, "agent": saved["agent"], "answered_at": saved["answered_at"]})
            _remember(runner, uuid, shell, saved["agent"]).acd_record = call
            if call.get("callback") or shell.get("callback"):
                lost = _resume_callback(switch, runner, channels, uuid, shell["agent_leg"])
                if lost is not None:
                    ended.append(lost)
            elif not (alive(uuid) and alive(shell["agent_leg"])):
                ended.append(uuid)
        else:
            gone.append(uuid)
    # Saving is write-behind: an engine killed within a batch's delay of queueing a caller
    # (and ringing an agent at once) left no saved picture of the call. The switch's own
    # variables say what it was, so an answered agent leg is never mistaken for a stray one.
    saved_ids = {saved["acd"]["call_id"] for saved in saved_calls}
    for uuid, leg in answered.items():
        caller = (channels or {}).get(uuid)
        if uuid in saved_ids or caller is None or caller.variables.get("cc_entry") != "hotline":
            continue
        seq += 1
        call, shell = _call_from_switch(caller, seq, now, config)
        log.info("[%s] %s had answered a call the engine had not saved yet: connected", uuid,
                 leg.variables["cc_agent"])
        runner.calllog.start(uuid, CallDirection.INBOUND, call["caller"] or "",
                             caller.variables.get("cc_hotline") or caller.info.destination,
                             at=switch_time(caller.info.created_epoch or now))
        active.append(_connect_answered(switch, runner, call, shell, leg, now))
    talking = {entry["agent"] for entry in active}
    answered_by = {entry["agent"]: entry["call"]["call_id"] for entry in active}
    agents = []
    for agent in saved_agents:
        if agent["login"] in answered_by and (
                agent["state"] not in TALKING_STATES or agent.get("call_id") != answered_by[agent["login"]]):
            # rung and answered while no engine ran (saved as offered, or not saved yet)
            agent = {**agent, "state": "on_call", "call_id": answered_by[agent["login"]],
                     "missed_in_row": 0}
        elif agent["state"] in OFFERED_STATES or (agent["state"] in TALKING_STATES
                                                and agent["login"] not in talking):
            log.info("agent %s was %s when the engine stopped: ready again", agent["login"],
                     agent["state"])
            agent = {**agent, "state": "ready", "call_id": None}
        # only a consultation sets this, and no consultation survives a restart
        agents.append({**agent, "on_external_call": False})
    core = AcdCore.restore(config, {"version": 1, "seq": seq, "calls": waiting, "active": active,
                                    "agents": agents, "resume": [], "handle_times": {}})
    presence.forget_calls(gone)
    _recordings_went_on(runner, [e for e in active if e["call"]["call_id"] not in ended])
    orphans = _tidy_switch(switch, channels or {}, runner)
    log.info("recovered %d waiting, %d connected, %d agents; %d calls gone, %d cut off in the IVR",
             len(waiting), len(active) - len(ended), len(agents), len(gone) + len(ended), len(orphans))
    return Recovered(core, ended, orphans)


def _connect_answered(switch: Switch, runner: ActionRunner, call: dict[str, Any],
                      shell: dict[str, Any], leg: ControlledChannel, now: float) -> dict[str, Any]:
    """A waiting call whose agent leg was answered while no engine ran: connected (bridged
    now if the switch had not yet), logged from the agent's answer, with its recording."""
    uuid, agent = call["call_id"], leg.variables["cc_agent"]
    shell = {**shell, "agent_leg": leg.info.uuid, "recording": _recording_of(leg)}
    call["offered_to"] = call["offered_at"] = None
    state = _remember(runner, uuid, shell, agent)
    state.acd_record = call
    _make_sure_bridged(switch, uuid, leg)
    answered = leg.variables.get(ANSWERED_US, "")
    state.leg.connected, state.leg.accepted = False, True
    state.leg.bridged_at = int(answered) / 1_000_000 if answered.isdigit() and answered != "0" else now
    runner.connected_after_restart(uuid, state)
    return {"call": call, "agent": agent, "answered_at": now}


def _resume_callback(switch: Switch, runner: ActionRunner,
                     channels: dict[str, ControlledChannel] | None, call_id: str,
                     agent_leg: str) -> str | None:
    """A callback whose agent had answered: the switch was ringing the customer (it bridges
    them itself when they answer) or they were talking. The customer's leg, while the switch
    has it, ends the call when it hangs up, answered or not. Without it the agent is on a
    silent line: that leg is hung up. Returns the leg whose hang-up ends the call now."""
    if channels is None:  # the switch could not be read: kept as saved
        return None
    if agent_leg not in channels:
        return agent_leg
    customer = next((c for c in channels.values() if c.variables.get("cc_call_id") == call_id
                     and c.variables.get("cc_leg") == "caller"), None)
    if customer is not None:
        runner.agent_legs[customer.info.uuid] = call_id
        return None
    log.info("[%s] the callback's customer dial ended while no engine ran: releasing the agent",
             call_id)
    try:
        switch.hangup(agent_leg, "NORMAL_CLEARING")
    except SwitchError as error:
        log.warning("[%s] could not hang up the agent leg %s: %s", call_id, agent_leg, error)
    return agent_leg


def _call_from_switch(caller: ControlledChannel, seq: int, now: float,
                      config: AcdConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ACD record and request of a hotline caller, from the cc_* variables the engine set
    on its channel when it queued it (the queue, the priority, when it queued, the caller's
    number: the channel's own caller id shows the agent's once the switch has bridged them)."""
    variables = caller.variables
    number = variables.get("cc_caller") or caller.info.caller_number
    queued_at = variables.get("cc_queued_at") or ""
    entered_at = float(queued_at) if queued_at.isdigit() else float(caller.info.created_epoch or now)
    priority = variables.get("cc_priority") or ""
    queue = variables.get("cc_queue") or None
    record = call_record(CallInfo(call_id=caller.info.uuid,
                                  queue=queue if queue in config.queues else config.default_queue,
                                  entered_at=entered_at, seq=seq, need=queue,
                                  queue_since=entered_at, caller=number))
    request = QueueRequest(caller.info.uuid, number, queue,
                           int(priority) if priority.lstrip("-").isdigit() else 0, "regular", None)
    return record, {"request": request_dict(request)}


def _recordings_went_on(runner: ActionRunner, active: list[dict[str, Any]]) -> None:
    """The switch recorded the connected calls on while no engine ran (no gap in the
    files); what the engine saw of them has a gap, marked by an engine_restarted event
    on the call's timeline."""
    from callcenter.live.acd_actions import switch_time, utcnow
    for entry in active:
        uuid = entry["call"]["call_id"]
        state = runner.calls.get(uuid)
        path = state.leg.recording if state is not None and state.leg is not None else None
        if not path:
            continue
        runner.recordings.adopt(uuid, path, switch_time(entry.get("answered_at")))
        runner.calllog.event(uuid, "engine_restarted", {"recording": path}, at=utcnow())


def _answered_agent_legs(channels: dict[str, ControlledChannel]) -> dict[str, ControlledChannel]:
    """Call id -> its agent leg that the agent had answered (a queue call's; a callback's
    agent leg waits for the customer and is not one of these)."""
    return {channel.variables["cc_call_id"]: channel for channel in channels.values()
            if channel.variables.get("cc_leg") == "agent" and channel.variables.get("cc_call_id")
            and channel.variables.get("cc_agent") and channel.info.callstate in ANSWERED_CALLSTATES
            and channel.variables.get("api_on_answer")}


def _recording_of(leg: ControlledChannel) -> str | None:
    """The file the switch records into since the agent answered (`uuid_record <caller>
    start <path>` in the leg's api_on_answer)."""
    words = (leg.variables.get("api_on_answer") or "").split()
    return words[3] if len(words) == 4 and words[0] == "uuid_record" else None


def _make_sure_bridged(switch: Switch, caller: str, leg: ControlledChannel) -> None:
    """The switch bridges on the agent's answer by itself; a leg still not bridged to its
    caller (the engine died in between) is bridged now."""
    if leg.variables.get("bridge_uuid") == caller or leg.variables.get("signal_bond") == caller:
        return
    try:
        switch.bridge(caller, leg.info.uuid)
    except SwitchError as error:
        log.warning("[%s] could not bridge the answered agent leg %s: %s", caller, leg.info.uuid, error)


def _remember(runner: ActionRunner, uuid: str, shell: dict[str, Any],
              agent: str | None) -> CallState:
    request = QueueRequest(**shell["request"]) if shell.get("request") else QueueRequest(
        uuid, "", None, 0, "regular", None)
    state = CallState(request, callback=bool(shell.get("callback")))
    if agent and shell.get("agent_leg"):
        state.leg = Leg(agent, shell["agent_leg"], answered=True, recording=shell.get("recording"),
                        accepted=True, connected=True)
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
            log.info("[%s] hanging up an agent leg left %s by the previous engine",
                     variables.get("cc_call_id"), "answering silence"
                     if channel.info.callstate in ANSWERED_CALLSTATES else "ringing")
            try:
                switch.hangup(uuid, "ORIGINATOR_CANCEL")
            except SwitchError:
                pass
        elif variables.get("cc_entry") == "hotline" and uuid not in runner.calls:
            orphans.append(channel)
    return orphans
