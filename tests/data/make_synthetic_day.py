"""Writes synthetic_day.jsonl: Monday 16 November 2026 at the hotline (Asia/Shanghai).

Two intervals are written call by call so that their figures can be worked out by
hand (tests/test_reports_synthetic_day.py does): 09:00-09:30 on billing and
10:30-11:00 on complaints (with a transfer to billing and a callback), plus five
calls through the IVR flow "selfservice" and agent hand01's day. Around them,
seeded random traffic fills 08:00-20:00 (outside those two intervals) on three
queues, with its agents' state changes.

    .venv/bin/python tests/data/make_synthetic_day.py   # rewrites the file, same content
"""
from __future__ import annotations

import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from callcenter.reports import dayfile  # noqa: E402
from callcenter.reports.agents import StateChange  # noqa: E402
from callcenter.reports.facts import CallRecord, Event  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")
DAY = (2026, 11, 16)
OUT = Path(__file__).with_name("synthetic_day.jsonl")


def local(hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(*DAY, hh, mm, ss, tzinfo=ZONE).astimezone(timezone.utc)


def s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def queued_call(uuid, queue, at, *, wait=None, talk=None, abandon=None, callback=None,
                agent="hand02", flow="main", transfer=None):
    """A caller through the main flow's menu into ``queue`` at ``at``; then answered after
    ``wait`` s and talking ``talk`` s, or abandoning after ``abandon`` s, or leaving for a
    callback after ``callback`` s. ``transfer``: (after s of talk, to queue, wait, talk, agent)."""
    start = at - s(12)
    events = [Event(start, "created", {"caller": "138", "dialled": "10000"}),
              Event(start + s(8), "ivr_node", {"node": "menu", "kind": "menu", "outcome": "digit_1"}),
              Event(at, "ivr_finished", {"outcome": "queue", "need": queue, "last_node": "to_queue"})]
    if abandon is not None:
        events.append(Event(at + s(abandon), "abandoned", {"queue": queue, "waited_seconds": abandon}))
    elif callback is not None:
        events.append(Event(at + s(callback), "callback_requested", {"need": queue}))
    else:
        answered = at + s(wait)
        events += [Event(answered - s(1), "offered", {"agent": agent}),
                   Event(answered, "connected", {"agent": agent, "recording": None})]
        if transfer is None:
            events.append(Event(answered + s(talk), "ended", {"cause": "NORMAL_CLEARING"}))
        else:
            after, to, wait2, talk2, agent2 = transfer
            moved = answered + s(after)
            events += [Event(moved, "transferred", {"need": to, "note": "", "from_agent": agent}),
                       Event(moved + s(wait2), "connected", {"agent": agent2, "recording": None}),
                       Event(moved + s(wait2 + talk2), "ended", {"cause": "NORMAL_CLEARING"})]
    return CallRecord(uuid, events=tuple(events), queue_name=queue, ivr_flow=flow)


def hand_calls():
    calls = [  # 09:00-09:30, billing (limit 20 s, short abandon < 5 s)
        queued_call("A1", "billing", local(9, 0), wait=5, talk=120, agent="hand01"),
        queued_call("A2", "billing", local(9, 2), wait=15, talk=200),
        queued_call("A3", "billing", local(9, 5), wait=20, talk=100),
        queued_call("A4", "billing", local(9, 10), wait=21, talk=300),
        queued_call("A5", "billing", local(9, 12), abandon=3),
        queued_call("A6", "billing", local(9, 15), abandon=45),
        queued_call("A7", "billing", local(9, 20), abandon=10),
        queued_call("A8", "billing", local(9, 29, 50), wait=30, talk=60),  # answered 09:30:20
        # 10:30-11:00, complaints; B1 is transferred to billing after 60 s of talk
        queued_call("B1", "complaints", local(10, 30), wait=10, agent="hand02",
                    transfer=(60, "billing", 4, 50, "hand03")),
        queued_call("B2", "complaints", local(10, 35), callback=40),
        queued_call("B3", "complaints", local(10, 40), wait=25, talk=90),
        queued_call("B4", "complaints", local(10, 50), abandon=6),
    ]
    return calls + selfservice_calls()


def selfservice_calls():
    """Five callers through flow 'selfservice' (menu -> bill -> goodbye, or an agent)."""
    def ivr(uuid, at, nodes, outcome, last, connected=False):
        events = [Event(at, "created", {"caller": "139", "dialled": "10000"})]
        for i, (node, result) in enumerate(nodes, start=1):
            events.append(Event(at + s(5 * i), "ivr_node", {"node": node, "kind": "menu",
                                                             "outcome": result}))
        end = at + s(5 * len(nodes) + 1)
        events.append(Event(end, "ivr_finished", {"outcome": outcome, "need": "billing"
                                                  if outcome == "queue" else None,
                                                  "last_node": last}))
        if connected:
            events += [Event(end + s(3), "connected", {"agent": "hand03", "recording": None}),
                       Event(end + s(63), "ended", {"cause": "NORMAL_CLEARING"})]
        elif outcome == "queue":
            events.append(Event(end + s(40), "abandoned", {"queue": "billing", "waited_seconds": 40}))
        return CallRecord(uuid, events=tuple(events), queue_name="billing" if outcome == "queue"
                          else None, ivr_flow="selfservice")
    return [
        ivr("S1", local(13, 0), [("menu", "digit_1"), ("bill", "said")], "hangup", "bill"),
        ivr("S2", local(13, 1), [("menu", "timeout"), ("menu", "digit_1"), ("bill", "said")],
            "hangup", "bill"),
        ivr("S3", local(13, 2), [("menu", "digit_2")], "queue", "to_agent", connected=True),
        ivr("S4", local(13, 3), [("menu", "digit_1"), ("bill", "digit_0")], "queue", "to_agent"),
        ivr("S5", local(13, 4), [("menu", "caller_hung_up")], "caller_hung_up", "menu"),
    ]


def hand_agent():
    return [StateChange("hand01", local(8, 55), "ready"),
            StateChange("hand01", local(9, 0, 4), "ringing"),
            StateChange("hand01", local(9, 0, 5), "on_call"),
            StateChange("hand01", local(9, 2, 5), "wrap_up"),
            StateChange("hand01", local(9, 2, 35), "ready"),
            StateChange("hand01", local(9, 10), "not_ready", "lunch"),
            StateChange("hand01", local(9, 40), "ready"),
            StateChange("hand01", local(12, 0), "logged_out")]


def random_traffic(rng: random.Random):
    """~300 calls 08:00-20:00 outside the two hand intervals, each agent one call at a time."""
    calls, changes = [], []
    agents = [f"a{n:02d}" for n in range(1, 9)]
    free_at = {a: local(8, 0) for a in agents}
    for agent in agents:
        changes.append(StateChange(agent, local(7, 55), "ready"))
    skip = [(local(9, 0), local(9, 30)), (local(10, 30), local(11, 0))]
    at, number = local(8, 0), 0
    while at < local(20, 0):
        at += s(rng.randint(60, 240))
        if any(a - s(180) <= at < b for a, b in skip) or at >= local(20, 0):
            continue
        number += 1
        queue = rng.choice(("billing", "billing", "complaints", "general"))
        roll = rng.random()
        uuid = f"R{number:04d}"
        if roll < 0.12:
            calls.append(queued_call(uuid, queue, at, abandon=rng.randint(1, 90)))
            continue
        if roll < 0.15:
            calls.append(queued_call(uuid, queue, at, callback=rng.randint(20, 60)))
            continue
        agent = min(agents, key=lambda a: free_at[a])
        answered = max(at + s(rng.randint(2, 8)), free_at[agent] + s(1))
        wait = (answered - at).total_seconds()
        if wait > 150:  # nobody free for long: the caller gives up
            calls.append(queued_call(uuid, queue, at, abandon=rng.randint(30, 150)))
            continue
        talk = rng.randint(30, 400)
        calls.append(queued_call(uuid, queue, at, wait=wait, talk=talk, agent=agent))
        wrap = rng.randint(5, 60)
        changes += [StateChange(agent, answered - s(1), "ringing"),
                    StateChange(agent, answered, "on_call"),
                    StateChange(agent, answered + s(talk), "wrap_up"),
                    StateChange(agent, answered + s(talk + wrap), "ready")]
        free_at[agent] = answered + s(talk + wrap)
    for agent in agents:
        changes.append(StateChange(agent, max(free_at[agent], local(20, 0)) + s(60), "logged_out"))
    return calls, changes


def main() -> None:
    calls, changes = random_traffic(random.Random(20261116))
    dayfile.write(OUT, hand_calls() + calls, hand_agent() + changes)
    print(f"{OUT}: {len(calls) + len(hand_calls())} calls, {len(changes) + len(hand_agent())} "
          "agent state changes")


if __name__ == "__main__":
    main()
