"""SwitchConnection and Switch over a real socket against FakeSwitch (tests/esl_fixtures.py),
whose replies and events come from the FreeSWITCH transcripts."""
import re
import time

import json

import gevent
import pytest

from callcenter.esl import (CallHungUp, ChannelParked, CommandFailed, CommandTimeout, Endpoint,
                            OriginateFailed, PhoneRegistered, Switch, SwitchConnection,
                            SwitchDisconnected)
from callcenter.esl.events import subscription_command, subscription_filters
from esl_fixtures import FakeSwitch, job_event, recv_blocks, reframe, trace_event, wait_until

CALLER = "03f5df1c-bb4c-4c60-a03e-8f8c44b9d40b"
OTHER = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
def fake():
    switch = FakeSwitch()
    switch.start()
    yield switch
    switch.stop()


def make_connection(fake, password=None, **kwargs):
    options = dict(api_timeout=1.0, application_timeout=3.0, connect_timeout=1.0,
                   backoff_initial=0.05, backoff_max=0.2)
    options.update(kwargs)
    return SwitchConnection("127.0.0.1", fake.port, password or fake.password, **options)


@pytest.fixture
def connection(fake):
    conn = make_connection(fake)
    conn.start()
    assert conn.wait_connected(3)
    yield conn
    conn.stop()


def completion(event_uuid, channel=CALLER, digits="1"):
    """The transcript's play_and_get_digits CHANNEL_EXECUTE_COMPLETE, for our ids."""
    return trace_event("park_trace.txt", "CHANNEL_EXECUTE_COMPLETE", nth=2, replace={
        "802bd7bc-73bd-4c32-8be8-c7e853c6646c": event_uuid, CALLER: channel,
        "variable_menu_choice: 1": f"variable_menu_choice: {digits}"})


def test_connects_authenticates_and_subscribes_narrowly(fake, connection):
    assert connection.state == "connected" and connection.connected
    assert fake.subscriptions == [subscription_command()]
    assert fake.filters == [command.partition(" ")[2] for command in subscription_filters()]
    assert "Event-Name CHANNEL_EXECUTE_COMPLETE" not in fake.filters  # only the engine's own
    assert connection.api("status").startswith("UP 0 years")
    assert fake.received[0] == f"auth {fake.password}"


def test_wrong_password_is_refused_and_retried_with_backoff(fake):
    conn = make_connection(fake, password="not-the-password")
    conn.start()
    try:
        assert wait_until(lambda: conn.state.startswith("password refused, retrying in"))
        assert not conn.connected and fake.sessions == 0
        assert wait_until(lambda: fake.received.count("auth not-the-password") >= 2)
        with pytest.raises(SwitchDisconnected):
            conn.api("status")
    finally:
        conn.stop()
    assert conn.state == "stopped"


def test_api_error_is_a_command_failed(connection):
    with pytest.raises(CommandFailed) as failure:
        connection.api("nosuchcommand")
    assert failure.value.reply == "-ERR nosuchcommand Command not found!"


def test_silent_switch_times_out_then_connection_is_rebuilt(fake, connection):
    fake.silent = True
    started = time.monotonic()
    with pytest.raises(CommandTimeout):
        connection.api("status")
    assert time.monotonic() - started < 1.8
    fake.silent = False
    assert wait_until(lambda: connection.connections == 2 and connection.connected)
    assert connection.api("status").startswith("UP")


def test_switch_restart_fails_pending_commands_at_once_and_resyncs(fake):
    resyncs = []
    conn = make_connection(fake, api_timeout=10.0, application_timeout=10.0,
                           on_connected=lambda: resyncs.append(time.monotonic()))
    conn.start()
    try:
        assert conn.wait_connected(3) and wait_until(lambda: len(resyncs) == 1)
        fake.silent = True
        pending_api = gevent.spawn(conn.api, "status")
        pending_app = gevent.spawn(conn.execute, CALLER, "playback", "/tmp/x.wav")
        gevent.sleep(0.1)
        fake.stop()
        started = time.monotonic()
        for greenlet in (pending_api, pending_app):
            greenlet.join(timeout=2)
            assert isinstance(greenlet.exception, SwitchDisconnected)
        assert time.monotonic() - started < 0.5
        assert wait_until(lambda: conn.state.startswith("reconnecting in"))
        fake.silent = False
        fake.start()
        assert wait_until(lambda: conn.connected and len(resyncs) == 2)
        assert fake.subscriptions == [subscription_command()] * 2
        assert conn.api("status").startswith("UP")
    finally:
        conn.stop()


def test_execute_returns_on_its_own_completion_only(fake, connection):
    def on_sendmsg(uuid, headers):
        gevent.sleep(0.05)
        fake.push(completion("99999999-9999-9999-9999-999999999999", digits="7"))  # not ours
        fake.push(completion(headers["Event-UUID"], channel=uuid, digits="42"))
    fake.on_sendmsg = on_sendmsg
    digits = Switch(connection).play_and_get_digits(CALLER, "ivr/menu.wav", max_digits=2,
                                                    variable="menu_choice")
    assert digits == "42"
    sent = [c for c in fake.received if c.startswith("sendmsg")][0]
    assert sent.split("\n")[:3] == [f"sendmsg {CALLER}", "call-command: execute",
                                    "execute-app-name: play_and_get_digits"]
    assert "execute-app-arg: 1 2 3 5000 # ivr/menu.wav silence_stream://250 menu_choice \\d+ 5000" in sent


def test_caller_hanging_up_during_play_and_get_digits_ends_the_wait(fake, connection):
    hangup = trace_event("park_trace.txt", "CHANNEL_HANGUP", nth=1)  # the caller's hang-up
    other_park = trace_event("park_trace.txt", "CHANNEL_PARK", replace={CALLER: OTHER})
    fake.on_sendmsg = lambda uuid, headers: (gevent.sleep(0.1), fake.push(hangup + other_park))
    other_events = connection.call_events(OTHER)
    started = time.monotonic()
    with pytest.raises(CallHungUp) as hung:
        Switch(connection).play_and_get_digits(CALLER, "ivr/menu.wav", timeout=10)
    assert hung.value.cause == "NORMAL_CLEARING" and hung.value.uuid == CALLER
    assert time.monotonic() - started < 1
    assert isinstance(other_events.get(timeout=1), ChannelParked)


def test_application_timeout_leaves_the_connection_up(fake, connection):
    with pytest.raises(CommandTimeout):
        connection.execute(CALLER, "playback", "/tmp/long.wav", timeout=0.3)
    assert connection.connected and connection.connections == 1


def test_originate_waits_for_its_background_job(fake, connection):
    def on_bgapi(job, command):
        leg = re.search(r"origination_uuid=([0-9a-f-]+)", command).group(1)
        gevent.sleep(0.05)
        fake.push(job_event(job, "originate", f"+OK {leg}\n"))
    fake.on_bgapi = on_bgapi
    leg = Switch(connection).originate(Endpoint.user("1001"), caller_id_number="10000",
                                       variables={"cc_agent": "1001", "cc_leg": "agent"}, timeout=20)
    sent = [c for c in fake.received if c.startswith("bgapi")][0]
    assert sent.startswith(f"bgapi originate {{origination_uuid={leg},originate_timeout=20,"
                           "origination_caller_id_number=10000,cc_agent=1001,cc_leg=agent}"
                           "user/1001 &park()\nJob-UUID: ")


@pytest.mark.parametrize("cause", ["USER_NOT_REGISTERED", "CALL_REJECTED", "NO_ANSWER",
                                   "NORMAL_TEMPORARY_FAILURE"])
def test_originate_failures_are_typed(fake, connection, cause):
    fake.on_bgapi = lambda job, command: fake.push(job_event(job, "originate", f"-ERR {cause}\n"))
    with pytest.raises(OriginateFailed) as failure:
        Switch(connection).originate(Endpoint.user("1001"), timeout=5)
    assert failure.value.cause == cause


def test_originate_without_outcome_times_out(fake, connection):
    connection.api_timeout = 0.2
    with pytest.raises(CommandTimeout):
        Switch(connection).originate(Endpoint.gateway("carrier", "13800000001"), timeout=1)


@pytest.mark.parametrize("garbage", [
    b"Content-Type: api/response\nContent-Length: many\n\n",
    b"Content-Length: 40\nContent-Type: text/event-plain\n\nEvent-Name: CHANNEL_PARK\nno colon line\n\n",
    b"Content-Length: 25\nContent-Type: text/event-plain\n\nEvent-Name: DTMF\nX: \xff\xfe\xfd\n\n",
    b"this is not a header\nnor this\n\n",
    b"Content-Type: text/event-plain\n\nEvent-Name: CHANNEL_PARK\n\n",
])
def test_malformed_frames_do_not_cost_the_connection_or_other_calls(fake, connection, garbage):
    queue = connection.call_events(OTHER)
    fake.push(garbage + trace_event("park_trace.txt", "CHANNEL_PARK", replace={CALLER: OTHER}))
    event = queue.get(timeout=2)
    assert isinstance(event, ChannelParked) and event.uuid == OTHER
    assert connection.api("status").startswith("UP")
    assert connection.connections == 1


def test_truncated_body_then_silence_times_out_and_recovers(fake, connection):
    fake.push(b"Content-Type: api/response\nContent-Length: 500\n\n+OK part")
    with pytest.raises((CommandTimeout, SwitchDisconnected)):
        connection.api("status", timeout=0.3)
    assert wait_until(lambda: connection.connections == 2 and connection.connected)


def test_non_call_events_reach_on_event(fake):
    seen = []
    conn = make_connection(fake, on_event=seen.append)
    conn.start()
    try:
        assert conn.wait_connected(3)
        fake.push(trace_event("register_trace.txt", "CUSTOM"))
        assert wait_until(lambda: seen)
        assert isinstance(seen[0], PhoneRegistered) and seen[0].extension == "1001"
    finally:
        conn.stop()


def test_switch_wide_queries_parse_transcript_replies(fake, connection):
    blocks = recv_blocks("register_trace.txt")
    channels_json = next(b for b in blocks if b"row_count" in b).split(b"\n\n", 1)[1].decode()
    registrations = next(b for b in blocks if b"reg_user," in b).split(b"\n\n", 1)[1].decode()
    fake.api["show"] = lambda args: channels_json if args == "channels as json" else registrations
    fake.api["uuid_dump"] = lambda args: json.dumps({"Unique-ID": args.split()[0],
                                                     "variable_cc_state": "queued"})
    fake.api["uuid_exists"] = lambda args: "true" if args == CALLER else "false"
    switch = Switch(connection)
    channels = switch.show_channels()
    assert [c.uuid for c in channels] == ["614e0105-b66e-4849-98c4-503042d9a756",
                                          "14efc5fa-9378-4b96-872e-5676cb392fab"]
    assert channels[0].application == "play_and_get_digits" and channels[0].destination == "10001"
    assert switch.is_registered("1001") and not switch.is_registered("1002")
    controlled = switch.controlled_channels()
    assert controlled[0].variables["cc_state"] == "queued" and controlled[0].variables["cc_agent"] is None
    assert switch.channel_exists(CALLER) and not switch.channel_exists(OTHER)


def test_channel_commands_send_exact_lines(fake, connection):
    for name in ("uuid_bridge", "uuid_kill", "uuid_record", "uuid_hold", "uuid_break",
                 "uuid_broadcast", "uuid_setvar", "uuid_transfer"):
        fake.api[name] = lambda args: "+OK\n"
    switch = Switch(connection)
    switch.bridge(CALLER, OTHER)
    switch.hangup(OTHER, "USER_BUSY")
    switch.record_start(CALLER, "/recordings/a.wav")
    switch.record_mask(CALLER, "/recordings/a.wav")
    switch.hold(CALLER)
    switch.unhold(CALLER)
    switch.break_media(CALLER, all_queued=True)
    switch.broadcast(CALLER, "ivr/hold.wav", "both")
    switch.set_variable(CALLER, "cc_state", "queued")
    switch.transfer(CALLER, "10000", context="public")
    # commands that may take their time go out as bgapi with our own Job-UUID, so none
    # waits behind another; those the switch answers at once are posted as api
    assert all("\nJob-UUID: " in c for c in fake.received if c.startswith("bgapi "))
    sent = [c.split("\n")[0] for c in fake.received if c.startswith(("bgapi ", "api "))]
    assert sent == [f"bgapi uuid_bridge {CALLER} {OTHER}", f"api uuid_kill {OTHER} USER_BUSY",
                    f"bgapi uuid_record {CALLER} start /recordings/a.wav",
                    f"bgapi uuid_record {CALLER} mask /recordings/a.wav", f"bgapi uuid_hold {CALLER}",
                    f"bgapi uuid_hold off {CALLER}", f"api uuid_break {CALLER} all",
                    f"api uuid_broadcast {CALLER} ivr/hold.wav both",
                    f"api uuid_setvar {CALLER} cc_state queued",
                    f"bgapi uuid_transfer {CALLER} 10000 XML public"]


def test_eavesdrop_originates_to_the_supervisor(fake, connection):
    fake.on_bgapi = lambda job, command: fake.push(job_event(job, "originate", "+OK x\n"))
    Switch(connection).eavesdrop(CALLER, Endpoint.user("1012"), "whisper")
    sent = [c for c in fake.received if c.startswith("bgapi")][0].split("\n")[0]
    assert "eavesdrop_whisper_aleg=true}user/1012 &eavesdrop(" + CALLER + ")" in sent


def test_sendmsg_header_injection_is_refused_before_the_wire(fake, connection):
    with pytest.raises(ValueError):
        connection.execute(CALLER, "playback", "a.wav\ncall-command: hangup")
    with pytest.raises(ValueError):
        connection.api("status\n\napi uuid_kill " + CALLER)
    assert not any("hangup" in c or "uuid_kill" in c for c in fake.received)


def test_completion_of_an_application_ended_by_a_hang_up_is_a_hang_up(fake, connection):
    def on_sendmsg(uuid, headers):
        event = completion(headers["Event-UUID"], channel=uuid).replace(
            b"Answer-State: answered", b"Answer-State: hangup").replace(
            b"variable_menu_choice: 1", b"variable_hangup_cause: ORIGINATOR_CANCEL")
        fake.push(reframe(event))
    fake.on_sendmsg = on_sendmsg
    with pytest.raises(CallHungUp) as hung:
        connection.execute(CALLER, "playback", "ivr/welcome.wav")
    assert hung.value.cause == "ORIGINATOR_CANCEL"


def test_originate_failure_with_free_text_keeps_the_text(fake, connection):
    fake.on_bgapi = lambda job, command: fake.push(job_event(job, "originate",
                                                             "-ERR unterminated { in dial string\n"))
    with pytest.raises(OriginateFailed) as failure:
        Switch(connection).originate(Endpoint.user("1001"), timeout=5)
    assert failure.value.cause == "unterminated { in dial string"


def test_a_refused_bgapi_fails_at_once_without_waiting_for_its_job(fake, connection):
    fake.bgapi_refusal = "-ERR no such command"
    started = time.monotonic()
    with pytest.raises(CommandFailed) as failure:
        connection.api_in_background("status", timeout=5)
    assert failure.value.reply == "-ERR no such command"
    assert time.monotonic() - started < 0.5
    fake.bgapi_refusal = None
    assert connection.api_in_background("status").startswith("UP")
    assert connection.connections == 1


def test_a_bgapi_whose_reply_never_comes_times_out_and_the_connection_is_rebuilt(fake, connection):
    fake.silent = True
    with pytest.raises(CommandTimeout):
        connection.api_in_background("status", timeout=0.3)
    fake.silent = False  # replies can no longer be matched to commands by order: a new session
    assert wait_until(lambda: connection.connections == 2 and connection.connected)
    assert connection.api_in_background("status").startswith("UP")


def test_a_switch_that_picks_its_own_job_uuid_is_still_followed(fake, connection):
    fake.own_job_uuids = True
    assert connection.api_in_background("status").startswith("UP")
    assert connection.backlog()["commands_waiting"] == 0


def test_an_application_on_a_channel_gone_before_the_sendmsg_is_a_hang_up_at_once(fake, connection):
    fake.sendmsg_refusal = "-ERR invalid session id [%s]" % CALLER
    started = time.monotonic()
    with pytest.raises(CallHungUp) as hung:
        connection.execute(CALLER, "playback", "ivr/welcome.wav")
    assert hung.value.cause == "NO_SUCH_CHANNEL" and time.monotonic() - started < 0.5
    fake.sendmsg_refusal = "-ERR no such application"
    with pytest.raises(CommandFailed):
        connection.execute(CALLER, "playback", "ivr/welcome.wav")


def test_quick_api_commands_posted_together_each_get_their_own_reply(fake, connection):
    fake.api["uuid_getvar"] = lambda args: f"value-of-{args.split()[1]}\n"
    names = [f"v{n}" for n in range(20)]
    waits = [gevent.spawn(connection.quick_api, f"uuid_getvar {CALLER} {name}") for name in names]
    gevent.joinall(waits, timeout=5, raise_error=True)
    assert [w.value for w in waits] == [f"value-of-{name}" for name in names]
    assert not any(c.startswith("bgapi ") for c in fake.received)  # no job, no switch thread each
    assert connection.backlog()["commands_waiting"] == 0


def test_a_quick_api_on_a_channel_gone_is_a_hang_up_and_a_refusal_fails_at_once(fake, connection):
    fake.api["uuid_kill"] = lambda args: "-ERR No such channel!\n"
    fake.api["uuid_setvar"] = lambda args: "-USAGE: <uuid> <var> [value]\n"
    switch = Switch(connection)
    assert switch.hangup(OTHER) is False
    with pytest.raises(CommandFailed) as failure:
        switch.set_variable(CALLER, "cc_state", "queued")
    assert failure.value.reply.startswith("-USAGE")
    assert connection.connections == 1


def test_a_quick_api_whose_reply_never_comes_times_out_and_the_connection_is_rebuilt(fake, connection):
    fake.silent = True
    with pytest.raises(CommandTimeout):
        connection.quick_api("status", timeout=0.3)
    fake.silent = False
    assert wait_until(lambda: connection.connections == 2 and connection.connected)
    assert connection.quick_api("status").startswith("UP")
