"""How many numbers to dial now: the pacing core (plain data in, plain data out).

``decide(PacingState) -> PacingDecision`` is called by the dialer shell on
every pacing tick (about once a second) and whenever an agent frees or a dial
ends.  Everything it reads is something a live dialer knows at that moment:
agents free for outbound now, agents on a call (with how long the call has
lasted) or in wrap-up (with the time left), dials ringing, the recent answer
rate and time to answer, and the abandon counts of the compliance window.

Modes:
- ``preview``: 0; the agent presses Call on the preview card.
- ``progressive``: one dial per free agent: ``free - dials in progress``.
- ``predictive``: dial so that the expected answers match the agents free now
  plus those expected to be free when the answers arrive.  Each extra line is
  added only while (a) the answers expected beyond the agents stay a small
  share of all answers expected (that share shrinks as the window's abandon
  rate nears the limit) and (b) the plausible worst case (2 standard
  deviations) fits the abandons the window still has room for.  When the
  window's rate, with the worst case of the calls now ringing counted, is at
  the limit less a margin: progressive.  With few dials seen: a cautious ratio.
- ``agentless``: the flow talks to the customer; keep ``max_lines`` lines busy.

``max_lines`` (trunk capacity, when given) caps every mode.

How a shell feeds it, per campaign and tick::

    history = RingHistory(recent (seconds rung, answered) of finished dials)
    talks = TalkTimeDistribution(recent talk times)
    soon = soon_free(busy agents, history mean time to answer, talks, wrap_up,
                     lambda s: history.answer_late_enough(s - 2))
    answered, abandoned = abandon_window.counts(now)
    decision = decide(PacingState("predictive", free, soon.expected, len(ringing),
                      answer_rate=history.rate, answer_samples=history.samples,
                      ringing_answer_chances=tuple(history.answer_chance(age) for ...),
                      agents_soon_free_variance=soon.variance,
                      window_answered=answered, window_abandoned=abandoned, ...))

``bench/bench_dialer.py`` does exactly this against a simulated day.
"""
from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterable, NamedTuple, Sequence

MODES = ("preview", "progressive", "predictive", "agentless")

DEFAULT_ABANDON_LIMIT = 0.03
DEFAULT_ABANDON_MARGIN = 0.005
# Answer-rate prior: what the dialer assumes before it has seen dials of its own.
PRIOR_ANSWER_RATE = 0.25
PRIOR_WEIGHT = 20.0
# Below this many finished dials the estimate is mostly the prior: dial cautiously.
MIN_SAMPLES_FOR_PREDICTIVE = 50
CONSERVATIVE_RATIO = 1.5
# How many standard deviations above the expected answers the "worst case" is.
WORST_CASE_SIGMAS = 2.0
# How hard predictive brakes as the window's abandon rate nears the limit.
BRAKE = 3.0


@dataclass(frozen=True)
class PacingState:
    """What the dialer knows now about one campaign.

    agents_free_for_outbound: agents idle and allowed to take an outbound call
        now (blended agents with an inbound call waiting are not counted).
    agents_soon_free: expected number of busy agents that will be free within
        the expected time to answer (see ``soon_free``); may be fractional;
        ``agents_soon_free_variance`` says how unsure that is.
    dials_in_progress: dials placed and not yet answered or failed.
    calls_connected: answered calls still up (agentless: lines in use by flows).
    answer_rate: estimated share of dials answered live (``estimate_answer_rate``).
    answer_samples: finished dials behind that estimate.
    mean_time_to_answer: seconds from dial to answer, on average (the horizon
        the shell gives ``soon_free``; shown in the decision's reason).
    ringing_answer_chances: optional, one chance per ringing dial that it is
        still answered given how long it has rung (``RingHistory.answer_chance``);
        without it every ringing dial counts with ``answer_rate``.
    window_answered / window_abandoned: counts in the compliance window
        (``AbandonWindow.counts``); abandoned calls are counted in answered too.
        With several windows (1 h and 24 h, say) pass the one nearest its limit.
    abandon_limit: the campaign's limit (0.03 = 3 % of answered live calls).
    abandon_margin: predictive falls back to progressive at limit - margin.
    max_ratio: predictive never holds more than this many lines per agent
        free or soon free (a ringing dial counts by its remaining chance of an
        answer against a fresh dial's).
    max_lines: lines the campaign may hold at once (required for agentless;
        caps every other mode when given).
    """

    mode: str
    agents_free_for_outbound: int = 0
    agents_soon_free: float = 0.0
    dials_in_progress: int = 0
    calls_connected: int = 0
    answer_rate: float = PRIOR_ANSWER_RATE
    answer_samples: int = 0
    mean_time_to_answer: float = 8.0
    ringing_answer_chances: tuple[float, ...] | None = None
    window_answered: int = 0
    window_abandoned: int = 0
    abandon_limit: float = DEFAULT_ABANDON_LIMIT
    abandon_margin: float = DEFAULT_ABANDON_MARGIN
    max_ratio: float = 3.0
    max_lines: int | None = None
    agents_soon_free_variance: float = 0.0


@dataclass(frozen=True)
class PacingDecision:
    dials: int
    mode_used: str
    reason: str


def abandon_rate(answered: int, abandoned: int) -> float:
    """Abandoned calls as a share of answered live calls (abandoned ones included)."""
    if answered <= 0:
        return 0.0
    return abandoned / answered


def estimate_answer_rate(answered: int, dials_finished: int, prior_rate: float = PRIOR_ANSWER_RATE,
                         prior_weight: float = PRIOR_WEIGHT) -> float:
    """Share of dials answered, pulled towards ``prior_rate`` while samples are few."""
    if dials_finished < 0 or answered < 0 or answered > dials_finished:
        raise ValueError(f"need 0 <= answered <= dials, got {answered} of {dials_finished}")
    return (answered + prior_rate * prior_weight) / (dials_finished + prior_weight)


def decide(state: PacingState) -> PacingDecision:
    if state.mode not in MODES:
        raise ValueError(f"unknown pacing mode {state.mode!r} (known: {', '.join(MODES)})")
    if state.mode == "preview":
        return PacingDecision(0, "preview", "preview: the agent starts each call")
    if state.mode == "agentless":
        return _agentless(state)
    if state.mode == "progressive":
        return _cap_lines(state, _progressive(state, "one dial per free agent"))
    return _cap_lines(state, _predictive(state))


def _agentless(state: PacingState) -> PacingDecision:
    if state.max_lines is None:
        raise ValueError("agentless pacing needs max_lines")
    busy = state.dials_in_progress + state.calls_connected
    dials = max(0, state.max_lines - busy)
    return PacingDecision(dials, "agentless", f"{busy} of {state.max_lines} lines in use")


def _progressive(state: PacingState, reason: str) -> PacingDecision:
    dials = max(0, state.agents_free_for_outbound - state.dials_in_progress)
    return PacingDecision(dials, "progressive", reason)


def _cap_lines(state: PacingState, decision: PacingDecision) -> PacingDecision:
    if state.max_lines is None:
        return decision
    room = max(0, state.max_lines - state.dials_in_progress - state.calls_connected)
    if decision.dials <= room:
        return decision
    return PacingDecision(room, decision.mode_used, decision.reason + f"; capped by {state.max_lines} lines")


def worst_case_answers(expected: float, variance: float, sigmas: float = WORST_CASE_SIGMAS) -> float:
    """A plausible upper bound of answers: ``sigmas`` standard deviations above the mean."""
    return expected + sigmas * math.sqrt(max(variance, 0.0))


def expected_overflow(mean: float, variance: float) -> float:
    """E[max(0, X)] for X normal with this mean and variance: answers beyond the agents."""
    if variance <= 1e-12:
        return max(0.0, mean)
    sd = math.sqrt(variance)
    z = mean / sd
    return mean * _normal_cdf(z) + sd * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)


def _normal_cdf(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def _ringing_answers(state: PacingState) -> tuple[float, float]:
    """Expected answers among the dials now ringing, and their variance."""
    if state.ringing_answer_chances is not None:
        chances = state.ringing_answer_chances
        return sum(chances), sum(p * (1 - p) for p in chances)
    p = state.answer_rate
    return state.dials_in_progress * p, state.dials_in_progress * p * (1 - p)


def _predictive(state: PacingState) -> PacingDecision:
    free = state.agents_free_for_outbound
    available = free + max(0.0, state.agents_soon_free)
    rate = state.answer_rate
    if available <= 0:
        return PacingDecision(0, "predictive", "no agent free or about to be free")
    if state.answer_samples < MIN_SAMPLES_FOR_PREDICTIVE or rate <= 0:
        ratio = min(CONSERVATIVE_RATIO, state.max_ratio)
        dials = max(0, math.floor(free * ratio) - state.dials_in_progress)
        return PacingDecision(dials, "predictive",
                              f"only {state.answer_samples} dials seen: conservative ratio {ratio:g}")
    limit = state.abandon_limit - state.abandon_margin
    expected, variance = _ringing_answers(state)
    variance += max(0.0, state.agents_soon_free_variance)
    # The worst case of the calls now ringing: more answers than agents to take them.
    exposed = max(0, math.ceil(worst_case_answers(expected, variance) - available))
    projected = abandon_rate(state.window_answered + exposed, state.window_abandoned + exposed)
    if projected >= limit:
        return _progressive(state, f"abandon rate {projected:.2%} with the ringing calls' worst "
                                   f"case is at or near the limit {state.abandon_limit:.0%}")
    dials = _lines_within_risk(state, available, expected, variance, limit, projected)
    if dials < free - state.dials_in_progress:
        return _progressive(state, "abandon budget spent: one dial per free agent")
    return PacingDecision(dials, "predictive",
                          f"{available:.1f} agents free or soon free, {expected:.1f} answers "
                          f"expected from {state.dials_in_progress} ringing, answer rate {rate:.0%}, "
                          f"answers after {state.mean_time_to_answer:.0f} s")


def _lines_within_risk(state: PacingState, available: float, expected: float, variance: float,
                       limit: float, projected: float) -> int:
    """The most new dials whose expected abandons stay acceptable (and worst case in budget).

    The share of answers a new line may expect to abandon shrinks as the
    window's projected rate nears the limit (a proportional brake: the bench
    showed that braking early beats switching hard between predictive and
    progressive); the plausible worst case must also fit the abandons the
    window still has room for.
    """
    rate = state.answer_rate
    budget = max(0.0, limit * state.window_answered - state.window_abandoned)
    risk = min(limit, BRAKE * (limit - projected))
    # Lines per available agent, a ringing dial counted by its remaining chance of an answer
    # (one that has rung 20 s is hardly a line any more).
    room = max(0, math.floor(state.max_ratio * available - expected / rate))
    dials = 0
    while dials < room:
        lines = dials + 1
        answers = expected + lines * rate
        spread = variance + lines * rate * (1 - rate)
        if expected_overflow(answers - available, spread) > risk * answers:
            break
        if worst_case_answers(answers, spread) - available > budget:
            break
        dials = lines
    return dials


class RingHistory:
    """Recent finished dials (seconds rung, answered?): the chance a ringing dial is answered.

    A dial that has rung 20 s is much less likely to be answered than a fresh
    one (most people answer within 10 s; the rest ring out to the timeout).
    """

    def __init__(self, finished: Iterable[tuple[float, bool]], min_samples: int = MIN_SAMPLES_FOR_PREDICTIVE):
        ordered = sorted((float(rung), bool(answered)) for rung, answered in finished)
        self.samples = len(ordered)
        self.min_samples = min_samples
        answered = sum(1 for _, a in ordered if a)
        self.rate = estimate_answer_rate(answered, self.samples)
        self._rung = [rung for rung, _ in ordered]
        # answered_after[i]: answered dials among ordered[i:]
        self._answered_after = [0] * (len(ordered) + 1)
        for index in range(len(ordered) - 1, -1, -1):
            self._answered_after[index] = self._answered_after[index + 1] + ordered[index][1]

    def answer_late_enough(self, seconds: float) -> float:
        """P(a dial placed now that is answered is answered ``seconds`` or more from now)."""
        answered = self._answered_after[0]
        if self.samples < self.min_samples or answered == 0:
            return 0.0
        return self._answered_after[bisect_left(self._rung, seconds)] / answered

    def answer_chance(self, age: float) -> float:
        """P(answered | still ringing after ``age`` s), pulled to the overall rate when unsure."""
        if self.samples < self.min_samples:
            return self.rate
        index = bisect_right(self._rung, age)
        longer = self.samples - index
        if longer == 0:
            return 0.0
        return (self._answered_after[index] + self.rate * 5) / (longer + 5)


# --------------------------------------------------------------------------- soon-free agents

class BusyAgent(NamedTuple):
    """An agent on a call for ``call_age`` seconds, or in wrap-up with ``wrap_up_left`` seconds.

    (A named tuple rather than a dataclass: the shell builds one per busy agent per tick.)
    """

    call_age: float | None = None
    wrap_up_left: float | None = None


class TalkTimeDistribution:
    """Recent talk times; answers "will a call of this age end within h seconds?"."""

    def __init__(self, talk_times: Iterable[float], min_samples: int = 20):
        self.sorted = sorted(float(t) for t in talk_times if t >= 0)
        self.min_samples = min_samples

    def __len__(self) -> int:
        return len(self.sorted)

    def ends_within(self, age: float, horizon: float) -> float:
        """P(talk <= age + horizon | talk > age); 0 when too few calls lasted that long."""
        longer = len(self.sorted) - bisect_right(self.sorted, age)
        if len(self.sorted) < self.min_samples or longer < 5:
            return 0.0
        ended = bisect_right(self.sorted, age + horizon) - bisect_right(self.sorted, age)
        return ended / longer


@dataclass(frozen=True)
class SoonFree:
    expected: float  # agents expected free in time for the next answers
    variance: float  # how unsure that is (sum of p * (1 - p))


def soon_free(busy: Sequence[BusyAgent], horizon: float, talk_times: TalkTimeDistribution,
              wrap_up: float, answer_late_enough: Callable[[float], float] | None = None) -> SoonFree:
    """How many ``busy`` agents will be free when the answers of dials placed now arrive.

    A talking agent frees after the rest of its call plus ``wrap_up``: the
    chance that happens within ``horizon`` (the expected time to answer) is
    read from the talk times given the call's age.  An agent in wrap-up frees
    in exactly ``wrap_up_left`` seconds: with ``answer_late_enough(s)`` (the
    chance a new dial's answer comes at least ``s`` seconds from now, e.g.
    ``RingHistory.answer_late_enough`` less the 2 s an answered call may wait)
    it counts with that chance, otherwise as 1 when it frees within ``horizon``.
    """
    expected = variance = 0.0
    for agent in busy:
        if agent.wrap_up_left is not None:
            if answer_late_enough is not None:
                chance = answer_late_enough(agent.wrap_up_left)
            else:
                chance = 1.0 if agent.wrap_up_left <= horizon else 0.0
        elif agent.call_age is not None and horizon > wrap_up:
            chance = talk_times.ends_within(agent.call_age, horizon - wrap_up)
        else:
            continue
        expected += chance
        variance += chance * (1 - chance)
    return SoonFree(expected, variance)


def busy_agents(agents: Iterable[tuple[str, float, float | None]], now: float) -> list[BusyAgent]:
    """``BusyAgent``s from the ACD's agents as (state, state since, wrap-up until), times on
    the ACD's clock: on a call (held too) with the call's age, in wrap-up with the time
    left (an unbounded wrap-up, ``None``, is not counted); others are not busy."""
    busy = []
    for state, since, wrap_up_until in agents:
        if state in ("on_call", "on_hold"):
            busy.append(BusyAgent(call_age=max(0.0, now - since)))
        elif state == "wrap_up" and wrap_up_until is not None:
            busy.append(BusyAgent(wrap_up_left=max(0.0, wrap_up_until - now)))
    return busy


def agents_soon_free(busy: Sequence[BusyAgent], horizon: float, talk_times: TalkTimeDistribution,
                     wrap_up: float, answer_late_enough: Callable[[float], float] | None = None) -> float:
    """The expected number of ``busy`` agents free in time (see ``soon_free``)."""
    return soon_free(busy, horizon, talk_times, wrap_up, answer_late_enough).expected


# --------------------------------------------------------------------------- abandon window

class AbandonWindow:
    """Answered and abandoned calls over a sliding window (e.g. 24 h or 30 days).

    Times are seconds on any monotonic clock the caller chooses (the switch's
    event timestamps); outcomes must be added in time order.
    """

    def __init__(self, seconds: float = 24 * 3600):
        if seconds <= 0:
            raise ValueError("the window must be longer than 0 s")
        self.seconds = seconds
        self._events: deque[tuple[float, bool]] = deque()
        self._answered = 0
        self._abandoned = 0
        self._last_at = float("-inf")

    def add(self, at: float, abandoned: bool) -> None:
        """One answered live call at ``at``; ``abandoned`` if no agent took it in time."""
        if at < self._last_at:
            raise ValueError(f"outcomes must come in time order ({at} < {self._last_at})")
        self._last_at = at
        self._events.append((at, abandoned))
        self._answered += 1
        self._abandoned += abandoned

    def counts(self, now: float) -> tuple[int, int]:
        """(answered, abandoned) within (now - window, now]."""
        self._expire(now)
        return self._answered, self._abandoned

    def rate(self, now: float) -> float:
        return abandon_rate(*self.counts(now))

    def _expire(self, now: float) -> None:
        start = now - self.seconds
        while self._events and self._events[0][0] <= start:
            _, abandoned = self._events.popleft()
            self._answered -= 1
            self._abandoned -= abandoned


def window_counts(outcomes: Sequence[tuple[float, bool]], start: float, end: float) -> tuple[int, int]:
    """(answered, abandoned) of time-sorted ``outcomes`` with start <= time < end."""
    times = [at for at, _ in outcomes]
    low, high = bisect_left(times, start), bisect_left(times, end)
    chosen = outcomes[low:high]
    return len(chosen), sum(1 for _, abandoned in chosen if abandoned)
