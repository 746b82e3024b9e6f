"""What the engine pays to pick up agent changes by itself: one periodic reload of
the roster (every 2 s, callcenter.live.roster) and one rewrite of the SIP directory.

Prints figures (it is not a test). A migrated SQLite database in a temporary
directory with N active agents, 3 skill levels each, a SIP extension and a1-hash:

    .venv/bin/python bench/bench_roster_reload.py [--agents 500 2000 5000] [--repeat 20]

- reload: the database read (run in gevent's thread pool by the engine, so it
  stalls no call) plus the compare with the roster held; p50 / max in ms and the
  share of one core it takes at one reload every 2 s;
- directory (in the thread pool, only on a change): the first write of every file, a
  restart (every file compared, none rewritten), one phone's rotation.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from callcenter import db  # noqa: E402
from callcenter.freeswitch.directory import users_of, write_users  # noqa: E402
from callcenter.live.agents import AgentDirectory  # noqa: E402
from callcenter.live.roster import RELOAD_SECONDS  # noqa: E402
from callcenter.models import Agent, AgentSkill, Role, Skill  # noqa: E402
from callcenter.sip_credentials import ha1  # noqa: E402


def populate(sessions, agents: int) -> None:
    with sessions() as session:
        skills = [Skill(name=f"skill{n}") for n in range(30)]
        session.add_all(skills)
        for n in range(agents):
            extension = str(100000 + n)
            agent = Agent(login=f"agent{n:05d}", display_name=f"Agent {n}", password_hash="x",
                          role=Role.AGENT, sip_extension=extension, sip_a1_hash=ha1(extension, f"pw-{n}"))
            agent.skills = [AgentSkill(skill=skills[(n + k) % 30], level=1 + (n + k) % 10) for k in range(3)]
            session.add(agent)
        session.commit()


def bench(agents: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = db.make_engine(f"sqlite:///{tmp}/bench.db")
        db.upgrade(engine)
        sessions = db.session_factory(engine)
        populate(sessions, agents)
        roster = AgentDirectory(sessions)
        roster.reload()
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            roster.reload()
            times.append((time.perf_counter() - started) * 1000)
        cards = roster.cards()
        users, _ = users_of((c.login, c.display_name, c.extension, c.sip_a1_hash) for c in cards)
        started = time.perf_counter()
        write_users(users, Path(tmp) / "users")  # the first start: every file
        first = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        write_users(users, Path(tmp) / "users")  # a restart: every file compared, none written
        restart = (time.perf_counter() - started) * 1000
        changed = [users[0].__class__(users[0].extension, ha1(users[0].extension, "rotated"), users[0].login,
                                      users[0].display_name)] + users[1:]
        started = time.perf_counter()
        write_users(changed, Path(tmp) / "users", unchanged=frozenset(users))  # one phone rotated
        one = (time.perf_counter() - started) * 1000
        p50 = statistics.median(times)
        print(f"{agents:6d} agents  reload p50 {p50:6.1f} ms  max {max(times):6.1f} ms  "
              f"= {p50 / (RELOAD_SECONDS * 10):5.2f} % of a core   directory: first write {first:6.1f} ms, "
              f"restart {restart:6.1f} ms, one rotation {one:6.1f} ms")
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, nargs="+", default=[500, 2000, 5000])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    for agents in args.agents:
        bench(agents, args.repeat)


if __name__ == "__main__":
    main()
