"""Agents' phones as the switch lists them: read at start and after a reconnect
(``sync``), repaired periodically (``repair``), and every change told to the ACD and
the console. The phone's own REGISTER / un-REGISTER events go through PhoneBook as
they come; this is what keeps the two in step when an event was missed."""
from __future__ import annotations

import logging
from typing import Any, Callable

from acd.errors import UnknownAgent
from callcenter.esl import Switch, SwitchError
from callcenter.live.agents import AgentDirectory
from callcenter.live.bus import EventBus
from callcenter.live.phones import PhoneBook

log = logging.getLogger(__name__)


class Registrations:
    def __init__(self, switch: Switch, agents: AgentDirectory, phones: PhoneBook, bus: EventBus,
                 shell: Callable[[], Any]) -> None:
        """``shell()``: the running AcdShell (the engine makes it after this)."""
        self.switch, self.agents, self.phones, self.bus, self.shell = switch, agents, phones, bus, shell
        self.absent: set[str] = set()  # extensions the last check did not find

    def sync(self) -> None:
        """Believe the switch's listing: every call-taker's phone registered or not."""
        try:
            listing = {r.extension: r for r in self.switch.registrations()}
        except SwitchError as error:
            log.warning("could not read registrations: %s", error)
            return
        shell = self.shell()
        for card in self.agents.call_takers():
            listed = listing.get(card.extension)
            if listed is not None:
                self.phones.registered(card.extension, None, contact=listed.contact, fresh=False)
            else:
                self.phones.offline(card.extension, None, "unregistered")
            shell.phone(card.extension, listed is not None and not self.phones.unreachable(card.extension))
        self.absent = {c.extension for c in self.agents.call_takers()} - set(listing)

    def repair(self) -> None:
        """Periodic: a phone the engine thinks registered but the switch has not listed
        twice in a row is marked unregistered (once could be the switch's table lagging
        its events); a listed phone the engine thinks absent is marked registered."""
        try:
            registered = {r.extension for r in self.switch.registrations()}
        except SwitchError as error:
            log.warning("registration check skipped: %s", error)
            return
        shell, absent = self.shell(), set()
        for card in self.agents.call_takers():
            try:
                known = shell.core.agent(card.login).phone_registered
            except UnknownAgent:
                known = None
            listed = card.extension in registered
            if not listed:
                absent.add(card.extension)
            if listed and known is not True and not self.phones.unreachable(card.extension):
                log.info("reconciliation: %s's phone %s is registered", card.login, card.extension)
                self.phones.registered(card.extension, None, fresh=False)
                shell.phone(card.extension, True)
            elif not listed and known and card.extension in self.absent:
                log.warning("reconciliation: %s's phone %s is no longer registered",
                            card.login, card.extension)
                self.phones.offline(card.extension, None, "expired")
                shell.phone(card.extension, False)
        self.absent = absent

    def phone_changed(self, extension: str, status: Any) -> None:
        """PhoneBook's change hook: the agent's desk and the floor hear of it."""
        from callcenter.live.states import phone_event
        from web.ports import LiveEvent
        card = self.agents.by_extension(extension)
        if card is not None:
            self.bus.publish(phone_event(card.id, status))
            self.bus.publish(LiveEvent("floor_changed"))
