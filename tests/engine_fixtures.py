"""The whole engine against the switch simulator over real sockets, on a
real (migrated, seeded) database: the wire level of the test pyramid."""
from __future__ import annotations

import socket
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from callcenter import seed
from callcenter.config import load_config
from callcenter.engine import Engine, build_services
from callcenter.models import Agent
from callcenter.sim import Simulator

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "wire-test-password"
# A Monday morning in Shanghai: the hotline is open, no holiday.
OPEN_HOURS = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _cheap_hash(secret: str) -> str:
    return generate_password_hash(secret, method="pbkdf2:sha256:1000")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Hotline:
    """A running engine, its simulator, and helpers that read like the situation."""

    def __init__(self, services, sim: Simulator, make_engine):
        self.services, self.sim, self._make_engine = services, sim, make_engine
        self.engine = make_engine()

    def agent(self, login: str) -> Agent:
        with self.services.sessions() as session:
            return session.scalar(select(Agent).where(Agent.login == login))

    def agent_ready(self, login: str, phone: str = "answer:1") -> Agent:
        agent = self.agent(login)
        self.sim.register_phone(agent.sip_extension, phone)
        assert self.sim.wait_until(lambda: self.sim_registered(agent.sip_extension), 5)
        self.engine.live.set_agent_state(agent.id, "ready")
        return agent

    def sim_registered(self, extension: str) -> bool:
        return extension in {r.extension for r in self.engine.switch.registrations()}

    def bridged_to(self, caller_uuid: str) -> str | None:
        channel = self.sim.channel(caller_uuid)
        return channel.bridged_to if channel else None

    def restart_engine(self) -> None:
        """Kill the engine without any cleanup, as a crash would, and start a new one."""
        self.engine.stop()
        self.engine = self._make_engine()
        self.engine.start()


@pytest.fixture
def hotline(sessions, db_engine, write_config, tmp_path, monkeypatch):
    monkeypatch.setattr(seed, "hash_password", _cheap_hash)
    monkeypatch.setattr(seed, "hash_service_password", _cheap_hash)
    seed.seed_demo(sessions, customers=10)
    sim = Simulator(PASSWORD, port=0, speed=4.0, fast_media=True,
                    dialplan_dir=str(ROOT / "dialplans"))
    port = sim.start()
    path = write_config(f"""\
general:
  data_directory: {tmp_path / 'data'}
switch:
  kind: simulator
  password: {PASSWORD}
  port: {port}
  api_timeout: 3
database:
  url: "{db_engine.url.render_as_string(hide_password=False)}"
ivr:
  flows_directory: {ROOT / 'ivr_flows'}
  prompts_directory: {tmp_path / 'prompts'}
recordings:
  directory: {tmp_path / 'recordings'}
acd:
  queues_file: {ROOT / 'acd' / 'queues.yaml'}
""")
    services = build_services(load_config(path, environ={}))

    def make_engine():
        return Engine(services, ivr_clock=lambda: OPEN_HOURS)

    line = Hotline(services, sim, make_engine)
    line.engine.start()
    yield line
    line.engine.stop()
    sim.close()
