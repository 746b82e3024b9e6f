"""The console on the REAL engine: callcenter.engine.Engine against the switch
simulator (real ESL sockets) on a migrated, seeded database, with the Flask app
served by gevent's WSGIServer on 127.0.0.1:<free port> in this process; plus
Debian's headless chromium through Playwright (never a downloaded browser).

Modelled on tests/engine_fixtures.py (hotline). Import with
``from web_live_fixtures import *``."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest
from gevent.pywsgi import WSGIServer
from sqlalchemy import select

from callcenter import seed
from callcenter.config import load_config
from callcenter.db import transaction
from callcenter.engine import Engine, Services, build_services
from callcenter.models import Agent, Call
from callcenter.sim import Simulator
from engine_fixtures import OPEN_HOURS, _cheap_hash, write_engine_config
from web import create_app

ROOT = Path(__file__).resolve().parent.parent
SWITCH_PASSWORD = "web-live-switch-password"
CONSOLE_PASSWORD = "web-live-console-pw"  # every seeded login's console password
SUPERVISOR_EXTENSION = "2001"  # lead1's phone (the seed gives supervisors none)
# A Monday morning in Shanghai: the hotline is open, no holiday.

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1366, "height": 768}


@dataclass
class LiveConsole:
    """A running engine + simulator + console, and helpers that read like the situation."""

    services: Services
    sim: Simulator
    engine: Engine
    url: str

    def agent(self, login: str) -> Agent:
        with self.services.sessions() as db:
            return db.scalar(select(Agent).where(Agent.login == login))

    def call(self, uuid: str) -> Call | None:
        with self.services.sessions() as db:
            return db.scalar(select(Call).where(Call.uuid == uuid))

    def registered(self, extension: str) -> bool:
        return extension in {r.extension for r in self.engine.switch.registrations()}

    def register_phone(self, extension: str, behaviour: str = "answer:1") -> None:
        self.sim.register_phone(extension, behaviour)
        self.wait(lambda: self.registered(extension), 5, f"phone {extension} registered")

    def wait(self, predicate: Callable[[], Any], timeout: float, what: str) -> None:
        assert self.sim.wait_until(lambda: bool(predicate()), timeout), f"timed out: {what}"


def start_live_console(sessions, db_engine, write_config, tmp_path, monkeypatch,
                       speed: float = 4.0) -> tuple[LiveConsole, WSGIServer]:
    monkeypatch.setattr(seed, "hash_password", _cheap_hash)
    monkeypatch.setattr(seed, "hash_service_password", _cheap_hash)
    monkeypatch.setenv("CALLCENTER_DEMO_PASSWORD", CONSOLE_PASSWORD)
    seed.seed_demo(sessions, customers=10)
    with transaction(sessions) as db:  # before the engine starts: its agent directory reads it
        db.scalar(select(Agent).where(Agent.login == "lead1")).sip_extension = SUPERVISOR_EXTENSION
    sim = Simulator(SWITCH_PASSWORD, port=0, speed=speed, fast_media=True,
                    dialplan_dir=str(ROOT / "dialplans"))
    port = sim.start()
    path = write_engine_config(write_config, tmp_path, db_engine, port, SWITCH_PASSWORD,
                               name="web-live.yaml")
    services = build_services(load_config(path, environ={}))
    engine = Engine(services, ivr_clock=lambda: OPEN_HOURS)
    engine.start(connect_timeout=5)
    app = create_app(services, {"LOGIN_FAILURE_DELAY": 0.0, "SSE_KEEPALIVE": 0.5,
                                "SSE_MAX_SECONDS": 60.0, "FLOOR_INTERVAL": 0.3})
    wsgi = WSGIServer(("127.0.0.1", 0), app, log=None)
    wsgi.start()
    console = LiveConsole(services, sim, engine, f"http://127.0.0.1:{wsgi.server_port}")
    return console, wsgi


@pytest.fixture
def live_console(sessions, db_engine, write_config, tmp_path, monkeypatch):
    console, wsgi = start_live_console(sessions, db_engine, write_config, tmp_path, monkeypatch)
    yield console
    wsgi.stop(timeout=1)
    console.engine.stop()
    console.sim.close()


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path):
    """Where screenshots go: a temporary folder, or $CALLCENTER_SCREENSHOTS
    (e.g. docs/screenshots) when set."""
    folder = Path(os.environ.get("CALLCENTER_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_page(browser):
    return browser.new_page(viewport=VIEWPORT, locale="en-US", timezone_id="Asia/Shanghai")


def log_in(browser, base: str, login: str, password: str):
    page = open_page(browser)
    page.goto(base + "/login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("button[type=submit]")
    return page


def fits(page) -> bool:
    """No horizontal scroll bar at this viewport."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def press_ready(page) -> None:
    """F2 on the desk once it shows the agent's state; fails saying what the desk showed."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    page.wait_for_selector("#state[class^='pill ']")  # the first state has been shown
    page.keyboard.press("F2")
    try:
        page.wait_for_selector("#state.ready")
    except PlaywrightTimeout:
        raise AssertionError(f"the desk is not ready after F2: state "
                             f"{page.get_attribute('#state', 'class')!r}, message "
                             f"{page.text_content('#message')!r}") from None
