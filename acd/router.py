"""Skill-based routing as a pure function: (waiting calls, agents, now, config) -> decisions.

One fair order serves both directions: calls are taken by effective priority
(class priority plus ageing), then entry time; each call gets the best free
agent that its overflow step allows.  A freed agent therefore gets the first
call in that order, across every queue the agent serves, and a new call gets
the best free agent.  Each ``Decision`` says why: the rule and overflow step
in force, the candidates ranked, why every other agent with a relevant skill
was passed over, and the tie-break.
"""
from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import islice
from typing import Any, Iterable, Mapping, Sequence

from acd.agent_state import AgentState
from acd.model import AgentInfo, CallInfo
from acd.queue_config import AcdConfig, QueueConfig

VIP_CLASSES = ("vip1", "vip2", "vip3")
_BUSY_REASON = {AgentState.RESERVED: "already_reserved", AgentState.RINGING: "already_reserved",
                AgentState.ON_CALL: "on_call", AgentState.ON_HOLD: "on_call",
                AgentState.WRAP_UP: "wrap_up"}


# --------------------------------------------------------------------------- priority


def order_key(call: CallInfo, config: AcdConfig) -> tuple[float, float, int]:
    """Sort key of the one waiting order (smallest first).

    Effective priority is ``base + rate * (now - entered_at)``; with one ageing
    rate for all, comparing two calls does not depend on ``now``, so the order
    is fixed at entry: ``base - rate * entered_at``, higher first.
    """
    rate = config.priority_ageing_per_minute / 60.0
    base = config.priorities.get(call.priority_class, 0.0)
    return (-(base - rate * call.entered_at), call.entered_at, call.seq)


def effective_priority(call: CallInfo, now: float, config: AcdConfig) -> float:
    rate = config.priority_ageing_per_minute / 60.0
    return config.priorities.get(call.priority_class, 0.0) + rate * max(0.0, now - call.entered_at)


# --------------------------------------------------------------------------- eligibility


@dataclass(frozen=True)
class Group:
    """One set of agents a queue accepts: all ``skills`` at their minimum level."""

    index: int  # 0 = the queue's own skills; later groups come from overflow steps
    step: int  # the overflow step that brings this group in (0 = from the start)
    skills: Mapping[str, int]
    rule: str  # specialist | general | general_overflow | overflow_accept | overflow_other_queue | overflow_lower_level
    label: str

    def level_of(self, agent: AgentInfo) -> int | None:
        """The agent's relevant level for this group (lowest of its skills), or None if not met."""
        level = None
        skills = agent.skills
        for skill, minimum in self.skills.items():
            have = skills.get(skill, -1)
            if have < minimum:
                return None
            level = have if level is None else min(level, have)
        return level


class RoutingTable:
    """Eligibility groups of every queue at every overflow step, computed once per config."""

    def __init__(self, config: AcdConfig):
        self.config = config
        self._groups: dict[tuple[str, int], tuple[Group, ...]] = {}
        self.relevant_skills: dict[str, tuple[str, ...]] = {}
        for name, queue in config.queues.items():
            all_groups = self._build(queue)
            for step in range(len(queue.overflow) + 1):
                self._groups[(name, step)] = tuple(g for g in all_groups if g.step <= step)
            skills = dict.fromkeys(s for g in all_groups for s in g.skills)
            self.relevant_skills[name] = tuple(skills)

    def groups(self, queue: str, step: int) -> tuple[Group, ...]:
        return self._groups[(queue, step)]

    def all_groups(self, queue: str) -> tuple[Group, ...]:
        return self._groups[(queue, len(self.config.queues[queue].overflow))]

    def _build(self, queue: QueueConfig) -> list[Group]:
        base_rule = "general" if queue.name == self.config.default_queue else "specialist"
        required = ", ".join(f"{s}>={lvl}" for s, lvl in queue.skills.items())
        groups = [Group(0, 0, queue.skills, base_rule, f"{base_rule}: {required}")]
        for number, step in enumerate(queue.overflow, start=1):
            label = f"overflow step {number} ({step.describe()})"
            if step.accept:
                rule = "general_overflow" if "general" in step.accept else "overflow_accept"
                groups.append(Group(len(groups), number, step.accept, rule, label))
            if step.accept_queue:
                other = self.config.queues[step.accept_queue].skills
                groups.append(Group(len(groups), number, other, "overflow_other_queue", label))
            if step.min_level is not None:
                lowered = {s: min(lvl, step.min_level) for s, lvl in queue.skills.items()}
                groups.append(Group(len(groups), number, lowered, "overflow_lower_level", label))
        return groups


_TABLES: dict[int, tuple[AcdConfig, RoutingTable]] = {}


def routing_table(config: AcdConfig) -> RoutingTable:
    """The (cached) routing table of ``config``."""
    entry = _TABLES.get(id(config))
    if entry is None or entry[0] is not config:
        entry = (config, RoutingTable(config))
        _TABLES[id(config)] = entry
    return entry[1]


def logged_in_levels(agents: Iterable[AgentInfo]) -> dict[str, int]:
    """Highest level per skill among agents who are logged in (any state but logged_out)."""
    best: dict[str, int] = {}
    for agent in agents:
        if agent.state is AgentState.LOGGED_OUT:
            continue
        for skill, level in agent.skills.items():
            if level > best.get(skill, -1):
                best[skill] = level
    return best


def _staffable(group: Group, levels: Mapping[str, int]) -> bool:
    return all(levels.get(skill, -1) >= minimum for skill, minimum in group.skills.items())


def current_step(call: CallInfo, now: float, config: AcdConfig, levels: Mapping[str, int],
                 table: RoutingTable | None = None,
                 staffed_cache: dict[tuple[str, int], bool] | None = None) -> tuple[int, bool]:
    """The overflow step in force for ``call`` and whether nobody at all could take it.

    Steps come with waiting time in the current queue and never go back
    (``call.step_floor``).  When no logged-in agent matches any group the step
    allows, the next step applies at once; ``True`` in the result means that
    even the last step has nobody logged in.
    """
    table = table or routing_table(config)
    queue = config.queues[call.queue]
    waited = now - call.queue_since
    step = call.step_floor
    for number, overflow in enumerate(queue.overflow, start=1):
        if overflow.after <= waited and number > step:
            step = number
    last = len(queue.overflow)
    cache = staffed_cache if staffed_cache is not None else {}
    while True:
        key = (call.queue, step)
        staffed = cache.get(key)
        if staffed is None:
            staffed = cache[key] = any(_staffable(g, levels) for g in table.groups(call.queue, step))
        if staffed or step >= last:
            return step, not staffed
        step += 1


# --------------------------------------------------------------------------- decisions


@dataclass(frozen=True)
class Candidate:
    agent: str
    group: int  # 0 = the queue's own skills (specialist), higher = overflow groups
    level: int
    idle_seconds: float
    declined: bool = False  # the agent rejected or missed this call before

    def as_dict(self) -> dict:
        return {"agent": self.agent, "group": self.group, "level": self.level,
                "idle_seconds": round(self.idle_seconds, 3), "declined": self.declined}


LOGGED_CANDIDATES = 5  # free qualified agents listed in a logged decision, best first
LOGGED_PASSED_OVER = 20  # other agents listed with the reason they were passed over


@dataclass(frozen=True)
class Decision:
    """Offer ``call_id`` to ``agent``, and why."""

    call_id: str
    agent: str
    queue: str
    rule: str  # how the agent qualified: specialist, general_overflow, unidentified_need_to_general ...
    group: str  # the eligibility group's label
    step: int  # overflow step in force (0 = none yet)
    step_rule: str  # description of that step
    priority_class: str  # transferred, vip3, vip2, vip1, regular
    priority: float  # effective priority now (class priority + ageing)
    order: int  # 0-based place of the call in the one waiting order
    waited: float  # seconds since the call first entered
    policy: str  # highest_level | longest_idle | vip_highest_level
    candidates: tuple[Candidate, ...]  # the best eligible free agents, best first
    passed_over: Mapping[str, str]  # agent -> reason code for everyone else with a relevant skill
    others_lacking_skill: int  # agents without any skill relevant to this queue
    tie_break: str
    callback: bool = False  # the call is a callback request: call the customer back
    candidates_total: int | None = None  # eligible free agents in all (None: len(candidates))
    tie: Mapping[str, Any] | None = None  # tie_break as a code and its values (translated at display)

    def as_dict(self) -> dict:
        """The logged reason. With hundreds of agents, listing every one on every offer
        cost more than the routing (about 26 KB a call): the best LOGGED_CANDIDATES and
        the first LOGGED_PASSED_OVER others are listed, and every one is counted."""
        counts = dict(Counter(self.passed_over.values()))  # in order of first appearance
        return {"call_id": self.call_id, "agent": self.agent, "queue": self.queue,
                "rule": self.rule, "group": self.group, "step": self.step,
                "step_rule": self.step_rule, "priority_class": self.priority_class,
                "priority": round(self.priority, 3), "order": self.order,
                "waited": round(self.waited, 3), "policy": self.policy,
                "candidates": [c.as_dict() for c in self.candidates[:LOGGED_CANDIDATES]],
                "candidates_total": (len(self.candidates) if self.candidates_total is None
                                     else self.candidates_total),
                "passed_over": dict(islice(self.passed_over.items(), LOGGED_PASSED_OVER)),
                "passed_over_counts": counts,
                "others_lacking_skill": self.others_lacking_skill,
                "tie_break": self.tie_break, "tie": dict(self.tie or {}),
                "callback": self.callback}


class AgentIndex:
    """Agents by skill and the best logged-in level per skill.

    Depends only on who is logged in and their skills, so a caller that routes
    often (the core) builds it once and rebuilds it on login, logout or a skill
    change, instead of on every pass.
    """

    def __init__(self, agents: Iterable[AgentInfo]):
        self.agents: list[AgentInfo] = []
        self.by_skill: dict[str, list[AgentInfo]] = defaultdict(list)
        self.levels: dict[str, int] = {}
        self._eligibility: dict[tuple[str, int], _Eligibility] = {}
        for agent in agents:
            self.add(agent)

    def add(self, agent: AgentInfo) -> None:
        """Index one more agent (its skills must not change while indexed)."""
        self.agents.append(agent)
        for skill in agent.skills:
            self.by_skill[skill].append(agent)
        self._eligibility.clear()
        self.logged_in(agent)

    def skills_changed(self, agent: AgentInfo, old_skills: Mapping[str, int]) -> None:
        """An indexed agent's skills were replaced (``agent.skills`` holds the new ones)."""
        for skill in old_skills:
            bucket = self.by_skill.get(skill)
            if bucket is not None and agent in bucket:
                bucket.remove(agent)
        for skill in agent.skills:
            self.by_skill[skill].append(agent)
        self._eligibility.clear()
        self.levels = logged_in_levels(self.agents) if old_skills else self.levels
        self.logged_in(agent)

    def logged_in(self, agent: AgentInfo) -> None:
        """An indexed agent logged in: raise the best logged-in levels."""
        if agent.state is AgentState.LOGGED_OUT:
            return
        for skill, level in agent.skills.items():
            if level > self.levels.get(skill, -1):
                self.levels[skill] = level

    def logged_out(self) -> None:
        """An indexed agent logged out: recount the best logged-in levels."""
        self.levels = logged_in_levels(self.agents)

    def eligibility(self, table: RoutingTable, queue: str, step: int) -> "_Eligibility":
        """Who qualifies for ``queue`` at ``step`` by skill alone, and why the others do not."""
        key = (queue, step)
        found = self._eligibility.get(key)
        if found is None:
            found = self._eligibility[key] = _Eligibility(self, table, queue, step)
        return found


class _Eligibility:
    """Skill-only verdicts for one queue and step: match -> group, otherwise a reason code."""

    def __init__(self, index: AgentIndex, table: RoutingTable, queue: str, step: int):
        groups = table.groups(queue, step)
        all_groups = table.all_groups(queue)
        self.matched: dict[str, AgentInfo] = {}
        # login -> (the first group the agent meets, its level there), for every matched agent
        self.first_group: dict[str, tuple[Group, int]] = {}
        self.reasons: dict[str, str] = {}  # agents with a relevant skill who do not qualify yet
        seen: set[str] = set()
        for skill in table.relevant_skills[queue]:
            for agent in index.by_skill.get(skill, ()):
                if agent.login in seen:
                    continue
                seen.add(agent.login)
                hit = _first_group(agent, groups)
                if hit is not None:
                    self.matched[agent.login] = agent
                    self.first_group[agent.login] = hit
                else:
                    self.reasons[agent.login] = _skill_reason(agent, all_groups)
        self.considered = len(seen)


def _first_group(agent: AgentInfo, groups: Sequence[Group]) -> tuple[Group, int] | None:
    for group in groups:
        level = group.level_of(agent)
        if level is not None:
            return group, level
    return None


class _Pool:
    """The free agents of one routing pass; shrinks as agents are taken.

    Who matches a queue at a step comes from the index's cached eligibility (skills
    change rarely), so a pass over hundreds of free agents does not judge each
    agent's skills again; the free agents must be among the index's agents."""

    def __init__(self, free: Sequence[AgentInfo] | Mapping[str, AgentInfo]):
        self.by_login = dict(free) if isinstance(free, Mapping) else {a.login: a for a in free}
        self.taken: set[str] = set()

    @property
    def free(self) -> int:
        return len(self.by_login)

    def take(self, agent: AgentInfo) -> None:
        self.taken.add(agent.login)
        self.by_login.pop(agent.login, None)

    def matching(self, eligibility: _Eligibility) -> set[str]:
        """The logins of the free agents who qualify (eligibility.first_group: how)."""
        return self.by_login.keys() & eligibility.first_group.keys()

    def any_matching(self, eligibility: _Eligibility) -> bool:
        first, free = eligibility.first_group, self.by_login
        smaller, other = (first, free) if len(first) <= len(free) else (free, first)
        return any(login in other for login in smaller)


def route(calls: Iterable[CallInfo], agents: Iterable[AgentInfo], now: float, config: AcdConfig,
          *, presorted: bool = False, table: RoutingTable | None = None,
          index: AgentIndex | None = None,
          free: Sequence[AgentInfo] | Mapping[str, AgentInfo] | None = None) -> list[Decision]:
    """Match waiting calls to free agents; one decision per offer to make now.

    ``calls`` with ``offered_to`` set are skipped.  ``presorted=True`` tells the
    router the calls are already in ``order_key`` order (the core keeps them so).
    ``index`` may be given when it is current for ``agents`` (see AgentIndex),
    and ``free`` when the caller keeps the available agents itself (a list, or a dict by
    login); they must be among ``agents``.
    """
    table = table or routing_table(config)
    agents = agents if isinstance(agents, (list, tuple)) else list(agents)
    if free is None:
        free = [agent for agent in agents if agent.available]
    if not free:
        return []
    pool = _Pool(free)
    index = index or AgentIndex(agents)
    levels = index.levels
    staffed: dict[tuple[str, int], bool] = {}
    ordered = calls if presorted else sorted(calls, key=lambda c: order_key(c, config))
    # The free pool only shrinks during a pass, so "nobody free for (queue, step)" stays true.
    exhausted: set[str] = set()  # queues no free agent can serve at any step
    dead: set[tuple[str, int]] = set()
    decisions: list[Decision] = []
    for position, call in enumerate(ordered):
        if call.offered_to is not None:
            continue
        if call.for_agent is not None:
            decision = _decide_for_agent(call, position, pool, index, now, config)
            if decision is not None:
                decisions.append(decision)
                pool.take(pool.by_login[call.for_agent])
                if not pool.free:
                    break
            continue
        if call.queue in exhausted:
            continue
        if call.queue not in config.queues:
            continue
        last_step = len(config.queues[call.queue].overflow)
        if not pool.any_matching(index.eligibility(table, call.queue, last_step)):
            exhausted.add(call.queue)
            continue
        step, _ = current_step(call, now, config, levels, table, staffed)
        if (call.queue, step) in dead:
            continue
        eligibility = index.eligibility(table, call.queue, step)
        matches = pool.matching(eligibility)
        if not matches:
            dead.add((call.queue, step))
            continue
        decision = _decide(call, position, step, matches, eligibility, pool, index, now, config)
        decisions.append(decision)
        pool.take(pool.by_login[decision.agent])
        if not pool.free:
            break
    return decisions


def _decide(call: CallInfo, position: int, step: int, matches: set[str], eligibility: _Eligibility,
            pool: _Pool, index: AgentIndex, now: float, config: AcdConfig) -> Decision:
    queue = config.queues[call.queue]
    vip = call.priority_class in VIP_CLASSES
    policy = "vip_highest_level" if vip else queue.policy
    declined = call.declined_by
    fresh = [login for login in matches if login not in declined] if declined else matches
    usable = fresh or matches
    skipped = declined if fresh and len(fresh) < len(matches) else ()
    first, free = eligibility.first_group, pool.by_login
    # only the best few are logged (see Decision.as_dict): no full sort of every free agent;
    # plain tuples compare in C, a key function would be called once per free agent
    if policy == "longest_idle":
        keyed = [(group.index, free[login].idle_since, -level, login)
                 for login in usable for group, level in (first[login],)]
    else:
        keyed = [(group.index, -level, free[login].idle_since, login)
                 for login in usable for group, level in (first[login],)]
    ranked = [(free[key[-1]], *first[key[-1]]) for key in heapq.nsmallest(LOGGED_CANDIDATES, keyed)]
    winner, group, _level = ranked[0]
    candidates = tuple(Candidate(a.login, g.index, lvl, max(0.0, now - a.idle_since),
                                 a.login in declined) for a, g, lvl in ranked)
    passed = _passed_over(winner, matches, skipped, eligibility, pool)
    rule = group.rule
    if call.need is None and call.queue == config.default_queue:
        rule = "unidentified_need_to_general"
    step_rule = queue.overflow[step - 1].describe() if step else "no overflow step yet"
    tie = _tie(ranked, policy, now, len(fresh) < len(matches))
    return Decision(call_id=call.call_id, agent=winner.login, queue=call.queue, rule=rule,
                    group=group.label, step=step, step_rule=step_rule,
                    priority_class=call.priority_class,
                    priority=effective_priority(call, now, config), order=position,
                    waited=now - call.entered_at, policy=policy, candidates=candidates,
                    passed_over=passed,
                    others_lacking_skill=len(index.agents) - eligibility.considered,
                    tie_break=tie_text(tie), tie=tie,
                    callback=call.callback, candidates_total=len(usable))


def _decide_for_agent(call: CallInfo, position: int, pool: "_Pool", index: "AgentIndex",
                      now: float, config: AcdConfig) -> Decision | None:
    """A call transferred to a named agent waits for that agent alone (rule 4: the
    context travels with it; the transferring agent chose who takes it)."""
    agent = pool.by_login.get(call.for_agent)
    if agent is None:
        return None
    passed = {login: "transfer_named_another_agent" for login in pool.by_login if login != agent.login}
    owner = "owner_ticket" in call.context  # rule 7: a repeat caller to their ticket's owner
    tie = ({"code": "ticket", "number": str(call.context["owner_ticket"])} if owner
           else {"code": "named_by_transfer"})
    return Decision(call_id=call.call_id, agent=agent.login, queue=call.queue,
                    rule="ticket_owner" if owner else "transferred_to_agent",
                    group=f"agent {agent.login}", step=0,
                    step_rule="transfer to a named agent", priority_class=call.priority_class,
                    priority=effective_priority(call, now, config), order=position,
                    waited=now - call.entered_at, policy="named_agent",
                    candidates=(Candidate(agent.login, 0, 0, max(0.0, now - agent.idle_since), False),),
                    passed_over=passed, others_lacking_skill=0,
                    tie_break=tie_text(tie), tie=tie, callback=call.callback)


def _passed_over(winner: AgentInfo, matches: set[str], skipped: set[str] | tuple,
                 eligibility: _Eligibility, pool: _Pool) -> dict[str, str]:
    """Why each agent with a relevant skill but the winner did not get the call.
    ``skipped``: the free qualified agents left out because they declined this call."""
    qualified = {login: "ranked_lower" if login in matches else _availability_reason(agent, pool)
                 for login, agent in eligibility.matched.items()}
    del qualified[winner.login]
    for login in matches.intersection(skipped):
        qualified[login] = "declined_this_call"
    return {**eligibility.reasons, **qualified} if eligibility.reasons else qualified


def _skill_reason(agent: AgentInfo, all_groups: Sequence[Group]) -> str:
    later = next((g for g in all_groups if g.level_of(agent) is not None), None)
    if later is not None:
        return f"overflow_step_not_reached:{later.step}"
    for group in all_groups:  # holds the skills of some group, but too low
        if all(skill in agent.skills for skill in group.skills):
            detail = ",".join(f"{s}={agent.skills[s]}<{m}" for s, m in group.skills.items()
                              if agent.skills[s] < m)
            return f"level_below_minimum:{detail}"
    return "lacks_skill"


def _availability_reason(agent: AgentInfo, pool: _Pool) -> str:
    state = agent.state
    if state is AgentState.LOGGED_OUT:
        return "logged_out"
    if not agent.phone_registered:
        return "phone_not_registered"
    if agent.on_external_call:
        return "on_non_queue_call"
    if agent.login in pool.taken:
        return "reserved_for_higher_priority_call"
    if state is AgentState.NOT_READY:
        return f"not_ready:{agent.not_ready_reason}"
    return _BUSY_REASON.get(state) or str(state.value)


def explain_waiting(call: CallInfo, agents: Iterable[AgentInfo], now: float, config: AcdConfig,
                    *, table: RoutingTable | None = None,
                    index: AgentIndex | None = None) -> dict:
    """Why ``call`` is still waiting: its step, and what keeps each relevant agent from it."""
    table = table or routing_table(config)
    index = index or AgentIndex(agents)
    step, nobody = current_step(call, now, config, index.levels, table)
    eligibility = index.eligibility(table, call.queue, step)
    no_pool = _Pool(())
    reasons = dict(eligibility.reasons)
    for login, agent in eligibility.matched.items():
        reasons[login] = "free" if agent.available else _availability_reason(agent, no_pool)
    queue = config.queues[call.queue]
    return {"call_id": call.call_id, "queue": call.queue, "step": step,
            "step_rule": queue.overflow[step - 1].describe() if step else "no overflow step yet",
            "nobody_logged_in": nobody, "priority_class": call.priority_class,
            "priority": round(effective_priority(call, now, config), 3),
            "waited": round(now - call.entered_at, 3), "offered_to": call.offered_to,
            "callback": call.callback, "agents": reasons,
            "others_lacking_skill": len(index.agents) - eligibility.considered}


def _tie(ranked, policy: str, now: float, declined_skipped: bool) -> dict[str, Any]:
    """Why the first ranked agent over the next, as a code and its values (TIE_WORDS)."""
    extra = {"declined_skipped": True} if declined_skipped else {}
    if len(ranked) == 1:
        return {"code": "only", **extra}
    (first, g1, l1), (second, g2, l2) = ranked[0], ranked[1]
    if g1.index != g2.index:
        tie = {"code": "own_group", "first": first.login, "next": second.login}
    elif policy != "longest_idle" and l1 != l2:
        tie = {"code": "highest_level", "level": l1, "next": second.login, "next_level": l2}
    elif first.idle_since != second.idle_since:
        tie = {"code": "longest_idle", "idle": round(now - first.idle_since),
               "next": second.login, "next_idle": round(now - second.idle_since)}
    elif l1 != l2:
        tie = {"code": "equal_idle_highest_level", "level": l1, "next": second.login,
               "next_level": l2}
    else:
        tie = {"code": "login_order", "next": second.login}
    return {**tie, **extra}


# the tie-break codes in English (the log's words; the console translates the codes)
TIE_WORDS = {
    "only": "only eligible free agent",
    "own_group": "own-skill group before overflow group ({first} over {next})",
    "highest_level": "highest level {level} (next: {next} level {next_level})",
    "longest_idle": "longest idle {idle} s (next: {next} idle {next_idle} s)",
    "equal_idle_highest_level": "equal idle time; highest level {level} (next: {next} level {next_level})",
    "login_order": "equal level and idle time; login order ({next} next)",
    "ticket": "ticket {number}",
    "named_by_transfer": "the transferring agent named this agent",
}
DECLINED_SKIPPED = " (agents who declined this call skipped)"


def tie_text(tie: Mapping[str, Any]) -> str:
    text = TIE_WORDS[tie["code"]].format(**tie)
    return text + (DECLINED_SKIPPED if tie.get("declined_skipped") else "")
