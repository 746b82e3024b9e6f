"""The composition root: builds the engine's parts from the configuration and
wires them together. Nothing else creates long-lived collaborators."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import gevent
from gevent.queue import Queue
from sqlalchemy import Engine as DbEngine, select, text
from sqlalchemy.orm import Session, sessionmaker

from callcenter import __version__, db
from callcenter.config import Config, warn_about_lab_settings
from callcenter.secrets_store import console_secret_key

log = logging.getLogger(__name__)

FLOW_RELOAD_SECONDS = 2.0
OVERLOAD_EXTENSION, FALLBACK_CONTEXT = "cc_overload", "cc_fallback"  # dialplans/public.xml
RECONCILE_SECONDS = 30.0


@dataclass
class Services:
    """What the web layer may use of the engine."""

    config: Config
    db_engine: DbEngine
    sessions: sessionmaker[Session]
    secret_key: str
    switch_state: Callable[[], str] = lambda: "not connected"
    live: Any = None  # web.ports.LivePort, once the engine runs
    lag: Callable[[], dict[str, Any]] | None = None  # Engine.lag, once the engine runs
    extras: dict[str, Any] = field(default_factory=dict)

    def health(self) -> dict[str, Any]:
        database = {"backend": self.db_engine.dialect.name, "reachable": False,
                    "schema_current": False, "revision": None}
        try:
            with self.db_engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            database["reachable"] = True
            database["revision"] = db.current_revision(self.db_engine)
            database["schema_current"] = database["revision"] == db.head_revision()
        except Exception as exc:  # reported, not raised: this is the health page
            database["error"] = str(exc).splitlines()[0]
        switch = {"kind": self.config.switch.kind, "state": self.switch_state()}
        if self.lag is not None:
            switch["lag"] = self.lag()
        ok = database["reachable"] and database["schema_current"]
        return {"ok": ok, "version": __version__, "database": database, "switch": switch}


def build_services(config: Config) -> Services:
    warn_about_lab_settings(config)
    engine = db.make_engine(config.database_url)
    db.check_schema_current(engine)
    secret = console_secret_key(config.web.secret_key, config.general.data_directory)
    return Services(config=config, db_engine=engine, sessions=db.session_factory(engine),
                    secret_key=secret)


def dialplans_directory() -> str:
    here = Path.cwd() / "dialplans"
    return str(here if here.is_dir() else Path(__file__).resolve().parent.parent / "dialplans")


class Engine:
    """The live engine: switch connection, IVR, ACD and the console's port."""

    def __init__(self, services: Services, *, simulator: Any = None,
                 clock: Callable[[], float] | None = None, ivr_clock: Callable | None = None,
                 dialer_clock: Callable | None = None, tickets_clock: Callable | None = None) -> None:
        import time

        from acd.queue_config import load_queues
        from callcenter.esl import Switch, SwitchConnection
        from callcenter.hooks import HookRunner
        from callcenter.ivr import FlowRegistry, PromptLibrary
        from callcenter.live.acd_actions import ActionRunner
        from callcenter.live.agents import AgentDirectory
        from callcenter.live.announcer import Announcer
        from callcenter.live.bus import EventBus
        from callcenter.live.calllog import CallLog
        from callcenter.live.inbound import InboundCalls
        from callcenter.live.phones import PhoneBook
        from callcenter.live.presence import PresenceStore
        from callcenter.live.registrations import Registrations
        from callcenter.live.recordings import RecordingStore
        from callcenter.models import Skill

        config, sessions = services.config, services.sessions
        self.services, self.config = services, config
        self.clock = clock or time.time
        self.simulator = simulator
        self._events: Queue = Queue()
        from callcenter.live.hungup import HungUpChannels
        self.hung_up = HungUpChannels()
        from callcenter.live.availability import AvailabilityLog
        self.availability = AvailabilityLog(sessions, self.clock)
        self.connection = SwitchConnection.from_config(config.switch, on_connected=self._on_connected,
                                                       on_lost=self.availability.switch_lost,
                                                       on_event=self._received)
        self.switch = Switch(self.connection)
        self.bus = EventBus()
        self.calllog = CallLog(sessions, config.general.data_directory)
        self.agents = AgentDirectory(sessions)
        self.flows = FlowRegistry.from_config(config)
        self.prompts = PromptLibrary(config.ivr.prompts_directory)
        self.recordings = RecordingStore(sessions, config.recordings.directory,
                                         config.recordings.retention_days, writer=self.calllog,
                                         switch_directory=config.recordings.switch_directory)
        with sessions() as session:
            skills = set(session.scalars(select(Skill.name)))
        self.acd_config = load_queues(config.acd.queues_file, known_skills=skills or None)
        from callcenter.live.callbacks import callback_policy_of
        self.callback_policy = callback_policy_of(config)  # windows and retries of callbacks
        self.runner = ActionRunner(self.switch, self.calllog, self.recordings, self.agents, self.bus,
                                   Announcer(self.switch, self.flows, self.prompts))
        self.runner.hung_up = self.hung_up
        self.runner.phones = self.phones = PhoneBook(
            on_change=lambda extension, status: self.registrations.phone_changed(extension, status))
        self.registrations = Registrations(self.switch, self.agents, self.phones, self.bus,
                                           lambda: self.shell)
        self.presence = PresenceStore(sessions, self.agents, writer=self.calllog)
        hooks = HookRunner(sessions, waiting_callers=lambda need: sum(
            call.queue == need for call in self.shell.core.waiting()))  # the live ACD, not the database
        self.inbound = InboundCalls(self.switch, self.calllog, self.flows, hooks,
                                    self.prompts, self.recordings, on_queue=self._to_queue,
                                    ivr_clock=ivr_clock)
        self.inbound.hung_up = self.hung_up
        self.shell = None
        self.dialer = None  # callcenter.live.dialer: campaigns, once the ACD runs
        self._dialer_clock = dialer_clock  # None: the real time (tests pin it)
        self._tickets_clock = tickets_clock  # the deadlines' clock (None: the real time)
        self.ticket_timers = None
        self.live = None
        self.roster = None
        self._lag = 0.0  # seconds between the switch raising the last event and its handling
        self._greenlets: list[gevent.Greenlet] = []
        self._rounds: list = []  # callcenter.live.rounds: the periodic jobs
        services.switch_state = lambda: self.connection.state
        services.lag = self.lag

    # --- lifecycle ------------------------------------------------------------------
    def start(self, connect_timeout: float | None = None) -> None:
        from callcenter.live.acd_shell import AcdShell
        from callcenter.live.floor import LiveFloor
        from callcenter.live.recovery import recover
        from callcenter.live.rounds import Rounds

        if self.simulator is not None:
            self.simulator.start()
        self.agents.reload()
        self.flows.reload()
        self.availability.started()
        self.connection.start()
        if not self.connection.wait_connected(connect_timeout or self.config.switch.connect_timeout):
            log.warning("switch not reachable yet (%s); carrying on, it will reconnect",
                        self.connection.state)
        recovered = recover(self.acd_config, self.presence, self.switch, self.runner)
        self.shell = AcdShell(recovered.core, self.runner, self.presence, self.agents, self.clock)
        from callcenter.live.repeat_callers import build_repeat_callers
        self.shell.repeat_callers = build_repeat_callers(self, self._tickets_clock)
        self.live = LiveFloor(self.shell, self.runner, self.switch, self.agents, self.bus, self.clock)
        self.services.live = self.live
        self.shell.start()
        from callcenter.live.dialer import build_dialer
        self.dialer = build_dialer(self, self._dialer_clock)
        self._watch_roster()
        for call_id in recovered.ended:
            self.shell.channel_hung_up(call_id, "ENGINE_RESTART_LOST")
        for channel in recovered.orphans:
            self._adopt(channel)
        self.registrations.sync()
        self._greenlets = [gevent.spawn(self._dispatch)]
        from callcenter.live.ticket_timers import build_ticket_timers
        self.ticket_timers = build_ticket_timers(self, self._tickets_clock)
        self._rounds = [Rounds("flow reload", self.flows.reload, FLOW_RELOAD_SECONDS, wait_first=True),
                        Rounds("reconciliation", self._reconcile_round, RECONCILE_SECONDS, wait_first=True),
                        Rounds("ticket timers", self.ticket_timers.tick, self.ticket_timers.interval)]
        for rounds in self._rounds:
            rounds.start()
        self.dialer.start()
        log.info("engine started (switch %s: %s)", self.config.switch.kind, self.connection.state)

    def stop(self) -> None:
        from callcenter.live.rounds import stop_all
        if self.dialer is not None:
            self.dialer.stop()
        stop_all(self._rounds)
        try:
            gevent.killall(self._greenlets, timeout=5)
        except gevent.Timeout:  # one stuck greenlet must not leave the rest running
            log.warning("engine greenlets still stopping after 5 s: %s",
                        [g for g in self._greenlets if not g.dead])
        if self.roster is not None:
            self.roster.stop()
        self.inbound.stop()
        if self.shell is not None:
            self.shell.stop()
        self.calllog.close()
        self.connection.stop()
        self.availability.stopped()
        log.info("engine stopped")

    # --- wiring ---------------------------------------------------------------------
    def _watch_roster(self) -> None:
        """Agent changes reach the ACD and FreeSWITCH's directory within seconds (issue 11)."""
        from callcenter.freeswitch.directory import DirectorySync
        from callcenter.live.roster import RosterWatch
        folder = self.config.switch.sip_directory
        directory = DirectorySync(self.config.base_directory / folder, self.switch.reload_xml,
                                  gevent.get_hub().threadpool.apply) \
            if folder else None  # an absolute folder stays as it is under `/`
        self.roster = RosterWatch(self.agents, self.shell.submit_nowait, lambda: self.shell.core,
                                  self.registrations.sync, directory)
        self.services.extras["agents_changed"] = self.roster.poke
        self.roster.start()

    def _to_queue(self, request) -> None:
        if request.uuid in self.hung_up:  # its hang-up waits in the backlog: nobody to queue
            log.info("[%s] not queued: the caller has hung up", request.uuid)
            return
        self.shell.enqueue(request)

    def _received(self, event) -> None:
        """Each event as it is read off the socket (handled later, in order, by _dispatch)."""
        self.hung_up.note(event)
        self._events.put(event)

    def _on_connected(self) -> None:
        self.availability.switch_connected()
        if self.shell is not None:  # a reconnect: the switch may have changed meanwhile
            self.adopt_orphans()
            self.registrations.sync()
            self.reconcile()

    def adopt_orphans(self) -> int:
        """Take the parked hotline calls nobody has taken: those parked while the engine was
        away or before it subscribed, whose CHANNEL_PARK it never saw. Returns how many."""
        from callcenter.esl import ControlledChannel, SwitchError
        try:
            channels = self.switch.show_channels()
        except SwitchError as error:
            log.warning("orphan check skipped: %s", error)
            return 0
        taken = 0
        for info in channels:
            if (info.application != "park" or info.uuid in self.runner.calls
                    or info.uuid in self.runner.agent_legs or self.inbound.has(info.uuid)):
                continue
            try:
                variables = self.switch.channel_variables(info.uuid)
            except SwitchError:
                continue  # gone meanwhile
            if variables.get("cc_entry") == "hotline" and variables.get("cc_state") in (
                    None, "ivr", "queued", "offered"):
                log.info("[%s] adopting a parked hotline call nobody had taken", info.uuid)
                self._adopt(ControlledChannel(info, variables))
                taken += 1
        return taken

    def lag(self) -> dict[str, float | int]:
        """How far behind the switch the engine is (for the metrics endpoint and overload):
        the age of the last event handled, events waiting, callers in the IVR."""
        return {"event_lag_seconds": round(self._lag, 3), "events_waiting": self._events.qsize(),
                **self.connection.backlog(), "calls_in_ivr": self.inbound.in_ivr,
                "turned_away": self.inbound.turned_away, "overloaded": self.overloaded(),
                "call_log": self.calllog.backlog(),
                "switch_reconnects": max(0, self.connection.connections - 1),
                "command_round_trips": self.connection.round_trips.snapshot(),
                **({"routing_decisions": self.shell.decisions.snapshot(),
                    "acd_input_lag_seconds": round(self.shell.input_lag, 3)} if self.shell else {})}

    def overloaded(self) -> bool:
        """Past any limit the engine would break promises to calls in progress: events, the
        ACD's inputs or commands waiting too long, or too many callers in the IVR."""
        switch = self.config.switch
        return (self._lag > switch.overload_lag_seconds
                or (self.shell is not None and self.shell.input_lag > switch.overload_lag_seconds)
                or self.connection.backlog()["oldest_command_seconds"] > switch.overload_lag_seconds
                or self.inbound.in_ivr >= switch.overload_calls_in_ivr)

    def _turn_away(self, uuid: str) -> None:
        """Overloaded: the dialplan's 'all lines busy, please call later', then hang-up."""
        log.warning("[%s] engine overloaded (%s): caller gets the busy answer", uuid, self.lag())
        self.inbound.turned_away += 1
        gevent.spawn(self._quietly_transfer, uuid)

    def _quietly_transfer(self, uuid: str) -> None:
        from callcenter.esl import SwitchError
        try:
            self.switch.transfer(uuid, OVERLOAD_EXTENSION, "XML", FALLBACK_CONTEXT)
        except SwitchError as error:
            log.warning("[%s] overload answer failed: %s", uuid, error)

    def _dispatch(self) -> None:
        from callcenter.esl import (ChannelBridged, ChannelHoldChanged, ChannelHungUp, ChannelParked,
                                    DtmfPressed, PhoneRegistered,
                                    PhoneUnregistered, RecordingStopped)
        while True:
            event = self._events.get()
            at = event.timestamp
            if at is not None:
                self._lag = max(0.0, self.clock() - at)
            try:
                if isinstance(event, ChannelParked):
                    if (event.variable("cc_entry") == "hotline" and not event.variable("cc_state")
                            and event.uuid not in self.runner.calls):
                        if self.overloaded():
                            self._turn_away(event.uuid)
                            continue
                        self.inbound.take(event.uuid, event.caller_number,
                                          event.variable("cc_hotline") or event.destination,
                                          event.variable("cc_service_line") or "",
                                          answered_at=_answered_at(event))
                elif isinstance(event, ChannelHungUp) and not event.complete:
                    self.shell.channel_hung_up(event.uuid, event.cause, at)
                    if event.variable("cc_entry") == "hotline":
                        self.inbound.forget(event.uuid)
                        self._caller_gone(event.uuid, event.cause, at)
                elif isinstance(event, ChannelBridged):
                    self.shell.channel_bridged(event.uuid, event.other_uuid, at)
                elif isinstance(event, ChannelHoldChanged):
                    self.shell.channel_hold(event.uuid, event.held, at)
                elif isinstance(event, DtmfPressed):
                    self.shell.dtmf(event.uuid, event.digit)
                elif isinstance(event, PhoneRegistered):
                    self.phones.registered(event.extension, at, event.user_agent, event.contact)
                    self.shell.phone(event.extension, True)
                elif isinstance(event, PhoneUnregistered):
                    self.phones.offline(event.extension, at, "expired" if event.expired else "unregistered")
                    self.shell.phone(event.extension, False)
                elif isinstance(event, RecordingStopped) and event.discarded:
                    self.recordings.discarded(event.uuid, event.path)
                elif isinstance(event, RecordingStopped):
                    self.recordings.finished(event.path)  # queues its figures: never waits
            except Exception:
                log.exception("handling %s failed", type(event).__name__)

    def _caller_gone(self, uuid: str, cause: str, at: float | None = None) -> None:
        from callcenter.live.acd_actions import switch_time
        if not self.calllog.ended(uuid):
            self.calllog.update(uuid, ended_at=switch_time(at), hangup_cause=cause)

    def _adopt(self, channel) -> None:
        """A hotline call the previous engine left without a record of it."""
        from callcenter.live.inbound import QueueRequest
        variables, info = channel.variables, channel.info
        if variables.get("cc_state") in ("queued", "offered"):
            priority = variables.get("cc_priority") or "0"
            self.shell.enqueue(QueueRequest(info.uuid, info.caller_number, variables.get("cc_queue"),
                                            int(priority) if priority.isdigit() else 0, "regular", None))
        elif variables.get("cc_state") in (None, "ivr"):
            self.inbound.take(info.uuid, info.caller_number,
                              variables.get("cc_hotline") or info.destination)

    def _reconcile_round(self) -> None:
        self.reconcile()
        self.registrations.repair()

    def caught_up(self, timeout: float) -> bool:
        """Wait until the events received so far have been handled, the ACD's part
        included; False if that takes longer than ``timeout`` seconds."""
        from callcenter.live.reconcile import caught_up
        return caught_up(self._events, self.shell, timeout)

    def reconcile(self) -> None:
        """Repair what drifted from the switch: connected calls whose legs are gone."""
        from callcenter.live.reconcile import Reconciliation
        Reconciliation(self.switch, self.runner, self.shell, self._events).run()


def _answered_at(event) -> float | None:
    """When the switch answered the caller (Caller-Channel-Answered-Time, microseconds),
    else when it parked the call."""
    raw = event.headers.get("Caller-Channel-Answered-Time") if event.headers is not None else None
    return int(raw) / 1_000_000 if raw and raw.isdigit() and raw != "0" else event.timestamp
