"""Calls through the simulator over a real socket: digits, originate,
bridging, recording, hold, transfer, eavesdrop."""
import json
import time
import wave

import pytest

from sim_fixtures import client, dialplan_dir, sim  # noqa: F401  (fixtures)

PAGD = "play_and_get_digits"


def parked_call(sim, client, script="", destination="10000"):
    uuid = sim.place_call("13800000001", destination, script)
    client.wait_event("CHANNEL_PARK", Unique_ID=uuid)
    return uuid


def run_pagd(client, uuid, args, timeout=3.0):
    event_uuid = client.sendmsg(uuid, PAGD, args)
    return client.wait_event("CHANNEL_EXECUTE_COMPLETE", timeout, Application_UUID=event_uuid)


def test_dialplan_sets_variables_answers_and_parks(sim, client):
    uuid = parked_call(sim, client)
    create = client.wait_event("CHANNEL_CREATE", Unique_ID=uuid)
    assert create["Caller-Caller-ID-Number"] == "13800000001"
    assert create["Caller-Destination-Number"] == "10000"
    park = client.wait_event("CHANNEL_PARK", Unique_ID=uuid)
    assert park["variable_cc_hotline"] == "10000" and park["variable_cc_entry"] == "hotline"
    assert park["Answer-State"] == "answered" and park["Channel-Call-State"] == "ACTIVE"
    snap = sim.channel(uuid)
    assert snap.parked and snap.answered and snap.variables["cc_hotline"] == "10000"


def test_unknown_number_is_rejected_with_no_route(sim, client):
    uuid = sim.place_call("13800000001", "55555")
    done = client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=uuid)
    assert done["Hangup-Cause"] == "NO_ROUTE_DESTINATION"
    assert "CHANNEL_ANSWER" not in client.names(uuid)


def test_digits_end_with_terminator(sim, client):
    uuid = parked_call(sim, client, "wait:0.5 press:12#")
    done = run_pagd(client, uuid, r"1 4 1 5000 # prompt.wav invalid.wav choice \d+")
    assert done["variable_choice"] == "12"
    assert done["variable_read_result"] == "success"
    assert [e for e in client.names(uuid) if e == "DTMF"] == ["DTMF"] * 3


def test_wrong_digit_plays_invalid_file_then_retries(sim, client):
    uuid = parked_call(sim, client, "wait:0.5 press:9 wait:1 press:2")
    done = run_pagd(client, uuid, "1 1 3 3000 # menu.wav invalid.wav choice [1-3]")
    assert done["variable_choice"] == "2"
    played = sim.channel(uuid).files_played
    assert played == ("menu.wav", "invalid.wav", "menu.wav")


def test_no_input_counts_every_try_and_plays_invalid_each_time(sim, client):
    uuid = parked_call(sim, client)
    done = run_pagd(client, uuid, r"1 1 3 1000 # menu.wav invalid.wav choice \d")
    assert "variable_choice" not in done
    assert done["variable_read_result"] == "failure"
    assert sim.channel(uuid).files_played == ("menu.wav", "invalid.wav") * 3


def test_too_few_digits_is_a_failed_try(sim, client):
    uuid = parked_call(sim, client, "wait:0.5 press:1# wait:1 press:1234#")
    done = run_pagd(client, uuid, r"4 6 2 20000 # pw.wav bad.wav password \d+")
    assert done["variable_password"] == "1234"
    assert sim.channel(uuid).files_played == ("pw.wav", "bad.wav", "pw.wav")


def test_inter_digit_timeout_ends_input(sim, client):
    # digit_timeout 500 ms: after '1' nothing more comes, so input ends with '1'
    uuid = parked_call(sim, client)
    event_uuid = client.sendmsg(uuid, PAGD, r"1 3 1 60000 # menu.wav invalid.wav choice \d+ 500")
    client.wait_event("PLAYBACK_STOP", Unique_ID=uuid)
    sim.press(uuid, "1")
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID=event_uuid)
    assert done["variable_choice"] == "1"


def test_read_application(sim, client):
    uuid = parked_call(sim, client, "wait:0.5 press:42#")
    event_uuid = client.sendmsg(uuid, "read", "1 5 prompt.wav answer 3000 #")
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID=event_uuid)
    assert done["variable_answer"] == "42"


def test_caller_hangs_up_during_play_and_get_digits(sim, client):
    uuid = parked_call(sim, client)
    event_uuid = client.sendmsg(uuid, PAGD, r"1 1 3 60000 # menu.wav invalid.wav choice \d")
    client.wait_event("PLAYBACK_STOP", Unique_ID=uuid)
    sim.hangup_call(uuid)
    client.wait_event("CHANNEL_DESTROY", Unique_ID=uuid)
    tail = client.names(uuid)
    tail = tail[tail.index("CHANNEL_HANGUP"):]
    key = [n for n in tail if n in ("CHANNEL_HANGUP", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_UNPARK",
                                    "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY")]
    assert key == ["CHANNEL_HANGUP", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_UNPARK",
                   "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY"]
    completes = [f.event for f in client.events if f.event.get("Unique-ID") == uuid
                 and f.event["Event-Name"] == "CHANNEL_EXECUTE_COMPLETE"]
    assert completes[-2]["Application-UUID"] == event_uuid
    assert completes[-2]["Hangup-Cause"] == "NORMAL_CLEARING"
    assert sim.channel(uuid).gone and sim.channel(uuid).hangup_cause == "NORMAL_CLEARING"


def test_originate_to_unregistered_phone(sim, client):
    assert client.api("originate user/1009 &park()") == "-ERR USER_NOT_REGISTERED\n"


def test_originate_rejected(sim, client):
    sim.register_phone("1002", "reject")
    assert client.api("originate user/1002 &park()") == "-ERR CALL_REJECTED\n"


def test_originate_no_answer_after_originate_timeout(sim, client):
    sim.register_phone("1003", "ring")
    job = client.bgapi("originate {originate_timeout=2}user/1003 &park()")
    ev = client.wait_event("BACKGROUND_JOB", Job_UUID=job)
    body = next(f.event_body for f in client.events if f.event.get("Job-UUID") == job)
    assert body == "-ERR NO_ANSWER\n"
    assert ev["Job-Command"] == "originate"


def test_slow_phone_beyond_call_timeout_is_no_answer(sim, client):
    sim.register_phone("1004", "answer:5")
    assert client.api("originate {call_timeout=1}user/1004 &park()") == "-ERR NO_ANSWER\n"


def test_originate_to_external_party_through_gateway(sim, client):
    sim.add_external_party("13900000009", "answer:0.5 hangup:2")
    reply = client.api("originate {origination_uuid=ext-1}sofia/gateway/carrier/13900000009 &park()")
    assert reply == "+OK ext-1\n"
    done = client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID="ext-1")
    assert done["Hangup-Cause"] == "NORMAL_CLEARING"
    assert client.api("originate sofia/gateway/carrier/999 &park()") == "-ERR UNALLOCATED_NUMBER\n"


def bridged_pair(sim, client, agent_uuid="agent-1", phone="answer:0.2"):
    caller = parked_call(sim, client)
    sim.register_phone("1001", phone)
    job = client.bgapi(f"originate {{origination_uuid={agent_uuid},cc_agent=1001}}user/1001 &park()")
    client.wait_event("BACKGROUND_JOB", Job_UUID=job)
    client.wait_event("CHANNEL_PARK", Unique_ID=agent_uuid)
    assert client.api(f"uuid_bridge {caller} {agent_uuid}") == f"+OK {agent_uuid}\n"
    client.wait_event("CHANNEL_BRIDGE", Unique_ID=caller)
    return caller, agent_uuid


def test_caller_hangup_hangs_up_the_agent(sim, client):
    caller, agent = bridged_pair(sim, client)
    assert sim.channel(caller).bridged_to == agent and sim.channel(agent).bridged_to == caller
    sim.hangup_call(caller)
    client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=agent)
    unbridge = client.wait_event("CHANNEL_UNBRIDGE")
    assert (unbridge["Bridge-A-Unique-ID"], unbridge["Bridge-B-Unique-ID"]) == (caller, agent)
    assert sim.channel(agent).hangup_cause == "NORMAL_CLEARING"


def test_park_after_bridge_keeps_the_other_leg(sim, client):
    caller, agent = bridged_pair(sim, client)
    assert client.api(f"uuid_setvar {caller} park_after_bridge true") == "+OK\n"
    start = len(client.events)
    assert client.api(f"uuid_kill {agent}") == "+OK\n"
    client.wait_event("CHANNEL_PARK", start=start, Unique_ID=caller)
    snap = sim.channel(caller)
    assert snap.parked and snap.hangup_cause is None and snap.bridged_to is None


def test_uuid_record_writes_stereo_wav(sim, client, tmp_path):
    caller, agent = bridged_pair(sim, client)
    path = tmp_path / "rec" / "call.wav"
    assert client.api(f"uuid_record {caller} start {path}") == "+OK Success\n"
    client.wait_event("RECORD_START", Unique_ID=caller)
    time.sleep(0.1)  # 2 simulated seconds at speed 20
    assert client.api(f"uuid_record {caller} mask {path}") == "+OK Success\n"
    assert client.api(f"uuid_record {caller} unmask {path}") == "+OK Success\n"
    assert client.api(f"uuid_record {caller} stop {path}") == "+OK Success\n"
    stop = client.wait_event("RECORD_STOP", Unique_ID=caller)
    assert stop["Record-File-Path"] == str(path)
    with wave.open(str(path)) as w:
        assert w.getnchannels() == 2 and w.getframerate() == 8000 and w.getsampwidth() == 2
        assert 1.9 <= w.getnframes() / 8000 <= 30
    assert sim.channel(caller).recordings == (str(path),)


def test_recording_stops_and_is_written_on_hangup(sim, client, tmp_path):
    caller, agent = bridged_pair(sim, client)
    path = tmp_path / "hangup.wav"
    client.api(f"uuid_setvar {caller} RECORD_STEREO false")
    client.api(f"uuid_record {caller} start {path}")
    sim.hangup_call(agent)
    client.wait_event("RECORD_STOP", Unique_ID=caller)
    with wave.open(str(path)) as w:
        assert w.getnchannels() == 1


def test_record_application_lasts_until_the_caller_presses(sim, client, tmp_path):
    uuid = parked_call(sim, client)
    path = tmp_path / "msg.wav"
    event_uuid = client.sendmsg(uuid, "record", f"{path} 60")
    client.wait_event("RECORD_START", Unique_ID=uuid)
    time.sleep(0.15)  # the caller speaks for 3 simulated seconds
    sim.press(uuid, "#")
    client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID=event_uuid)
    with wave.open(str(path)) as w:
        assert w.getnchannels() == 1
        assert 2.9 <= w.getnframes() / 8000 <= 40.0


def test_uuid_hold_holds_that_leg_as_freeswitch_does(sim, client):
    """As FreeSWITCH 1.10 (tests/traces/hold_trace.txt and README): the held leg's phone
    gets a re-INVITE sendonly; the music reaches the partner only when the held leg is the
    bridge's A leg; holding the B leg leaves the A leg with no audio at all."""
    caller, agent = bridged_pair(sim, client)  # uuid_bridge caller agent: the caller is A
    assert client.api(f"uuid_hold {agent}") == "+OK Success\n"
    held = client.wait_event("CHANNEL_HOLD", Unique_ID=agent)
    assert (held["Event-Calling-Function"], held["Event-Calling-Line-Number"]) == ("switch_ivr_hold", "1558")
    assert sim.channel(agent).held and not sim.channel(caller).held
    assert not sim.channel(caller).hearing_music  # dead air for the caller
    assert client.api(f"uuid_hold off {agent}") == "+OK Success\n"
    resumed = client.wait_event("CHANNEL_UNHOLD", Unique_ID=agent)
    assert resumed["Event-Calling-Function"] == "switch_ivr_unhold"
    assert not sim.channel(agent).held

    assert client.api(f"uuid_hold {caller}") == "+OK Success\n"
    client.wait_event("CHANNEL_HOLD", Unique_ID=caller)
    assert sim.channel(agent).hearing_music and sim.channel(agent).files_played[-1] == "local_stream://moh"
    client.api(f"uuid_hold off {caller}")
    client.wait_event("CHANNEL_UNHOLD", Unique_ID=caller)
    assert not sim.channel(agent).hearing_music


def test_a_phone_holding_is_marked_on_its_channel_and_its_partner_hears_music(sim, client):
    caller, agent = bridged_pair(sim, client)
    sim.phone_hold(agent, True)  # the agent's phone sends a re-INVITE a=sendonly
    held = client.wait_event("CHANNEL_HOLD", Unique_ID=agent)
    assert (held["Event-Calling-Function"], held["Event-Calling-Line-Number"]) == \
        ("switch_channel_mark_hold", "875")
    assert sim.channel(caller).hearing_music
    sim.phone_hold(agent, False)
    client.wait_event("CHANNEL_UNHOLD", Unique_ID=agent)
    assert not sim.channel(caller).hearing_music


@pytest.mark.parametrize("held_leg, gap", [("caller", True), ("agent", False)])
def test_a_recording_skips_the_time_its_own_channel_is_held(sim, client, tmp_path, held_leg, gap):
    """Holding the recorded (caller's) leg leaves a gap in the file, as on the real switch
    (an 18.4 s file for a 24.6 s call with 6.2 s on hold); holding the partner does not."""
    caller, agent = bridged_pair(sim, client)
    path = tmp_path / f"hold-{held_leg}.wav"
    client.api(f"uuid_record {caller} start {path}")
    target = caller if held_leg == "caller" else agent
    time.sleep(0.02)
    client.api(f"uuid_hold {target}")
    time.sleep(0.3)
    client.api(f"uuid_hold off {target}")
    time.sleep(0.02)
    started = time.monotonic()
    client.api(f"uuid_record {caller} stop {path}")
    client.wait_event("RECORD_STOP", Unique_ID=caller)
    with wave.open(str(path)) as w:
        seconds = w.getnframes() / w.getframerate()
    held_seconds = 0.3 * sim.clock.speed
    if gap:
        assert seconds < held_seconds, seconds
    else:
        assert seconds >= held_seconds, seconds
    assert time.monotonic() - started < 5


def test_music_on_hold_plays_until_uuid_break(sim, client):
    uuid = parked_call(sim, client)
    event_uuid = client.sendmsg(uuid, "playback", "local_stream://moh")
    client.wait_event("PLAYBACK_START", Unique_ID=uuid)
    time.sleep(0.2)
    assert not any(f.event.get("Application-UUID") == event_uuid
                   and f.event["Event-Name"] == "CHANNEL_EXECUTE_COMPLETE" for f in client.events)
    assert client.api(f"uuid_break {uuid}") == "+OK\n"
    client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID=event_uuid)
    assert sim.channel(uuid).parked


def test_playback_lasts_the_wav_duration(sim, client, tmp_path):
    from callcenter.sim.media import write_wav
    sim.fast_media = False
    prompt = tmp_path / "prompt.wav"
    write_wav(str(prompt), 4.0)  # 4 s = 0.2 s real at speed 20
    uuid = parked_call(sim, client)
    started = time.monotonic()
    event_uuid = client.sendmsg(uuid, "playback", str(prompt))
    client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID=event_uuid)
    assert time.monotonic() - started >= 0.18


def test_uuid_transfer_to_an_extension_and_inline_park(sim, client):
    caller, agent = bridged_pair(sim, client)
    assert client.api(f"uuid_transfer {agent} -bleg 10001 XML public") == "+OK\n"
    client.wait_event("CHANNEL_EXECUTE", Unique_ID=caller, Application="set",
                      Application_Data="cc_service_line=billing")
    client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=agent)  # left alone in the bridge
    assert client.api(f"uuid_transfer {caller} 'park:' inline") == "+OK\n"
    assert sim.wait_until(lambda: sim.channel(caller).parked, 2)


def test_sched_transfer_fallback_unless_sched_del(sim, client, tmp_path):
    dp = tmp_path / "dialplans2"
    dp.mkdir()
    (dp / "p.xml").write_text("""<include><context name="public">
      <extension name="h"><condition field="destination_number" expression="^10000$">
        <action application="answer"/>
        <action application="sched_transfer" data="+8 cc_fallback XML cc_fallback"/>
        <action application="park"/></condition></extension></context>
      <context name="cc_fallback"><extension name="f"><condition field="destination_number" expression="^cc_fallback$">
        <action application="set" data="cc_entry=fallback"/>
        <action application="hangup" data="NORMAL_TEMPORARY_FAILURE"/></condition></extension></context></include>""")
    sim.dialplan_dir = str(dp)
    sim.reload_dialplans()
    taken = parked_call(sim, client)
    assert client.api(f"sched_del {taken}") == "+OK Deleted: 1\n"
    assert client.api(f"sched_del {taken}") == "+OK Deleted: 0\n"  # as FreeSWITCH: not an error
    abandoned = parked_call(sim, client)
    done = client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=abandoned)
    assert done["Hangup-Cause"] == "NORMAL_TEMPORARY_FAILURE" and done["variable_cc_entry"] == "fallback"
    assert sim.channel(taken).hangup_cause is None


def test_eavesdrop_listen_then_whisper_then_barge(sim, client):
    caller, agent = bridged_pair(sim, client)
    sim.register_phone("1010", "answer:0.1")
    reply = client.api(f"originate {{origination_uuid=sup-1}}user/1010 &eavesdrop({agent})")
    assert reply == "+OK sup-1\n"
    assert sim.wait_until(lambda: sim.channel("sup-1").eavesdrop_mode == "listen", 2)
    sim.press("sup-1", "2")
    assert sim.wait_until(lambda: sim.channel("sup-1").eavesdrop_mode == "whisper", 2)
    sim.press("sup-1", "3")
    assert sim.wait_until(lambda: sim.channel("sup-1").eavesdrop_mode == "barge", 2)
    sim.hangup_call(caller)
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", Unique_ID="sup-1", Application="eavesdrop")
    assert done["Application-Data"] == agent


def test_bridge_application_dials_a_phone(sim, client):
    sim.register_phone("1005", "answer:0.2 hangup:2")
    uuid = parked_call(sim, client)
    client.sendmsg(uuid, "bridge", "{cc_leg=agent}user/1005")
    bridge = client.wait_event("CHANNEL_BRIDGE", Unique_ID=uuid)
    b_leg = bridge["Bridge-B-Unique-ID"]
    assert sim.channel(b_leg).variables["cc_leg"] == "agent"
    done = client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=uuid)  # hangup_after_bridge
    assert done["Hangup-Cause"] == "NORMAL_CLEARING"


def test_variables_and_dump(sim, client):
    uuid = parked_call(sim, client)
    assert client.api(f"uuid_setvar {uuid} cc_state queued") == "+OK\n"
    assert client.api(f"uuid_getvar {uuid} cc_state") == "queued"
    assert client.api(f"uuid_getvar {uuid} nothing_here") == "_undef_"
    dump = json.loads(client.api(f"uuid_dump {uuid} json"))
    assert dump["variable_cc_state"] == "queued" and dump["Unique-ID"] == uuid
    plain = client.api(f"uuid_dump {uuid}")
    assert f"Unique-ID: {uuid}\n" in plain
    assert client.api("uuid_getvar no-such-uuid x") == "-ERR No such channel!\n"
    assert client.api(f"uuid_exists {uuid}") == "true"


def test_say_and_broadcast(sim, client):
    uuid = parked_call(sim, client)
    event_uuid = client.sendmsg(uuid, "say", "zh currency pronounced 12.50")
    client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID=event_uuid)
    assert client.api(f"uuid_broadcast {uuid} notice.wav aleg") == "+OK Message sent\n"
    assert sim.wait_until(lambda: "notice.wav" in sim.channel(uuid).files_played, 2)
    assert "say:zh:currency:pronounced:12.50" in sim.channel(uuid).files_played


def test_phone_unregister_event(sim, client):
    sim.register_phone("1011")
    sim.unregister_phone("1011")
    ev = client.wait_event("CUSTOM", Event_Subclass="sofia::unregister")
    assert ev["from-user"] == "1011"
    assert client.api("sofia_contact 1011") == "error/user_not_registered"
    assert client.api("show registrations") == "\n0 total.\n"


@pytest.mark.parametrize("bad", ["wait:x", "press:12Z", "jump:3", "hangup:3"])
def test_bad_caller_script_is_refused(sim, bad):
    from callcenter.sim import ScriptError
    with pytest.raises(ScriptError, match=bad.split(":")[0]):
        sim.place_call("1", "10000", bad)


def test_originate_into_the_dialplan_and_into_a_bridge(sim, client):
    sim.register_phone("1006", "answer:0.1")
    sim.register_phone("1007", "answer:0.1")
    reply = client.api("originate {origination_uuid=o-1}user/1006 10001 XML public")
    assert reply == "+OK o-1\n"
    park = client.wait_event("CHANNEL_PARK", Unique_ID="o-1")
    assert park["variable_cc_service_line"] == "billing"
    sim.register_phone("1009", "answer:0.1")
    assert client.api("originate {origination_uuid=o-2}user/1007 &bridge(user/1009)") == "+OK o-2\n"
    bridge = client.wait_event("CHANNEL_BRIDGE", Unique_ID="o-2")
    assert sim.channel(bridge["Bridge-B-Unique-ID"]).destination == "1009"


def test_transfer_out_of_a_bridge_application_does_not_hang_up(sim, client):
    sim.register_phone("1008", "answer:0.1")
    uuid = parked_call(sim, client)
    client.sendmsg(uuid, "bridge", "user/1008")
    b_leg = client.wait_event("CHANNEL_BRIDGE", Unique_ID=uuid)["Bridge-B-Unique-ID"]
    assert client.api(f"uuid_transfer {uuid} 10001 XML public") == "+OK\n"
    client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=b_leg)
    assert sim.wait_until(lambda: sim.channel(uuid).parked, 2)
    assert sim.channel(uuid).variables["cc_service_line"] == "billing"


def test_regex_mismatch_on_every_try_leaves_invalid_digits_and_transfers(sim, client):
    uuid = parked_call(sim, client, "wait:0.5 press:7 wait:1 press:8")
    done = run_pagd(client, uuid, r"1 1 2 20000 # menu.wav invalid.wav choice [1-3] 20000 10001 XML public")
    assert "variable_choice" not in done
    assert done["variable_choice_invalid"] == "8"
    assert sim.channel(uuid).files_played == ("menu.wav", "invalid.wav") * 2
    # transfer_on_failure: the call goes through the 10001 extension
    client.wait_event("CHANNEL_EXECUTE", Unique_ID=uuid, Application="set",
                      Application_Data="cc_service_line=billing")


def test_terminator_alone_with_min_zero_is_success(sim, client):
    uuid = parked_call(sim, client, "wait:0.5 press:#")
    done = run_pagd(client, uuid, r"0 4 3 20000 # menu.wav invalid.wav choice \d*")
    assert done["variable_read_terminator_used"] == "#"
    assert "variable_choice" not in done
    assert sim.channel(uuid).files_played == ("menu.wav",)
