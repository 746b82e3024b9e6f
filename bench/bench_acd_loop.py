"""The ACD loop's CPU per call (prints figures; not a test).

The end-to-end bench's flow without the switch, the IVR or the database: 300
agents with general=5 all ready, calls to the general queue (no wrap-up, no
announcements, as bench_end_to_end.py sets the queues), each offered, rung
(a fake switch answers at once), bridged and hung up, through the real
AcdShell loop, AcdCore, ActionRunner and PresenceStore (its writes go to a
list). It prints the loop's CPU microseconds per call; BENCH_PROFILE=1 prints
a cProfile of it.

    PYTHONPATH=. .venv/bin/python bench/bench_acd_loop.py [--calls 3000] [--agents 300]
      [--rate 30] [--repeat 3]
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import cProfile  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import gevent  # noqa: E402
import yaml  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from acd.core import AcdCore  # noqa: E402
from acd.queue_config import load_queues_text  # noqa: E402
from callcenter.live.acd_actions import ActionRunner  # noqa: E402
from callcenter.live.acd_shell import AcdShell  # noqa: E402
from callcenter.live.agents import AgentCard  # noqa: E402
from callcenter.live.bus import EventBus  # noqa: E402
from callcenter.live.inbound import QueueRequest  # noqa: E402
from callcenter.live.presence import PresenceStore  # noqa: E402

START = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


class FakeSwitch:
    """Answers every agent leg at once; every other command does nothing."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def dial(self, *args, **kwargs):
        return SimpleNamespace(answered_at=self.clock())

    def __getattr__(self, name):  # set_variables, hangup, record_stop ...
        return lambda *args, **kwargs: True


class Quiet:
    """A call log / recording store / announcer that takes everything and keeps nothing."""

    def path_for(self, call_id: str) -> str:
        return f"/recordings/{call_id}.wav"

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


class Writer:
    def __init__(self) -> None:
        self.ops = 0

    def put(self, op) -> None:
        self.ops += 1

    def flush(self) -> bool:
        return True


class Directory:
    def __init__(self, count: int) -> None:
        self.cards = [AgentCard(n + 1, f"bench{n:03d}", f"Bench {n}", str(2001 + n), "agent",
                                {"general": 5}) for n in range(count)]
        self._by_login = {c.login: c for c in self.cards}
        self._by_extension = {c.extension: c for c in self.cards}

    def by_login(self, login):
        return self._by_login.get(login)

    def by_extension(self, extension):
        return self._by_extension.get(extension)


def bench_config():
    """The shipped queues as bench_end_to_end.py runs them: no wrap-up, no announcements."""
    queues = yaml.safe_load((ROOT / "acd" / "queues.yaml").read_text(encoding="utf-8"))
    for queue in queues["queues"].values():
        queue["wrap_up"] = 0
        queue["announcements"] = {"first_after": 3600, "every": 3600, "position": False,
                                  "estimated_wait": False}
    return load_queues_text(yaml.safe_dump(queues, sort_keys=False), "<bench>")


def build(agents: int):
    clock = Clock()
    directory = Directory(agents)
    runner = ActionRunner(FakeSwitch(clock), Quiet(), Quiet(), directory, EventBus(), Quiet())
    writer = Writer()
    presence = PresenceStore(None, directory, writer=writer)
    presence._members, presence._presence = {}, {}  # nothing written before
    core = AcdCore(bench_config())
    for card in directory.cards:
        core.agent_logged_in(card.login, {"general": 5}, clock())
    shell = AcdShell(core, runner, presence, directory, clock)
    return shell, runner, clock, writer


def settle(shell: AcdShell) -> None:
    """Let the loop and the greenlets it spawned run until nothing is left to do."""
    quiet = 0
    while quiet < 3:
        gevent.sleep(0)
        quiet = quiet + 1 if shell._inbox.empty() else 0


def run(calls: int, agents: int, rate: float, profile: cProfile.Profile | None) -> tuple[float, int]:
    shell, runner, clock, writer = build(agents)
    shell.start()
    settle(shell)
    started = time.process_time()
    if profile:
        profile.enable()
    for n in range(calls):
        uuid = f"call-{n:06d}"
        shell.enqueue(QueueRequest(uuid, f"1380000{n:04d}", None, 0, "regular", None,
                                   {"variables": {"language": "zh"}, "ivr_path": ["start", "menu"]}))
        settle(shell)
        leg = runner.calls[uuid].leg
        shell.channel_bridged(leg.uuid, uuid, clock())
        settle(shell)
        clock.now += 1.0 / rate
        shell.channel_hung_up(uuid, "NORMAL_CLEARING", clock())
        settle(shell)
    if profile:
        profile.disable()
    spent = time.process_time() - started
    shell.stop()
    assert not runner.calls and not shell.core.waiting(), "calls left behind"
    return spent / calls * 1e6, writer.ops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--agents", type=int, default=300)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
    figures = []
    for _ in range(args.repeat):
        per_call, ops = run(args.calls, args.agents, args.rate, profile)
        figures.append(per_call)
        print(f"{args.calls} calls, {args.agents} agents: {per_call:8.1f} us CPU per call "
              f"({ops / args.calls:.1f} writes queued per call)", flush=True)
    print(f"best {min(figures):.1f} us per call")
    if profile:
        stats = pstats.Stats(profile)
        stats.sort_stats(os.environ.get("BENCH_PROFILE_SORT", "tottime")).print_stats(45)


if __name__ == "__main__":
    main()
