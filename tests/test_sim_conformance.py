"""Replay the command sequences of the real-switch transcripts against the
simulator and compare the shapes: event names and their order per leg, the
headers the engine reads, framing, and replies before the events they cause."""
import json
import re
import time
import uuid as uuidlib
from pathlib import Path

import pytest

from callcenter.sim import Simulator
from sim_fixtures import PASSWORD, EslClient, load_trace, trace_frames

KEY_EVENTS = {
    "CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_PARK", "CHANNEL_UNPARK", "CHANNEL_EXECUTE",
    "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_HANGUP",
    "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY", "RECORD_START", "RECORD_STOP", "DTMF",
    "PLAYBACK_START", "PLAYBACK_STOP",
}
# Headers the engine reads; where the transcript has one, the simulator must too.
ENGINE_HEADERS = {
    "Event-Name", "Event-Subclass", "Event-Date-Timestamp", "Event-Sequence", "Core-UUID",
    "Unique-ID", "Channel-Call-UUID", "Caller-Caller-ID-Number", "Caller-Caller-ID-Name",
    "Caller-Destination-Number", "Channel-State", "Channel-Call-State", "Answer-State",
    "Call-Direction", "Channel-Name", "Hangup-Cause", "Application", "Application-Data",
    "Application-Response", "Application-UUID", "Job-UUID", "Job-Command", "Job-Command-Arg",
    "Bridge-A-Unique-ID", "Bridge-B-Unique-ID", "Other-Leg-Unique-ID", "Other-Type",
    "DTMF-Digit", "Record-File-Path", "Playback-File-Path", "variable_cc_entry",
    "variable_cc_agent", "variable_hangup_cause", "variable_origination_uuid",
    "variable_read_result", "variable_menu_choice", "profile-name", "from-user", "from-host",
    "contact", "expires", "status", "network-ip", "network-port", "call-id", "realm",
    "API-Command", "API-Command-Argument",
}
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

TRACE_DIALPLAN = """<include><context name="public">
  <extension name="hotline"><condition field="destination_number" expression="^10000$">
    <action application="set" data="cc_entry=hotline"/>
    <action application="answer"/>
    <action application="park"/>
  </condition></extension>
</context></include>
"""


@pytest.fixture
def trace_sim(tmp_path):
    (tmp_path / "dialplans").mkdir()
    (tmp_path / "dialplans" / "hotline.xml").write_text(TRACE_DIALPLAN)
    # Real time, real media durations: the conformance run should not
    # reorder events by compressing time.
    simulator = Simulator(PASSWORD, speed=1.0, dialplan_dir=str(tmp_path / "dialplans"))
    simulator.start()
    yield simulator
    simulator.close()


def key_sequence(events, uuid, states=False):
    out = []
    for ev in events:
        if ev.get("Unique-ID") == uuid and ev["Event-Name"] in KEY_EVENTS:
            name = ev["Event-Name"]
            if "Application" in ev and name.startswith("CHANNEL_EXECUTE"):
                name += "/" + ev["Application"]
            if states:
                name += f" {ev.get('Channel-Call-State')} {ev.get('Answer-State')} {ev.get('Hangup-Cause', '-')}"
            out.append(name)
    return out


def first_by_name(events):
    found = {}
    for ev in events:
        found.setdefault(ev["Event-Name"], ev)
    return found


def assert_same_header_shapes(trace_events, our_events):
    theirs, ours = first_by_name(trace_events), first_by_name(our_events)
    compared = 0
    for name, trace_event in theirs.items():
        if name not in ours:
            continue
        wanted = ENGINE_HEADERS & set(trace_event)
        missing = wanted - set(ours[name])
        assert not missing, f"{name}: simulator lacks {sorted(missing)}"
        compared += 1
    assert compared >= 8


def test_park_trace_replay(trace_sim, tmp_path):
    trace = trace_frames(load_trace("park_trace.txt"))
    trace_events = [f.event for kind, f in trace if kind == "RECV" and f.event]
    trace_caller = next(ev["Unique-ID"] for ev in trace_events if ev["Event-Name"] == "CHANNEL_CREATE")
    trace_sends = [text for kind, text in trace if kind == "SEND"]
    trace_agent = next(re.search(r"origination_uuid=([0-9a-f-]+)", s).group(1)
                       for s in trace_sends if "origination_uuid" in s)
    trace_failed = [ev["Unique-ID"] for ev in trace_events if ev["Event-Name"] == "CHANNEL_CREATE"][-1]

    c = EslClient(trace_sim.port)
    assert c.command("event plain ALL").headers["Reply-Text"] == "+OK event listener enabled plain"
    assert c.api("status").startswith("UP 0 years")
    assert c.api("show channels") == "\n0 total.\n"

    caller = trace_sim.place_call("13800000001", "10000")
    c.wait_event("CHANNEL_PARK", Unique_ID=caller)
    event_uuid = str(uuidlib.uuid4())
    c.sendmsg(caller, "play_and_get_digits",
              r"1 1 2 4000 # silence_stream://500 silence_stream://100 menu_choice \d 3000", event_uuid)
    c.wait_event("PLAYBACK_START", Unique_ID=caller)
    trace_sim.press(caller, "1")
    done = c.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID=event_uuid)
    assert done["variable_menu_choice"] == "1"
    assert done["Application"] == "play_and_get_digits"
    assert done["Application-Response"] == "_none_"

    trace_sim.register_phone("1001", "answer:0.05")
    agent = str(uuidlib.uuid4())
    job = c.bgapi(f"originate {{origination_uuid={agent},origination_caller_id_number=10000,cc_agent=1001}}"
                  "sofia/internal/1001@127.0.0.1:5070 &park()")
    c.wait_event("CHANNEL_PARK", Unique_ID=agent)
    job_event = next(f for f in c.events if f.event.get("Job-UUID") == job)
    assert job_event.event_body == f"+OK {agent}\n"
    names = [(f.event["Event-Name"], f.event.get("Unique-ID")) for f in c.events]
    assert names.index(("CHANNEL_ANSWER", agent)) < names.index(("BACKGROUND_JOB", None))

    assert c.api(f"uuid_bridge {caller} {agent}") == f"+OK {agent}\n"
    bridge = c.wait_event("CHANNEL_BRIDGE", Unique_ID=caller)
    assert (bridge["Bridge-A-Unique-ID"], bridge["Bridge-B-Unique-ID"]) == (caller, agent)
    path = str(tmp_path / "rec" / f"{caller}.wav")
    assert c.api(f"uuid_record {caller} start {path}") == "+OK Success\n"
    assert c.wait_event("RECORD_START", Unique_ID=caller)["Record-File-Path"] == path
    assert c.api(f"uuid_record {caller} stop {path}") == "+OK Success\n"

    before_kill = len(c.frames)
    assert c.api(f"uuid_kill {agent} NORMAL_CLEARING") == "+OK\n"
    c.wait_event("CHANNEL_DESTROY", Unique_ID=caller)
    after = c.frames[before_kill:]
    reply_at = next(i for i, f in enumerate(after) if f.content_type == "api/response")
    hangup_at = next(i for i, f in enumerate(after) if f.event.get("Event-Name") == "CHANNEL_HANGUP")
    assert reply_at < hangup_at, "the api/response must come before the events it causes"

    assert c.api(f"uuid_exists {caller}") == "false"
    assert c.api("originate sofia/internal/nobody@127.0.0.1:5999 &park()") == "-ERR NORMAL_TEMPORARY_FAILURE\n"
    failed = c.wait_event("CHANNEL_DESTROY", Hangup_Cause="NORMAL_TEMPORARY_FAILURE")["Unique-ID"]

    our_events = [f.event for f in c.events]
    assert key_sequence(our_events, caller) == key_sequence(trace_events, trace_caller)
    assert key_sequence(our_events, agent) == key_sequence(trace_events, trace_agent)
    assert key_sequence(our_events, failed) == key_sequence(trace_events, trace_failed)
    for ours, theirs in ((caller, trace_caller), (agent, trace_agent), (failed, trace_failed)):
        assert key_sequence(our_events, ours, True) == key_sequence(trace_events, theirs, True)
    assert_same_header_shapes(trace_events, our_events)
    for ev in our_events:
        assert re.fullmatch(r"\d{16}", ev["Event-Date-Timestamp"])
        if "Unique-ID" in ev:
            assert UUID_RE.match(ev["Unique-ID"])

    bye = c.command("exit")
    assert bye.headers["Reply-Text"] == "+OK bye"
    assert c.closed.wait(2)
    trace_notice = trace[-1][1]
    assert c.frames[-1].content_type == "text/disconnect-notice"
    assert c.frames[-1].body == trace_notice.body
    c.close()


def test_register_trace_replay(trace_sim):
    trace = trace_frames(load_trace("register_trace.txt"))
    trace_sends = [text for kind, text in trace if kind == "SEND"]
    trace_events = [f.event for kind, f in trace if kind == "RECV" and f.event]
    trace_replies = {text: frame for (kind, text), (_, frame) in zip(trace, trace[1:]) if kind == "SEND"}

    c = EslClient(trace_sim.port)
    subscribe = trace_sends[1]
    assert subscribe.startswith("event plain CHANNEL_CREATE")
    assert c.command(subscribe).headers["Reply-Text"] == "+OK event listener enabled plain"

    assert c.api("originate user/1001 &park()").startswith("-ERR ")
    c.wait_event("CHANNEL_HANGUP_COMPLETE")
    # filtered subscription: nothing the client did not ask for
    assert set(c.names()) <= {"CHANNEL_CREATE", "CHANNEL_HANGUP_COMPLETE"}

    trace_sim.register_phone("1001", "answer:0.05")
    reg = c.wait_event("CUSTOM", Event_Subclass="sofia::register")
    trace_reg = next(ev for ev in trace_events if ev.get("Event-Subclass") == "sofia::register")
    assert set(trace_reg) - set(reg) == set(), "sofia::register headers differ"
    assert reg["from-user"] == "1001" and "<sip:1001@" in reg["contact"]

    assert c.api("sofia_contact 1001@127.0.0.1").startswith("sofia/internal/sip:1001@127.0.0.1:")
    start = len(c.events)
    agent = str(uuidlib.uuid4())
    job = c.bgapi(f"originate {{origination_uuid={agent},originate_timeout=20}}user/1001 &park()")
    c.wait_event("CHANNEL_PARK", Unique_ID=agent)
    seq = [(f.event["Event-Name"], f.event.get("Job-UUID")) for f in c.events[start:]]
    assert seq == [("CHANNEL_CREATE", None), ("CHANNEL_ANSWER", None), ("BACKGROUND_JOB", job),
                   ("CHANNEL_PARK", None)]

    assert c.api(f"uuid_broadcast {agent} silence_stream://300 aleg") == "+OK Message sent\n"
    assert c.api(f"uuid_kill {agent}") == "+OK\n"
    c.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=agent)
    assert [n for n in c.names(agent)][-2:] == ["CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP_COMPLETE"]

    regs = c.api("show registrations")
    trace_regs = trace_replies["api show registrations"].body.decode()
    assert regs.split("\n")[0] == trace_regs.split("\n")[0]
    assert regs.endswith("\n\n1 total.\n")
    assert regs.split("\n")[1].startswith("1001,")

    caller = trace_sim.place_call("13800000001", "10000")
    c.wait_event("CHANNEL_PARK", Unique_ID=caller)
    rows = json.loads(c.api("show channels as json"))
    trace_rows = json.loads(trace_replies["api show channels as json"].body)
    assert rows["row_count"] == 1
    assert list(rows["rows"][0]) == list(trace_rows["rows"][0])
    assert rows["rows"][0]["uuid"] == caller and rows["rows"][0]["application"] == "park"

    assert c.api("nosuchcommand") == trace_replies["api nosuchcommand"].body.decode()
    bogus = c.command("bogus command here")
    assert bogus.headers == trace_replies["bogus command here"].headers
    assert c.command("exit").headers["Reply-Text"] == "+OK bye"
    c.close()


HOLD_TRACE = Path(__file__).resolve().parent / "traces" / "hold_trace.txt"
HOLD_EVENTS = ("CHANNEL_HOLD", "CHANNEL_UNHOLD", "CHANNEL_PARK", "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE")


def _phases(trace, caller: str, agent: str) -> list[tuple[list[str], list[str], list[tuple[str, str, str]]]]:
    """The transcript cut into steps: commands sent back to back (the capture pipelines
    some), with the legs named; the api replies they got, in order; and the events up to
    the next step as (name, leg, calling function)."""
    def named(text: str) -> str:
        return text.replace(caller, "<caller>").replace(agent, "<agent>")
    phases: list = []
    last = None
    for kind, item in trace:
        if kind == "SEND":
            if last == "SEND":
                phases[-1][0].append(named(item))
            else:
                phases.append(([named(item)], [], []))
        elif phases and item.content_type == "api/response":
            phases[-1][1].append(named(item.body.decode()))
        elif phases and item.event and item.event.get("Event-Name") in HOLD_EVENTS:
            leg = {caller: "caller", agent: "agent"}.get(item.event["Unique-ID"], "other")
            phases[-1][2].append((item.event["Event-Name"], leg, item.event["Event-Calling-Function"]))
        last = kind
    return phases


def test_hold_trace_replay(trace_sim):
    """tests/traces/hold_trace.txt (FreeSWITCH 1.10.12, baresip as the agent's phone):
    uuid_hold / off on the agent's leg of a bridge, the engine's hold (the caller parked
    out of the bridge and played music) and resume, the phone's own hold and resume."""
    trace = trace_frames(HOLD_TRACE_BLOCKS())
    events = [f.event for kind, f in trace if kind == "RECV" and f.event]
    caller = next(ev["Unique-ID"] for ev in events if ev["Event-Name"] == "CHANNEL_PARK")
    agent = next(re.search(r"origination_uuid=([0-9a-f-]+)", text).group(1)
                 for kind, text in trace if kind == "SEND" and "origination_uuid" in text)
    steps = [p for p in _phases(trace, caller, agent)
             if p[0][0].startswith("api uuid_") and not p[0][0].startswith("api uuid_kill")]
    assert len(steps) >= 5, steps

    c = EslClient(trace_sim.port)
    c.command("event plain " + " ".join(HOLD_EVENTS))
    sim_caller = trace_sim.place_call("13800000001", "10000")
    c.wait_event("CHANNEL_PARK", Unique_ID=sim_caller)
    trace_sim.register_phone("1008", "answer:0.05")
    sim_agent = str(uuidlib.uuid4())
    c.bgapi(f"originate {{origination_uuid={sim_agent}}}user/1008 &park()")
    c.wait_event("CHANNEL_PARK", Unique_ID=sim_agent)
    legs = {sim_caller: "caller", sim_agent: "agent"}
    for commands, replies, expected in steps:
        start = len(c.events)
        got = [c.api(command.replace("<caller>", sim_caller).replace("<agent>", sim_agent)[len("api "):])
               for command in commands]
        time.sleep(0.3)
        seen = [(f.event["Event-Name"], legs.get(f.event["Unique-ID"], "other"), f.event["Event-Calling-Function"])
                for f in c.events[start:] if f.event and f.event.get("Event-Name") in HOLD_EVENTS]
        assert [r.replace(sim_caller, "<caller>").replace(sim_agent, "<agent>") for r in got] == replies, commands
        # the events of one step may come in another order (the switch's threads race);
        # which events, on which leg, from which function may not differ
        from_switch = [e for e in expected if e[2] != "switch_channel_mark_hold"]  # not the phone's
        assert sorted(seen) == sorted(from_switch), commands
    start = len(c.events)  # the phone's own hold and resume, last in the transcript
    trace_sim.phone_hold(sim_agent, True)
    trace_sim.phone_hold(sim_agent, False)
    time.sleep(0.2)
    phone = [(f.event["Event-Name"], legs.get(f.event["Unique-ID"]), f.event["Event-Calling-Function"])
             for f in c.events[start:] if f.event and f.event.get("Event-Name") in HOLD_EVENTS]
    in_trace = [(ev["Event-Name"], {caller: "caller", agent: "agent"}.get(ev["Unique-ID"]),
                 ev["Event-Calling-Function"]) for ev in events
                if ev["Event-Calling-Function"] == "switch_channel_mark_hold"]
    assert phone == in_trace and len(in_trace) == 2


def HOLD_TRACE_BLOCKS():
    if not HOLD_TRACE.is_file():
        pytest.skip(f"transcript {HOLD_TRACE} not available")
    data = HOLD_TRACE.read_bytes()
    blocks = re.split(rb"^### (SEND|RECV) \+[\d.]+s\n", data, flags=re.M)
    return [(blocks[i].decode(), blocks[i + 1]) for i in range(1, len(blocks), 2)]
