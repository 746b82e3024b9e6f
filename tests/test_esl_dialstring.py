"""Nothing a caller or a form types can inject a second command or application."""
import pytest

from callcenter.esl import dialstring as ds
from callcenter.esl.dialstring import DialString, Endpoint
from callcenter.esl.errors import InvalidArgument

UUID = "03f5df1c-bb4c-4c60-a03e-8f8c44b9d40b"
NEWLINE_ATTACKS = ["x\napi uuid_kill " + UUID, "x\r\nbgapi originate user/1 &park()", "x\0y",
                   "1001\n\nsendmsg " + UUID]


@pytest.mark.parametrize("attack", NEWLINE_ATTACKS)
def test_control_characters_are_refused_everywhere(attack):
    for check in (lambda: ds.no_control("v", attack), lambda: ds.var_value(attack),
                  lambda: ds.word(attack, "file"), lambda: Endpoint.user(attack),
                  lambda: ds.uuid(attack), lambda: ds.app_suffix("park", attack)):
        with pytest.raises(InvalidArgument):
            check()


@pytest.mark.parametrize("attack", [UUID + " all", UUID + ";x", "../etc", "", "0" * 36,
                                    UUID.upper() + "\n", "03f5df1c bb4c 4c60 a03e 8f8c44b9d40b"])
def test_uuid_charset(attack):
    with pytest.raises(InvalidArgument):
        ds.uuid(attack)


def test_uuid_accepts_real_uuids():
    assert ds.uuid(UUID) == UUID and ds.uuid(UUID.upper()) == UUID.upper()


@pytest.mark.parametrize("value,rendered", [
    ("plain", "plain"),
    ("Zhang San", "'Zhang San'"),
    ("a,cc_agent=evil", "a\\,cc_agent=evil"),
    ("Li Wei, Jr", "'Li Wei\\, Jr'"),
    ("a=b", "a=b"),
    (42, "42"),
    ("", ""),
])
def test_variable_values_are_escaped(value, rendered):
    assert ds.var_value(value) == rendered


@pytest.mark.parametrize("attack", ["x}sofia/gateway/evil/1", "{x=1}", "a]b", "<sip:evil>",
                                    "O'Brien", 'say "hi"', "back\\slash", "^^:x", "a\tb"])
def test_values_that_cannot_be_escaped_are_refused(attack):
    with pytest.raises(InvalidArgument):
        ds.var_value(attack)


def test_dial_string_from_typed_parts():
    dial = DialString(Endpoint.user("1001"), {"origination_uuid": UUID, "cc_agent": "1001",
                                              "origination_caller_id_name": "Li, Wei"})
    assert dial.render() == ("{origination_uuid=" + UUID + ",cc_agent=1001,"
                             "origination_caller_id_name='Li\\, Wei'}user/1001")
    assert Endpoint.gateway("carrier", "+8613800000001").text == "sofia/gateway/carrier/+8613800000001"


@pytest.mark.parametrize("attack", ["1001 &hangup()", "1001/../x", "1001,x", "1001}"])
def test_endpoint_parts_are_tokens(attack):
    with pytest.raises(InvalidArgument):
        Endpoint.user(attack)


@pytest.mark.parametrize("name", ["cc agent", "a=b", "x,y", "", "1abc", "a}b"])
def test_variable_names(name):
    with pytest.raises(InvalidArgument):
        DialString(Endpoint.user("1001"), {name: "v"}).render()


@pytest.mark.parametrize("app", ["system", "bgsystem", "lua", "python", "spy\n", "Playback"])
def test_only_known_applications(app):
    with pytest.raises(InvalidArgument):
        ds.application(app)


@pytest.mark.parametrize("arg", [UUID + ") &hangup(", "a b", "x(y"])
def test_originate_app_argument_cannot_close_the_parenthesis(arg):
    with pytest.raises(InvalidArgument):
        ds.app_suffix("eavesdrop", arg)


def test_hangup_cause_and_words():
    assert ds.cause("USER_BUSY") == "USER_BUSY"
    for bad in ("NORMAL_CLEARING\napi x", "user_busy", "X Y"):
        with pytest.raises(InvalidArgument):
            ds.cause(bad)
    with pytest.raises(InvalidArgument):
        ds.word("/tmp/a.wav both", "file")


def test_setvar_values_refuse_quotes_and_backslashes():
    assert ds.api_value("two words") == "two words"
    for bad in ("it's", 'a"b', "a\\b", "x\napi uuid_kill " + UUID):
        with pytest.raises(InvalidArgument):
            ds.api_value(bad)
