"""Fixtures for the console tests, and FakeLive: an in-memory stand-in for the
live engine behind web.ports.LivePort (to be swapped for the real engine +
switch simulator). Import with ``from web_fixtures import *``."""
from __future__ import annotations

import re
import time
from pathlib import Path
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import gevent.queue
import pytest

from callcenter.config import load_config
from callcenter.db import transaction
from callcenter.engine import Services
from callcenter.models import (Account, Agent, AgentSkill, Bill, BillStatus, Call, CallDirection,
                               Customer, CustomerPhone, CustomerTier, Role, Skill, Team)
from callcenter.security import hash_password
from web import create_app
from web.ports import (AgentStatus, FloorSnapshot, IllegalTransition, LiveCall, LiveEvent,
                       NoSuchCall, QueueLive)

PASSWORD = "correct horse 1"
QUEUES = Path(__file__).resolve().parent.parent / "acd" / "queues.yaml"  # billing: 20 s


# The fake console's clock: 11:00 in Shanghai on a Monday, moving on with real time, so
# that "today" and "the last 30 minutes" hold the same calls whatever hour the suite runs.
PINNED_START = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)
_STARTED = time.monotonic()


def now() -> datetime:
    return PINNED_START + timedelta(seconds=time.monotonic() - _STARTED)


class FakeLive:
    """Agent states, one call per agent, an event bus; records what was asked."""

    def __init__(self) -> None:
        self.status: dict[int, AgentStatus] = {}
        self.calls: dict[int, LiveCall] = {}
        self.queues: dict[str, QueueLive] = {}
        self.actions: list[tuple] = []
        self.paused: dict[int, bool] = {}  # agent id -> their call's recording is paused
        self.subscribers: list[tuple[int | None, gevent.queue.Queue]] = []

    # --- the port ---
    def agent_status(self, agent_id):
        return self.status.get(agent_id) or AgentStatus(agent_id, "logged_out", None, now())

    def set_agent_state(self, agent_id, state, reason=None, by_agent_id=None):
        current = self.agent_status(agent_id)
        if current.state in ("offered", "on_call") and state != "logged_out":
            raise IllegalTransition(f"agent {agent_id} is {current.state}")
        self.actions.append(("state", agent_id, state, reason, by_agent_id))
        return self._set(agent_id, state, reason)

    def current_call(self, agent_id):
        return self.calls.get(agent_id)

    def _call(self, agent_id, uuid):
        call = self.calls.get(agent_id)
        if call is None or call.uuid != uuid:
            raise NoSuchCall(uuid)
        return call

    def hold(self, agent_id, call_uuid, held):
        call = self._call(agent_id, call_uuid)
        self.calls[agent_id] = replace(call, state="held" if held else "bridged")
        self.actions.append(("hold", agent_id, call_uuid, held))
        self.publish(LiveEvent("call_held", agent_id, {"call_uuid": call_uuid, "held": held}))

    def recording_state(self, agent_id):
        call = self.calls.get(agent_id)
        return {"call_uuid": call.uuid if call else None, "recorded": call is not None,
                "paused": self.paused.get(agent_id, False)}

    def pause_recording(self, agent_id, call_uuid, paused):
        self._call(agent_id, call_uuid)
        self.actions.append(("pause", agent_id, call_uuid, paused))
        self.paused[agent_id] = paused

    def transfer(self, agent_id, call_uuid, target, note):
        self._call(agent_id, call_uuid)
        self.actions.append(("transfer", agent_id, call_uuid, target, note))
        self._end(agent_id, "transferred")

    def consult(self, agent_id, call_uuid, target):
        self._call(agent_id, call_uuid)
        self.actions.append(("consult", agent_id, call_uuid, target))

    def hangup(self, agent_id, call_uuid):
        self._call(agent_id, call_uuid)
        self.actions.append(("hangup", agent_id, call_uuid))
        self._end(agent_id, "NORMAL_CLEARING")

    def end_wrapup(self, agent_id):
        self.calls.pop(agent_id, None)
        self.actions.append(("end_wrapup", agent_id))
        return self._set(agent_id, "ready", None)

    def extend_wrapup(self, agent_id):
        if self.status[agent_id].state != "wrapup":
            raise IllegalTransition("not in wrap-up")
        self.actions.append(("extend_wrapup", agent_id))
        return self.status[agent_id]

    def eavesdrop(self, supervisor_id, agent_id, mode):
        if agent_id not in self.calls:
            raise NoSuchCall(f"agent {agent_id} has no call")
        self.actions.append(("eavesdrop", supervisor_id, agent_id, mode))

    def floor(self):
        return FloorSnapshot(now(), tuple(self.queues.values()), tuple(self.status.values()),
                             tuple(self.calls.values()))

    def subscribe(self, agent_id, timeout):
        return Subscription(self, agent_id, timeout)

    # --- test controls: what the engine would do ---
    def publish(self, event: LiveEvent) -> None:
        for agent_id, inbox in list(self.subscribers):
            if agent_id is None or agent_id == event.agent_id:
                inbox.put(event)

    def _set(self, agent_id, state, reason, call_uuid=None):
        status = AgentStatus(agent_id, state, reason, now(), call_uuid)
        self.status[agent_id] = status
        self.publish(LiveEvent("agent_state", agent_id, {
            "state": state, "reason": reason, "since": status.since.isoformat(),
            "call_uuid": call_uuid}))
        self.publish(LiveEvent("floor_changed"))
        return status

    def _end(self, agent_id, cause):
        call = self.calls.pop(agent_id)  # gone, as in the engine; the status names it
        self.publish(LiveEvent("call_ended", agent_id, {"call_uuid": call.uuid, "cause": cause}))
        self._set(agent_id, "wrapup", None, call.uuid)

    def offer(self, agent_id: int, call: LiveCall) -> None:
        call = replace(call, agent_id=agent_id, state="offered", offered_at=now())
        self.calls[agent_id] = call
        self._set(agent_id, "offered", None, call.uuid)
        self.publish(LiveEvent("call_offered", agent_id, {"call": call}))

    def connect(self, agent_id: int) -> None:
        call = replace(self.calls[agent_id], state="bridged", answered_at=now())
        self.calls[agent_id] = call
        self._set(agent_id, "on_call", None, call.uuid)
        self.publish(LiveEvent("call_connected", agent_id, {"call": call}))


class Subscription:
    """Registered at once; close() unsubscribes even if never iterated."""

    def __init__(self, live: FakeLive, agent_id, timeout) -> None:
        self.live, self.timeout = live, timeout
        self.entry = (agent_id, gevent.queue.Queue())
        live.subscribers.append(self.entry)

    def __iter__(self):
        return self

    def __next__(self):
        if self.entry not in self.live.subscribers:
            raise StopIteration
        try:
            return self.entry[1].get(timeout=self.timeout)
        except gevent.queue.Empty:
            return None

    def close(self) -> None:
        if self.entry in self.live.subscribers:
            self.live.subscribers.remove(self.entry)


# --- database helpers ---

def add_agent(sessions, login: str, role: Role = Role.AGENT, skills: dict | None = None,
              extension: str | None = None, name: str | None = None) -> int:
    with transaction(sessions) as db:
        agent = Agent(login=login, display_name=name or login.title(),
                      password_hash=hash_password(PASSWORD), role=role, language="en",
                      sip_extension=extension)
        for skill_name, level in (skills or {}).items():
            skill = db.query(Skill).filter_by(name=skill_name).one_or_none() or Skill(name=skill_name)
            agent.skills.append(AgentSkill(skill=skill, level=level))
        db.add(agent)
        db.flush()
        return agent.id


def add_team(sessions, key: str, name: str, members: tuple[int, ...] = (),
             lead: int | None = None) -> int:
    """A team (班组, as made on the admin agents page) with these agents in it, led by lead."""
    with transaction(sessions) as db:
        team = Team(key=key, display_name=name, lead_id=lead)
        db.add(team)
        db.flush()
        for agent_id in members:
            db.get(Agent, agent_id).team_id = team.id
        return team.id


def add_customer(sessions, phone: str = "13800000001", tier=CustomerTier.VIP3,
                 name: str = "Zhang San") -> int:
    with transaction(sessions) as db:
        customer = Customer(name=name, tier=tier, language="zh")
        customer.phones = [CustomerPhone(number=phone)]
        account = Account(number="A1000001", plan="Mobile 88")
        customer.accounts = [account]
        for month, (due, paid, status) in enumerate([(8800, 8800, BillStatus.PAID),
                                                     (9650, 0, BillStatus.OVERDUE),
                                                     (12345, 0, BillStatus.OPEN)], start=8):
            account.bills.append(Bill(period=f"2026-{month:02d}", amount_due_cents=due,
                                      amount_paid_cents=paid, status=status,
                                      due_date=datetime(2026, month, 20).date()))
        db.add(customer)
        db.flush()
        return customer.id


def add_call(sessions, uuid: str, caller: str, customer_id: int | None, queue: str = "billing",
             agent_id: int | None = None, queued_ago: float = 30, wait: float | None = 10,
             talk: float | None = 60, abandoned: bool = False) -> int:
    start = now() - timedelta(seconds=queued_ago)
    with transaction(sessions) as db:
        call = Call(uuid=uuid, direction=CallDirection.INBOUND, caller_number=caller,
                    dialled_number="10000", customer_id=customer_id, queue_name=queue,
                    need=queue, queued_at=start, agent_id=agent_id, abandoned=abandoned,
                    created_at=start)
        if wait is not None and not abandoned:
            call.agent_answered_at = start + timedelta(seconds=wait)
            if talk is not None:
                call.ended_at = call.agent_answered_at + timedelta(seconds=talk)
        elif abandoned:
            call.ended_at = start + timedelta(seconds=wait or 30)
        db.add(call)
        db.flush()
        return call.id


def csrf_of(client) -> str:
    with client.session_transaction() as session:
        return session["csrf_token"]


def login(client, name: str, password: str = PASSWORD):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post("/login", data={"login": name, "password": password, "csrf_token": token})


@pytest.fixture
def fake_live():
    return FakeLive()


@pytest.fixture
def web_services(db_engine, sessions, write_config, fake_live):
    config = load_config(write_config(f"switch:\n  password: x\nacd:\n  queues_file: {QUEUES}\n"))
    return Services(config=config, db_engine=db_engine, sessions=sessions,
                    secret_key="test-secret-key-0123456789", extras={"live": fake_live})


@pytest.fixture
def app(web_services):
    return create_app(web_services, {"TESTING": True, "LOGIN_FAILURE_DELAY": 0.0,
                                     "SSE_KEEPALIVE": 0.2, "SSE_MAX_SECONDS": 5.0,
                                     "FLOOR_INTERVAL": 0.2})


@pytest.fixture
def client(app):
    return app.test_client()
