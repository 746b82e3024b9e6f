"""A day of an agent campaign, simulated: progressive against predictive pacing.

Prints figures (it is not a test).  A discrete-event simulation of an 8 h
campaign with 20 and 100 agents over several seeds.  The dialer side uses
``callcenter.dialer.pacing.decide`` with only what a live dialer knows: agents
free, agents on a call (and for how long) or in wrap-up (and how long is
left), dials ringing, its own past answer rate and time to answer, and the
abandon counts of its window.  The customers' side is drawn at random:

- 30 % answer live after a log-normal ring (median 7 s), 40 % never answer
  (ring timeout 30 s), 15 % busy (3-6 s), 15 % fail (unallocated, network:
  0.5-3 s);
- talk time log-normal, median 106 s (mean about 2 min), wrap-up 20 s;
- an answered call with no free agent within 2 s hears the identification
  message and is counted abandoned.

The dialer paces every second and when a dial ends or an agent frees (at most
every 0.25 s), and enforces the limit over the last hour (stricter than 24 h,
so that every rolling hour is kept under it).  Seeds run on two processes.

    .venv/bin/python bench/bench_dialer.py [--seeds 5] [--hours 8] [--agents 20 100]

Per mode: talk minutes per agent-hour, dials, answered calls, abandon rate over
the whole day (the 24 h window) and in the worst 1 h window (sliding by one
minute), and predictive / progressive talk time.
"""
from __future__ import annotations

import argparse
import heapq
import math
import multiprocessing
import os
import random
import statistics
import sys
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from callcenter.dialer.pacing import (  # noqa: E402
    AbandonWindow, BusyAgent, PacingState, RingHistory, SoonFree, TalkTimeDistribution,
    abandon_rate, decide, soon_free, window_counts)

ANSWER_RATE = 0.30
RING_TIMEOUT = 30.0
TALK_MEDIAN = 106.0
TALK_SIGMA = 0.5
WRAP_UP = 20.0
SAFE_HARBOUR_WAIT = 2.0
TICK = 1.0
PACE_EVERY = 0.25
CONTROL_WINDOW = 3600.0  # the dialer enforces the limit over the last hour (stricter than 24 h)


class Day:
    def __init__(self, agents: int, mode: str, seed: int, hours: float):
        self.rng = random.Random(seed)
        self.mode = mode
        self.end = hours * 3600
        self.events: list = []
        self.seq = 0
        self.free: set[int] = set(range(agents))
        self.talk_start: dict[int, float] = {}
        self.wrap_end: dict[int, float] = {}
        self.ringing: dict[int, float] = {}  # dial id -> dialled at
        self.waiting: deque[tuple[int, float]] = deque()  # answered calls looking for an agent
        self.call_ids = 0
        self.window = AbandonWindow(CONTROL_WINDOW)
        self.outcomes: list[tuple[float, bool]] = []
        self.recent_dials: deque[tuple[float, bool]] = deque(maxlen=1000)
        self.ring_history = RingHistory([])
        self.chance_by_age = [self.ring_history.rate] * int(RING_TIMEOUT + 2)
        self.late_by_left = [0.0] * int(WRAP_UP + 2)
        self.dial_ids = 0
        self.talks_ended = 0
        self.recent_ring: deque[float] = deque(maxlen=200)
        self.talk_samples: deque[float] = deque(maxlen=500)
        self.talk_dist = TalkTimeDistribution([])
        self.talk_seconds = 0.0
        self.dials = 0
        self.last_pace = -1.0
        self.pace_pending = False

    def at(self, when: float, kind: str, data=None) -> None:
        self.seq += 1
        heapq.heappush(self.events, (when, self.seq, kind, data))

    # ----------------------------------------------------------------- the customers' side

    def dial(self, now: float) -> None:
        self.dials += 1
        self.dial_ids += 1
        self.ringing[self.dial_ids] = now
        draw = self.rng.random()
        if draw < ANSWER_RATE:
            ring = min(self.rng.lognormvariate(math.log(7.0), 0.45), RING_TIMEOUT - 1)
            self.at(now + ring, "answered", self.dial_ids)
        elif draw < ANSWER_RATE + 0.40:
            self.at(now + RING_TIMEOUT, "not_answered", self.dial_ids)
        elif draw < ANSWER_RATE + 0.55:
            self.at(now + self.rng.uniform(3, 6), "not_answered", self.dial_ids)
        else:
            self.at(now + self.rng.uniform(0.5, 3), "not_answered", self.dial_ids)

    def run(self) -> dict:
        self.at(0.0, "tick")
        while self.events:
            now, _, kind, data = heapq.heappop(self.events)
            getattr(self, "on_" + kind)(now, data)
            if now < self.end and kind in ("tick", "not_answered", "wrap_end"):
                self.pace_soon(now)
        return self.figures()

    def pace_soon(self, now: float) -> None:
        """Pace now, or at most every PACE_EVERY s when events come thick (as a live dialer would)."""
        if now - self.last_pace >= PACE_EVERY:
            self.last_pace = now
            self.pace(now)
        elif not self.pace_pending:
            self.pace_pending = True
            self.at(self.last_pace + PACE_EVERY, "pending_pace")

    def on_pending_pace(self, now: float, _) -> None:
        self.pace_pending = False
        if now < self.end:
            self.last_pace = now
            self.pace(now)

    def on_tick(self, now: float, _) -> None:
        if now + TICK < self.end:
            self.at(now + TICK, "tick")

    def dial_ended(self, now: float, dial_id: int, answered: bool) -> float:
        rung = now - self.ringing.pop(dial_id)
        self.recent_dials.append((rung, answered))
        if len(self.recent_dials) >= 50 and self.dials % 50 == 0:
            self.ring_history = RingHistory(self.recent_dials)
            self.chance_by_age = [self.ring_history.answer_chance(age)
                                  for age in range(int(RING_TIMEOUT + 2))]
            self.late_by_left = [self.ring_history.answer_late_enough(left - SAFE_HARBOUR_WAIT)
                                 for left in range(int(WRAP_UP + 2))]
        return rung

    def on_not_answered(self, now: float, dial_id: int) -> None:
        self.dial_ended(now, dial_id, False)

    def on_answered(self, now: float, dial_id: int) -> None:
        self.recent_ring.append(self.dial_ended(now, dial_id, True))
        self.call_ids += 1
        if self.free:
            self.connect(now, self.free.pop(), now)
        else:
            self.waiting.append((self.call_ids, now))
            self.at(now + SAFE_HARBOUR_WAIT, "abandon_check", self.call_ids)

    def on_abandon_check(self, now: float, call_id: int) -> None:
        for index, (waiting_id, answered_at) in enumerate(self.waiting):
            if waiting_id == call_id:
                del self.waiting[index]
                self.window.add(answered_at, True)
                self.outcomes.append((answered_at, True))
                return

    def connect(self, now: float, agent: int, answered_at: float) -> None:
        self.window.add(answered_at, False)
        self.outcomes.append((answered_at, False))
        talk = self.rng.lognormvariate(math.log(TALK_MEDIAN), TALK_SIGMA)
        self.talk_start[agent] = now
        self.talk_seconds += min(talk, max(0.0, self.end - now))
        self.at(now + talk, "talk_end", (agent, talk))

    def on_talk_end(self, now: float, data) -> None:
        agent, talk = data
        del self.talk_start[agent]
        self.talk_samples.append(talk)
        self.talks_ended += 1
        if self.talks_ended % 25 == 0:
            self.talk_dist = TalkTimeDistribution(self.talk_samples)
        self.wrap_end[agent] = now + WRAP_UP
        self.at(now + WRAP_UP, "wrap_end", agent)

    def on_wrap_end(self, now: float, agent: int) -> None:
        del self.wrap_end[agent]
        if self.waiting:
            _, answered_at = self.waiting.popleft()
            self.connect(now, agent, answered_at)
        else:
            self.free.add(agent)

    # ----------------------------------------------------------------- the dialer's side

    def pace(self, now: float) -> None:
        ring_time = statistics.fmean(self.recent_ring) if self.recent_ring else 8.0
        soon = SoonFree(0.0, 0.0)
        if self.mode == "predictive":
            busy = [BusyAgent(wrap_up_left=end - now) for end in self.wrap_end.values()]
            if ring_time > WRAP_UP:  # else no talking agent can be free in time: skip the cost
                busy += [BusyAgent(call_age=now - start) for start in self.talk_start.values()]
            late = self.late_by_left
            soon = soon_free(busy, ring_time, self.talk_dist, WRAP_UP,
                             lambda left: late[min(int(left), len(late) - 1)])
        answered, abandoned = self.window.counts(now)
        chances = None
        if self.mode == "predictive":
            table = self.chance_by_age
            chances = tuple(table[min(int(now - at), len(table) - 1)] for at in self.ringing.values())
        state = PacingState(
            mode=self.mode, agents_free_for_outbound=len(self.free) - len(self.waiting),
            agents_soon_free=soon.expected, agents_soon_free_variance=soon.variance,
            dials_in_progress=len(self.ringing),
            answer_rate=self.ring_history.rate, answer_samples=self.ring_history.samples,
            mean_time_to_answer=ring_time, ringing_answer_chances=chances,
            window_answered=answered, window_abandoned=abandoned)
        for _ in range(decide(state).dials):
            self.dial(now)

    def figures(self) -> dict:
        worst = 0.0
        start = 0.0
        while start + 3600 <= self.end:
            worst = max(worst, abandon_rate(*window_counts(self.outcomes, start, start + 3600)))
            start += 60
        answered = len(self.outcomes)
        abandoned = sum(1 for _, a in self.outcomes if a)
        agents = len(self.free) + len(self.talk_start) + len(self.wrap_end)
        return {"talk_per_agent_hour": self.talk_seconds / 60 / (agents * self.end / 3600),
                "dials": self.dials, "answered": answered, "abandoned": abandoned,
                "day_rate": abandon_rate(answered, abandoned), "worst_hour": worst}


def run_day(job: tuple[int, str, int, float]) -> dict:
    agents, mode, seed, hours = job
    return Day(agents, mode, seed, hours).run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--agents", type=int, nargs="+", default=[20, 100])
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"{args.hours:g} h campaign, answer rate {ANSWER_RATE:.0%}, talk log-normal median "
          f"{TALK_MEDIAN:g} s, wrap-up {WRAP_UP:g} s, abandon limit 3 %, seeds 1..{args.seeds}")
    print(f"{'agents':>6} {'mode':<12} {'talk min/agent-h':>17} {'dials':>7} {'answered':>8} "
          f"{'abandon day':>11} {'worst 1 h':>9}")
    for agents in args.agents:
        talk = {}
        for mode in ("progressive", "predictive"):
            jobs = [(agents, mode, seed, args.hours) for seed in range(1, args.seeds + 1)]
            with multiprocessing.Pool(min(2, os.cpu_count() or 1)) as pool:
                runs = pool.map(run_day, jobs)
            talk[mode] = statistics.fmean(r["talk_per_agent_hour"] for r in runs)
            print(f"{agents:>6} {mode:<12} {talk[mode]:>17.1f} "
                  f"{statistics.fmean(r['dials'] for r in runs):>7.0f} "
                  f"{statistics.fmean(r['answered'] for r in runs):>8.0f} "
                  f"{max(r['day_rate'] for r in runs):>10.2%} "
                  f"{max(r['worst_hour'] for r in runs):>9.2%}")
        print(f"{agents:>6} predictive / progressive talk time: "
              f"{talk['predictive'] / talk['progressive']:.2f}x")
    print(f"(abandon figures: the worst seed; 'day' is the 24 h window, the whole day; "
          f"'worst 1 h' the worst hour sliding by a minute; talk: the mean over seeds; "
          f"ran in {time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
