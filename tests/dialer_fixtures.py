"""A hotline whose dialer runs on a clock the test moves, with simulated customers."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterator

import gevent
import pytest
from sqlalchemy import func, select

from callcenter import seed
from callcenter.config import load_config
from callcenter.db import transaction
from callcenter.dialer import store
from callcenter.engine import Engine, build_services
from callcenter.models import (Campaign, CampaignAttempt, CampaignContact, CampaignKind,
                               CampaignStatus)
from callcenter.sim import Simulator
from callcenter.sim.customers import Customers
from engine_fixtures import (OPEN_HOURS, PASSWORD, ROOT, Hotline, _cheap_hash, queues_file,
                             stop_hotline, write_engine_config)


class MovedClock:
    """The dialer's time: it moves only when the test says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start.astimezone(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def set(self, moment: datetime) -> None:
        self.now = moment.astimezone(timezone.utc)


@dataclass(frozen=True)
class Row:
    """A contact as the list importer gives it."""
    phone: str
    name: str = ""
    amount_cents: int | None = None
    due_date: date | None = None
    language: str | None = None
    customer_id: int | None = None
    line: int | None = None


class Outbound:
    """The hotline, the customers' phones and the dialer's clock, read like a campaign."""

    def __init__(self, line: Hotline, customers: Customers, clock: MovedClock) -> None:
        self.line, self.customers, self.clock = line, customers, clock
        self.sessions = line.services.sessions

    @property
    def engine(self) -> Engine:
        return self.line.engine

    def campaign(self, name: str, rows: list[Row], **fields: Any) -> int:
        settings = fields.pop("settings", {})
        with transaction(self.sessions) as session:
            campaign = Campaign(name=name, kind=fields.pop("kind", CampaignKind.COLLECTIONS),
                                flow=fields.pop("flow", "collections"), settings=settings, **fields)
            session.add(campaign)
            session.flush()
            store.add_contacts(session, campaign.id, rows)
            return campaign.id

    def start(self, campaign_id: int) -> None:
        with transaction(self.sessions) as session:
            store.set_status(session, campaign_id, CampaignStatus.RUNNING, self.clock())

    def open_attempts(self) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(CampaignAttempt)
                                  .where(CampaignAttempt.outcome.is_(None)))

    def open_attempt_uuids(self) -> set[str]:
        with self.sessions() as session:
            return set(session.scalars(select(CampaignAttempt.uuid)
                                       .where(CampaignAttempt.outcome.is_(None))))

    def settled_attempts(self) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(CampaignAttempt)
                                  .where(CampaignAttempt.outcome.is_not(None)))

    def contacts(self, campaign_id: int) -> list[CampaignContact]:
        with self.sessions() as session:
            return list(session.scalars(select(CampaignContact)
                                        .where(CampaignContact.campaign_id == campaign_id)
                                        .order_by(CampaignContact.id)))

    def attempts(self, campaign_id: int) -> list[CampaignAttempt]:
        with self.sessions() as session:
            return list(session.scalars(select(CampaignAttempt)
                                        .where(CampaignAttempt.campaign_id == campaign_id)
                                        .order_by(CampaignAttempt.id)))

    def status(self, campaign_id: int) -> CampaignStatus:
        with self.sessions() as session:
            return session.get(Campaign, campaign_id).status

    def idle(self) -> bool:
        """Nothing in flight, in the database or in the runner."""
        return self.open_attempts() == 0 and not any(self.engine.dialer._lines.values())

    def run_clock(self, until: datetime, step: float, pause: float = 0.05,
                  stop=lambda: False) -> None:
        """Move the dialer's clock ``step`` seconds every ``pause`` real seconds up to ``until``."""
        while self.clock() < until and not stop():
            self.clock.advance(step)
            gevent.sleep(pause)


CONSOLE_PASSWORD = "outbound-console-pw"  # every seeded login's console password


def start_outbound(sessions, db_engine, write_config, tmp_path, monkeypatch, clock: MovedClock,
                   speed: float = 20.0, queues: dict[str, dict[str, Any]] | None = None) -> Outbound:
    monkeypatch.setattr(seed, "hash_password", _cheap_hash)
    monkeypatch.setattr(seed, "hash_service_password", _cheap_hash)
    monkeypatch.setenv("CALLCENTER_DEMO_PASSWORD", CONSOLE_PASSWORD)
    seed.seed_demo(sessions, customers=10)
    sim = Simulator(PASSWORD, port=0, speed=speed, fast_media=True,
                    dialplan_dir=str(ROOT / "dialplans"))
    sim.keep_finished = 10_000
    customers = Customers(sim, clock=clock)
    port = sim.start()
    path = write_engine_config(write_config, tmp_path, db_engine, port, PASSWORD,
                               queues_file(tmp_path, queues=queues) if queues else None)
    services = build_services(load_config(path, environ={}))
    services.extras["dialer_clock"] = clock  # the console's window figures on the same time

    def make_engine() -> Engine:
        engine = Engine(services, ivr_clock=lambda: OPEN_HOURS, dialer_clock=clock)
        return engine

    line = Hotline(services, sim, make_engine)
    line.engine.start()
    return Outbound(line, customers, clock)


@pytest.fixture
def outbound_at(sessions, db_engine, write_config, tmp_path, monkeypatch):
    """outbound_at(moment) starts a hotline whose dialer's clock stands at ``moment``."""
    started: list[Outbound] = []

    def start(moment: datetime, speed: float = 20.0,
              queues: dict[str, dict[str, Any]] | None = None) -> Outbound:
        out = start_outbound(sessions, db_engine, write_config, tmp_path, monkeypatch,
                             MovedClock(moment), speed, queues)
        started.append(out)
        return out

    yield start
    for out in started:
        stop_hotline(out.line)


@contextmanager
def served_console(out: Outbound) -> Iterator[str]:
    """The console on ``out``'s services, served on a free port; yields its base URL."""
    from gevent.pywsgi import WSGIServer
    from web import create_app
    app = create_app(out.line.services, {"LOGIN_FAILURE_DELAY": 0.0})
    wsgi = WSGIServer(("127.0.0.1", 0), app, log=None)
    wsgi.start()
    try:
        yield f"http://127.0.0.1:{wsgi.server_port}"
    finally:
        wsgi.stop(timeout=1)
