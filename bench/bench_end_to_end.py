"""End-to-end engine figures (prints numbers; not a test).

Callers dial 10000, walk the IVR (Mandarin, then 0 for an agent), wait in the
general queue, talk to an agent and hang up, against the switch simulator in
fast-media mode. Each phase offers calls at a fixed rate for a few seconds;
it prints whether the engine keeps up (every call answered, p95 of the wait
from joining the queue to the agent answering under 1 s), that wait's p50 /
p95, and the engine process's CPU milliseconds per call (time.process_time
around the phase, divided by the calls that ended). The agents are many and
answer at once, so the engine, not the staffing, is what is measured.

The simulator (switch, callers and agents' phones) runs in a SUBPROCESS
(`bench/bench_end_to_end.py --child`, a Simulator driven over a pipe), so the
engine's CPU figure is the engine's alone: ESL parsing, IVR, ACD, and the
database writes (SQLite in the same process, or the client side of PostgreSQL
with --database-url). "of it db writes" is the part spent by the call log's
write-behind writer (its worker thread's CPU). The child's CPU per call is
printed beside it.

Run: .venv/bin/python bench/bench_end_to_end.py [--rates 5,10,20,30] [--seconds 10]
     [--agents 100] [--speed 10] [--talk 20] [--database-url postgresql+psycopg://...]
BENCH_PROFILE=1 (cProfile on CPU time; BENCH_PROFILE_SORT, BENCH_PROFILE_FILTER, and
BENCH_PROFILE_DUMP=file to keep the raw stats) and
BENCH_DEBUG=1 (what happened to calls not answered) help find where the time goes.
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

import gevent  # noqa: E402
import yaml  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD_ENV = "CALLCENTER_BENCH_ESL_PASSWORD"
OPEN_HOURS = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SCRIPT = "wait:0.5 press:1 wait:1 press:0 wait:600 hangup"  # Mandarin, 0, then patience
PHONE = "answer:0.5 hangup:{talk}"  # the agent answers and ends the call after the talk
FIRST_EXTRA_EXTENSION = 2001
KEEPS_UP_P95 = 1.0  # seconds: a phase "keeps up" when every call is answered and p95 wait < this


# --- the child: switch simulator, callers and phones ------------------------------------
def child(args: argparse.Namespace) -> int:
    from gevent.fileobject import FileObjectThread

    from callcenter.sim import Simulator

    sim = Simulator(os.environ[PASSWORD_ENV], port=args.port, speed=args.speed, fast_media=True,
                    dialplan_dir=str(ROOT / "dialplans"))
    sim.start()
    for extension in filter(None, args.phones.split(",")):
        sim.register_phone(extension, PHONE.format(talk=args.talk))
    commands, replies = FileObjectThread(sys.stdin, "r"), sys.stdout
    replies.write("ready\n")
    replies.flush()
    for line in commands:
        word, *rest = line.split()
        if word == "burst":  # burst <prefix> <calls per second> <count>
            prefix, rate, count = rest[0], float(rest[1]), int(rest[2])
            started = time.monotonic()
            for n in range(count):
                gevent.sleep(max(0.0, started + n / rate - time.monotonic()))
                sim.place_call(f"{prefix}{n:06d}", "10000", SCRIPT)
            replies.write(f"placed {count}\n")
        elif word == "cpu":
            replies.write(f"cpu {time.process_time()}\n")
        elif word == "quit":
            break
        replies.flush()
    sim.close()
    return 0


# --- the parent: the engine -----------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bench_database(workdir: Path, server: str | None) -> tuple[str, Callable[[], None]]:
    """The benchmark's own database: a SQLite file in ``workdir``, or a fresh database on the
    PostgreSQL server of ``server`` (dropped again by the returned function)."""
    if not server:
        return f"sqlite:///{workdir / 'bench.db'}", lambda: None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"cc_bench_{os.urandom(6).hex()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False), drop


def prepare(url: str, workdir: Path, agents: int) -> Path:
    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    from callcenter import db, seed
    from callcenter.db import transaction
    from callcenter.models import Agent, AgentSkill, Role, Skill

    engine = db.make_engine(url)
    db.upgrade(engine)
    cheap = lambda secret: generate_password_hash(secret, method="pbkdf2:sha256:1000")  # noqa: E731
    seed.hash_password = seed.hash_service_password = cheap
    sessions = db.session_factory(engine)
    seed.seed_demo(sessions, customers=10)
    with transaction(sessions) as session:
        general = session.scalar(select(Skill).where(Skill.name == "general"))
        for n in range(agents):
            agent = Agent(login=f"bench{n:03d}", display_name=f"Bench {n}", password_hash="x",
                          role=Role.AGENT, sip_extension=str(FIRST_EXTRA_EXTENSION + n))
            agent.skills = [AgentSkill(skill=general, level=5)]
            session.add(agent)
    engine.dispose()
    queues = yaml.safe_load((ROOT / "acd" / "queues.yaml").read_text(encoding="utf-8"))
    for queue in queues["queues"].values():  # no after-call work, no announcements: pure flow
        queue["wrap_up"] = 0
        queue["announcements"] = {"first_after": 3600, "every": 3600, "position": False,
                                  "estimated_wait": False}
    path = workdir / "queues.yaml"
    path.write_text(yaml.safe_dump(queues, sort_keys=False), encoding="utf-8")
    return path


def start_engine(workdir: Path, url: str, queues: Path, port: int, password: str):
    from callcenter.config import load_config
    from callcenter.engine import Engine, build_services

    config = workdir / "callcenter.yaml"
    config.write_text(f"""\
general:
  data_directory: {workdir / 'data'}
switch:
  kind: simulator
  password: {password}
  port: {port}
  api_timeout: 5
database:
  url: "{url}"
ivr:
  flows_directory: {ROOT / 'ivr_flows'}
  prompts_directory: {workdir / 'prompts'}
recordings:
  directory: {workdir / 'recordings'}
acd:
  queues_file: {queues}
""")
    services = build_services(load_config(config, environ={}))
    engine = Engine(services, ivr_clock=lambda: OPEN_HOURS)
    engine.start()
    return engine


def ended_count(engine, prefix: str) -> int:
    """Calls of the phase that ended (a cheap poll: the poll's CPU counts as the engine's)."""
    from sqlalchemy import func, select

    from callcenter.models import Call

    with engine.services.db_engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Call).where(
            Call.caller_number.like(f"{prefix}%"), Call.ended_at.is_not(None)))


def phase_calls(engine, prefix: str):
    from sqlalchemy import select

    from callcenter.models import Call

    with engine.services.sessions() as session:
        return session.scalars(select(Call).where(Call.caller_number.like(f"{prefix}%"))).all()


class Child:
    def __init__(self, port: int, speed: float, phones: list[str], talk: float,
                 password: str) -> None:
        env = {**os.environ, PASSWORD_ENV: password}
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--child", "--port", str(port), "--speed", str(speed),
             "--phones", ",".join(phones), "--talk", str(talk)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, env=env, cwd=str(ROOT))
        assert self.process.stdout.readline().strip() == "ready", "the simulator did not start"

    def ask(self, line: str) -> str:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def close(self) -> None:
        try:
            self.process.stdin.write("quit\n")
            self.process.stdin.flush()
            self.process.wait(timeout=10)
        except Exception:
            self.process.kill()


def run_phase(engine, child: Child, number: int, rate: float, seconds: float, talk: float,
              speed: float) -> dict:
    prefix = f"139{number:02d}"
    count = max(1, int(rate * seconds))
    cpu_engine, cpu_child = time.process_time(), float(child.ask("cpu").split()[1])
    cpu_writes = engine.calllog.backlog()["write_cpu_seconds"]
    started = time.monotonic()
    reply = gevent.spawn(child.ask, f"burst {prefix} {rate} {count}")
    deadline = started + seconds + 60 + talk / speed
    while time.monotonic() < deadline:
        gevent.sleep(0.5)
        if ended_count(engine, prefix) >= count and reply.ready():
            break
    cpu_engine = time.process_time() - cpu_engine
    cpu_child = float(child.ask("cpu").split()[1]) - cpu_child
    cpu_writes = engine.calllog.backlog()["write_cpu_seconds"] - cpu_writes
    engine.calllog.flush()
    done = [c for c in phase_calls(engine, prefix) if c.ended_at is not None]
    answered = [c for c in done if c.agent_answered_at is not None]
    waits = sorted((c.agent_answered_at - c.queued_at).total_seconds()
                   for c in answered if c.queued_at is not None)
    if os.environ.get("BENCH_DEBUG") and len(done) < count:
        calls = phase_calls(engine, prefix)
        stuck = [c for c in calls if c.ended_at is None]
        print(f"   {count - len(calls)} calls never seen by the engine; {len(stuck)} not ended")
        for c in stuck[:3]:
            print("  ", c.uuid, engine.calllog.get(c.uuid).ivr_path, c.queue_name, c.agent_id,
                  c.agent_answered_at)
    others = [c for c in done if c.agent_answered_at is None and not c.abandoned]
    if others:
        from collections import Counter
        print("   not answered, not abandoned:", dict(Counter(
            (c.hangup_cause, (c.ivr_path or ["-"])[-1], c.queue_name) for c in others)))
        if os.environ.get("BENCH_DEBUG"):
            from sqlalchemy import select

            from callcenter.models import CallEvent
            with engine.services.sessions() as session:
                for c in others[:3]:
                    kinds = session.scalars(select(CallEvent).where(CallEvent.call_id == c.id)
                                            .order_by(CallEvent.id)).all()
                    print("  ", c.uuid, [(e.kind, e.at.strftime("%S.%f")[:6] if e.at else "",
                                          {k: v for k, v in (e.data or {}).items()
                                           if k in ("agent", "reason", "cause", "rule")})
                                         for e in kinds if e.kind != "ivr_node"])
    return {"rate": rate, "placed": count, "ended": len(done), "answered": len(answered),
            "abandoned": sum(1 for c in done if c.abandoned),
            "keeps_up": len(answered) == count and (waits[int(0.95 * (len(waits) - 1))] if waits
                                                    else 99) < KEEPS_UP_P95,
            "wait_p50": statistics.median(waits) if waits else float("nan"),
            "wait_p95": waits[int(0.95 * (len(waits) - 1))] if waits else float("nan"),
            "engine_cpu_ms": 1000 * cpu_engine / max(1, len(done)),
            "writes_cpu_ms": 1000 * cpu_writes / max(1, len(done)),
            "child_cpu_ms": 1000 * cpu_child / max(1, len(done))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--phones", default="", help=argparse.SUPPRESS)
    parser.add_argument("--speed", type=float, default=10.0, help="simulator speed factor")
    parser.add_argument("--rates", default="5,10,20,30", help="offered calls per second, per phase")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--agents", type=int, default=100, help="extra general agents (level 5)")
    parser.add_argument("--talk", type=float, default=20.0,
                        help="simulated seconds an agent talks before hanging up")
    parser.add_argument("--database-url", default=os.environ.get("CALLCENTER_BENCH_DATABASE_URL"),
                        help="a PostgreSQL server's URL (a fresh database is created on it and "
                             "dropped after); default: a SQLite file in a temporary directory")
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    logging.basicConfig(level=logging.ERROR)
    password = os.urandom(12).hex()
    with tempfile.TemporaryDirectory(prefix="cc-bench-") as tmp:
        workdir = Path(tmp)
        url, drop_database = bench_database(workdir, args.database_url)
        queues = prepare(url, workdir, args.agents)
        port = free_port()
        phones = [str(FIRST_EXTRA_EXTENSION + n) for n in range(args.agents)]
        simulator = Child(port, args.speed, phones, args.talk, password)
        engine = start_engine(workdir, url, queues, port, password)
        try:
            for card in engine.agents.call_takers():
                if card.extension in phones:
                    engine.live.set_agent_state(card.id, "ready")
            print(f"engine + {args.agents} agents (general 5, answer after {0.5 / args.speed:.2f} s), "
                  f"simulator x{args.speed:g} fast media in a subprocess; {engine.services.db_engine.dialect.name}; "
                  f"caller: IVR -> general queue -> agent, who hangs up after {args.talk / args.speed:.1f} s")
            print(f"{'offered/s':>9} {'placed':>6} {'ended':>5} {'answered':>8} {'abandon':>7} "
                  f"{'keeps up':>8} {'wait p50':>8} {'wait p95':>8} {'engine ms/call':>14} "
                  f"{'of it db writes':>15} {'sim ms/call':>11}")
            for number, rate in enumerate(float(r) for r in args.rates.split(",")):
                profile = None
                if os.environ.get("BENCH_PROFILE"):  # where the engine's CPU goes
                    import cProfile
                    profile = cProfile.Profile(time.process_time)
                    profile.enable()
                row = run_phase(engine, simulator, number, rate, args.seconds, args.talk, args.speed)
                if profile is not None:
                    import pstats
                    profile.disable()
                    stats = pstats.Stats(profile)
                    if os.environ.get("BENCH_PROFILE_DUMP"):
                        stats.dump_stats(os.environ["BENCH_PROFILE_DUMP"])
                    stats.sort_stats(os.environ.get("BENCH_PROFILE_SORT", "tottime")).print_stats(
                        os.environ.get("BENCH_PROFILE_FILTER", ""), 40)
                print(f"{row['rate']:>9g} {row['placed']:>6} {row['ended']:>5} {row['answered']:>8} "
                      f"{row['abandoned']:>7} {'yes' if row['keeps_up'] else 'NO':>8} {row['wait_p50']:>8.2f} "
                      f"{row['wait_p95']:>8.2f} {row['engine_cpu_ms']:>14.1f} {row['writes_cpu_ms']:>15.1f} "
                      f"{row['child_cpu_ms']:>11.1f}",
                      flush=True)
        finally:
            engine.stop()
            simulator.close()
            engine.services.db_engine.dispose()
            drop_database()
    return 0


if __name__ == "__main__":
    sys.exit(main())
