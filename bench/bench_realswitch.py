"""The engine on a real FreeSWITCH under load (prints figures; not a test).

FreeSWITCH runs on a private copy of the kit (freeswitch-conf/ + dialplans/, via
tests/realswitch.py), N agents are created in a SQLite database with SIP passwords,
written to the switch's directory (`callcenter freeswitch users`) and registered with
digest auth by one SIPp client (injection CSV); one SIPp UAS answers every agent call
at once and holds until the BYE. The hotline number runs a one-node IVR flow (queue to
`general`), so a call goes straight to the ACD. The engine runs in its own process
(tests/realswitch.py EngineProcess) so that its CPU is its own. For each rate in
--rates SIPp callers dial the hotline for --seconds and hold 5 s; tshark captures the
SIP on the loopback interface and the figures come from the wire, the database and
/proc:

  offered        calls SIPp placed
  reached        callers for whom FreeSWITCH sent an INVITE to an agent (From user =
                 the caller's number)
  bridged        callers with a CHANNEL_BRIDGE event (event socket listener)
  recorded       engine: Recording row with sha256 whose file exists (> 44 bytes); those the
                 switch discarded as empty are counted apart (Recording.empty);
                 peer: a non-empty file from mod_callcenter's record-template
  tta p50/90/99  time to agent on the SIP wire: FreeSWITCH's 200 OK to the caller's
                 INVITE -> FreeSWITCH's INVITE to an agent carrying the caller's number
  FS / engine ms CPU (utime+stime from /proc/<pid>/stat) over the phase / calls offered
  silent         agent legs left answering silence: the agent sent 200 OK, its caller
                 was never bridged (no CHANNEL_BRIDGE for that caller) and the agent's
                 dialog lasted 0.5 s or more after its 200 OK (or never ended)
  released       agent legs answered after their caller had gone, hung up by the switch
                 within 0.5 s of the agent's 200 OK (the phone rang for a caller who
                 left while the offer was on its way)
  late ev        calls with a DB CallEvent stamped after the call's ended_at
  overload       callers given the busy answer (cc_overload): by the engine ("engine overloaded"
                 log lines) or by the switch's admission limit (--admit: the kit's
                 cc_max_new_calls_per_second; mod_hash's "exceeds maximum rate" log lines)

--peer runs the same load into FreeSWITCH's own mod_callcenter instead (queue
bench@default with the same agents as mod_callcenter agents/tiers, written to
callcenter.conf.xml in the kit copy; the dialplan sends 20000 to the `callcenter`
app, which records with record-template); --both runs the engine then the peer.

Run: .venv/bin/python bench/bench_realswitch.py [--agents 300] [--rates 10,20,40,80]
     [--seconds 10] [--hold 5] [--peer | --both] [--keep]
Needs a freeswitch binary (FREESWITCH_BIN or PATH), sipp and tshark; without them it
prints the reason and exits 0.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from realswitch import (AgentPhones, EngineProcess, RealSwitch, SipCapture, _FrameReader,  # noqa: E402
                        cpu_ms, freeswitch_binary, load_caller_scenario, sipp_load, _skip_reason)

HOTLINE, PEER_HOTLINE = "10000", "20000"
FIRST_EXTENSION = 2000
NO_ADMISSION_LIMIT = 100_000  # calls a second: the kit's admission limit out of the way
RELEASED_WITHIN = 0.5  # s: an unbridged agent leg hung up this soon after its 200 OK was let go at once
FLOW = """\
flow: bench
version: 1
description: Benchmark flow, straight to the general queue.
languages: [zh, en]
entry: to_queue
prompts: {}
nodes:
  to_queue: {kind: queue, need: general}
"""


# --- machine ---------------------------------------------------------------------------------
def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    return f"{os.cpu_count()} CPUs ({model}), RAM {ram}, {platform.system()} {platform.release()}"


def freeswitch_version(binary: str) -> str:
    try:
        out = subprocess.run([binary, "-version"], capture_output=True, timeout=20).stdout.decode(errors="replace")
        return out.strip().splitlines()[-1] if out.strip() else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


# --- event socket listener: CHANNEL_BRIDGE by caller number ----------------------------------
class BridgeListener(threading.Thread):
    def __init__(self, switch: RealSwitch):
        super().__init__(daemon=True)
        self.switch = switch
        self.bridged: dict[str, float] = {}  # caller number -> first bridge time (epoch)
        self._stopping = False

    def run(self) -> None:
        with socket.create_connection(("127.0.0.1", self.switch.ports.esl), timeout=10) as sock:
            reader = _FrameReader(sock)
            reader.frame()
            sock.sendall(f"auth {self.switch.password}\n\n".encode())
            reader.frame()
            sock.sendall(b"event plain CHANNEL_BRIDGE\n\n")
            sock.settimeout(None)
            self._sock = sock
            while not self._stopping:
                try:
                    headers, body = reader.frame()
                except OSError:
                    return
                if headers.get("Content-Type") != "text/event-plain":
                    continue
                event = {}
                for line in body.decode(errors="replace").splitlines():
                    if ": " in line:
                        key, value = line.split(": ", 1)
                        event[key] = value
                if os.environ.get("BENCH_DEBUG"):
                    print("# bridge event", {k: v for k, v in event.items() if "Caller-ID" in k or "Bridge" in k})
                at = int(event.get("Event-Date-Timestamp", "0")) / 1e6
                # intercept swaps the agent leg's caller id: the caller's number is in the Orig ones
                for key in ("Caller-Caller-ID-Number", "Caller-Orig-Caller-ID-Number",
                            "Other-Leg-Caller-ID-Number", "Other-Leg-Orig-Caller-ID-Number"):
                    if event.get(key):
                        self.bridged.setdefault(event[key], at)

    def stop(self) -> None:
        self._stopping = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except (OSError, AttributeError):
            pass


# --- preparing the database, the kit and the engine's configuration --------------------------
def prepare_database(url: str, agents: int) -> dict[str, tuple[str, str]]:
    """N general agents (level 5) with SIP extensions and passwords; returns
    {login: (extension, password)}."""
    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    from callcenter import db, seed
    from callcenter.db import transaction
    from callcenter.models import Agent, AgentSkill, Role, Skill
    from callcenter.security import sip_a1_hash

    engine = db.make_engine(url)
    db.upgrade(engine)
    cheap = lambda secret: generate_password_hash(secret, method="pbkdf2:sha256:1000")  # noqa: E731
    seed.hash_password = seed.hash_service_password = cheap
    sessions = db.session_factory(engine)
    seed.seed_demo(sessions, customers=10)
    made = {}
    with transaction(sessions) as session:
        general = session.scalar(select(Skill).where(Skill.name == "general"))
        for n in range(agents):
            extension, password = str(FIRST_EXTENSION + n), f"pw{os.urandom(6).hex()}"
            agent = Agent(login=f"bench{n:03d}", display_name=f"Bench {n}", password_hash="x",
                          role=Role.AGENT, sip_extension=extension,
                          sip_a1_hash=sip_a1_hash(extension, seed.SIP_REALM, password))
            agent.skills = [AgentSkill(skill=general, level=5)]
            session.add(agent)
            made[agent.login] = (extension, password)
    engine.dispose()
    return made


def write_directory(url: str, users_dir: Path) -> None:
    from callcenter import db
    from callcenter.freeswitch.directory import write_directory as write
    engine = db.make_engine(url)
    write(db.session_factory(engine), users_dir)
    engine.dispose()


def queues_file(workdir: Path) -> Path:
    import yaml
    queues = yaml.safe_load((ROOT / "acd" / "queues.yaml").read_text(encoding="utf-8"))
    for queue in queues["queues"].values():  # no after-call work, no announcements: pure flow
        queue["wrap_up"] = 0
        queue["announcements"] = {"first_after": 3600, "every": 3600, "position": False,
                                  "estimated_wait": False}
    path = workdir / "queues.yaml"
    path.write_text(yaml.safe_dump(queues, sort_keys=False), encoding="utf-8")
    return path


def engine_config(workdir: Path, switch: RealSwitch, url: str) -> Path:
    flows = workdir / "flows"
    flows.mkdir(exist_ok=True)
    (flows / "bench.yaml").write_text(FLOW)
    path = workdir / "callcenter.yaml"
    path.write_text(switch.engine_config() + f"""\
  api_timeout: 10
general:
  data_directory: {workdir / 'data'}
  log_level: WARNING
database:
  url: "{url}"
ivr:
  flows_directory: {flows}
  prompts_directory: {switch.prompts_dir}
  numbers:
    "{HOTLINE}": {{flow: bench, need: general}}
recordings:
  directory: {workdir / 'recordings'}
acd:
  queues_file: {queues_file(workdir)}
""")
    return path


def new_switch(workdir: Path, peer: bool = False, admit: int | None = None) -> RealSwitch:
    """``admit``: the kit's cc_max_new_calls_per_second (None: no admission limit)."""
    switch = RealSwitch(workdir / "fs", park_timeout=20)
    # 8000 RTP ports, all below the ephemeral range (32768-60999) where SIPp's, tshark's and
    # the clients' sockets live: a taken port is an RTP "Bind Error" and a lost call
    start = 16384 + (switch.ports.rtp_start // 2) % 4096 * 2
    switch.variables.update(cc_rtp_start_port=str(start), cc_rtp_end_port=str(start + 8000),
                            cc_max_sessions="5000", cc_sessions_per_second="1000",
                            cc_max_new_calls_per_second=str(admit or NO_ADMISSION_LIMIT))
    switch.prepare()
    if peer:
        add_peer_callcenter(switch, workdir)
    return switch


def add_peer_callcenter(switch: RealSwitch, workdir: Path) -> None:
    """mod_callcenter in the kit copy: the module, a queue, and 20000 -> callcenter app."""
    conf = switch.conf_dir
    modules = conf / "autoload_configs" / "modules.conf.xml"
    text = modules.read_text()
    modules.write_text(text.replace("</modules>", '    <load module="mod_callcenter"/>\n  </modules>'))
    (workdir / "recordings" / "peer").mkdir(parents=True, exist_ok=True)
    (conf / "autoload_configs" / "callcenter.conf.xml").write_text(f"""\
<configuration name="callcenter.conf" description="CallCenter (benchmark peer)">
  <settings/>
  <queues>
    <queue name="bench@default">
      <param name="strategy" value="longest-idle-agent"/>
      <param name="moh-sound" value="silence_stream://-1"/>
      <param name="record-template" value="{workdir}/recordings/peer/${{uuid}}.wav"/>
      <param name="time-base-score" value="system"/>
      <param name="max-wait-time" value="0"/>
      <param name="tier-rules-apply" value="false"/>
      <param name="discard-abandoned-after" value="60"/>
      <param name="abandoned-resume-allowed" value="false"/>
    </queue>
  </queues>
  <agents/>
  <tiers/>
</configuration>
""")
    public = conf.parent / "dialplans" / "public.xml"
    text = public.read_text()
    extension = f"""<context name="public">
    <extension name="peer_mod_callcenter">
      <condition field="destination_number" expression="^{PEER_HOTLINE}$">
        <action application="answer"/>
        <action application="set" data="hangup_after_bridge=true"/>
        <action application="callcenter" data="bench@default"/>
      </condition>
    </extension>
"""
    public.write_text(text.replace('<context name="public">', extension, 1))


def peer_agents(switch: RealSwitch, extensions: list[str]) -> None:
    for extension in extensions:
        name = f"{extension}@default"
        for command in (f"callcenter_config agent add {name} callback",
                        f"callcenter_config agent set contact {name} [call_timeout=15]user/{extension}@callcenter",
                        f"callcenter_config agent set wrap_up_time {name} 0",
                        f"callcenter_config agent set max_no_answer {name} 100",
                        f"callcenter_config agent set status {name} Available",
                        f"callcenter_config agent set state {name} Waiting",
                        f"callcenter_config tier add bench@default {name} 1 1"):
            reply = switch.api(command)
            if not reply.startswith("+OK"):
                raise RuntimeError(f"{command}: {reply.strip()}")


# --- one phase ---------------------------------------------------------------------------------
def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def wire_figures(rows: list[tuple], prefix: str, service: str) -> dict:
    """From the captured SIP: time to agent, reached, agent legs answered (and their length)."""
    caller_calls, answer_at, caller_end = {}, {}, {}
    agent_calls, agent_invite, agent_ok, agent_bye, rings = {}, {}, {}, {}, defaultdict(list)
    for at, method, status, call_id, from_user, to_user, cseq in rows:
        if method == "INVITE" and from_user.startswith(prefix):
            if to_user == service:
                caller_calls.setdefault(call_id, from_user)
            elif call_id not in agent_calls:
                agent_calls[call_id] = (from_user, to_user)
                agent_invite.setdefault(from_user, at)
                rings[from_user].append(to_user)
    for at, method, status, call_id, from_user, to_user, cseq in rows:
        if call_id in caller_calls:
            number = caller_calls[call_id]
            if status == 200 and cseq == "INVITE":
                answer_at.setdefault(number, at)
            elif method == "BYE":
                caller_end.setdefault(number, at)
        elif call_id in agent_calls:
            if status == 200 and cseq == "INVITE":
                agent_ok.setdefault(call_id, at)
            elif method == "BYE":
                agent_bye.setdefault(call_id, at)
    tta = [agent_invite[n] - answer_at[n] for n in agent_invite if n in answer_at]
    return {"callers": caller_calls, "answer_at": answer_at, "caller_end": caller_end,
            "agent_calls": agent_calls, "agent_ok": agent_ok, "agent_bye": agent_bye,
            "reached": set(agent_invite), "tta": tta, "rings": rings}


def db_figures(url: str, prefix: str) -> dict:
    from sqlalchemy import create_engine, select

    from callcenter.models import Call, CallEvent, Recording
    engine = create_engine(url)
    with engine.connect() as connection:
        calls = connection.execute(select(Call.id, Call.uuid, Call.caller_number, Call.ended_at,
                                          Call.agent_answered_at)
                                   .where(Call.caller_number.like(f"{prefix}%"))).all()
        ids = [c.id for c in calls]
        recordings = connection.execute(select(Recording.call_id, Recording.path, Recording.sha256,
                                               Recording.empty)
                                        .where(Recording.call_id.in_(ids))).all() if ids else []
        events = connection.execute(select(CallEvent.call_id, CallEvent.kind, CallEvent.at)
                                    .where(CallEvent.call_id.in_(ids))).all() if ids else []
    engine.dispose()
    recorded, empty, discarded = set(), set(), set()
    for call_id, path, sha, no_audio in recordings:
        if no_audio:
            discarded.add(call_id)  # the switch deleted it: the call ended as it was connected
        elif sha and path and Path(path).exists():
            (recorded if Path(path).stat().st_size > 44 else empty).add(call_id)
    ended = {c.id: c.ended_at for c in calls}
    late = {e.call_id for e in events if e.at is not None and ended.get(e.call_id) is not None
            and e.at > ended[e.call_id]}
    connected = {e.call_id for e in events if e.kind == "connected"}
    return {"calls": calls, "recorded": recorded, "empty": empty, "discarded": discarded, "late": late,
            "connected": connected,
            "by_number": {c.caller_number: c for c in calls}}


def run_phase(label: str, switch: RealSwitch, capture_ports: tuple[int, ...], workdir: Path, rate: float,
              seconds: float, hold: float, prefix: str, service: str, engine: EngineProcess | None,
              url: str | None, bridges: BridgeListener) -> dict:
    count = max(1, int(round(rate * seconds)))
    pcap = workdir / f"{label}-{prefix}.pcap"
    capture = SipCapture(pcap, capture_ports).start()
    fs_pid = switch.process.pid
    overloads_before, refusals_before = _overloads(engine), _refusals(switch)
    cpu_fs, cpu_engine = cpu_ms(fs_pid), cpu_ms(engine.pid) if engine else 0.0
    started = time.monotonic()
    callers = sipp_load(workdir / "callers", load_caller_scenario(prefix, int(hold * 1000)),
                        f"127.0.0.1:{switch.ports.public_sip}", service=service, rate=rate, count=count,
                        timeout=seconds + hold + 90)
    try:
        callers.wait(seconds + hold + 120)
    except subprocess.TimeoutExpired:
        callers.kill()
    elapsed = time.monotonic() - started
    time.sleep(1.5)  # hang-ups and recordings settle
    # a lagging engine works through its backlog first: its CPU for these calls counts
    catch_up = float(engine.ask("settle").split()[1]) if engine else float("nan")
    cpu_fs = cpu_ms(fs_pid) - cpu_fs
    cpu_engine = (cpu_ms(engine.pid) - cpu_engine) if engine else float("nan")
    capture.stop()
    wire = wire_figures(capture.messages(), prefix, service)
    numbers = set(wire["callers"].values())
    silent = released = 0
    for call_id, (number, _ext) in wire["agent_calls"].items():
        ok = wire["agent_ok"].get(call_id)
        if ok is None or number in bridges.bridged:
            continue
        bye = wire["agent_bye"].get(call_id)
        if bye is not None and bye - ok < RELEASED_WITHIN:
            released += 1  # the caller had gone: the switch let the agent go at once
        else:
            silent += 1  # left on a line with nobody
    rerung = sum(1 for exts in wire["rings"].values() if len(exts) != len(set(exts)))
    row = {"label": label, "rate": rate, "offered": count, "answered": len(wire["answer_at"]),
           "reached": len(wire["reached"] & numbers),
           "bridged": len([n for n in numbers if n in bridges.bridged]),
           "tta": wire["tta"], "fs_ms": cpu_fs / count, "engine_ms": cpu_engine / count,
           "silent": silent, "released": released, "rerung": rerung, "elapsed": elapsed,
           "catch_up": catch_up, "sipp_rc": callers.returncode}
    if engine is not None:
        db = db_figures(url, prefix)
        row.update(recorded=len(db["recorded"]), late=len(db["late"]), db_calls=len(db["calls"]),
                   unended=sum(1 for c in db["calls"] if c.ended_at is None),
                   empty_recordings=len(db["empty"]), discarded_recordings=len(db["discarded"]),
                   refused=_refusals(switch) - refusals_before,
                   overload=_overloads(engine) - overloads_before + _refusals(switch) - refusals_before)
    else:
        files = [p for p in (workdir / "recordings" / "peer").glob("*.wav") if p.stat().st_mtime >= time.time()
                 - elapsed - 10 and p.stat().st_size > 44]
        row.update(recorded=len(files) - sum(1 for p in files if p.name in _SEEN), late=None, db_calls=None,
                   overload=None)
        _SEEN.update(p.name for p in files)
    return row


_SEEN: set[str] = set()


def _refusals(switch: RealSwitch) -> int:
    """Callers the switch's admission limit sent to the busy answer (mod_hash's log line)."""
    return switch.log_text().count("exceeds maximum rate")


def _overloads(engine: EngineProcess | None) -> int:
    if engine is None or not engine.log.exists():
        return 0
    return engine.log.read_text(errors="replace").count("engine overloaded")


HEADER = (f"{'mode':<8} {'rate/s':>6} {'offered':>7} {'reached':>7} {'bridged':>7} {'recorded':>8} "
          f"{'tta p50':>8} {'p90':>7} {'p99':>7} {'FS ms/call':>10} {'eng ms/call':>11} {'silent':>6} "
          f"{'released':>8} {'late ev':>7} {'overload':>8}")


def print_row(row: dict) -> None:
    tta = row["tta"]
    dash = lambda v, fmt: "-" if v is None or v != v else format(v, fmt)  # noqa: E731
    print(f"{row['label']:<8} {row['rate']:>6g} {row['offered']:>7} {row['reached']:>7} {row['bridged']:>7} "
          f"{row['recorded']:>8} {dash(percentile(tta, 50), '.3f'):>8} {dash(percentile(tta, 90), '.3f'):>7} "
          f"{dash(percentile(tta, 99), '.3f'):>7} {row['fs_ms']:>10.1f} {dash(row['engine_ms'], '.1f'):>11} "
          f"{row['silent']:>6} {row['released']:>8} {dash(row['late'], 'd'):>7} "
          f"{dash(row['overload'], 'd'):>8}", flush=True)
    extra = []
    if row["answered"] != row["offered"]:
        extra.append(f"{row['answered']} callers answered by FreeSWITCH")
    if row["rerung"]:
        extra.append(f"{row['rerung']} callers rung twice to the same agent")
    if row.get("db_calls") is not None and row["db_calls"] != row["offered"]:
        extra.append(f"{row['db_calls']} calls in the DB")
    if row.get("catch_up", 0) >= 1:
        extra.append(f"the engine caught up {row['catch_up']:.1f} s after the last caller")
    if row.get("discarded_recordings"):
        extra.append(f"{row['discarded_recordings']} recordings the switch discarded as empty "
                     "(the call ended as it was connected)")
    if row.get("empty_recordings"):
        extra.append(f"{row['empty_recordings']} recordings with no audio (a WAV header only)")
    if row.get("refused"):
        extra.append(f"{row['refused']} of the overload answers by the switch's admission limit")
    if row.get("overload") is not None:
        unserved = row["offered"] - row["bridged"] - row["overload"]
        extra.append(f"{unserved} callers neither bridged nor given the overload answer")
    if row.get("unended"):
        extra.append(f"{row['unended']} calls without an end in the DB")
    if row["sipp_rc"] not in (0, None):
        extra.append(f"SIPp callers exit {row['sipp_rc']}")
    if extra:
        print("         ", "; ".join(extra), flush=True)


# --- the two modes -------------------------------------------------------------------------------
def run_engine(args, workdir: Path) -> None:
    url = f"sqlite:///{workdir / 'bench.db'}"
    agents = prepare_database(url, args.agents)
    switch = new_switch(workdir, admit=args.admit)
    write_directory(url, switch.users_dir)
    (workdir / "recordings").mkdir(exist_ok=True)
    phones = engine = bridges = None
    switch.start()
    try:
        t0 = time.monotonic()
        phones = AgentPhones(workdir, switch, dict(agents.values())).start()
        print(f"# {args.agents} agents registered in {time.monotonic() - t0:.1f} s", flush=True)
        config = engine_config(workdir, switch, url)
        engine = EngineProcess(config, ready=list(agents), log=workdir / "engine.log",
                               realtime=args.engine_scheduling == "rr").start(timeout=120)
        bridges = BridgeListener(switch)
        bridges.start()
        for number, rate in enumerate(args.rate_list):
            row = run_phase("engine", switch, (switch.ports.public_sip, switch.ports.agents_sip), workdir, rate,
                            args.seconds, args.hold, f"139{number:02d}", HOTLINE, engine, url, bridges)
            print_row(row)
            time.sleep(2)
    finally:
        if bridges:
            bridges.stop()
        if engine:
            engine.stop()
        if phones:
            phones.stop()
        switch.stop(quick=True)
        errors = [line for line in (workdir / "engine.log").read_text(errors="replace").splitlines()
                  if " ERROR " in line or "Traceback" in line] if (workdir / "engine.log").exists() else []
        if errors:
            print(f"# engine log: {len(errors)} ERROR lines, first: {errors[0][:300]}")


def run_peer(args, workdir: Path) -> None:
    extensions = [str(FIRST_EXTENSION + n) for n in range(args.agents)]
    url = f"sqlite:///{workdir / 'bench.db'}"
    agents = prepare_database(url, args.agents)
    switch = new_switch(workdir, peer=True)
    write_directory(url, switch.users_dir)
    phones = bridges = None
    switch.start()
    try:
        phones = AgentPhones(workdir, switch, dict(agents.values())).start()
        peer_agents(switch, extensions)
        bridges = BridgeListener(switch)
        bridges.start()
        for number, rate in enumerate(args.rate_list):
            row = run_phase("peer", switch, (switch.ports.public_sip, switch.ports.agents_sip), workdir, rate,
                            args.seconds, args.hold, f"149{number:02d}", PEER_HOTLINE, None, None, bridges)
            print_row(row)
            time.sleep(2)
    finally:
        if bridges:
            bridges.stop()
        if phones:
            phones.stop()
        switch.stop(quick=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--agents", type=int, default=300)
    parser.add_argument("--rates", default="10,20,40,80", help="offered calls per second, per phase")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--hold", type=float, default=5.0, help="seconds a caller holds after the answer")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--peer", action="store_true", help="FreeSWITCH's mod_callcenter instead of the engine")
    mode.add_argument("--both", action="store_true", help="the engine, then mod_callcenter")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, pcaps)")
    parser.add_argument("--admit", type=int, default=None,
                        help="the kit's admission limit, hotline calls a second (default: none)")
    parser.add_argument("--engine-scheduling", choices=("rr", "normal"), default="rr",
                        help="rr: round-robin real-time priority 1, as docs/systemd/callcenter.service "
                             "runs the engine; normal: the default time-sharing policy")
    args = parser.parse_args(argv)
    args.rate_list = [float(r) for r in args.rates.split(",") if r]
    binary = freeswitch_binary()
    if binary is None:
        print(f"bench_realswitch: skipped: {_skip_reason()}")
        return 0
    for tool, package in (("sipp", "sip-tester"), ("tshark", "tshark")):
        if shutil.which(tool) is None:
            print(f"bench_realswitch: skipped: no `{tool}` (install Debian's {package})")
            return 0
    print(f"# machine: {machine()}")
    print(f"# FreeSWITCH: {binary} ({freeswitch_version(binary)}); SIPp callers -> hotline, "
          f"{args.agents} SIPp agents (digest-registered, answer at once), callers hold {args.hold:g} s; "
          f"{args.seconds:g} s per rate; SQLite; engine in its own process"
          f" (scheduling: {args.engine_scheduling}); admission limit: "
          f"{f'{args.admit} calls/s' if args.admit else 'none'}")
    print("# silent = agent 200 OK whose caller never got CHANNEL_BRIDGE and whose dialog lasted >= 0.5 s;"
          " released = the same, hung up by the switch within 0.5 s (the caller had gone)")
    print("# tta = FreeSWITCH 200 OK to the caller's INVITE -> FreeSWITCH INVITE to an agent (From = caller), s")
    print(HEADER, flush=True)
    modes = ["peer"] if args.peer else ["engine", "peer"] if args.both else ["engine"]
    for which in modes:
        workdir = Path(tempfile.mkdtemp(prefix=f"cc-rsbench-{which}-"))
        try:
            (run_engine if which == "engine" else run_peer)(args, workdir)
        finally:
            if args.keep:
                print(f"# kept {workdir}")
            else:
                shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
