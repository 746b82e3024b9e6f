"""Every long-running command stops on SIGTERM (systemd, docker, kill) exactly as on
Ctrl-C: the engine stopped, its call log flushed, exit code 0."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from callcenter.cli import main

ROOT = Path(__file__).resolve().parent.parent
STOP_WITHIN = 10  # seconds; the console's server gets 5 to finish its requests


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(log: Path, text: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text():
        if process.poll() is not None:
            pytest.fail(f"exited with {process.returncode} before {text!r}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {text!r} within {timeout} s:\n{log.read_text()}")
        time.sleep(0.1)


def _stop(process: subprocess.Popen, signum: int, log: Path) -> float:
    """Send the signal; the seconds it took the process to exit (0 expected)."""
    started = time.monotonic()
    process.send_signal(signum)
    try:
        process.wait(timeout=STOP_WITHIN)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"still running {STOP_WITHIN} s after {signum.name}:\n{log.read_text()}")
    return time.monotonic() - started


@pytest.fixture
def engine_config(write_config, database_url, tmp_path):
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
  port: {_free_port()}
ivr:
  flows_directory: {ROOT / 'ivr_flows'}
  prompts_directory: {tmp_path / 'prompts'}
acd:
  queues_file: {ROOT / 'acd' / 'queues.yaml'}
demo:
  calls_per_minute: 120
""")
    assert main(["--config", str(path), "db", "upgrade"]) == 0
    assert main(["--config", str(path), "db", "seed-demo", "--customers", "3"]) == 0
    return path


def _start(args, log: Path, env=None) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, *args], stdout=out, stderr=subprocess.STDOUT,
                                cwd=ROOT, env=env)


@pytest.mark.parametrize("command, signum", [
    ("demo", signal.SIGTERM),
    ("run", signal.SIGTERM),
    ("run", signal.SIGINT),       # Ctrl-C: the same path
])
def test_engine_stops_cleanly_on_signal(engine_config, tmp_path, command, signum):
    log = tmp_path / "engine.log"
    process = _start(["-m", "callcenter", "--config", str(engine_config), command], log)
    _wait_for(log, "console on http://", process)
    if command == "demo":
        _wait_for(log, "simulated agents", process)  # simulated agents at work, callers coming in
    took = _stop(process, signum, log)
    output = log.read_text()
    assert process.returncode == 0, output
    assert f"stopping on {signum.name}" in output
    assert "engine stopped" in output   # after the call log's last flush
    assert "Traceback" not in output
    assert took < STOP_WITHIN


def test_sigterm_during_start_up_still_stops_cleanly(engine_config, tmp_path):
    log = tmp_path / "engine.log"
    process = _start(["-m", "callcenter", "--config", str(engine_config), "run"], log)
    _wait_for(log, "engine started", process)
    _stop(process, signal.SIGTERM, log)
    assert process.returncode == 0, log.read_text()
    assert "stopping on SIGTERM" in log.read_text()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_simulator_stops_cleanly_on_signal(tmp_path, signum):
    log, port = tmp_path / "sim.log", _free_port()
    env = {**os.environ, "CALLCENTER_ESL_PASSWORD": "test-only-password"}
    process = _start(["-m", "callcenter.sim", "--port", str(port), "--phones", "1001,1002",
                      "--traffic", "60", "--dialplans", str(ROOT / "dialplans")], log, env)
    _wait_for(log, "listening on", process)
    took = _stop(process, signum, log)
    output = log.read_text()
    assert process.returncode == 0, output
    assert f"sim: stopping on {signum.name}" in output and "sim: simulator stopped" in output
    assert took < STOP_WITHIN
