"""`callcenter freeswitch check`: the shipped kit passes; each kind of broken
copy is refused with the file and line to fix."""
from __future__ import annotations

from pathlib import Path

from fskit_fixtures import KIT, kit, line_of, replace_once, write_local_vars  # noqa: F401

from callcenter import cli
from callcenter.freeswitch.kit import REQUIRED_MODULES, check_kit


def problems_in(kit_dir: Path, engine_port: int | None = 8021, environ=None) -> list:
    return list(check_kit(kit_dir, engine_port=engine_port, environ=environ or {}).problems)


def only_problem(kit_dir: Path, **kwargs):
    problems = problems_in(kit_dir, **kwargs)
    assert len(problems) == 1, "\n".join(p.describe() for p in problems)
    return problems[0]


def test_shipped_kit_passes_and_reaches_only_the_hotline_numbers():
    report = check_kit(KIT, engine_port=8021, environ={})

    assert report.ok, "\n".join(p.describe() for p in report.problems)
    assert report.hotline_numbers == ("10000", "10001", "10002", "10003")
    assert report.esl_port == 8021
    assert set(REQUIRED_MODULES) <= set(report.modules)
    assert "mod_cdr_csv" in report.modules


def test_cli_check_on_shipped_kit_uses_the_engine_port_from_the_configuration(write_config, capsys):
    config = write_config("switch:\n  kind: freeswitch\n  port: 8021\n  password: a-long-random-secret\n")

    status = cli.main(["--config", str(config), "freeswitch", "check", "--kit", str(KIT)])

    assert status == 0
    out = capsys.readouterr().out
    assert "OK" in out and "10000, 10001, 10002, 10003" in out


def test_malformed_xml_is_named_with_file_and_line(kit):
    profile = kit / "sip_profiles" / "public.xml"
    replace_once(profile, '<param name="auth-calls" value="false"/>', '<param name="auth-calls" value="false">')

    problem = only_problem(kit)

    assert problem.file == profile
    assert problem.message.startswith("malformed XML")
    # expat reports the mismatched closing tag, a few lines below the unclosed <param>
    assert problem.line > line_of(profile, 'name="auth-calls"')


def test_missing_include_is_named(kit):
    top = kit / "freeswitch.xml"
    replace_once(top, '<X-PRE-PROCESS cmd="include" data="vars.xml"/>',
                 '<X-PRE-PROCESS cmd="include" data="vars.xml"/>\n'
                 '  <X-PRE-PROCESS cmd="include" data="extra/carrier.xml"/>')

    problem = only_problem(kit)

    assert (problem.file, problem.line) == (top, line_of(top, "extra/carrier.xml"))
    assert "does not exist" in problem.message


def test_cluecon_password_from_a_local_file_is_refused(kit):
    site = write_local_vars(kit, "site", cc_esl_password="ClueCon")

    problem = only_problem(kit)

    event_socket = kit / "autoload_configs" / "event_socket.conf.xml"
    assert (problem.file, problem.line) == (event_socket, line_of(event_socket, 'name="password"'))
    assert "ClueCon" in problem.message and f"{site.name}:2" in problem.message


def test_cluecon_password_from_the_environment_is_refused(kit):
    problem = only_problem(kit, environ={"CALLCENTER_ESL_PASSWORD": "ClueCon"})

    assert "ClueCon" in problem.message and "env" in problem.message


def test_password_from_the_environment_is_accepted(kit):
    assert problems_in(kit, environ={"CALLCENTER_ESL_PASSWORD": "s3cret-from-env"}) == []


def test_port_mismatch_with_the_engine_is_named(kit):
    problem = only_problem(kit, engine_port=9021)

    event_socket = kit / "autoload_configs" / "event_socket.conf.xml"
    assert (problem.file, problem.line) == (event_socket, line_of(event_socket, 'name="listen-port"'))
    assert "8021" in problem.message and "9021" in problem.message


def test_cli_check_fails_with_exit_1_and_prints_what_to_fix(kit, write_config, capsys):
    config = write_config("switch:\n  kind: freeswitch\n  port: 9021\n  password: a-long-random-secret\n")

    status = cli.main(["--config", str(config), "freeswitch", "check", "--kit", str(kit)])

    assert status == 1
    err = capsys.readouterr().err
    line = line_of(kit / "autoload_configs" / "event_socket.conf.xml", 'name="listen-port"')
    assert f"freeswitch-conf/autoload_configs/event_socket.conf.xml:{line}:" in err


def test_event_socket_off_loopback_is_refused(kit):
    write_local_vars(kit, "site", cc_esl_ip="0.0.0.0")

    problem = only_problem(kit)

    assert "loopback" in problem.message and "'0.0.0.0'" in problem.message
    assert problem.file.name == "event_socket.conf.xml"


def test_public_context_bridging_to_external_numbers_is_refused(kit):
    dialplan = kit.parent / "dialplans" / "public.xml"
    replace_once(dialplan, '    <extension name="unknown_number">',
                 '    <extension name="carrier_breakout">\n'
                 '      <condition field="destination_number" expression="^(\\d{11})$">\n'
                 '        <action application="bridge" data="sofia/public/$1@198.51.100.7"/>\n'
                 '      </condition>\n'
                 '    </extension>\n'
                 '    <extension name="unknown_number">')

    messages = {(p.line, p.message.split(":")[0]) for p in problems_in(kit)}

    assert (line_of(dialplan, r'expression="^(\d{11})$"'),
            "context 'public', extension 'carrier_breakout'") in messages
    assert any(line == line_of(dialplan, 'application="bridge"') for line, _ in messages)


def test_public_context_transferring_into_the_agents_context_is_refused(kit):
    dialplan = kit.parent / "dialplans" / "public.xml"
    text = dialplan.read_text()
    start = text.index('<extension name="hotline_10003">')
    end = text.index("</extension>", start)
    block = text[start:end].replace('<action application="park"/>',
                                    '<action application="transfer" data="1001 XML agents"/>')
    dialplan.write_text(text[:start] + block + text[end:])

    problem = only_problem(kit)

    assert (problem.file, problem.line) == (dialplan, line_of(dialplan, 'data="1001 XML agents"'))
    assert "'agents'" in problem.message


def test_an_admission_limit_sending_calls_over_it_into_the_agents_context_is_refused(kit):
    dialplan = kit.parent / "dialplans" / "public.xml"
    text = dialplan.read_text()
    shipped = "cc_overload XML cc_fallback"
    assert shipped in text
    dialplan.write_text(text.replace(shipped, "1001 XML agents", 1))

    problem = only_problem(kit)

    assert (problem.file, problem.line) == (dialplan, line_of(dialplan, "/1 1001 XML agents"))
    assert "'agents'" in problem.message


def test_hook_variables_that_run_applications_later_are_refused(kit):
    dialplan = kit.parent / "dialplans" / "public.xml"
    text = dialplan.read_text()
    text = text.replace('<action application="set" data="cc_hotline=10000"/>',
                        '<action application="set" data="cc_hotline=10000"/>\n'
                        '        <action application="set" data="execute_on_answer=bridge sofia/public/900"/>', 1)
    dialplan.write_text(text)

    problem = only_problem(kit)

    assert problem.line == line_of(dialplan, "execute_on_answer")


def test_agents_profile_without_authentication_exposes_its_context(kit):
    profile = kit / "sip_profiles" / "agents.xml"
    replace_once(profile, '<param name="auth-calls" value="true"/>', '<param name="auth-calls" value="false"/>')

    problems = problems_in(kit)

    described = "\n".join(p.describe() for p in problems)
    assert any("apply-inbound-acl" in p.message and p.file == profile for p in problems), described
    assert any("'bridge'" in p.message and p.file.name == "agents.xml" for p in problems), described


def test_missing_module_is_named(kit):
    modules = kit / "autoload_configs" / "modules.conf.xml"
    replace_once(modules, '<load module="mod_local_stream"/>', "")

    problem = only_problem(kit)

    assert problem.file == modules and "mod_local_stream" in problem.message


def test_undefined_variable_is_named(kit):
    profile = kit / "sip_profiles" / "public.xml"
    replace_once(profile, "$${cc_public_sip_port}", "$${cc_public_sip_prot}")

    problem = only_problem(kit)

    assert (problem.file, problem.line) == (profile, line_of(profile, "cc_public_sip_prot"))
    assert "not defined" in problem.message


def test_pre_process_inside_a_comment_is_named(kit):
    vars_file = kit / "vars.xml"
    replace_once(vars_file, "<!-- Operator overrides (may be absent). -->",
                 '<!-- <X-PRE-PROCESS cmd="set" data="cc_esl_port=1234"/> -->')

    problem = only_problem(kit)

    assert (problem.file, problem.line) == (vars_file, line_of(vars_file, "cc_esl_port=1234"))


def test_duplicate_sip_port_is_named(kit):
    write_local_vars(kit, "site", cc_public_sip_port="5060")

    problem = only_problem(kit)

    assert "5060" in problem.message and problem.file.name in ("public.xml", "agents.xml")
