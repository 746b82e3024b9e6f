"""SIP credentials reach a real FreeSWITCH without a restart and without a manual
step: the engine keeps the deployed kit's directory/users (switch.sip_directory)
and has FreeSWITCH `reloadxml` on every change. A SIPp phone registers with the
new password and is refused with the old one, after a rotation and after a change
of extension; so does a real softphone, Debian's baresip.

Run it alone on this machine: flock /tmp/realswitch.lock pytest -m realswitch ...
Skipped (with the reason) when no FreeSWITCH binary is found or SIPp is missing."""
from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import gevent
import pytest

from callcenter.config import load_config
from callcenter.db import transaction
from callcenter.engine import Engine, build_services
from callcenter.models import Agent, Role
from callcenter.security import hash_password
from engine_fixtures import OPEN_HOURS, ROOT
from realswitch import (RealSwitch, free_port, register_scenario, sipp, skip_without_freeswitch,
                        skip_without_sipp)
from web import staff

pytestmark = [pytest.mark.realswitch, skip_without_freeswitch, skip_without_sipp]

FIRST_PASSWORD = "first-phone-pass-1"


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        gevent.sleep(0.1)
    assert predicate(), f"timed out after {timeout} s: {what}"


@pytest.fixture
def running(sessions, db_engine, write_config, tmp_path):
    """A real FreeSWITCH on the kit with an EMPTY directory, and the engine keeping it."""
    with transaction(sessions) as db:
        agent = Agent(login="wangf", display_name="Wang Fang", password_hash=hash_password("console pass 1"),
                      role=Role.AGENT, sip_extension="1001")
        db.add(agent)
        db.flush()
        staff.rotate_sip_password(db, agent, FIRST_PASSWORD)
    switch = RealSwitch(tmp_path / "freeswitch")
    switch.prepare()
    assert not list(switch.users_dir.glob("*.xml"))  # nobody can register before the engine runs
    config = write_config(switch.engine_config() + f"""\
  sip_directory: {switch.users_dir}
general:
  data_directory: {tmp_path / 'data'}
database:
  url: "{db_engine.url.render_as_string(hide_password=False)}"
recordings:
  directory: {tmp_path / 'recordings'}
ivr:
  flows_directory: {ROOT / 'ivr_flows'}
  prompts_directory: {switch.prompts_dir}
acd:
  queues_file: {ROOT / 'acd' / 'queues.yaml'}
""")
    switch.start()
    engine = None
    try:
        engine = Engine(build_services(load_config(config, environ={})), ivr_clock=lambda: OPEN_HOURS)
        engine.start(connect_timeout=10)
        assert engine.connection.connected, engine.connection.state
        yield engine, switch
    finally:
        if engine is not None:
            engine.stop()
        switch.stop(quick=True)


def register(switch, tmp_path, extension: str, password: str, final: int) -> list[int]:
    result = sipp(tmp_path, register_scenario(final), f"127.0.0.1:{switch.ports.agents_sip}",
                  service=extension, credentials=(extension, password), timeout=20)
    return result.responses()


def registers(switch, tmp_path, extension: str, password: str) -> bool:
    return register(switch, tmp_path, extension, password, 200) == [401, 200]


def refused(switch, tmp_path, extension: str, password: str) -> bool:
    return register(switch, tmp_path, extension, password, 403) == [401, 403]


def change(engine, login: str, rotate_to: str | None = None, form: dict | None = None) -> str | None:
    """The admin console's change and its poke to the engine in the same process."""
    with transaction(engine.services.sessions) as db:
        agent = db.query(Agent).filter_by(login=login).one()
        if form is None:
            shown = staff.rotate_sip_password(db, agent, rotate_to or "")
        else:
            _, shown = staff.update_agent(db, agent, {**staff.agent_dict(agent), **form})
    engine.services.extras["agents_changed"]()
    return shown


def test_a_rotated_sip_password_works_at_once_and_the_old_one_is_refused(running, tmp_path):
    engine, switch = running
    wait_until(lambda: (switch.users_dir / "1001.xml").exists(), 10, "the engine wrote no directory")
    assert registers(switch, tmp_path, "1001", FIRST_PASSWORD)  # the engine's start reloaded FreeSWITCH

    new = change(engine, "wangf")  # generated, shown once
    wait_until(lambda: engine.roster.directory.reloads >= 2, 10, "no reloadxml after the rotation")

    assert refused(switch, tmp_path, "1001", FIRST_PASSWORD)
    assert registers(switch, tmp_path, "1001", new)
    assert "1001@callcenter" in switch.api("sofia status profile agents reg")


def test_a_new_extension_registers_with_its_new_password_and_the_old_one_is_gone(running, tmp_path):
    engine, switch = running
    wait_until(lambda: engine.roster.directory.reloads >= 1, 10, "the engine did not reload FreeSWITCH")
    assert registers(switch, tmp_path, "1001", FIRST_PASSWORD)

    new = change(engine, "wangf", form={"sip_extension": "1009", "generate_sip_password": True})
    wait_until(lambda: engine.roster.directory.reloads >= 2, 10, "no reloadxml after the change")

    assert registers(switch, tmp_path, "1009", new)
    assert refused(switch, tmp_path, "1009", FIRST_PASSWORD)
    assert refused(switch, tmp_path, "1001", FIRST_PASSWORD)  # no user 1001 any more
    assert switch.api("user_data 1009@callcenter var cc_agent").strip() == "wangf"


class Baresip:
    """Debian's baresip as an agent's softphone, configured as docs/freeswitch.md says
    (account line with auth_pass, PCMA/PCMU), with a sine tone for a microphone."""

    def __init__(self, workdir: Path, switch: RealSwitch, extension: str, password: str):
        self.home = workdir / f"baresip-{extension}-{time.monotonic_ns()}"
        self.home.mkdir(parents=True)
        (self.home / "config").write_text(
            f"module_path /usr/lib/baresip/modules\nsip_listen 127.0.0.1:{free_port(socket.SOCK_DGRAM)}\n"
            "module g711.so\nmodule ausine.so\nmodule aufile.so\nmodule account.so\n"
            "audio_player aufile,/dev/null\naudio_source ausine,440\n")
        (self.home / "accounts").write_text(
            f"<sip:{extension}@127.0.0.1:{switch.ports.agents_sip};transport=udp>;auth_pass={password};"
            "audio_codecs=PCMA,PCMU;regint=60\n")
        self.log = self.home / "baresip.log"
        self.process = subprocess.Popen(["baresip", "-f", str(self.home)], stdout=self.log.open("wb"),
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        start_new_session=True)

    def outcome(self, timeout: float = 15) -> str:
        """'registered' (200 OK), 'refused' (403) or 'nothing' within timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log.read_text(errors="replace")
            if "200 OK" in text:  # "1001@127.0.0.1: {0/UDP/v4} 200 OK () [1 binding]"
                return "registered"
            if "403 Forbidden" in text:  # "reg: sip:1001@127.0.0.1:5060: 403 Forbidden ()"
                return "refused"
            gevent.sleep(0.2)
        return "nothing"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@pytest.mark.skipif(shutil.which("baresip") is None, reason="no baresip: install Debian's baresip-core")
def test_baresip_registers_with_the_rotated_password_and_not_with_the_old(running, tmp_path):
    engine, switch = running
    wait_until(lambda: engine.roster.directory.reloads >= 1, 10, "the engine did not reload FreeSWITCH")
    new = change(engine, "wangf")
    wait_until(lambda: engine.roster.directory.reloads >= 2, 10, "no reloadxml after the rotation")

    old_phone = Baresip(tmp_path, switch, "1001", FIRST_PASSWORD)
    try:
        assert old_phone.outcome() == "refused", old_phone.log.read_text(errors="replace")
    finally:
        old_phone.stop()
    phone = Baresip(tmp_path, switch, "1001", new)
    try:
        assert phone.outcome() == "registered", phone.log.read_text(errors="replace")
        wait_until(lambda: "baresip" in switch.api("sofia status profile agents reg"), 5,
                   "FreeSWITCH does not list the baresip phone")
    finally:
        phone.stop()
