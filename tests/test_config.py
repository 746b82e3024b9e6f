import re
from pathlib import Path

import pytest

from callcenter.cli import main
from callcenter.config import SCHEMA, ConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent

MINIMAL = """\
switch:
  kind: freeswitch
  password: a-strong-esl-password
"""


def errors_for(write_config, text, environ=None):
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(text), environ=environ or {})
    return caught.value.problems


def test_minimal_file_gets_defaults(write_config):
    config = load_config(write_config(MINIMAL), environ={})
    assert config.switch.kind == "freeswitch"
    assert config.switch.api_timeout == 5.0
    assert config.switch.application_timeout == 30.0
    assert config.recordings.retention_days == 90
    assert config.database_url.startswith("sqlite:///") and config.database_url.endswith("callcenter.db")


def test_unknown_key_is_named_with_file_and_line(write_config):
    problems = errors_for(write_config, MINIMAL + "  pasword: typo\n")
    assert len(problems) == 1
    assert re.search(r"callcenter\.yaml:4:\d+: unknown key 'switch\.pasword'", problems[0])


def test_unknown_section_is_named(write_config):
    problems = errors_for(write_config, MINIMAL + "recording:\n  directory: x\n")
    assert re.search(r"callcenter\.yaml:4:1: unknown section 'recording'", problems[0])


def test_wrong_type_names_key_line_and_value(write_config):
    problems = errors_for(write_config, MINIMAL + "web:\n  port: eighty\n")
    assert re.search(r"callcenter\.yaml:5:\d+: 'web\.port' must be an integer, got 'eighty'", problems[0])


def test_bool_is_not_accepted_as_a_number(write_config):
    problems = errors_for(write_config, MINIMAL + "recordings:\n  retention_days: true\n")
    assert "'recordings.retention_days' must be an integer, got True" in problems[0]


def test_missing_password_is_named(write_config):
    problems = errors_for(write_config, "switch:\n  kind: freeswitch\n")
    assert re.search(r"callcenter\.yaml:1:1: missing value for 'switch\.password'", problems[0])
    assert "CALLCENTER_ESL_PASSWORD" in problems[0]


def test_all_problems_are_listed_at_once(write_config):
    problems = errors_for(write_config, "switch:\n  kind: pbx\n  port: x\nweb:\n  colour: red\n")
    text = "\n".join(problems)
    assert "'switch.kind' must be one of freeswitch, simulator" in text
    assert "'switch.port' must be an integer" in text
    assert "unknown key 'web.colour'" in text
    assert "missing value for 'switch.password'" in text


def test_default_freeswitch_password_refused(write_config):
    problems = errors_for(write_config, "switch:\n  kind: freeswitch\n  password: ClueCon\n")
    assert re.search(r"callcenter\.yaml:3:\d+: 'switch\.password' is FreeSWITCH's well-known default", problems[0])


def test_default_password_allowed_with_lab_flag_and_warns(write_config, caplog):
    from callcenter.config import warn_about_lab_settings
    config = load_config(write_config(
        "switch:\n  kind: freeswitch\n  password: ClueCon\n  allow_default_password: true\n"), environ={})
    warn_about_lab_settings(config)
    assert "lab setting" in caplog.text


def test_default_password_from_environment_refused_too(write_config):
    problems = errors_for(write_config, MINIMAL, environ={"CALLCENTER_ESL_PASSWORD": "ClueCon"})
    assert "well-known default" in problems[0]


def test_secrets_come_from_environment(write_config):
    config = load_config(write_config(MINIMAL), environ={
        "CALLCENTER_ESL_PASSWORD": "from-env", "CALLCENTER_DATABASE_URL": "postgresql+psycopg://x/y",
        "CALLCENTER_SECRET_KEY": "k" * 40})
    assert config.switch.password == "from-env"
    assert config.database_url == "postgresql+psycopg://x/y"
    assert config.web.secret_key == "k" * 40


def test_yaml_syntax_error_names_line(write_config):
    problems = errors_for(write_config, "switch:\n  kind: [unclosed\n")
    assert re.search(r"callcenter\.yaml:\d+:\d+: YAML syntax error", problems[0])


def test_relative_paths_resolve_against_the_file(write_config, tmp_path):
    config = load_config(write_config(MINIMAL + "recordings:\n  directory: rec\n"), environ={})
    assert config.recordings.directory == str(tmp_path / "rec")


def test_example_file_documents_every_setting_and_loads():
    example = ROOT / "callcenter.example.yaml"
    text = example.read_text()
    for section, settings in SCHEMA.items():
        assert re.search(rf"^{section}:", text, re.M), f"section {section} not documented"
        for key in settings:
            assert re.search(rf"^  {key}:", text, re.M), f"{section}.{key} not documented"
    load_config(example, environ={})


def test_cli_exits_2_on_config_error_and_names_it(write_config, capsys):
    path = write_config("switch:\n  kind: freeswitch\n  password: ClueCon\n")
    assert main(["--config", str(path), "run"]) == 2
    assert "well-known default" in capsys.readouterr().err


def test_qa_teams_is_refused_and_says_teams_are_managed_in_the_console(write_config):
    problems = errors_for(write_config, MINIMAL + "qa:\n  teams: {billing: {leads: [lead1]}}\n")
    assert len(problems) == 1
    assert re.search(r"callcenter\.yaml:5:\d+: the setting 'qa\.teams' was removed: .*"
                     r"managed in the console \(Admin → Agents → Teams\)", problems[0])
