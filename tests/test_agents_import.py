"""Bulk agent import: the roster's rules table-driven, then written to a real database
and run as an operator runs it (`callcenter agents import FILE.csv`)."""
import textwrap

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from callcenter.agent_import import (AgentRow, KnownAgent, Roster, apply_rows, hash_credentials,
                                     load_roster, parse_roster)
from callcenter.cli import main
from callcenter.db import transaction
from callcenter.models import Agent, AgentSkill, AuditLog, Role, Skill
from callcenter.security import sip_a1_hash, verify_password

HEADER = "login,name,extension,role,password,skills,language\n"
# agent01 has extension 1001 and a SIP password; lead1 has neither.
ROSTER = Roster({"agent01": KnownAgent("1001", True), "agent02": KnownAgent("1002", True),
                 "lead1": KnownAgent(None, False)},
                frozenset({"billing", "complaints", "general"}))


def problems(csv_text, roster=ROSTER):
    return [(p.line, p.field, p.reason) for p in parse_roster(csv_text, roster).problems]


def only_problem(body):
    found = problems(HEADER + body)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("body, field, reason", [
    ("Bad Login,Ann,2001,agent,longenough1,,\n", "login", "lower-case letters"),
    ("ann,,2001,agent,longenough1,,\n", "name", "1-120 characters"),
    ("ann,Ann,20a1,agent,longenough1,,\n", "extension", "'20a1' is not 2 to 15 digits"),
    ("ann,Ann,1,agent,longenough1,,\n", "extension", "not 2 to 15 digits"),
    ("ann,Ann,2001,boss,longenough1,,\n", "role", "'boss' is not one of agent, supervisor, qa, admin"),
    ("ann,Ann,2001,agent,longenough1,,fr\n", "language", "'fr' is not one of zh, en"),
    ("ann,Ann,2001,agent,,,\n", "password", "missing: a new agent needs a console password"),
    ("ann,Ann,2001,agent,short,,\n", "password", "at least 8 characters"),
    ("ann,Ann,2001,agent,        ,,\n", "password", "too weak"),
    ("annabelle,Ann,2001,agent,annabelle,,\n", "password", "the same as the login"),
    ("ann,Ann,20012001,agent,20012001,,\n", "password", "the same as the login, name or extension"),
    ("ann,Ann,2001,agent,longenough1,sales:5,\n", "skills", "unknown skill 'sales'; the skills are "
                                                            "billing, complaints, general"),
    ("ann,Ann,2001,agent,longenough1,billing:11,\n", "skills", "billing: level '11' is not 1 to 10"),
    ("ann,Ann,2001,agent,longenough1,billing:0,\n", "skills", "level '0' is not 1 to 10"),
    ("ann,Ann,2001,agent,longenough1,billing,\n", "skills", "write skill:level"),
    ("ann,Ann,2001,agent,longenough1,billing:3;billing:4,\n", "skills", "listed twice"),
    ("ann,Ann,,agent,longenough1,,\n", "extension", "an agent takes calls on a SIP phone"),
    ("ann,Ann,,,longenough1,,\n", "extension", "needs an extension"),
    ("ann,Ann,1001,agent,longenough1,,\n", "extension", "1001 belongs to agent 'agent01' in the database"),
    ("ann,Ann,2001,agent,longenough1,,,extra\n", "row", "8 cells, the header has 7"),
    # an existing agent: the a1-hash includes the extension, so a new one needs the password
    ("agent01,Wang Fang,2001,agent,,,\n", "sip_password", "extension 2001 needs a new SIP password"),
    ("lead1,Ma Jun,2002,supervisor,,,\n", "sip_password", "extension 2002 needs a new SIP password"),
    # the console password is never the phone's
    ("agent01,Wang Fang,2003,agent,newsecret1,,\n", "sip_password", "extension 2003 needs a new SIP password"),
])
def test_a_bad_field_is_named_with_its_line(body, field, reason):
    line, found_field, found_reason = only_problem(body)
    assert (line, found_field) == (2, field)
    assert reason in found_reason


@pytest.mark.parametrize("body", [
    "ann,Ann,2001,agent,longenough1,billing:9;general:5,en\n",
    "ann,Ann,2001,,longenough1, billing : 9 ; general:5 ,\n",     # role defaults to agent
    "boss,Big Boss,,supervisor,longenough1,,\n",                   # staff need no phone
    "agent01,Wang Fang,,,,,\n",                                    # update, keep everything
    "agent01,Wang Fang,1001,agent,,complaints:4,\n",                # same extension: no password
    "lead1,Ma Jun,,admin,,,\n",
])
def test_good_rows_pass(body):
    assert problems(HEADER + body) == []


@pytest.mark.parametrize("text, expected", [
    ("", [(1, "header", "the file is empty")]),
    ("login,name,extention\n", [(1, "header", "unknown column 'extention'")]),
    ("login,extension\n", [(1, "header", "column 'name' is missing")]),
    ("login,name,login\n", [(1, "header", "column 'login' appears twice")]),
])
def test_header_problems(text, expected):
    found = problems(text)
    assert [(line, field) for line, field, _ in found] == [(line, field) for line, field, _ in expected]
    assert all(want in reason for (_, _, reason), (_, _, want) in zip(found, expected))


def test_every_bad_row_is_reported_with_its_line_not_only_the_first():
    text = HEADER + textwrap.dedent("""\
        ann,Ann,2001,agent,longenough1,,

        bob,Bob,2001,agent,longenough2,,
        ann,Ann Again,2003,agent,longenough3,,
        "carl","Carl
        the second",2004,agent,short,,
        dora,Dora,2005,agent,longenough5,billing:5,
        """)
    assert problems(text) == [
        (4, "extension", "2001 is also on line 2"),
        (5, "login", "'ann' is also on line 2"),
        (6, "password", "too weak: at least 8 characters"),   # a quoted cell over two lines
    ]
    assert parse_roster(text, ROSTER).rows == []   # nothing to write when any row is bad


def test_a_bom_and_upper_case_header_and_login_are_accepted():
    result = parse_roster("\ufeffLOGIN,Name,Extension,Password\nAnn,Ann,2001,longenough1\n", ROSTER)
    assert result.problems == []
    [row] = result.rows
    assert (row.login, row.extension, row.role, row.skills, row.exists) == ("ann", "2001", None, None,
                                                                            False)


# --- on a real database ----------------------------------------------------------------

@pytest.fixture
def staffed(sessions):
    """Two skills and two agents on extensions 1001 and 1002."""
    with transaction(sessions) as session:
        billing, general = Skill(name="billing"), Skill(name="general")
        session.add_all([billing, general])
        for login, extension in (("agent01", "1001"), ("agent02", "1002")):
            agent = Agent(login=login, display_name=login, password_hash="x", role=Role.AGENT,
                          sip_extension=extension,
                          sip_a1_hash=sip_a1_hash(extension, "callcenter", "old-password"))
            agent.skills = [AgentSkill(skill=billing, level=5)]
            session.add(agent)
    return sessions


def _import(sessions, text):
    with sessions() as session:
        roster = load_roster(session)
    result = parse_roster(text, roster)
    assert result.problems == []
    credentials = hash_credentials(result.rows, roster)
    with transaction(sessions) as session:
        apply_rows(session, result.rows, credentials)
    return result


def _agent(session, login):
    return session.scalar(select(Agent).where(Agent.login == login)
                          .options(selectinload(Agent.skills).selectinload(AgentSkill.skill)))


def test_import_creates_and_updates_as_the_console_stores_agents(staffed):
    result = _import(staffed, HEADER + textwrap.dedent("""\
        ann,Ann Lee,2001,agent,ann-secret-1,billing:9;general:5,en
        agent01,Wang Fang,1001,agent,,general:7,
        boss,Big Boss,,supervisor,boss-secret-1,,
        """))
    assert (result.created, result.updated) == (["ann", "boss"], ["agent01"])
    with staffed() as session:
        ann = _agent(session, "ann")
        assert (ann.display_name, ann.sip_extension, ann.role, ann.language, ann.active) == \
            ("Ann Lee", "2001", Role.AGENT, "en", True)
        assert verify_password(ann.password_hash, "ann-secret-1")
        assert ann.sip_a1_hash is None, "the console password became the SIP password"
        assert {s.skill.name: s.level for s in ann.skills} == {"billing": 9, "general": 5}
        wang = _agent(session, "agent01")   # skills replaced, password and SIP hash kept
        assert {s.skill.name: s.level for s in wang.skills} == {"general": 7}
        assert wang.password_hash == "x"
        assert wang.sip_a1_hash == sip_a1_hash("1001", "callcenter", "old-password")
        boss = _agent(session, "boss")
        assert (boss.role, boss.sip_extension, boss.sip_a1_hash) == (Role.SUPERVISOR, None, None)


def test_two_agents_swap_extensions_in_one_import(staffed):
    _import(staffed, "login,name,extension,role,password,sip_password\n"
                     "agent01,A,1002,agent,new-secret-1,phone-secret-1\n"
                     "agent02,B,1001,agent,new-secret-2,phone-secret-2\n")
    with staffed() as session:
        one, two = _agent(session, "agent01"), _agent(session, "agent02")
        assert (one.sip_extension, two.sip_extension) == ("1002", "1001")
        assert one.sip_a1_hash == sip_a1_hash("1002", "callcenter", "phone-secret-1")


def test_the_sip_password_can_differ_from_the_console_password(staffed):
    _import(staffed, "login,name,extension,password,sip_password\n"
                     "ann,Ann,2001,console-secret,phone-secret-9\n")
    with staffed() as session:
        ann = _agent(session, "ann")
        assert verify_password(ann.password_hash, "console-secret")
        assert ann.sip_a1_hash == sip_a1_hash("2001", "callcenter", "phone-secret-9")
        assert ann.sip_password_set_at is not None


# --- the command -----------------------------------------------------------------------

@pytest.fixture
def config_path(write_config, database_url, tmp_path):
    return write_config(f"""\
general:
  data_directory: {tmp_path / 'data'}
switch:
  kind: simulator
  password: test-only-password
database:
  url: "{database_url}"
""")


def _count(sessions, model):
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_command_imports_all_rows_or_none(config_path, staffed, tmp_path, capsys):
    roster = tmp_path / "agents.csv"
    roster.write_text(HEADER + "ann,Ann,2001,agent,ann-secret-1,billing:9,\n"
                               "bob,Bob,1001,agent,bob-secret-1,sales:3,\n")
    assert main(["--config", str(config_path), "agents", "import", str(roster)]) == 2
    err = capsys.readouterr().err
    assert f"{roster}:3: extension: 1001 belongs to agent 'agent01' in the database" in err
    assert f"{roster}:3: skills: unknown skill 'sales'" in err
    assert "nothing was written" in err
    assert _count(staffed, Agent) == 2

    roster.write_text(HEADER + "ann,Ann,2001,agent,ann-secret-1,billing:9,\n"
                               "bob,Bob,2002,agent,bob-secret-1,general:3,\n")
    assert main(["--config", str(config_path), "agents", "import", str(roster), "--dry-run"]) == 0
    assert "2 to create, 0 to update (dry run: nothing written)" in capsys.readouterr().out
    assert _count(staffed, Agent) == 2

    assert main(["--config", str(config_path), "agents", "import", str(roster)]) == 0
    out = capsys.readouterr().out
    assert "2 agent(s) created, 0 updated in one transaction" in out
    assert "freeswitch users" in out and "fs_cli -x reloadxml" in out
    assert _count(staffed, Agent) == 4
    with staffed() as session:
        entry = session.scalar(select(AuditLog).where(AuditLog.action == "agents_import"))
        assert entry.details["created"] == ["ann", "bob"]


def test_command_names_an_unreadable_file(config_path, staffed, tmp_path, capsys):
    assert main(["--config", str(config_path), "agents", "import", str(tmp_path / "nope.csv")]) == 2
    assert "nope.csv: cannot read" in capsys.readouterr().err


def test_rows_must_be_checked_before_they_are_written():
    row = AgentRow(2, "ann", "Ann", "2001", password="longenough1", sip_password="phone-pass-1")
    credentials = hash_credentials([row], ROSTER, workers=1)
    assert credentials["ann"].a1_hash == sip_a1_hash("2001", "callcenter", "phone-pass-1")


TEAMS = Roster(ROSTER.agents, ROSTER.skills, frozenset({"desk_a", "desk_b"}))


@pytest.mark.parametrize("cell, problem", [
    ("desk_a", None),
    ("DESK_B", None),  # keys are lower case; the cell is read so
    ("", None),  # empty: keep the agent's team
    ("desk_z", (3, "team", "'desk_z' is not one of desk_a, desk_b")),
])
def test_the_team_column_names_a_known_team(cell, problem):
    text = ("login,name,extension,password,team\n"
            "ann,Ann,2001,longenough1,desk_a\n"
            f"bob,Bob,2002,longenough1,{cell}\n")
    found = [(p.line, p.field, p.reason) for p in parse_roster(text, TEAMS).problems]
    assert found == ([] if problem is None else [problem])


def test_a_team_column_without_teams_says_there_are_none():
    text = "login,name,extension,password,team\nann,Ann,2001,longenough1,desk_a\n"
    assert problems(text) == [(2, "team", "'desk_a' is not one of (none yet)")]


def test_import_puts_agents_in_teams_and_an_empty_cell_keeps_it(staffed):
    from callcenter.models import Team
    with transaction(staffed) as session:
        session.add_all([Team(key="desk_a", display_name="一组"), Team(key="desk_b", display_name="二组")])
    _import(staffed, "login,name,extension,password,sip_password,team\n"
                     "ann,Ann,2001,longenough1,phone-secret-1,desk_a\nagent01,Wang Fang,,,,desk_b\n")
    _import(staffed, "login,name,team\nann,Ann Lee,\n")
    with staffed() as session:
        assert {a.login: a.team.key if a.team else None for a in session.scalars(select(Agent))} \
            == {"ann": "desk_a", "agent01": "desk_b", "agent02": None}
