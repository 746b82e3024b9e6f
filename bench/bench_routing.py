"""Routing cost: decisions per second and p50 / p99 decision time.

Prints figures (it is not a test).  Base size: 2,000 agents, 30 skills,
5,000 waiting calls; then each of those doubled alone, then all three, to
show how the cost grows.

    .venv/bin/python bench/bench_routing.py [--repeat 200] [--seed 7]

Three figures per size:
- one agent frees up while everything else is busy: the time of one
  ``route()`` pass that finds that agent a call (the common case);
- one pass with 10 % of the agents free at once: decisions per second;
- ``AcdCore.tick()`` over every waiting call (ring timeouts, steps, max wait,
  announcements), the timer cost per second of wall time.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from acd.agent_state import AgentState  # noqa: E402
from acd.core import AcdCore  # noqa: E402
from acd.model import AgentInfo, CallInfo  # noqa: E402
from acd.queue_config import load_queues_text  # noqa: E402
from acd.router import AgentIndex, order_key, route, routing_table  # noqa: E402

NOW = 1_000_000.0
TIERS = ["regular"] * 90 + ["vip1"] * 5 + ["vip2"] * 3 + ["vip3"] + ["transferred"]


def make_config(skills: int):
    lines = ["settings:", "  default_queue: general", "queues:"]
    for n in range(skills):
        lines += [f"  q{n}:", f"    display_name: Queue {n}", f"    skills: {{s{n}: 2}}",
                  "    max_wait: 3600", "    wrap_up: 30", "    overflow:",
                  "      - after: 30", "        accept: {general: 5}",
                  "      - after: 120", "        min_level: 1",
                  "      - after: 600", "        offer: [callback, voicemail]",
                  "    at_max_wait: callback"]
    lines += ["  general:", "    display_name: General", "    skills: {general: 1}",
              "    max_wait: 3600", "    wrap_up: 30", "    at_max_wait: voicemail"]
    return load_queues_text("\n".join(lines) + "\n", "<bench>")


def make_agents(rng: random.Random, count: int, skills: int) -> list[AgentInfo]:
    agents = []
    for n in range(count):
        held = {f"s{k}": rng.randint(1, 9) for k in rng.sample(range(skills), rng.randint(1, 3))}
        if rng.random() < 0.2:
            held["general"] = rng.randint(3, 9)
        agents.append(AgentInfo(f"agent{n:05d}", held, state=AgentState.ON_CALL,
                                idle_since=NOW - rng.uniform(0, 600)))
    return agents


def make_calls(rng: random.Random, count: int, skills: int, config) -> list[CallInfo]:
    calls = []
    for n in range(count):
        entered = NOW - rng.uniform(0, 900)
        queue = "general" if rng.random() < 0.05 else f"q{rng.randrange(skills)}"
        calls.append(CallInfo(f"call{n:06d}", queue, entered, n, priority_class=rng.choice(TIERS),
                              need=queue, queue_since=entered))
    calls.sort(key=lambda c: order_key(c, config))
    return calls


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure(agents_n: int, skills_n: int, calls_n: int, repeat: int, seed: int) -> dict:
    rng = random.Random(seed)
    config = make_config(skills_n)
    table = routing_table(config)
    agents = make_agents(rng, agents_n, skills_n)
    calls = make_calls(rng, calls_n, skills_n, config)
    index = AgentIndex(agents)  # as the core keeps it: rebuilt only when skills change

    single: list[float] = []
    made = 0
    for _ in range(repeat):
        freed = rng.choice(agents)
        freed.state = AgentState.READY
        start = time.perf_counter()
        decisions = route(calls, agents, NOW, config, presorted=True, table=table, index=index,
                          free=[freed])
        single.append(time.perf_counter() - start)
        made += len(decisions)
        freed.state = AgentState.ON_CALL

    batch_agents = rng.sample(agents, agents_n // 10)
    for agent in batch_agents:
        agent.state = AgentState.READY
    batch_times, batch_decisions = [], 0
    for _ in range(max(3, repeat // 20)):
        start = time.perf_counter()
        decisions = route(calls, agents, NOW, config, presorted=True, table=table, index=index,
                          free=batch_agents)
        batch_times.append(time.perf_counter() - start)
        batch_decisions = len(decisions)
    for agent in batch_agents:
        agent.state = AgentState.ON_CALL

    core = AcdCore(config)
    for agent in agents:
        core.agent_logged_in(agent.login, agent.skills, NOW - 1000)
        core.agent_not_ready(agent.login, "back_office", NOW - 1000)
    for call in calls:
        core.call_enqueued(call.call_id, call.queue, call.entered_at,
                           tier=call.priority_class if call.priority_class != "transferred"
                           else "regular", transferred=call.priority_class == "transferred")
    tick_times = []
    for n in range(max(3, repeat // 20)):
        start = time.perf_counter()
        core.tick(NOW + n)
        tick_times.append(time.perf_counter() - start)

    batch = statistics.median(batch_times)
    return {"agents": agents_n, "skills": skills_n, "calls": calls_n,
            "p50_ms": percentile(single, 0.5) * 1000, "p99_ms": percentile(single, 0.99) * 1000,
            "found": made / repeat, "batch_decisions": batch_decisions,
            "batch_ms": batch * 1000, "per_second": batch_decisions / batch if batch else 0,
            "tick_ms": statistics.median(tick_times) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    sizes = [(2000, 30, 5000), (4000, 30, 5000), (2000, 60, 5000), (2000, 30, 10000),
             (4000, 60, 10000), (8000, 120, 20000)]
    print(f"{'agents':>7} {'skills':>6} {'calls':>6} | {'1 free: p50 ms':>14} {'p99 ms':>7} "
          f"{'found':>5} | {'10% free: decisions':>19} {'pass ms':>8} {'decisions/s':>11} | "
          f"{'tick ms':>7}")
    for agents_n, skills_n, calls_n in sizes:
        r = measure(agents_n, skills_n, calls_n, args.repeat, args.seed)
        print(f"{r['agents']:>7} {r['skills']:>6} {r['calls']:>6} | {r['p50_ms']:>14.2f} "
              f"{r['p99_ms']:>7.2f} {r['found']:>5.2f} | {r['batch_decisions']:>19} "
              f"{r['batch_ms']:>8.1f} {r['per_second']:>11.0f} | {r['tick_ms']:>7.1f}",
              flush=True)


if __name__ == "__main__":
    main()
