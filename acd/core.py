"""The ACD's state as a pure object: inputs in, actions out.

``AcdCore`` holds the waiting calls (in the one waiting order) and the agents.
Each input method takes the time ``now`` (epoch seconds) and returns the list
of actions (``acd.actions``) the shell must carry out, in order.  Nothing here
touches the switch, the database or a clock; ``tick(now)`` fires the timers
(ring timeout, wrap-up end, overflow steps, maximum wait, announcements).
``snapshot()`` / ``AcdCore.restore()`` rebuild the same state after a restart.
"""
from __future__ import annotations

import bisect
import logging
from dataclasses import asdict
from typing import Any, Iterable, Mapping

from acd.actions import (Action, AgentStateChanged, Announce, CallAbandoned, CallRequeued,
                         CancelOffer, OfferCall, OfferChoices, Overflow, PlayMusicOnHold,
                         RouteDecisionLogged, StartCallback)
from acd.agent_state import TRANSITIONS, AgentEvent, AgentState, NotReadyReason, transition
from acd.errors import (DuplicateCall, IllegalTransition, UnknownAgent, UnknownCall, UnknownQueue,
                        WrapUpAlreadyExtended)
from acd.estimator import WaitEstimator
from acd.model import AgentInfo, CallInfo, priority_class
from acd.queue_config import AcdConfig
from acd.router import (AgentIndex, Decision, current_step, explain_waiting, order_key, route,
                        routing_table)

log = logging.getLogger(__name__)
SNAPSHOT_VERSION = 1
_OFFERED = (AgentState.RESERVED, AgentState.RINGING)


class AcdCore:
    def __init__(self, config: AcdConfig, estimator: WaitEstimator | None = None):
        self.config = config
        self.table = routing_table(config)
        self.estimator = estimator or WaitEstimator(config.estimate_min_samples,
                                                    config.estimate_window)
        self._agents: dict[str, AgentInfo] = {}
        self._waiting: list[CallInfo] = []  # the one waiting order (offered calls keep their place)
        self._calls: dict[str, CallInfo] = {}  # waiting or offered
        self._active: dict[str, tuple[CallInfo, str, float]] = {}  # answered: call, agent, answered_at
        self._resume: dict[str, dict[str, Any]] = {}  # caller number -> place of an abandoned call
        self._seq = 0
        self._index: AgentIndex | None = None  # rebuilt after a skill change
        self._free: dict[str, AgentInfo] = {}  # agents who may be offered a call now
        self._wrapping: dict[str, AgentInfo] = {}  # agents in wrap-up (next_timer looks at these)

    # ------------------------------------------------------------------ calls

    def call_enqueued(self, call_id: str, queue: str | None, now: float, *, tier: str = "regular",
                      transferred: bool = False, caller: str | None = None,
                      context: Mapping[str, Any] | None = None, for_agent: str | None = None,
                      for_agent_seconds: float = 60.0) -> list[Action]:
        """A caller starts waiting.  ``queue=None``: need not identified -> default queue (rule 3).

        ``for_agent``: a transfer to that agent; only they are offered the call
        for ``for_agent_seconds``, then anyone the queue accepts."""
        if call_id in self._calls or call_id in self._active:
            raise DuplicateCall(call_id)
        need = queue
        queue = queue or self.config.default_queue
        if queue not in self.config.queues:
            raise UnknownQueue(queue)
        entered_at, seq, last_position = now, self._next_seq(), None
        resumed = self._take_resume(caller, now)
        if resumed:
            entered_at, seq, last_position = resumed["entered_at"], resumed["seq"], resumed["position"]
            log.info("call %s: caller %s resumes the place held since %.0f", call_id, caller, entered_at)
        settings = self.config.queues[queue].announcements
        call = CallInfo(call_id=call_id, queue=queue, entered_at=entered_at, seq=seq,
                        priority_class=priority_class(tier, transferred), need=need,
                        queue_since=now, caller=caller, context=dict(context or {}),
                        last_position=last_position,
                        next_announcement=now + settings.first_after,
                        for_agent=for_agent,
                        for_agent_until=now + for_agent_seconds if for_agent else None)
        self._insert(call)
        actions: list[Action] = [PlayMusicOnHold(call_id, queue)]
        actions += self._advance_steps([call], now)
        return actions + self._route(now)

    def call_abandoned(self, call_id: str, now: float) -> list[Action]:
        """The caller hung up before an agent answered (waiting or while the agent's phone rang).

        A caller waiting for a callback hangs up on purpose: that call keeps its
        place (use ``call_removed`` to drop a callback request).
        """
        call = self._call(call_id)
        if call.callback:
            log.info("call %s: caller hung up; the callback request keeps its place", call_id)
            return []
        actions = self._withdraw_offer(call, now, "caller_hung_up", AgentEvent.CANCEL)
        position = self._position(call)
        self._remove(call)
        if call.caller:
            self._resume[call.caller] = {"entered_at": call.entered_at, "seq": call.seq,
                                         "position": call.last_position or position,
                                         "abandoned_at": now}
        actions.append(CallAbandoned(call_id, call.queue, now - call.entered_at, call.caller))
        return actions + self._route(now)

    def call_removed(self, call_id: str, now: float, reason: str = "removed") -> list[Action]:
        """The call left the queue another way (chose voicemail, went back to the IVR ...)."""
        call = self._call(call_id)
        actions = self._withdraw_offer(call, now, "call_removed", AgentEvent.CANCEL)
        self._remove(call)
        log.info("call %s: removed from queue %s (%s)", call_id, call.queue, reason)
        return actions + self._route(now)

    def callback_requested(self, call_id: str, now: float, number: str | None = None) -> list[Action]:
        """The caller asked to be called back: the place is kept; StartCallback when it is its turn."""
        call = self._call(call_id)
        actions = self._withdraw_offer(call, now, "caller_chose_callback", AgentEvent.CANCEL)
        call.callback = True
        call.callback_number = number or call.caller
        call.next_announcement = None
        return actions + self._route(now)

    def offer_ringing(self, call_id: str, now: float, offer_id: int | None = None) -> list[Action]:
        call = self._offered_call(call_id, offer_id)
        if call is None:
            return []
        return self._agent_event(self._agents[call.offered_to], AgentEvent.RING, now, call_id=call_id)

    def offer_answered(self, call_id: str, now: float, offer_id: int | None = None) -> list[Action]:
        """The agent answered the offer: the call leaves the queue and is handled."""
        call = self._offered_call(call_id, offer_id)
        if call is None:
            return []
        agent = self._agents[call.offered_to]
        actions = self._agent_event(agent, AgentEvent.ANSWER, now, call_id=call_id)
        agent.missed_in_row = 0
        self._remove(call)
        self._active[call_id] = (call, agent.login, now)
        return actions

    def offer_rejected(self, call_id: str, now: float, offer_id: int | None = None) -> list[Action]:
        """The agent declined: the call keeps its place and goes to the next agent at once."""
        call = self._offered_call(call_id, offer_id)
        if call is None:
            return []
        agent = self._agents[call.offered_to]
        actions = self._agent_event(agent, AgentEvent.REJECT, now, call_id=call_id)
        agent.idle_since = now
        actions += self._requeue(call, agent, "rejected")
        return actions + self._route(now)

    def offer_timed_out(self, call_id: str, now: float, offer_id: int | None = None) -> list[Action]:
        """Nobody answered within the ring timeout (also fired by ``tick``)."""
        call = self._offered_call(call_id, offer_id)
        if call is None:
            return []
        return self._ring_timeout(call, now) + self._route(now)

    def call_ended(self, call_id: str, now: float) -> list[Action]:
        """An answered queue call ended: the agent goes to wrap-up (per-queue timer)."""
        if call_id in self._calls:  # ended before anyone answered: the caller gave up
            return self.call_abandoned(call_id, now)
        if call_id not in self._active:
            raise UnknownCall(call_id)
        call, login, answered_at = self._active.pop(call_id)
        queue = self.config.queues[call.queue]
        self.estimator.add_handle_time(call.queue, (now - answered_at) + queue.wrap_up)
        return self._start_wrap_up(self._agents[login], call, now) + self._route(now)

    def call_handed_over(self, call_id: str, to_agent: str, now: float) -> list[Action]:
        """A completed consultation transfer: the answered call passes to ``to_agent``.

        The agent who had it goes to wrap-up (hang_up); ``to_agent`` must be ready
        (the shell flags it on_external_call while it consults, which this clears)
        and takes the call over through the table's reserve and answer events, so
        the state log shows every step. Nothing changes when a guard refuses."""
        if call_id not in self._active:
            raise UnknownCall(call_id)
        call, login, _answered_at = self._active[call_id]
        old, new = self._agents[login], self._agent(to_agent)
        if new is old:
            raise IllegalTransition(to_agent, new.state.value, AgentEvent.RESERVE.value,
                                    "the call is already with that agent")
        if new.state is not AgentState.READY:
            raise IllegalTransition(to_agent, new.state.value, AgentEvent.RESERVE.value,
                                    "only a ready agent can take a call over")
        if (old.state, AgentEvent.HANG_UP) not in TRANSITIONS:
            raise IllegalTransition(login, old.state.value, AgentEvent.HANG_UP.value,
                                    "the call is not connected to that agent")
        actions = self._start_wrap_up(old, call, now)
        new.on_external_call = False
        actions += self._agent_event(new, AgentEvent.RESERVE, now, call_id=call_id)
        actions += self._agent_event(new, AgentEvent.ANSWER, now, call_id=call_id)
        new.missed_in_row = 0
        self._active[call_id] = (call, new.login, now)
        log.info("call %s: handed over from %s to %s", call_id, login, new.login)
        return actions + self._route(now)

    # ------------------------------------------------------------------ agents

    def agent_logged_in(self, agent: str, skills: Mapping[str, int], now: float, *,
                        phone_registered: bool | None = None) -> list[Action]:
        """The agent logs in and becomes ready.  ``skills``: skill name -> level."""
        info = self._agent_or_placeholder(agent, now)
        actions = self._agent_event(info, AgentEvent.LOGIN, now)  # raises if logged in already
        self._replace_skills(info, skills)
        if phone_registered is not None:
            info.phone_registered = phone_registered
        self._sync_free(info)
        info.idle_since = now
        info.missed_in_row = 0
        actions += self._advance_steps(self._waiting, now)
        return actions + self._route(now)

    def agent_logged_out(self, agent: str, now: float) -> list[Action]:
        info = self._agent(agent)
        actions = self._agent_event(info, AgentEvent.LOGOUT, now)
        info.pending_not_ready = None
        info.call_id = None
        if self._index is not None:
            self._index.logged_out()
        return actions + self._advance_steps(self._waiting, now) + self._route(now)

    def agent_ready(self, agent: str, now: float) -> list[Action]:
        info = self._agent(agent)
        if info.state in _BUSY and info.state is not AgentState.WRAP_UP:
            if info.pending_not_ready is None:
                raise IllegalTransition(agent, info.state.value, AgentEvent.MAKE_READY.value,
                                        "on a call: ready comes after the call")
            info.pending_not_ready = None  # changed their mind: ready after this call
            return []
        info.pending_not_ready = None
        if info.state is AgentState.WRAP_UP:
            return self._end_wrap_up(info, now) + self._route(now)
        actions = self._agent_event(info, AgentEvent.MAKE_READY, now)
        info.idle_since = now
        info.missed_in_row = 0
        return actions + self._route(now)

    def agent_not_ready(self, agent: str, reason: NotReadyReason | str, now: float) -> list[Action]:
        """Not ready now; on a call (offered, connected, held or in wrap-up): not ready
        once the call and its wrap-up are over, with ``reason`` (a pending state)."""
        info = self._agent(agent)
        if info.state in _BUSY:
            info.pending_not_ready = _reason(agent, info.state, reason)
            return []
        actions = self._agent_event(info, AgentEvent.MAKE_NOT_READY, now, reason=reason)
        info.wrap_up_until = None
        return actions

    def wrap_up_done(self, agent: str, now: float) -> list[Action]:
        """The agent ends after-call work early (or the shell relays the timer)."""
        info = self._agent(agent)
        return self._end_wrap_up(info, now) + self._route(now)

    def wrap_up_extend(self, agent: str, now: float, seconds: float | None = None) -> list[Action]:
        """Extend wrap-up once, by ``seconds`` or the queue's wrap_up_extension."""
        info = self._agent(agent)
        if info.state is AgentState.WRAP_UP and info.wrap_up_extended:
            raise WrapUpAlreadyExtended(agent, info.state.value, AgentEvent.WRAP_UP_EXTEND.value,
                                        "wrap-up can be extended once only")
        actions = self._agent_event(info, AgentEvent.WRAP_UP_EXTEND, now, call_id=info.call_id)
        queue = self.config.queues.get(info.wrap_up_queue or "")
        extra = seconds if seconds is not None else (queue.wrap_up_extension if queue else 0)
        info.wrap_up_until = max(info.wrap_up_until or now, now) + extra
        info.wrap_up_extended = True
        return actions

    def agent_hold(self, agent: str, now: float) -> list[Action]:
        info = self._agent(agent)
        return self._agent_event(info, AgentEvent.HOLD, now, call_id=info.call_id)

    def agent_unhold(self, agent: str, now: float) -> list[Action]:
        info = self._agent(agent)
        return self._agent_event(info, AgentEvent.UNHOLD, now, call_id=info.call_id)

    def phone_registered(self, agent: str, now: float) -> list[Action]:
        self._set_flag(agent, now, "phone_registered", True)
        return self._route(now)

    def phone_unregistered(self, agent: str, now: float) -> list[Action]:
        self._set_flag(agent, now, "phone_registered", False)
        return []

    def agent_on_external_call(self, agent: str, now: float) -> list[Action]:
        """The agent is on a call that is not a queue call: offer nothing meanwhile."""
        self._set_flag(agent, now, "on_external_call", True)
        return []

    def agent_external_call_ended(self, agent: str, now: float) -> list[Action]:
        self._set_flag(agent, now, "on_external_call", False)
        return self._route(now)

    def set_agent_skills(self, agent: str, skills: Mapping[str, int], now: float) -> list[Action]:
        self._replace_skills(self._agent(agent), skills)
        return self._advance_steps(self._waiting, now) + self._route(now)

    # ------------------------------------------------------------------ timers

    def tick(self, now: float) -> list[Action]:
        """Fire every timer that is due at ``now``, then route."""
        actions: list[Action] = []
        timeout = self.config.offer_timeout
        for call in [c for c in self._waiting if c.offered_to is not None]:
            if call.offered_at is not None and now - call.offered_at >= timeout:
                actions += self._ring_timeout(call, now)
        for agent in self._agents.values():
            if (agent.state is AgentState.WRAP_UP and agent.wrap_up_until is not None
                    and now >= agent.wrap_up_until):
                actions += self._end_wrap_up(agent, now)
        for call in self._waiting:
            if call.for_agent_until is not None and now >= call.for_agent_until:
                log.info("call %s: %s did not take the transfer in time; any agent of %s may",
                         call.call_id, call.for_agent, call.queue)
                call.for_agent = call.for_agent_until = None
        actions += self._max_wait(now)
        actions += self._advance_steps(self._waiting, now)
        actions += self._announce(now)
        return actions + self._route(now)

    def next_timer(self) -> float | None:
        """The earliest time at which ``tick`` has something to do (for the shell's sleep)."""
        times = [c.offered_at + self.config.offer_timeout for c in self._waiting
                 if c.offered_at is not None and c.offered_to is not None]
        times += [c.for_agent_until for c in self._waiting
                  if c.for_agent_until is not None and c.offered_to is None]
        times += [a.wrap_up_until for a in self._wrapping.values() if a.wrap_up_until is not None]
        for call in self._waiting:
            if call.offered_to is None and not call.callback:
                queue = self.config.queues[call.queue]
                times.append(call.queue_since + queue.max_wait)
                if call.next_announcement is not None:
                    times.append(call.next_announcement)
                times += [call.queue_since + s.after for n, s in enumerate(queue.overflow, 1)
                          if n > call.step_floor]
        return min(times) if times else None

    # ------------------------------------------------------------------ views

    def waiting(self) -> list[CallInfo]:
        """The waiting calls in the one waiting order (read only: do not modify)."""
        return list(self._waiting)

    def waiting_call(self, call_id: str) -> CallInfo | None:
        """One waiting call's record, None when it is not waiting (read only)."""
        return self._calls.get(call_id)

    def agent(self, login: str) -> AgentInfo:
        """An agent's current record (read only: do not modify)."""
        return self._agent(login)

    def find_agent(self, login: str) -> AgentInfo | None:
        """An agent's current record, None for a login the core does not know (read only)."""
        return self._agents.get(login)

    def agents(self) -> list[AgentInfo]:
        return list(self._agents.values())

    def active_call(self, call_id: str) -> tuple[str, str, float] | None:
        """(queue, agent, answered_at) of an answered call still in progress."""
        entry = self._active.get(call_id)
        return (entry[0].queue, entry[1], entry[2]) if entry else None

    def position(self, call_id: str) -> int:
        """1-based place of the call among the calls waiting in its queue."""
        return self._position(self._call(call_id))

    def explain(self, call_id: str, now: float) -> dict[str, Any]:
        """For the supervisor: why a waiting call is waiting (step, place, each agent's reason)."""
        call = self._call(call_id)
        index = self._agent_index()
        reason = explain_waiting(call, index.agents, now, self.config, table=self.table, index=index)
        reason["position"] = self._position(call)
        reason["order"] = self._waiting.index(call)
        return reason

    # ------------------------------------------------------------------ snapshot

    def snapshot(self) -> dict[str, Any]:
        """Plain JSON-able state: waiting calls in order, answered calls, agents, resume places."""
        def call_dict(call: CallInfo) -> dict[str, Any]:
            data = asdict(call)
            data["declined_by"] = sorted(call.declined_by)
            return data

        agents = []
        for agent in self._agents.values():
            data = asdict(agent)
            data["state"] = agent.state.value
            agents.append(data)
        return {"version": SNAPSHOT_VERSION, "seq": self._seq,
                "calls": [call_dict(c) for c in self._waiting],
                "active": [{"call": call_dict(c), "agent": a, "answered_at": t}
                           for c, a, t in self._active.values()],
                "agents": agents,
                "resume": [{"caller": k, **v} for k, v in self._resume.items()],
                "handle_times": {q: self.estimator.samples(q) for q in self.config.queues}}

    @classmethod
    def restore(cls, config: AcdConfig, snapshot: Mapping[str, Any],
                estimator: WaitEstimator | None = None) -> "AcdCore":
        """A core holding the state of ``snapshot`` (from ``snapshot()``), in the same order."""
        if snapshot.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"unsupported ACD snapshot version {snapshot.get('version')!r}")
        core = cls(config, estimator)

        def call_from(data: Mapping[str, Any]) -> CallInfo:
            values = dict(data)
            values["declined_by"] = set(values.get("declined_by", ()))
            values["context"] = dict(values.get("context") or {})
            if values["queue"] not in config.queues:
                raise UnknownQueue(values["queue"])
            return CallInfo(**values)

        for data in snapshot.get("agents", ()):
            values = dict(data)
            values["state"] = AgentState(values["state"])
            values["skills"] = dict(values["skills"])
            core._agents[values["login"]] = AgentInfo(**values)
            core._sync_free(core._agents[values["login"]])
        calls = [call_from(data) for data in snapshot.get("calls", ())]
        calls.sort(key=core._key)  # stable: the snapshot's own order is the order key's order
        for call in calls:
            core._waiting.append(call)
            core._calls[call.call_id] = call
        for entry in snapshot.get("active", ()):
            call = call_from(entry["call"])
            core._active[call.call_id] = (call, entry["agent"], float(entry["answered_at"]))
        for entry in snapshot.get("resume", ()):
            values = dict(entry)
            core._resume[values.pop("caller")] = values
        core.estimator.restore(snapshot.get("handle_times", {}))
        seqs = [c.seq for c in calls] + [c.seq for c, _, _ in core._active.values()]
        core._seq = max([int(snapshot.get("seq", 0))] + seqs)  # the last number used
        return core

    # ------------------------------------------------------------------ internals

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _replace_skills(self, agent: AgentInfo, skills: Mapping[str, int]) -> None:
        old, agent.skills = agent.skills, {str(k): int(v) for k, v in skills.items()}
        if self._index is None:
            return
        if old != agent.skills:
            self._index.skills_changed(agent, old)
        else:
            self._index.logged_in(agent)

    def _set_flag(self, login: str, now: float, name: str, value: bool) -> None:
        agent = self._agent_or_placeholder(login, now)
        setattr(agent, name, value)
        self._sync_free(agent)

    def _sync_free(self, agent: AgentInfo) -> None:
        """Keep ``_free`` and ``_wrapping`` in step with the agent's state and flags."""
        if agent.available:
            self._free[agent.login] = agent
        else:
            self._free.pop(agent.login, None)
        if agent.state is AgentState.WRAP_UP:
            self._wrapping[agent.login] = agent
        else:
            self._wrapping.pop(agent.login, None)

    def _agent_index(self) -> AgentIndex:
        if self._index is None:
            self._index = AgentIndex(self._agents.values())
        return self._index

    def _key(self, call: CallInfo) -> tuple[float, float, int]:
        return order_key(call, self.config)

    def _insert(self, call: CallInfo) -> None:
        bisect.insort(self._waiting, call, key=self._key)
        self._calls[call.call_id] = call

    def _remove(self, call: CallInfo) -> None:
        self._waiting.remove(call)
        del self._calls[call.call_id]

    def _call(self, call_id: str) -> CallInfo:
        try:
            return self._calls[call_id]
        except KeyError:
            raise UnknownCall(call_id) from None

    def _offered_call(self, call_id: str, offer_id: int | None) -> CallInfo | None:
        """The call if it is being offered now (and ``offer_id`` is that offer's, when given)."""
        call = self._call(call_id)
        if call.offered_to is None:
            log.warning("call %s: offer event ignored, the call is not offered now", call_id)
            return None
        if offer_id is not None and offer_id != call.offer_id:
            log.warning("call %s: event of offer %s ignored, offer %s is current", call_id,
                        offer_id, call.offer_id)
            return None
        return call

    def _agent(self, login: str) -> AgentInfo:
        try:
            return self._agents[login]
        except KeyError:
            raise UnknownAgent(login) from None

    def _agent_or_placeholder(self, login: str, now: float) -> AgentInfo:
        if login not in self._agents:
            self._agents[login] = AgentInfo(login, {}, state_since=now)
            if self._index is not None:
                self._index.add(self._agents[login])
        return self._agents[login]

    def _take_resume(self, caller: str | None, now: float) -> dict[str, Any] | None:
        if not caller:
            return None
        for number, place in list(self._resume.items()):
            if now - place["abandoned_at"] > self.config.resume_window:
                del self._resume[number]
        return self._resume.pop(caller, None)

    def _agent_event(self, agent: AgentInfo, event: AgentEvent, now: float,
                     reason: str | None = None, call_id: str | None = None) -> list[Action]:
        record = transition(agent.login, agent.state, event, now, reason=reason, call_id=call_id)
        agent.state = record.to_state
        agent.state_since = now
        self._sync_free(agent)
        agent.not_ready_reason = record.reason if record.to_state is AgentState.NOT_READY else None
        if record.to_state in (AgentState.READY, AgentState.NOT_READY, AgentState.LOGGED_OUT):
            agent.call_id = None
        elif call_id is not None:
            agent.call_id = call_id
        # routine: every transition is in the append-only state log (AgentStateChanged)
        if log.isEnabledFor(logging.DEBUG):  # the suffixes cost more than the call when off
            log.debug("agent %s: %s -%s-> %s%s%s", agent.login, record.from_state.value,
                      event.value, record.to_state.value,
                      f" ({record.reason})" if record.reason else "",
                      f" call {call_id}" if call_id else "")
        actions: list[Action] = [AgentStateChanged(record)]
        if record.to_state is AgentState.READY and agent.pending_not_ready is not None:
            reason, agent.pending_not_ready = agent.pending_not_ready, None
            actions += self._agent_event(agent, AgentEvent.MAKE_NOT_READY, now, reason=reason)
        return actions

    def _withdraw_offer(self, call: CallInfo, now: float, reason: str,
                        event: AgentEvent) -> list[Action]:
        """Cancel a pending offer of ``call`` (the agent leg must be hung up)."""
        if call.offered_to is None:
            return []
        agent = self._agents[call.offered_to]
        actions: list[Action] = [CancelOffer(call.call_id, agent.login, reason, call.offer_id)]
        if agent.state in _OFFERED:
            actions += self._agent_event(agent, event, now, reason=reason, call_id=call.call_id)
            agent.idle_since = now
        call.offered_to = call.offered_at = None
        return actions

    def _requeue(self, call: CallInfo, agent: AgentInfo, reason: str) -> list[Action]:
        call.declined_by.add(agent.login)
        call.offered_to = call.offered_at = None
        actions: list[Action] = [CallRequeued(call.call_id, call.queue, reason)]
        if not call.callback:
            actions.append(PlayMusicOnHold(call.call_id, call.queue))
        return actions

    def _ring_timeout(self, call: CallInfo, now: float) -> list[Action]:
        agent = self._agents[call.offered_to]
        agent.missed_in_row += 1
        limit = agent.missed_in_row >= self.config.missed_offers_limit
        event = AgentEvent.MISS_LIMIT if limit else AgentEvent.MISS
        actions: list[Action] = [CancelOffer(call.call_id, agent.login, "ring_timeout",
                                             call.offer_id)]
        actions += self._agent_event(agent, event, now, call_id=call.call_id)
        if not limit:
            agent.idle_since = now
        return actions + self._requeue(call, agent, "ring_timeout")

    def _start_wrap_up(self, agent: AgentInfo, call: CallInfo, now: float) -> list[Action]:
        """The agent's part of ``call`` ended: hang_up, then the queue's wrap-up timer."""
        queue = self.config.queues[call.queue]
        actions = self._agent_event(agent, AgentEvent.HANG_UP, now, call_id=call.call_id)
        agent.wrap_up_until = now + queue.wrap_up
        agent.wrap_up_extended = False
        agent.wrap_up_queue = call.queue
        if queue.wrap_up <= 0:
            actions += self._end_wrap_up(agent, now)
        return actions

    def _end_wrap_up(self, agent: AgentInfo, now: float) -> list[Action]:
        actions = self._agent_event(agent, AgentEvent.WRAP_UP_DONE, now)
        agent.idle_since = now
        agent.wrap_up_until = None
        agent.wrap_up_extended = False
        return actions

    def _max_wait(self, now: float) -> list[Action]:
        actions: list[Action] = []
        for call in list(self._waiting):
            if call.offered_to is not None or call.callback:
                continue
            queue = self.config.queues[call.queue]
            if now - call.queue_since < queue.max_wait:
                continue
            destination = queue.at_max_wait
            actions.append(Overflow(call.call_id, call.queue, destination.kind, destination.queue,
                                    "max_wait"))
            log.info("call %s: waited %.0f s in %s, overflow to %s", call.call_id,
                     now - call.queue_since, call.queue, destination.queue or destination.kind)
            if destination.kind == "voicemail":
                self._remove(call)
            elif destination.kind == "callback":
                call.callback = True
                call.callback_number = call.caller
                call.next_announcement = None
            else:
                target = self.config.queues[destination.queue]
                call.queue = target.name
                call.queue_since = now
                call.step_floor = call.offers_made = 0
                call.next_announcement = now + target.announcements.first_after
                actions += self._advance_steps([call], now)
        return actions

    def _advance_steps(self, calls: Iterable[CallInfo], now: float) -> list[Action]:
        """Move calls to the overflow step their wait (or an empty queue) calls for."""
        actions: list[Action] = []
        if not calls:
            return actions
        levels = self._agent_index().levels
        staffed: dict[tuple[str, int], bool] = {}
        for call in calls:
            if call.offered_to is not None:
                continue
            step, _nobody = current_step(call, now, self.config, levels, self.table, staffed)
            if step <= call.step_floor:
                continue
            call.step_floor = step
            if call.callback:
                continue
            steps = self.config.queues[call.queue].overflow
            for number in range(call.offers_made + 1, step + 1):
                if steps[number - 1].offer:
                    actions.append(OfferChoices(call.call_id, call.queue, steps[number - 1].offer,
                                                number))
            call.offers_made = step
        return actions

    def _announce(self, now: float) -> list[Action]:
        due = [c for c in self._waiting if c.offered_to is None and not c.callback
               and c.next_announcement is not None and now >= c.next_announcement]
        if not due:
            return []
        positions = self._positions()
        levels_cache: dict[tuple[str, int], int] = {}
        actions: list[Action] = []
        for call in due:
            settings = self.config.queues[call.queue].announcements
            call.next_announcement = now + settings.every
            position = positions[call.call_id]
            if call.last_position is not None:
                position = min(position, call.last_position)
            call.last_position = position
            eta = None
            if settings.estimated_wait:
                key = (call.queue, call.step_floor)
                if key not in levels_cache:
                    levels_cache[key] = self._staffed(call.queue, call.step_floor)
                eta = self.estimator.estimate(call.queue, position, levels_cache[key])
            shown = position if settings.position else None
            if shown is None and eta is None:
                continue
            actions.append(Announce(call.call_id, call.queue, shown, eta))
        return actions

    def _staffed(self, queue: str, step: int) -> int:
        """Agents logged in with a registered phone who qualify for ``queue`` at ``step``."""
        matched = self._agent_index().eligibility(self.table, queue, step).matched
        return sum(1 for agent in matched.values()
                   if agent.state is not AgentState.LOGGED_OUT and agent.phone_registered)

    def _positions(self) -> dict[str, int]:
        counters: dict[str, int] = {}
        positions: dict[str, int] = {}
        for call in self._waiting:
            if call.offered_to is not None:
                continue
            counters[call.queue] = counters.get(call.queue, 0) + 1
            positions[call.call_id] = counters[call.queue]
        return positions

    def _position(self, call: CallInfo) -> int:
        ahead = sum(1 for other in self._waiting
                    if other.queue == call.queue and other.offered_to is None
                    and self._key(other) < self._key(call))
        return ahead + 1

    def _route(self, now: float) -> list[Action]:
        if not self._free or not self._waiting:
            return []
        index = self._agent_index()
        decisions = route(self._waiting, index.agents, now, self.config, presorted=True,
                          table=self.table, index=index, free=self._free)
        actions: list[Action] = []
        for decision in decisions:
            actions += self._offer(decision, now)
        return actions

    def _offer(self, decision: Decision, now: float) -> list[Action]:
        call = self._calls[decision.call_id]
        agent = self._agents[decision.agent]
        reason = decision.as_dict()
        actions: list[Action] = [RouteDecisionLogged(call.call_id, agent.login, reason)]
        actions += self._agent_event(agent, AgentEvent.RESERVE, now, call_id=call.call_id)
        call.offered_to, call.offered_at = agent.login, now
        call.offer_id += 1
        log.debug("call %s: offered to %s (%s, %s)", call.call_id, agent.login, decision.rule,
                 decision.tie_break)
        timeout = self.config.offer_timeout
        if call.callback:
            actions.append(StartCallback(call.call_id, agent.login, call.callback_number, call.queue,
                                         timeout, reason, dict(call.context), call.offer_id))
        else:
            actions.append(OfferCall(call.call_id, agent.login, call.queue, timeout, reason,
                                     dict(call.context), call.offer_id))
        return actions


# offered, on a call or in its wrap-up: a not-ready request waits for the call to end
_BUSY = frozenset({AgentState.RESERVED, AgentState.RINGING, AgentState.ON_CALL, AgentState.ON_HOLD,
                   AgentState.WRAP_UP})


def _reason(agent: str, state: AgentState, reason: NotReadyReason | str) -> str:
    """A valid not-ready reason code, or IllegalTransition naming the known ones."""
    try:
        return NotReadyReason(reason).value
    except ValueError:
        known = ", ".join(r.value for r in NotReadyReason)
        raise IllegalTransition(agent, state.value, AgentEvent.MAKE_NOT_READY.value,
                                f"unknown not-ready reason '{reason}' (known: {known})") from None
