"""`callcenter ivr validate` and `callcenter ivr try` through the real CLI entry point."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from callcenter.cli import main
from callcenter.db import transaction
from callcenter.models import QueueMember, Ticket, TicketCategory, TicketStatus
from ivr_fixtures import FLOWS, QUEUES_FILE, ROOT, hotline_db  # noqa: F401

SCRIPTS = ROOT / "tests" / "ivr_scripts"


@pytest.fixture
def config(write_config, database_url, tmp_path):
    return str(write_config(f"""\
switch: {{kind: simulator, password: simulator-only-password}}
database: {{url: "{database_url}"}}
ivr:
  flows_directory: {FLOWS}
  prompts_directory: {tmp_path / 'prompts'}
  numbers: {{"10000": {{flow: main}}, "10001": {{flow: main, need: billing}},
            "10002": {{flow: main, need: complaints}}, "10003": {{flow: main, need: service_orders}},
            "10004": {{flow: main, need: password}}}}
recordings: {{directory: {tmp_path / 'recordings'}}}
acd: {{queues_file: {QUEUES_FILE}}}
"""))


def test_validate_ships_clean_flows(config, capsys):
    assert main(["--config", config, "ivr", "validate"]) == 0
    out = capsys.readouterr().out
    assert "main.yaml: ok (flow 'main'" in out and "0 problem(s)" in out


def test_validate_lists_every_problem_and_exits_1(config, tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text((FLOWS / "survey.yaml").read_text()
                   .replace("next: thanks", "next: thanx")
                   .replace("    tries: 2\n", "    tries: 2\n    retries: 4\n"))
    assert main(["--config", config, "ivr", "validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:" in out and "unknown key 'retries' in survey node 'ask_score'" in out
    assert "1 problem(s)" in out  # schema errors stop stage two for that file
    bad.write_text((FLOWS / "survey.yaml").read_text().replace("next: thanks", "next: thanx"))
    assert main(["--config", config, "ivr", "validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "goes to 'thanx' (ok), which does not exist" in out
    assert "node 'thanks' cannot be reached" in out


def test_try_script_reads_the_bill_and_hides_the_password(config, hotline_db, capsys):
    code = main(["--config", config, "ivr", "try", "main", "--caller", "8613800000000",
                 "--time", "2026-11-23T10:00:00+08:00", "--script", "2 1 111111# 2"])
    out = capsys.readouterr().out
    assert code == 0
    assert "For your bill, press 1." in out  # the prompt text the caller would hear
    assert "<say money" in out and "<say date" in out
    assert "== queue: need billing, priority 0" in out
    assert "customer_id = '1'" in out
    assert "111111" not in out and "caller presses *******" in out
    assert "service_password" not in out


def test_try_script_timeouts_use_simulated_time(config, hotline_db, capsys):
    code = main(["--config", config, "ivr", "try", "main", "--caller", "8613999999999",
                 "--time", "2026-11-23T10:00:00+08:00",
                 "--script", "wait:30 wait:30 wait:60 wait:60 wait:60"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.count("(silence: 6 s timeout)") == 3
    assert "== queue: need general" in out


def test_try_unknown_flow_and_bad_script(config, hotline_db, capsys):
    assert main(["--config", config, "ivr", "try", "nosuch", "--script", "1"]) == 1
    assert "no flow 'nosuch'" in capsys.readouterr().err
    assert main(["--config", config, "ivr", "try", "main", "--script", "1 press:2"]) == 2
    assert "not a caller step: press:2" in capsys.readouterr().err


def _add_ticket(sessions, number: str, customer_id: int, status: TicketStatus) -> None:
    now = datetime.now(timezone.utc)
    with transaction(sessions) as session:
        session.add(Ticket(number=number, customer_id=customer_id, category=TicketCategory.FAULT,
                           status=status, created_at=now + timedelta(days=1)))


def test_the_shipped_scripts_reach_every_node_and_branch(config, hotline_db, capsys):
    _add_ticket(hotline_db, "2601010001", 1, TicketStatus.IN_PROGRESS)
    _add_ticket(hotline_db, "2601010002", 2, TicketStatus.CLOSED)
    with transaction(hotline_db) as session:  # a long wait for service orders
        session.add_all(QueueMember(call_uuid=f"waiting-{n}", queue_name="service_orders")
                        for n in range(5))
    assert main(["--config", config, "ivr", "try", "main", "--coverage", str(SCRIPTS)]) == 0
    out = capsys.readouterr().out
    assert "flow 'main': 52 script(s) run" in out
    assert "nodes never reached (0):" in out and "branches never taken (0):" in out, out
    assert main(["--config", config, "ivr", "try", "survey", "--coverage", str(SCRIPTS)]) == 0
    out = capsys.readouterr().out
    assert "flow 'survey': 2 script(s) run" in out
    assert "nodes never reached (0):" in out and "branches never taken (0):" in out, out


def test_coverage_names_what_was_not_reached(config, hotline_db, tmp_path, capsys):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "one.yaml").write_text('caller: "8613800000000"\n'
                                       'time: 2026-11-23T10:00:00+08:00\nscript: "1 4"\n')
    assert main(["--config", config, "ivr", "try", "main", "--coverage", str(scripts)]) == 0
    out = capsys.readouterr().out
    unreached = out.split("nodes never reached")[1].split("branches never taken")[0]
    branches = out.split("branches never taken")[1]
    assert "  orders_notice\n" not in unreached and "  holiday_notice\n" in unreached
    assert "main_menu --choice 4--> svc_orders" not in branches
    assert "main_menu --choice 1--> svc_billing" in branches
    assert "language/choose --choice 2--> english" in branches


def test_validate_checks_the_calendar_too(write_config, tmp_path, capsys):
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "survey.yaml").write_text((FLOWS / "survey.yaml").read_text())
    (flows / "calendar.yaml").write_text("timezone: Mars/Olympus\nopening_hours: {mon: '8-20'}\n")
    config = write_config(f"switch: {{kind: simulator, password: simulator-only-password}}\n"
                          f"ivr: {{flows_directory: {flows}}}\n")
    assert main(["--config", str(config), "ivr", "validate"]) == 1
    out = capsys.readouterr().out
    assert f"{flows / 'calendar.yaml'}:1:1: unknown time zone 'Mars/Olympus'" in out
    assert "opening hours must look like 08:00-20:00, got '8-20'" in out
    assert "2 problem(s) in 1 file(s)" in out


def test_try_interactive_reads_keys_from_the_terminal(config, hotline_db, monkeypatch, capsys):
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO("2\n\n5\n"))  # English, silence, password services
    code = main(["--config", config, "ivr", "try", "main", "--caller", "8613800000001",
                 "--time", "2026-11-23T10:00:00+08:00"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Sorry, we did not hear your choice." in out
    assert "== queue: need password" in out and "record_whole_call = 'yes'" in out


def test_try_a_flow_file_outside_the_flows_directory(config, hotline_db, tmp_path, capsys):
    draft = tmp_path / "draft.yaml"
    draft.write_text((FLOWS / "survey.yaml").read_text().replace("flow: survey", "flow: draft"))
    assert main(["--config", config, "ivr", "try", str(draft), "--script", "3"]) == 0
    out = capsys.readouterr().out
    assert "flow 'draft' version 1" in out and "survey score: 3" in out
