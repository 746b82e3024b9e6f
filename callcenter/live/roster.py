"""Agent, extension, skill and SIP password changes reach the running engine
within seconds, and FreeSWITCH without a manual step.

The roster is reloaded from the database every `interval` seconds, or at
once when the console in this process pokes it (`poke`); a change made
elsewhere (another process, `callcenter agents import`) is found by the
periodic reload. What changed goes to the ACD (new skill levels, an agent
deactivated), to the phone registration state (an agent on a new extension),
and to the SIP directory that FreeSWITCH reads (`DirectorySync`).
"""
from __future__ import annotations

import logging
from typing import Callable

import gevent
from gevent.event import Event

from acd.errors import AcdError, UnknownAgent
from callcenter.freeswitch.directory import DirectorySync
from callcenter.live.agents import AgentCard, AgentDirectory, RosterChange
from callcenter.live.rounds import STOP_WAIT_SECONDS

log = logging.getLogger(__name__)

RELOAD_SECONDS = 2.0


class RosterWatch:
    def __init__(self, agents: AgentDirectory, submit: Callable[[Callable[[float], list]], None],
                 core: Callable[[], object], resync_phones: Callable[[], None],
                 directory: DirectorySync | None = None, interval: float = RELOAD_SECONDS) -> None:
        """``submit``: runs a step on the ACD core in its loop (AcdShell.submit_nowait);
        ``core``: the live AcdCore; ``resync_phones``: re-reads the switch's registrations."""
        self.agents, self.submit, self.core = agents, submit, core
        self.resync_phones, self.directory, self.interval = resync_phones, directory, interval
        self._poke = Event()
        self._phones_moved = False
        self._greenlet: gevent.Greenlet | None = None
        self._stopping = False
        agents.on_change(self._changed)

    # --- lifecycle ------------------------------------------------------------------
    def start(self) -> None:
        self._stopping = False
        self._greenlet = gevent.spawn(self._run)

    def stop(self) -> None:
        """Lets a reload in progress end: killed in a query, it would leave its
        database connection mid-transaction (see callcenter.live.rounds)."""
        greenlet, self._greenlet = self._greenlet, None
        if greenlet is not None:
            self._stopping = True
            self._poke.set()
            greenlet.join(STOP_WAIT_SECONDS)
            greenlet.kill(timeout=5)

    def poke(self) -> None:
        """An agent was just changed in this process: reload now rather than at the next tick."""
        self._poke.set()

    def _run(self) -> None:
        self.sync_directory()  # at once: a restarted engine repairs what changed while it was away
        while True:
            self._poke.wait(self.interval)
            self._poke.clear()
            if self._stopping:
                return
            try:
                self._tick()
            except Exception as error:  # the database away, say: the loop lives on, tries next tick
                log.warning("agent roster not reloaded: %s: %s", type(error).__name__, error)

    def _tick(self) -> None:
        # the read in a real thread (a slow database stalls no call), then _changed here
        self.agents.reload(run=gevent.get_hub().threadpool.apply)
        self.sync_directory()
        if self._phones_moved:
            self._phones_moved = False
            self.resync_phones()

    # --- what a change means --------------------------------------------------------
    def _changed(self, change: RosterChange) -> None:
        """Runs in whichever greenlet reloaded: hands work to the ACD loop, blocks nothing."""
        for before, after in change.changed:
            if before.skills != after.skills:
                log.info("roster: %s's skills are now %s", after.login, dict(after.skills))
                self.submit(self._set_skills(after))
            if before.extension != after.extension:
                log.info("roster: %s's phone is now extension %s (was %s)",
                         after.login, after.extension, before.extension)
                self._phones_moved = True
        for card in change.added:
            log.info("roster: agent %s is active (extension %s)", card.login, card.extension)
            self._phones_moved = self._phones_moved or bool(card.extension)
        for card in change.removed:
            log.info("roster: agent %s was deactivated", card.login)
            self.submit(self._log_out(card))
        if gevent.getcurrent() is not self._greenlet:
            self._poke.set()  # the directory and the phones: in the watch's own greenlet

    def _set_skills(self, card: AgentCard) -> Callable[[float], list]:
        def step(now: float) -> list:
            try:
                return self.core().set_agent_skills(card.login, card.skills, now)
            except UnknownAgent:
                return []  # never logged in: the login reads the new skills
        return step

    def _log_out(self, card: AgentCard) -> Callable[[float], list]:
        def step(now: float) -> list:
            try:
                return self.core().agent_logged_out(card.login, now)
            except AcdError as error:  # logged out already, or on a call: the call goes on
                log.info("roster: deactivated %s stays as is: %s", card.login, error)
                return []
        return step

    def sync_directory(self) -> None:
        if self.directory is None:
            return
        try:
            self.directory.apply(self.agents.cards())
        except Exception as error:  # the switch away or the disk full: retried at the next tick
            log.warning("SIP directory not applied yet: %s", error)
