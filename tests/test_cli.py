"""The `callcenter` command end to end, as an operator runs it."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from pathlib import Path

from callcenter import db
from callcenter.cli import main


ROOT = Path(__file__).resolve().parent.parent


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def config_file(write_config, database_url, tmp_path):
    port = _free_port()
    path = write_config(f"""\
general:
  data_directory: {tmp_path / 'data'}
switch:
  kind: simulator
  password: test-only-password
  port: {_free_port()}
database:
  url: "{database_url}"
web:
  port: {port}
ivr:
  flows_directory: {ROOT / 'ivr_flows'}
  prompts_directory: {tmp_path / 'prompts'}
acd:
  queues_file: {ROOT / 'acd' / 'queues.yaml'}
""")
    return path, port


def test_db_upgrade_status_and_seed(config_file, capsys):
    path, _ = config_file
    assert main(["--config", str(path), "db", "status"]) == 1
    assert main(["--config", str(path), "db", "upgrade"]) == 0
    assert f"-> {db.head_revision()}" in capsys.readouterr().out
    assert main(["--config", str(path), "db", "upgrade"]) == 0
    assert "already current" in capsys.readouterr().out
    assert main(["--config", str(path), "db", "status"]) == 0
    assert main(["--config", str(path), "db", "seed-demo", "--customers", "3"]) == 0
    out = capsys.readouterr().out
    assert "3 customers" in out and "lead1" in out
    assert main(["--config", str(path), "db", "seed-demo", "--customers", "3"]) == 0
    assert "nothing was changed" in capsys.readouterr().out


def test_run_refuses_schema_behind(config_file, capsys):
    path, _ = config_file
    assert main(["--config", str(path), "run"]) == 3
    assert "callcenter db upgrade" in capsys.readouterr().err


def test_run_serves_health_page(config_file):
    path, port = config_file
    assert main(["--config", str(path), "db", "upgrade"]) == 0
    process = subprocess.Popen([sys.executable, "-m", "callcenter", "--config", str(path), "run"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        report = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and report is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    report = json.load(response)
            except OSError:
                if process.poll() is not None:
                    pytest.fail(process.stdout.read().decode())
                time.sleep(0.2)
        assert report is not None, "no health page within 30 s"
        assert report["ok"] is True
        assert report["database"] == {**report["database"], "reachable": True, "schema_current": True,
                                      "revision": db.head_revision()}
        assert report["switch"]["kind"] == "simulator"
        assert report["version"]
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0


def test_python_dash_m_shows_version():
    result = subprocess.run([sys.executable, "-m", "callcenter", "--version"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("callcenter ")


def test_demo_clock_keeps_the_hotline_open_at_any_hour():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from callcenter.demo import office_hours_clock
    from callcenter.ivr.calendar import load_calendar
    calendar = load_calendar(ROOT / "ivr_flows" / "calendar.yaml")
    sunday_night = datetime(2026, 11, 22, 3, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    clock = office_hours_clock("Asia/Shanghai", now=lambda: sunday_night)
    now = clock()
    assert now.weekday() == 2 and now.hour == 10
    assert calendar.is_open(now) and not calendar.is_holiday(now)
