"""Pure parts of the simulator: scripts, dialplan matching, wire framing."""
import pytest

from callcenter.sim import CallerScript, PhoneBehaviour, ScriptError, wire
from callcenter.sim.api import parse_dial_string
from callcenter.sim.dialplan import DialplanError, parse_dialplan, route
from callcenter.sim.media import ENDLESS, prompt_seconds, write_wav
from sim_fixtures import dialplan_dir, parse_event_body, sim  # noqa: F401


def test_caller_script_steps():
    script = CallerScript.parse("wait:1.5 press:1 wait:3 press:123456# wait:40 hangup")
    assert [(s.kind, s.seconds, s.digits) for s in script.steps] == [
        ("wait", 1.5, ""), ("press", 0.0, "1"), ("wait", 3.0, ""), ("press", 0.0, "123456#"),
        ("wait", 40.0, ""), ("hangup", 0.0, "")]
    assert CallerScript.parse("").steps == ()


def test_a_caller_script_can_wait_for_the_agent_then_hang_up_at_once():
    script = CallerScript.parse("press:0 until:bridged hangup")
    assert [s.kind for s in script.steps] == ["press", "until_bridged", "hangup"]
    with pytest.raises(ScriptError, match="until:bridged"):
        CallerScript.parse("until:answered")


@pytest.mark.parametrize("text, answer_after, reject, after", [
    ("answer:1", 1.0, None, ()),
    ("reject", None, "CALL_REJECTED", ()),
    ("busy", None, "USER_BUSY", ()),
    ("ring", None, None, ()),
    ("answer:2 hangup:30", 2.0, None, (("wait", 30.0), ("hangup", 0.0))),
])
def test_phone_behaviours(text, answer_after, reject, after):
    b = PhoneBehaviour.parse(text)
    assert (b.answer_after, b.reject) == (answer_after, reject)
    assert tuple((s.kind, s.seconds) for s in b.after_answer.steps) == after


@pytest.mark.parametrize("text", ["answer:soon", "pickup", "ring:3", "answer:-1"])
def test_bad_phone_behaviour_names_the_step(text):
    with pytest.raises(ScriptError, match="phone 1001"):
        PhoneBehaviour.parse(text, "phone 1001")


DIALPLAN = """<include>
  <context name="public">
    <extension name="hotline"><condition field="destination_number" expression="^(1000[0-3])$">
      <action application="set" data="cc_hotline=$1"/>
      <action application="playback" data="$${prompts}/hello.wav"/>
      <action application="park"/></condition></extension>
    <extension name="other"><condition field="destination_number" expression="^.*$">
      <action application="hangup" data="UNALLOCATED_NUMBER"/></condition></extension>
  </context>
  <context name="agents">
    <extension name="desk"><condition field="destination_number" expression="^(1\\d{3})$">
      <action application="bridge" data="user/$1"/></condition></extension>
  </context>
</include>"""


def test_dialplan_route_by_context_with_captures_and_globals():
    exts = parse_dialplan(DIALPLAN, "test.xml")
    assert route(exts, "10002", "public", {"prompts": "/p"}) == [
        ("set", "cc_hotline=10002"), ("playback", "/p/hello.wav"), ("park", "")]
    assert route(exts, "1001", "public") == [("hangup", "UNALLOCATED_NUMBER")]
    assert route(exts, "1001", "agents") == [("bridge", "user/1001")]
    assert route(exts, "99", "agents") is None


def test_bad_dialplan_is_reported_with_its_file():
    with pytest.raises(DialplanError, match="bad.xml"):
        parse_dialplan("<include><extension>", "bad.xml")
    with pytest.raises(DialplanError, match="bad expression"):
        parse_dialplan('<include><extension name="x"><condition field="destination_number" '
                       'expression="^(1"/></extension></include>', "bad.xml")


def test_dial_string_variables_and_endpoint():
    variables, endpoint = parse_dial_string("{origination_uuid=abc,cc_call_id=7}[cc_leg=agent]user/1001,user/1002")
    assert variables == {"origination_uuid": "abc", "cc_call_id": "7", "cc_leg": "agent"}
    assert endpoint == "user/1001"
    with pytest.raises(ValueError, match="unterminated"):
        parse_dial_string("{a=1 user/1001")


def test_plain_event_framing_and_url_encoding():
    frame = wire.plain_event([("Event-Name", "BACKGROUND_JOB"), ("Job-Command-Arg", "{a=b}user/1001 &park()")],
                             body="+OK abc\n")
    head, _, body = frame.partition(b"\n\n")
    assert head == b"Content-Length: %d\nContent-Type: text/event-plain" % len(body)
    headers, inner = parse_event_body(body)
    assert headers["Job-Command-Arg"] == "{a=b}user/1001 &park()"
    assert b"Job-Command-Arg: %7Ba%3Db%7Duser/1001%20%26park()" in body
    assert inner == "+OK abc\n"


def test_replies_match_the_transcripts_bytes():
    assert wire.command_reply("+OK accepted") == b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n"
    assert wire.api_response("false") == b"Content-Type: api/response\nContent-Length: 5\n\nfalse"
    assert wire.disconnect_notice({"Content-Disposition": "linger"}).endswith(b"Content-Length: 0\n\n")


def test_prompt_durations(tmp_path):
    path = tmp_path / "p.wav"
    write_wav(str(path), 1.25)
    assert prompt_seconds(str(path), 9.0) == pytest.approx(1.25)
    assert prompt_seconds("silence_stream://500", 9.0) == 0.5
    assert prompt_seconds("local_stream://moh", 9.0) == ENDLESS
    assert prompt_seconds("tone_stream://%(2000,4000,440)", 9.0) == ENDLESS
    assert prompt_seconds("missing.wav", 9.0) == 9.0


def test_traffic_places_scripted_calls(sim):
    from callcenter.sim.traffic import Traffic
    traffic = Traffic(sim, ("10000",), calls_per_minute=600, seed=7)
    first = traffic.place_one()
    assert sim.channel(first).destination == "10000"
    traffic.start()
    assert sim.wait_until(lambda: len(traffic.placed) >= 3, 3)
    traffic.stop()
    with pytest.raises(ValueError, match="calls_per_minute"):
        Traffic(sim, calls_per_minute=0)
