"""Campaign calls on a real FreeSWITCH running the kit: they leave through the kit's
carrier gateway (pointed at a SIPp "customer" that answers), the collections call
hears its flow, and an agent campaign's answered call reaches the registered agent
phone. Skipped with the reason when FreeSWITCH or SIPp is missing."""
from __future__ import annotations

import shutil
import socket
import subprocess
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from callcenter import seed
from callcenter.config import load_config
from callcenter.db import transaction
from callcenter.dialer import store
from callcenter.engine import Engine, build_services
from callcenter.freeswitch.directory import write_directory
from callcenter.models import (Call, CallEvent, Campaign, CampaignAttempt, CampaignKind,
                               CampaignStatus)
from engine_fixtures import OPEN_HOURS, _cheap_hash
from realswitch import (AgentPhone, RealSwitch, free_port, skip_without_freeswitch,
                        skip_without_sipp)
from test_realswitch_engine import ROOT, agent_ready, rendered_prompts, wait_until  # noqa: F401

pytestmark = [pytest.mark.realswitch, skip_without_freeswitch, skip_without_sipp]
MONDAY_MORNING = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
CUSTOMER = "8613900000001"
WINDOWS = {"windows": {day: ["09:00-20:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}


class Customer(AgentPhone):
    """A customer's phone beyond the carrier: SIPp's built-in UAS (180, 200 OK, waits for
    the BYE) on the port the kit's gateway sends to; it registers nowhere."""

    def __init__(self, workdir, port: int):
        self.workdir, self.port, self.behaviour = workdir / "customer", port, "answer"
        self.process = None

    def start(self) -> "Customer":
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._log = (self.workdir / "uas.log").open("wb")
        self.process = subprocess.Popen(
            ["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(self.port), "-nostdin",
             "-mp", str(free_port(socket.SOCK_DGRAM)), "-trace_msg",
             "-message_file", str(self.workdir / "uas_messages.log")],
            cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        return self

    def invited(self) -> str:
        trace = self.workdir / "uas_messages.log"
        return trace.read_text(errors="replace") if trace.exists() else ""


@pytest.fixture
def outbound(sessions, db_engine, write_config, tmp_path, monkeypatch, rendered_prompts):  # noqa: F811
    monkeypatch.setattr(seed, "hash_password", _cheap_hash)
    monkeypatch.setattr(seed, "hash_service_password", _cheap_hash)
    report = seed.seed_demo(sessions, customers=10)
    credentials = {login: password for login, _, password in report.credentials}
    customer = Customer(tmp_path, free_port(socket.SOCK_DGRAM)).start()
    switch = RealSwitch(tmp_path / "freeswitch", park_timeout=3,
                        overrides={"cc_carrier_proxy": f"127.0.0.1:{customer.port}"})
    switch.prepare()
    shutil.copytree(rendered_prompts, switch.prompts_dir, dirs_exist_ok=True)
    config = write_config(switch.engine_config() + f"""\
  api_timeout: 5
general:
  data_directory: {tmp_path / 'data'}
database:
  url: "{db_engine.url.render_as_string(hide_password=False)}"
ivr:
  flows_directory: {ROOT / 'ivr_flows'}
  prompts_directory: {switch.prompts_dir}
recordings:
  directory: {tmp_path / 'recordings'}
acd:
  queues_file: {ROOT / 'acd' / 'queues.yaml'}
""")
    write_directory(sessions, switch.users_dir)
    switch.start()
    engine = Engine(build_services(load_config(config, environ={})), ivr_clock=lambda: OPEN_HOURS,
                    dialer_clock=lambda: MONDAY_MORNING)
    engine.start(connect_timeout=10)
    try:
        yield engine, switch, credentials, customer
    finally:
        engine.stop()
        switch.stop(quick=True)
        customer.stop()


class Row:
    def __init__(self, phone, amount_cents=None, due_date=None):
        self.phone, self.amount_cents, self.due_date = phone, amount_cents, due_date


def campaign(engine, **fields) -> int:
    with transaction(engine.services.sessions) as session:
        row = Campaign(name="real", max_lines=1, ring_timeout=20, max_attempts=1, settings=WINDOWS,
                       caller_id="95555", **fields)
        session.add(row)
        session.flush()
        from datetime import date
        store.add_contacts(session, row.id, [Row(CUSTOMER, 12345, date(2026, 11, 10))])
        store.set_status(session, row.id, CampaignStatus.RUNNING, MONDAY_MORNING)
        return row.id


def attempt(engine) -> CampaignAttempt | None:
    with engine.services.sessions() as session:
        return session.scalar(select(CampaignAttempt).where(CampaignAttempt.outcome.is_not(None)))


def test_a_collections_call_leaves_through_the_gateway_and_hears_its_flow(outbound):
    engine, switch, _, customer = outbound
    campaign(engine, kind=CampaignKind.COLLECTIONS, flow="collections")

    wait_until(lambda: attempt(engine), 90, f"no settled attempt; switch log:\n{switch.log_tail()}")
    done = attempt(engine)
    assert done.outcome == "answered" and done.answered_at, (done.outcome, done.hangup_cause)
    assert done.detail["said"] == {"amount_due_cents": 12345, "due_date": "2026-11-10"}
    assert f"INVITE sip:{CUSTOMER}@127.0.0.1:{customer.port}" in customer.invited()
    assert customer.answered_calls() == 1
    engine.calllog.flush()
    with engine.services.sessions() as session:
        call = session.scalar(select(Call).where(Call.uuid == done.uuid))
        nodes = [e.data["node"] for e in session.scalars(
            select(CallEvent).where(CallEvent.call_id == call.id, CallEvent.kind == "ivr_node"))]
    assert call.direction.value == "outbound" and call.dialled_number == CUSTOMER
    assert nodes[:4] == ["greeting", "say_amount", "say_due_date", "options"], nodes


def test_an_agent_campaign_call_reaches_the_registered_agent_phone(outbound, tmp_path):
    engine, switch, credentials, customer = outbound
    agent, phone = agent_ready(engine, switch, credentials, tmp_path)  # agent08: general 9
    try:
        campaign(engine, kind=CampaignKind.MARKETING, queue_name="general")
        wait_until(lambda: attempt(engine), 60, f"no settled attempt; switch log:\n{switch.log_tail()}")
        assert attempt(engine).outcome == "answered", attempt(engine).outcome
        wait_until(lambda: phone.answered_calls() == 1, 10, "the agent's phone never answered")
        assert engine.shell.core.agent("agent08").state.value == "on_call"
        assert customer.answered_calls() == 1
    finally:
        phone.stop()
