"""Restarts, dropped connections, many clients, fault injection, and the
real greenswitch client against the simulator."""
import socket

import gevent
import pytest

from callcenter.sim import Simulator
from sim_fixtures import PASSWORD, EslClient, client, dialplan_dir, no_reply, sim  # noqa: F401


def test_wrong_password_is_refused_and_disconnected(sim):
    c = EslClient(sim.port, auth=False)
    reply = c.command("auth not-the-password")
    assert reply.headers["Reply-Text"] == "-ERR invalid"
    assert c.closed.wait(2)
    c.close()


def test_default_password_is_refused():
    with pytest.raises(ValueError, match="ClueCon"):
        Simulator("ClueCon")


def test_commands_before_auth_are_refused(sim):
    c = EslClient(sim.port, auth=False)
    assert c.command("api status").headers["Reply-Text"] == "-ERR command not found"
    c.close()


def test_client_disconnect_leaves_calls_alone(sim, client):
    uuid = sim.place_call("13800000001", "10000")
    client.wait_event("CHANNEL_PARK", Unique_ID=uuid)
    client.close()
    gevent.sleep(0.1)
    assert sim.channel(uuid).parked and not sim.channel(uuid).gone
    other = EslClient(sim.port)
    assert other.api(f"uuid_exists {uuid}") == "true"
    other.close()


def test_drop_connections_keeps_calls(sim, client):
    uuid = sim.place_call("13800000001", "10000")
    client.wait_event("CHANNEL_PARK", Unique_ID=uuid)
    sim.drop_connections()
    assert client.closed.wait(2)
    again = EslClient(sim.port)
    assert uuid in again.api("show channels")
    again.close()


def test_restart_loses_channels_and_reuses_the_port(sim, client):
    uuid = sim.place_call("13800000001", "10000")
    client.wait_event("CHANNEL_PARK", Unique_ID=uuid)
    port = sim.port
    sim.stop()
    assert client.closed.wait(2)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=0.5).recv(1)
    assert sim.start() == port
    again = EslClient(port)
    assert again.api("show channels") == "\n0 total.\n"
    assert again.api(f"uuid_exists {uuid}") == "false"
    again.close()


def test_restart_keeping_channels(sim, client):
    uuid = sim.place_call("13800000001", "10000")
    client.wait_event("CHANNEL_PARK", Unique_ID=uuid)
    sim.stop(keep_channels=True)
    sim.start()
    again = EslClient(sim.port)
    assert again.api(f"uuid_exists {uuid}") == "true"
    again.close()


def test_many_clients_get_the_same_events(sim):
    clients = [EslClient(sim.port) for _ in range(12)]
    for c in clients:
        c.command("event plain CHANNEL_PARK")
    uuid = sim.place_call("13800000001", "10000")
    for c in clients:
        c.wait_event("CHANNEL_PARK", Unique_ID=uuid)
        assert c.names() == ["CHANNEL_PARK"]
    jobs = [gevent.spawn(c.api, "status") for c in clients]
    gevent.joinall(jobs, timeout=3)
    assert all(j.value.startswith("UP ") for j in jobs)
    for c in clients:
        c.close()


def test_noevents_nixevent_and_filter(sim, client):
    assert client.command("noevents").headers["Reply-Text"] == "+OK no longer listening for events"
    assert client.command("event plain CHANNEL_PARK CHANNEL_CREATE").headers["Reply-Text"].startswith("+OK")
    assert client.command("nixevent CHANNEL_CREATE").headers["Reply-Text"] == "+OK events nixed"
    first = sim.place_call("111", "10000")
    client.wait_event("CHANNEL_PARK", Unique_ID=first)
    reply = client.command("filter Caller-Caller-ID-Number 222")
    assert reply.headers["Reply-Text"] == "+OK filter added. [Caller-Caller-ID-Number]=[222]"
    sim.place_call("111", "10000")
    second = sim.place_call("222", "10000")
    client.wait_event("CHANNEL_PARK", Unique_ID=second)
    gevent.sleep(0.1)
    assert client.names() == ["CHANNEL_PARK", "CHANNEL_PARK"]


def test_sendmsg_hangup_and_unknown_session(sim, client):
    uuid = sim.place_call("13800000001", "10000")
    client.wait_event("CHANNEL_PARK", Unique_ID=uuid)
    reply = client.command(f"sendmsg {uuid}\ncall-command: hangup\nhangup-cause: USER_BUSY")
    assert reply.headers["Reply-Text"] == "+OK"
    assert client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=uuid)["Hangup-Cause"] == "USER_BUSY"
    reply = client.command(f"sendmsg {uuid}\ncall-command: execute\nexecute-app-name: answer")
    assert reply.headers["Reply-Text"] == f"-ERR invalid session id [{uuid}]"


def test_linger_and_heartbeat(dialplan_dir):
    s = Simulator(PASSWORD, speed=100.0, dialplan_dir=dialplan_dir, heartbeat_interval=5)
    s.start()
    try:
        c = EslClient(s.port)
        assert c.command("linger").headers["Reply-Text"] == "+OK will linger"
        c.command("event plain HEARTBEAT")
        beat = c.wait_event("HEARTBEAT", timeout=2)
        assert beat["Event-Info"] == "System Ready"
        c.close()
    finally:
        s.close()


@pytest.mark.parametrize("kind", ["bad_content_length", "missing_content_length", "truncated_body",
                                  "non_utf8", "header_without_colon"])
def test_fault_frames_reach_the_client(sim, kind):
    from callcenter.sim import wire
    raw = socket.create_connection(("127.0.0.1", sim.port), timeout=2)
    raw.sendall(f"auth {PASSWORD}\n\n".encode())
    got = b""
    while b"+OK accepted" not in got:
        got += raw.recv(4096)
    sim.inject_fault(kind)
    expected = wire.FAULTS[kind]
    data = b""
    raw.settimeout(2)
    while len(data) < len(expected):
        chunk = raw.recv(4096)
        if not chunk:
            break
        data += chunk
    assert data == expected
    raw.close()


def test_unknown_fault_is_an_error(sim):
    with pytest.raises(ValueError, match="unknown fault"):
        sim.inject_fault("nonsense")


def test_unresponsive_switch_answers_nothing(sim, client):
    sim.set_unresponsive(True)
    client.send("api status")
    assert no_reply(client, 0.3)
    sim.set_unresponsive(False)
    assert client.api("status").startswith("UP ")


def test_greenswitch_client_works_against_the_simulator(sim):
    from greenswitch.esl import InboundESL
    esl = InboundESL("127.0.0.1", sim.port, PASSWORD, timeout=3)
    esl.connect()
    parked, jobs, regs = [], [], []
    esl.register_handle("CHANNEL_PARK", lambda e: parked.append(e.headers["Unique-ID"]))
    esl.register_handle("BACKGROUND_JOB", lambda e: jobs.append(e.headers))
    esl.register_handle("sofia::register", lambda e: regs.append(e.headers["from-user"]))
    reply = esl.send("event plain CHANNEL_PARK BACKGROUND_JOB CUSTOM sofia::register")
    assert reply.data == "+OK event listener enabled plain"
    assert esl.send("api uuid_exists nothing").data == "false"
    uuid = sim.place_call("13800000001", "10000")
    sim.register_phone("1001", "answer:0.1")
    assert sim.wait_until(lambda: uuid in parked and regs == ["1001"], 3)
    esl.send("bgapi originate {origination_uuid=gs-1}user/1001 &park()")
    assert sim.wait_until(lambda: "gs-1" in parked and jobs, 3)
    # greenswitch glues the job result onto Content-Length (a known quirk)
    assert "+OK gs-1" in jobs[0]["Content-Length"]
    esl.stop()


def test_myevents_with_linger_gets_the_linger_notice(sim):
    uuid = sim.place_call("13800000001", "10000")
    assert sim.wait_until(lambda: sim.channel(uuid).parked, 2)
    c = EslClient(sim.port)
    assert c.command("linger").headers["Reply-Text"] == "+OK will linger"
    assert c.command(f"myevents {uuid}").headers["Reply-Text"] == "+OK Events Enabled"
    other = sim.place_call("13800000002", "10000")
    sim.hangup_call(uuid)
    notice = c.replies.get(timeout=2)
    assert notice.content_type == "text/disconnect-notice"
    assert notice.headers["Content-Disposition"] == "linger"
    assert notice.headers["Content-Length"] == "0" and notice.headers["Controlled-Session-UUID"] == uuid
    assert c.names()[-1] == "CHANNEL_HANGUP_COMPLETE"
    assert {f.event["Unique-ID"] for f in c.events} == {uuid}
    assert not c.closed.wait(0.1)  # lingering: the connection stays
    assert c.names()[-1] == "CHANNEL_HANGUP_COMPLETE"  # nothing after the notice
    assert sim.channel(other) is not None
    c.close()


def test_registration_expiry_event(sim, client):
    sim.register_phone("1004")
    sim.expire_phone("1004")
    ev = client.wait_event("CUSTOM", Event_Subclass="sofia::expire")
    assert ev["user"] == "1004" and ev["profile-name"] == "internal"
    assert client.api("sofia_contact 1004") == "error/user_not_registered"
