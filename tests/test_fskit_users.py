"""`callcenter freeswitch users`: one directory file per active agent with an
extension, digest a1-hash only, readable by the kit as FreeSWITCH reads it."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from fskit_fixtures import kit  # noqa: F401

from callcenter import cli
from callcenter.freeswitch import SHIPPED_KIT
from callcenter.freeswitch.directory import MARKER, DirectorySync, write_directory
from callcenter.live.agents import AgentCard
from callcenter.freeswitch.preprocess import assemble
from callcenter.models import Agent, Role
from callcenter.security import hash_password, sip_a1_hash
from callcenter.seed import SIP_REALM


def add_agent(sessions, login, extension=None, password=None, active=True, name="Wang Fang", role=Role.AGENT):
    with sessions() as session:
        session.add(Agent(login=login, display_name=name, password_hash=hash_password("web-pass-1"),
                          role=role, sip_extension=extension, active=active,
                          sip_a1_hash=sip_a1_hash(extension, SIP_REALM, password) if password else None))
        session.commit()


def user_element(path):
    root = ET.parse(path).getroot()
    assert root.tag == "include"
    return root.find("user")


def test_one_file_per_active_agent_with_extension_and_password(sessions, tmp_path):
    add_agent(sessions, "wangf", "1001", "phone-secret-1")
    add_agent(sessions, "lil", "1002", "phone-secret-2", name="Li Lei")
    add_agent(sessions, "gone", "1003", "phone-secret-3", active=False)
    add_agent(sessions, "nophone", "1004", None)
    add_agent(sessions, "admin", None, None, role=Role.ADMIN)

    report = write_directory(sessions, tmp_path / "users")

    assert report.written == ["1001", "1002"]
    assert report.skipped == ["nophone: no SIP password set (sip_a1_hash is empty or not an md5 hex digest)"]
    assert sorted(p.name for p in (tmp_path / "users").iterdir()) == ["1001.xml", "1002.xml"]
    user = user_element(tmp_path / "users" / "1002.xml")
    assert user.get("id") == "1002"
    params = {p.get("name"): p.get("value") for p in user.iter("param")}
    assert params == {"a1-hash": sip_a1_hash("1002", "callcenter", "phone-secret-2")}
    variables = {v.get("name"): v.get("value") for v in user.iter("variable")}
    assert variables["cc_agent"] == "lil" and variables["effective_caller_id_name"] == "Li Lei"
    assert variables["user_context"] == "agents"
    assert "phone-secret-2" not in (tmp_path / "users" / "1002.xml").read_text()


def test_agents_who_left_lose_their_file_but_foreign_files_stay(sessions, tmp_path):
    output = tmp_path / "users"
    add_agent(sessions, "wangf", "1001", "phone-secret-1")
    add_agent(sessions, "lil", "1002", "phone-secret-2")
    write_directory(sessions, output)
    (output / "9000.xml").write_text("<include><user id=\"9000\"/></include>\n")
    with sessions() as session:
        session.query(Agent).filter_by(login="lil").one().active = False
        session.commit()

    report = write_directory(sessions, output)

    assert report.removed == ["1002.xml"]
    assert sorted(p.name for p in output.iterdir()) == ["1001.xml", "9000.xml"]
    assert (output / "1001.xml").read_text().splitlines()[0] == MARKER


def test_names_cannot_inject_pre_processor_commands(sessions, kit):
    name = 'Eve $${cc_esl_password} <X-PRE-PROCESS cmd="set" data="cc_esl_ip=0.0.0.0"/>'
    add_agent(sessions, "eve", "1005", "phone-secret-5", name=name)

    write_directory(sessions, kit / "directory" / "users")
    assembly = assemble(kit, environ={"CALLCENTER_ESL_PASSWORD": "very-secret"})

    assert assembly.problems == []
    users = [node for node in assembly.root.iter("user")]
    assert [u.get("id") for u in users] == ["1005"]
    caller_name = next(v for v in users[0].iter("variable") if v.get("name") == "effective_caller_id_name")
    assert caller_name.get("value") == name
    assert assembly.variables["cc_esl_ip"].value == "127.0.0.1"


def test_cli_writes_the_directory_from_the_configured_database(sessions, database_url, write_config,
                                                                tmp_path, capsys):
    add_agent(sessions, "wangf", "1001", "phone-secret-1")
    config = write_config(f"switch:\n  password: a-long-random-secret\ndatabase:\n  url: '{database_url}'\n")

    status = cli.main(["--config", str(config), "freeswitch", "users", "--output", str(tmp_path / "out")])

    assert status == 0
    assert "1 agent(s) written" in capsys.readouterr().out
    assert user_element(tmp_path / "out" / "1001.xml").get("id") == "1001"


def test_cli_writes_into_the_configured_deployed_kit_not_the_source_checkout(
        sessions, database_url, write_config, tmp_path, capsys):
    add_agent(sessions, "wangf", "1001", "phone-secret-1")
    deployed = tmp_path / "srv" / "freeswitch-conf" / "directory" / "users"
    config = write_config(f"switch:\n  password: a-long-random-secret\n  sip_directory: srv/freeswitch-conf/"
                          f"directory/users\ndatabase:\n  url: '{database_url}'\n")
    shipped = sorted((SHIPPED_KIT / "directory" / "users").glob("*.xml"))

    status = cli.main(["--config", str(config), "freeswitch", "users"])

    assert status == 0, capsys.readouterr().err
    assert user_element(deployed / "1001.xml").get("id") == "1001"  # relative to the configuration file
    assert sorted((SHIPPED_KIT / "directory" / "users").glob("*.xml")) == shipped


def test_cli_without_a_destination_says_where_to_write_and_writes_nothing(
        sessions, database_url, write_config, capsys):
    add_agent(sessions, "wangf", "1001", "phone-secret-1")
    shipped = sorted((SHIPPED_KIT / "directory" / "users").glob("*.xml"))
    config = write_config(f"switch:\n  password: a-long-random-secret\ndatabase:\n  url: '{database_url}'\n")

    status = cli.main(["--config", str(config), "freeswitch", "users"])

    assert status == 2
    error = capsys.readouterr().err
    assert f"{config}: switch.sip_directory is empty" in error and "--output" in error
    assert sorted((SHIPPED_KIT / "directory" / "users").glob("*.xml")) == shipped


def test_a_new_extension_drops_the_hash_made_for_the_old_one(sessions, tmp_path):
    add_agent(sessions, "wangf", "1001", "phone-secret-1")
    with sessions() as session:
        session.query(Agent).filter_by(login="wangf").one().sip_extension = "1009"  # by any path
        session.commit()

    report = write_directory(sessions, tmp_path / "users")

    assert report.written == [] and report.skipped == [
        "wangf: no SIP password set (sip_a1_hash is empty or not an md5 hex digest)"]


class FakeSwitch:
    def __init__(self, fail: int = 0):
        self.reloads, self.fail = 0, fail

    def reload_xml(self):
        if self.fail:
            self.fail -= 1
            raise ConnectionError("switch away")
        self.reloads += 1


def card(login, extension, password, name="Wang Fang"):
    return AgentCard(1, login, name, extension, "agent", {}, sip_a1_hash=sip_a1_hash(extension, SIP_REALM, password))


def test_the_engine_side_rewrites_and_reloads_only_when_an_account_changed(tmp_path):
    switch = FakeSwitch()
    sync = DirectorySync(tmp_path / "users", switch.reload_xml)
    cards = [card("wangf", "1001", "phone-secret-1"), card("lil", "1002", "phone-secret-2")]

    assert sync.apply(cards) is True
    assert sync.apply(list(cards)) is False  # nothing changed: no reload
    rotated = [cards[0], card("lil", "1002", "phone-secret-9")]
    assert sync.apply(rotated) is True
    renumbered = [card("wangf", "1011", "phone-secret-3"), rotated[1]]
    assert sync.apply(renumbered) is True

    assert switch.reloads == 3
    assert sorted(p.name for p in (tmp_path / "users").iterdir()) == ["1002.xml", "1011.xml"]
    params = {p.get("name"): p.get("value") for p in user_element(tmp_path / "users" / "1002.xml").iter("param")}
    assert params == {"a1-hash": sip_a1_hash("1002", "callcenter", "phone-secret-9")}


def test_a_reload_the_switch_refused_is_retried_at_the_next_apply(tmp_path):
    switch = FakeSwitch(fail=1)
    sync = DirectorySync(tmp_path / "users", switch.reload_xml)
    cards = [card("wangf", "1001", "phone-secret-1")]

    with pytest.raises(ConnectionError):
        sync.apply(cards)
    assert (tmp_path / "users" / "1001.xml").exists() and switch.reloads == 0
    assert sync.apply(cards) is True and switch.reloads == 1


def test_a_change_of_one_phone_among_many_rewrites_that_file_alone(tmp_path):
    output = tmp_path / "users"
    cards = [card(f"agent{n}", str(1001 + n), f"phone-secret-{n}") for n in range(5)]
    sync = DirectorySync(output, FakeSwitch().reload_xml)
    sync.apply(cards)
    inodes = {p.name: p.stat().st_ino for p in output.iterdir()}  # a rewrite replaces the file

    sync.apply(cards[:2] + [card("agent2", "1003", "rotated-secret")] + cards[3:])

    assert {p.name for p in output.iterdir() if p.stat().st_ino != inodes[p.name]} == {"1003.xml"}
    again = DirectorySync(output, FakeSwitch().reload_xml)  # a restarted engine: compares, writes nothing
    again.apply(cards[:2] + [card("agent2", "1003", "rotated-secret")] + cards[3:])
    assert {p.name for p in output.iterdir() if p.stat().st_ino != inodes[p.name]} == {"1003.xml"}
