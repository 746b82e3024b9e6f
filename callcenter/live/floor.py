"""The console's view of the live engine (web.ports.LivePort), on the ACD shell."""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import Iterator

import gevent

from acd.agent_state import AgentState
from acd.errors import AcdError, UnknownAgent
from callcenter.esl import CallHungUp, Endpoint, Switch, SwitchError, new_uuid
from callcenter.esl.call_control import MUSIC_ON_HOLD
from callcenter.live.acd_actions import ActionRunner, CallState
from callcenter.live.acd_shell import AcdShell
from callcenter.live.agents import AgentDirectory
from callcenter.live.bus import EventBus
from callcenter.live.hold import set_held
from callcenter.live.record_pause import recording_state, set_recording_paused
from callcenter.live.states import agent_status, make_live_call
from web.ports import (AgentStatus, FloorSnapshot, IllegalTransition, LiveCall, LiveEvent,
                       NoSuchCall, QueueLive, SwitchUnavailable, TransferTarget, WaitingCaller)

log = logging.getLogger(__name__)


class LiveFloor:
    def __init__(self, shell: AcdShell, runner: ActionRunner, switch: Switch,
                 agents: AgentDirectory, bus: EventBus, clock=time.time) -> None:
        self.shell, self.runner, self.switch = shell, runner, switch
        self.agents, self.bus, self.clock = agents, bus, clock

    @property
    def core(self):
        return self.shell.core

    # --- agents -------------------------------------------------------------------
    def _card(self, agent_id: int):
        card = self.agents.by_id(agent_id)
        if card is None:
            raise NoSuchCall(f"no active agent {agent_id}")
        return card

    def agent_status(self, agent_id: int) -> AgentStatus:
        card = self._card(agent_id)
        try:
            info = self.core.agent(card.login)
        except UnknownAgent:
            return AgentStatus(agent_id, "logged_out", None, datetime.now(timezone.utc),
                               phone=self.runner.phones.get(card.extension))
        return agent_status(agent_id, info.state, info.not_ready_reason, info.state_since or self.clock(),
                            info.call_id, self.runner.phones.get(card.extension), info.pending_not_ready,
                            info)

    def set_agent_state(self, agent_id: int, state: str, reason: str | None = None,
                        by_agent_id: int | None = None) -> AgentStatus:
        card = self._card(agent_id)
        if state not in ("ready", "not_ready", "logged_out"):
            raise IllegalTransition(f"unknown state '{state}'")
        logged_in_now = False
        if state != "logged_out" and self._logged_out(card.login):
            registered = self._phone_registered(card.login, card.extension)
            self._apply(lambda now: self.core.agent_logged_in(card.login, card.skills, now,
                                                               phone_registered=registered))
            logged_in_now = True  # login makes the agent ready (and may offer a call at once)
        if state == "ready":
            if not logged_in_now:
                self._apply(lambda now: [] if self.core.agent(card.login).state is AgentState.READY
                            else self.core.agent_ready(card.login, now))
        elif state == "not_ready":  # on a call: not ready after it (a pending state)
            self._apply(lambda now: self.core.agent_not_ready(card.login, reason or "break", now))
        elif not self._logged_out(card.login):
            self._apply(lambda now: self.core.agent_logged_out(card.login, now))
        status = self.agent_status(agent_id)
        self.bus.publish(LiveEvent("pending_state", agent_id, {"pending_reason": status.pending_reason}))
        return status

    def end_wrapup(self, agent_id: int) -> AgentStatus:
        card = self._card(agent_id)
        self._apply(lambda now: self.core.wrap_up_done(card.login, now))
        return self.agent_status(agent_id)

    def extend_wrapup(self, agent_id: int) -> AgentStatus:
        card = self._card(agent_id)
        if self.core.agent(card.login).state is not AgentState.WRAP_UP:
            raise IllegalTransition("not in wrap-up")
        self._apply(lambda now: self.core.wrap_up_extend(card.login, now))
        return self.agent_status(agent_id)

    def _logged_out(self, login: str) -> bool:
        try:
            return self.core.agent(login).state is AgentState.LOGGED_OUT
        except UnknownAgent:
            return True

    def _phone_registered(self, login: str, extension: str | None) -> bool | None:
        """None keeps what the engine learned from registration events: FreeSWITCH's
        `show registrations` lags the sofia::register event by up to a second, so
        asking it right after a phone registered can wrongly say no."""
        if not extension:
            return False
        try:
            if self.core.agent(login).phone_registered:
                return None
        except UnknownAgent:
            pass
        try:
            return self.switch.is_registered(extension) or None
        except SwitchError as error:
            raise SwitchUnavailable(str(error)) from error

    def _apply(self, step) -> list:
        try:
            return self.shell.submit(step)
        except AcdError as error:
            raise IllegalTransition(str(error)) from error
        except gevent.Timeout as error:
            raise SwitchUnavailable("the ACD did not answer in time") from error

    # --- calls ----------------------------------------------------------------------
    def _agents_call(self, agent_id: int, call_uuid: str | None = None) -> tuple[str, CallState]:
        login = self._card(agent_id).login
        for call_id, state in self.runner.calls.items():
            if state.leg is not None and state.leg.agent == login and (
                    call_uuid is None or call_uuid == call_id):
                return call_id, state
        raise NoSuchCall(call_uuid or "no call")

    def current_call(self, agent_id: int) -> LiveCall | None:
        try:
            call_id, state = self._agents_call(agent_id)
        except NoSuchCall:
            return None
        return make_live_call(state, agent_id, "bridged" if state.leg.answered else "offered", None)

    def hold(self, agent_id: int, call_uuid: str, held: bool) -> None:
        _, state = self._agents_call(agent_id, call_uuid)
        if self.runner.consults.get(call_uuid) is not None:
            raise IllegalTransition("a consultation is in progress: the caller waits with music")
        if not state.leg.answered or state.leg.held == held:
            raise IllegalTransition("the call is not connected" if not state.leg.answered
                                    else f"the call is {'already' if held else 'not'} on hold")
        if not held and state.leg.held_by == "phone":
            raise IllegalTransition("the call was put on hold on the phone: resume it on the phone")
        if held:
            self._switch(self.switch.hold_call, call_uuid, state.leg.uuid, MUSIC_ON_HOLD)
        else:
            self._switch(self.switch.resume_call, call_uuid, state.leg.uuid)
        self._apply(lambda now: set_held(self.runner, self.core, call_uuid, state, held, now, "desk"))

    def recording_state(self, agent_id: int) -> dict:
        return recording_state(self, agent_id)

    def pause_recording(self, agent_id: int, call_uuid: str, paused: bool) -> None:
        set_recording_paused(self, agent_id, call_uuid, paused)

    def transfer(self, agent_id: int, call_uuid: str, target: TransferTarget, note: str) -> None:
        """Blind transfer to a need, or to a named agent (who alone is offered the call
        for a while, then anyone the call's queue accepts). During a consultation with
        that agent: complete it (the call passes to them at once, with the note)."""
        _, state = self._agents_call(agent_id, call_uuid)
        if not state.leg.answered:
            raise IllegalTransition("the call is not connected")
        consult = self.runner.consults.get(call_uuid)
        if consult is not None:
            self._complete(consult, target, note)
            return
        if state.leg.held_by == "desk":  # held then transferred: back in the bridge first
            self.hold(agent_id, call_uuid, False)
        transfer = {"note": note[:500], "from_agent": state.leg.agent}
        if target.need is not None:
            if target.need not in self.core.config.queues:
                raise IllegalTransition(f"unknown need '{target.need}'")
            transfer["need"] = target.need
        else:
            named = self._card(target.agent_id)
            if named.login == state.leg.agent:
                raise IllegalTransition("the call is already with that agent")
            if self._logged_out(named.login):
                raise IllegalTransition(f"{named.display_name} is not logged in")
            transfer["need"] = state.request.need or self.core.config.default_queue
            transfer["agent"] = named.login
        self._switch(self.switch.set_variable, call_uuid, "park_after_bridge", "true")
        state.extras["transfer"] = transfer
        self._switch(self.switch.hangup, state.leg.uuid, "NORMAL_CLEARING")

    def consult(self, agent_id: int, call_uuid: str, target: TransferTarget) -> None:
        """Call a named agent while the caller waits (parked, with music, once they
        answer); then transfer() to that agent completes, hangup() cancels."""
        _, state = self._agents_call(agent_id, call_uuid)
        if not state.leg.answered:
            raise IllegalTransition("the call is not connected")
        if target.agent_id is None:
            raise IllegalTransition("a consultation goes to a named agent; "
                                    "to pass the call to a need, use a blind transfer")
        if state.leg.held:
            raise IllegalTransition("take the caller off hold before a consultation")
        named = self._card(target.agent_id)
        if named.login == state.leg.agent:
            raise IllegalTransition("an agent cannot consult themselves")
        if not named.extension:
            raise IllegalTransition(f"{named.display_name} has no phone to ring")
        login = state.leg.agent
        self._apply(lambda now: self.runner.consults.begin(self.core, call_uuid, login, named, now))

    def _complete(self, consult, target: TransferTarget, note: str) -> None:
        named = self._card(target.agent_id) if target.agent_id is not None else None
        if named is None or named.login != consult.to_agent:
            raise IllegalTransition(f"a consultation with {consult.to_agent} is in progress: "
                                    "transfer to them, or hang up to cancel it first")
        self._apply(lambda now: self.runner.consults.hand_over(self.core, consult, note[:500], now))

    def hangup(self, agent_id: int, call_uuid: str) -> None:
        """Hang up; during a consultation, hang up the consulted agent instead
        (the caller comes back to this agent)."""
        _, state = self._agents_call(agent_id, call_uuid)
        if not state.leg.answered:  # checked first: never cut off a caller whose offer still rings
            raise IllegalTransition("the call was not connected yet")
        consult = self.runner.consults.get(call_uuid)
        if consult is not None:
            self.runner.consults.cancel(consult, "cancelled_by_agent")
            return
        # a callback (or preview call) has no caller leg under the call's id: end the agent's
        # leg, the customer's bridged leg goes with it
        self._switch(self.switch.hangup, state.leg.uuid if state.callback else call_uuid,
                     "NORMAL_CLEARING")

    def eavesdrop(self, supervisor_id: int, agent_id: int, mode: str) -> None:
        supervisor = self._card(supervisor_id)
        call_id, state = self._agents_call(agent_id)
        if not supervisor.extension:
            raise IllegalTransition("the supervisor has no SIP extension to ring")
        if not state.leg.answered:
            raise IllegalTransition("the agent's call is not connected yet")
        leg = new_uuid()
        self.runner.monitors.setdefault(call_id, set()).add(leg)  # hung up with the call
        self.runner.calllog.event(call_id, "monitored", {"supervisor": supervisor.login, "mode": mode,
                                                         "agent": state.leg.agent, "leg": leg})
        gevent.spawn(self._eavesdrop, call_id, state.leg.uuid, supervisor.extension, mode, leg)

    def _eavesdrop(self, call_id: str, agent_leg: str, extension: str, mode: str, leg: str) -> None:
        try:
            self.switch.eavesdrop(agent_leg, Endpoint.user(extension), mode, uuid=leg)
        except SwitchError as error:
            self.runner.monitors.get(call_id, set()).discard(leg)
            log.warning("[%s] eavesdrop (%s) by %s failed: %s", call_id, mode, extension, error)

    def _switch(self, command, *args) -> None:
        try:
            command(*args)
        except CallHungUp as error:
            raise NoSuchCall(str(error)) from error
        except SwitchError as error:
            raise SwitchUnavailable(str(error)) from error

    # --- the floor ---------------------------------------------------------------------
    def waiting_callers(self) -> tuple[WaitingCaller, ...]:
        """Callers waiting, in the one waiting order, each with the router's explain()."""
        now = self.clock()
        out = []
        for call in self.core.waiting():
            try:
                why = self.core.explain(call.call_id, now)
            except AcdError as error:  # gone between the two reads
                log.debug("[%s] no explanation: %s", call.call_id, error)
                continue
            out.append(WaitingCaller(call.call_id, call.caller or "", call.queue,
                                     max(0.0, now - call.entered_at), call.priority_class,
                                     bool(call.context.get("transferred")), call.callback, why))
        return tuple(out)

    def floor(self) -> FloorSnapshot:
        now = self.clock()
        queues: dict[str, list[float]] = {name: [] for name in self.core.config.queues}
        for call in self.core.waiting():
            queues.setdefault(call.queue, []).append(now - call.entered_at)
        agents = []
        for info in self.core.agents():
            card = self.agents.by_login(info.login)
            if card is not None:
                agents.append(agent_status(card.id, info.state, info.not_ready_reason,
                                           info.state_since or now, info.call_id,
                                           self.runner.phones.get(card.extension), info.pending_not_ready))
        calls = []
        for state in list(self.runner.calls.values()):
            if state.leg is not None:
                card = self.agents.by_login(state.leg.agent)
                calls.append(make_live_call(state, card.id if card else None,
                                            "bridged" if state.leg.answered else "offered", None))
        return FloorSnapshot(datetime.now(timezone.utc),
                             tuple(QueueLive(name, len(waits), max(waits, default=0.0))
                                   for name, waits in queues.items()),
                             tuple(agents), tuple(calls))

    def subscribe(self, agent_id: int | None, timeout: float) -> Iterator[LiveEvent | None]:
        return self.bus.subscribe(agent_id, timeout)
