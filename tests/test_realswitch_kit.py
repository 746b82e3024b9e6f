"""The FreeSWITCH kit on a real FreeSWITCH: it starts with every module, the
engine's ESL client connects, SIPp callers to the hotline are parked with the
entry variables, the fallback plays when no engine takes a call, agents'
phones must authenticate, and the carrier side cannot call out.

Skipped (with the reason) when no FreeSWITCH binary is found (PATH or
$FREESWITCH_BIN) or SIPp is missing."""
from __future__ import annotations

import socket
import wave

import gevent
import pytest
from gevent.queue import Empty, Queue

from callcenter import cli
from callcenter.esl import SwitchConnection
from callcenter.esl.events import ApplicationStarted, ChannelCreated, ChannelHungUp, ChannelParked
from callcenter.freeswitch.directory import DirectoryUser, render_user, write_directory
from callcenter.freeswitch.kit import check_kit
from callcenter.models import Agent
from callcenter.security import hash_password, sip_a1_hash
from callcenter.seed import SIP_REALM
from realswitch import (MODULES, AgentPhone, RealSwitch, caller_scenario, refused_call_scenario, register_scenario,
                        sipp, skip_without_freeswitch, skip_without_sipp)

pytestmark = [pytest.mark.realswitch, skip_without_freeswitch, skip_without_sipp]

PARK_TIMEOUT = 3
AGENT_PASSWORD = "agent-1001-phone-pass"


@pytest.fixture(scope="module")
def switch(tmp_path_factory):
    real = RealSwitch(tmp_path_factory.mktemp("freeswitch"), park_timeout=PARK_TIMEOUT)
    conf = real.prepare()
    user = DirectoryUser("1001", sip_a1_hash("1001", "callcenter", AGENT_PASSWORD), "wangf", "Wang Fang")
    (real.users_dir / "1001.xml").write_text(render_user(user))
    write_tone_wav(real.prompts_dir / "zh" / "engine_unavailable.wav", seconds=1.0)
    write_tone_wav(real.prompts_dir / "moh" / "hold.wav", seconds=2.0)
    assert conf.is_dir()
    real.start()
    yield real
    real.stop()


@pytest.fixture
def events(switch):
    """The project's ESL client on the switch; every typed event lands in the returned queue."""
    queue: Queue = Queue()
    connection = SwitchConnection("127.0.0.1", switch.ports.esl, switch.password, api_timeout=5,
                                  connect_timeout=5, on_event=queue.put)
    connection.start()
    assert connection.wait_connected(10), "the ESL client did not connect"
    # the engine's subscription (SUBSCRIBED) has no CHANNEL_CREATE / CHANNEL_EXECUTE: these
    # tests watch the switch's own behaviour, so they add them on this connection
    reply = connection.command("event plain CHANNEL_CREATE CHANNEL_EXECUTE")
    assert reply.ok, reply.text
    for name in ("CHANNEL_CREATE", "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE"):  # past the
        reply = connection.command(f"filter Event-Name {name}")  # engine's filters
        assert reply.ok, reply.text
    yield queue
    connection.stop()


def write_tone_wav(path, seconds: float) -> None:
    """A real 8 kHz mono 16-bit WAV (a 440 Hz tone), as the prompt renderer writes them."""
    import math
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = b"".join(int(8000 * math.sin(2 * math.pi * 440 * i / 8000)).to_bytes(2, "little", signed=True)
                      for i in range(int(8000 * seconds)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(frames)


def next_event(queue: Queue, kind, timeout: float, where=lambda event: True):
    """The next event of that type (and matching `where`) within timeout, else None."""
    deadline = gevent.get_hub().loop.now() + timeout
    while True:
        remaining = deadline - gevent.get_hub().loop.now()
        if remaining <= 0:
            return None
        try:
            event = queue.get(timeout=remaining)
        except Empty:
            return None
        if isinstance(event, kind) and where(event):
            return event


def public(switch) -> str:
    return f"127.0.0.1:{switch.ports.public_sip}"


def test_switch_runs_on_the_kit_with_every_module(switch):
    for module in MODULES:
        assert switch.api(f"module_exists {module}").strip() == "true", module
    profiles = switch.api("sofia status")
    assert "agents" in profiles and "public" in profiles and profiles.count("RUNNING") >= 2
    assert switch.api("global_getvar cc_esl_port").strip() == str(switch.ports.esl)
    assert "Challenge Realm  \tcallcenter" in switch.api("sofia status profile agents")
    moh = switch.api("local_stream show moh")
    assert f"location: {switch.prompts_dir / 'moh'}" in moh and "ready:    true" in moh


def test_the_kit_the_switch_runs_on_passes_the_checker(switch, write_config, monkeypatch, capsys):
    report = check_kit(switch.conf_dir, engine_port=switch.ports.esl,
                       environ={"CALLCENTER_ESL_PASSWORD": switch.password})
    assert report.ok, "\n".join(p.describe() for p in report.problems)

    monkeypatch.setenv("CALLCENTER_ESL_PASSWORD", switch.password)
    config = write_config(switch.engine_config())
    assert cli.main(["--config", str(config), "freeswitch", "check", "--kit", str(switch.conf_dir)]) == 0
    assert f"event socket port {switch.ports.esl} (engine: {switch.ports.esl})" in capsys.readouterr().out


def test_event_socket_refuses_the_default_password_and_listens_on_loopback_only(switch):
    with socket.create_connection(("127.0.0.1", switch.ports.esl), timeout=5) as sock:
        assert b"auth/request" in sock.recv(1024)
        sock.sendall(b"auth ClueCon\n\n")
        assert b"-ERR invalid" in sock.recv(1024)
    assert f"127.0.0.1:{switch.ports.esl}" in switch.api("global_getvar cc_esl_ip") + ":" + \
        switch.api("global_getvar cc_esl_port").strip()


def test_without_a_configured_password_nobody_can_use_the_event_socket(tmp_path):
    forgotten = RealSwitch(tmp_path / "nopassword", give_password=False)
    forgotten.start()
    try:
        for attempt in (b"auth ClueCon\n\n", b"auth \n\n", b"auth change-me\n\n"):
            with socket.create_connection(("127.0.0.1", forgotten.ports.esl), timeout=5) as sock:
                assert b"auth/request" in sock.recv(1024)
                sock.sendall(attempt)
                assert b"-ERR invalid" in sock.recv(1024), attempt
    finally:
        forgotten.stop()


def test_hotline_call_is_parked_with_the_entry_variables_and_stays_when_the_engine_takes_it(switch, events,
                                                                                              tmp_path):
    caller = gevent.spawn(sipp, tmp_path, caller_scenario(hold_ms=PARK_TIMEOUT * 1000 + 3000),
                          public(switch), service="10001")

    parked = next_event(events, ChannelParked, 15)
    assert parked is not None, "no CHANNEL_PARK for the hotline call"
    assert (parked.destination, parked.variable("cc_hotline"), parked.variable("cc_entry"),
            parked.variable("cc_service_line")) == ("10001", "10001", "hotline", "billing")
    # The engine takes the call: it cancels the scheduled fallback, then plays music on hold.
    assert switch.api(f"sched_del {parked.uuid}").strip() == "+OK Deleted: 1"
    assert switch.api(f"uuid_broadcast {parked.uuid} local_stream://moh aleg").startswith("+OK")
    music = next_event(events, ApplicationStarted, 5, where=lambda e: e.uuid == parked.uuid)
    assert (music.application, music.argument) == ("playback", "local_stream://moh")
    fallback = next_event(events, ApplicationStarted, PARK_TIMEOUT + 1,
                          where=lambda e: e.uuid == parked.uuid and "engine_unavailable" in e.argument)
    assert fallback is None, "the fallback played although the engine had taken the call"
    hangup = next_event(events, ChannelHungUp, 10, where=lambda e: e.uuid == parked.uuid)
    assert hangup is not None and hangup.cause == "NORMAL_CLEARING"  # the caller hung up
    assert caller.get(timeout=30).returncode == 0


def test_fallback_apology_plays_when_no_engine_takes_the_call(switch, events, tmp_path):
    caller = gevent.spawn(sipp, tmp_path, caller_scenario(hold_ms=20000), public(switch), service="10000")

    parked = next_event(events, ChannelParked, 15)
    assert parked is not None and parked.variable("cc_hotline") == "10000"
    apology = next_event(events, ApplicationStarted, PARK_TIMEOUT + 5,
                         where=lambda e: e.uuid == parked.uuid and e.application == "playback")
    assert apology is not None, "no fallback after the park timeout"
    assert apology.argument == str(switch.prompts_dir / "zh" / "engine_unavailable.wav")
    assert apology.variable("cc_entry") == "fallback"
    hangup = next_event(events, ChannelHungUp, 10, where=lambda e: e.uuid == parked.uuid)
    assert hangup is not None and hangup.cause == "NORMAL_TEMPORARY_FAILURE"
    result = caller.get(timeout=30)
    assert result.returncode == 0, result.output  # the caller received the switch's BYE


def test_agent_register_is_challenged_and_a_wrong_password_refused(switch, tmp_path):
    agents = f"127.0.0.1:{switch.ports.agents_sip}"

    wrong = sipp(tmp_path, register_scenario(403), agents, service="1001",
                 credentials=("1001", "not-the-password"))
    assert wrong.returncode == 0, wrong.output
    assert wrong.responses() == [401, 403]

    right = sipp(tmp_path, register_scenario(200), agents, service="1001", credentials=("1001", AGENT_PASSWORD))
    assert right.returncode == 0, right.output
    assert right.responses() == [401, 200]
    assert "1001@callcenter" in switch.api("sofia status profile agents reg")


def test_agents_from_the_database_register_after_users_and_reloadxml(switch, sessions, tmp_path):
    tricky = 'Zhao $${cc_esl_password} <X-PRE-PROCESS cmd="set" data="cc_esl_ip=0.0.0.0"/>'
    with sessions() as session:
        session.add_all([
            # the agent the module's fixture wrote by hand, so that the directory stays the same for other tests
            Agent(login="wangf", display_name="Wang Fang", password_hash=hash_password("web-pass-0"),
                  sip_extension="1001", sip_a1_hash=sip_a1_hash("1001", SIP_REALM, AGENT_PASSWORD)),
            Agent(login="zhaol", display_name=tricky, password_hash=hash_password("web-pass-1"),
                  sip_extension="1007", sip_a1_hash=sip_a1_hash("1007", SIP_REALM, "phone-1007")),
            Agent(login="sunq", display_name="Sun Qiang", password_hash=hash_password("web-pass-2"),
                  sip_extension="1008", sip_a1_hash=sip_a1_hash("1008", SIP_REALM, "phone-1008"),
                  active=False)])
        session.commit()

    report = write_directory(sessions, switch.users_dir)
    assert report.written == ["1001", "1007"] and report.removed == []
    assert "+OK" in switch.api("reloadxml")

    agents = f"127.0.0.1:{switch.ports.agents_sip}"
    ok = sipp(tmp_path, register_scenario(200), agents, service="1007", credentials=("1007", "phone-1007"))
    assert ok.responses() == [401, 200], ok.output
    inactive = sipp(tmp_path, register_scenario(403), agents, service="1008", credentials=("1008", "phone-1008"))
    assert inactive.responses() == [401, 403], inactive.output
    # the name reached FreeSWITCH literally: no variable expanded, no pre-processor command run
    assert switch.api("user_data 1007@callcenter var effective_caller_id_name").strip() == tricky
    assert switch.api("global_getvar cc_esl_ip").strip() == "127.0.0.1"


def test_registered_agent_phone_is_reached_as_user_extension(switch, events, tmp_path):
    phone = AgentPhone(tmp_path, switch, "1001", AGENT_PASSWORD).start()
    try:
        reply = switch.api("originate {origination_caller_id_number=10000,originate_timeout=10}"
                           "user/1001 &park()", timeout=15)
        assert reply.startswith("+OK "), reply
        uuid = reply.split()[1]
        answered = next_event(events, ChannelParked, 5, where=lambda e: e.uuid == uuid)
        assert answered is not None and answered.direction == "outbound"
        assert switch.api(f"uuid_kill {uuid}").startswith("+OK")
        assert phone.answered_calls() == 1
    finally:
        phone.stop()


def test_unauthenticated_call_to_the_agents_profile_is_challenged(switch, tmp_path):
    result = sipp(tmp_path, refused_call_scenario(407), f"127.0.0.1:{switch.ports.agents_sip}", service="1001")
    assert result.returncode == 0, result.output
    assert 407 in result.responses()


def test_carrier_call_to_an_external_number_is_refused(switch, events, tmp_path):
    result = sipp(tmp_path, refused_call_scenario(404), public(switch), service="8613900000000")

    assert result.returncode == 0, result.output
    assert 404 in result.responses()
    outbound = next_event(events, ChannelCreated, 1, where=lambda e: e.direction == "outbound")
    assert outbound is None, f"a call was placed: {outbound}"


def test_call_from_an_address_outside_the_carrier_acl_is_forbidden(switch, tmp_path):
    result = sipp(tmp_path, refused_call_scenario(403), public(switch), service="10000", local_ip="127.0.0.3")
    assert result.returncode == 0, result.output
    assert 403 in result.responses()
