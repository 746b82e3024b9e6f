"""What the engine knows of each agent's phone: registered or not, since when, which
softphone (user agent) at which contact, and why it is offline.

Kept apart from the agent's own state (ready, not ready ...): a phone that goes away
makes its agent unofferable without touching what the agent chose, and a phone that
comes back makes them offerable again by itself.

A phone that died without un-registering stays listed by the switch until its
registration expires; a call to it then fails at once (NORMAL_TEMPORARY_FAILURE on a
LAN) or after the SIP timers (RECOVERY_ON_TIMER_EXPIRE). Such a phone is marked
'unreachable' and the switch's listing is not believed again until the phone itself
registers anew (a sofia::register event).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from web.ports import PhoneStatus

# hang-up causes of a call to an agent's phone that say the phone is not there
UNREACHABLE = frozenset({"NORMAL_TEMPORARY_FAILURE", "RECOVERY_ON_TIMER_EXPIRE",
                         "DESTINATION_OUT_OF_ORDER", "NETWORK_OUT_OF_ORDER"})


def _at(epoch: float | None) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc) if epoch is not None else datetime.now(timezone.utc)


class PhoneBook:
    def __init__(self, on_change: Callable[[str, PhoneStatus], None] = lambda extension, status: None):
        self._phones: dict[str, PhoneStatus] = {}
        self._on_change = on_change

    def get(self, extension: str) -> PhoneStatus | None:
        return self._phones.get(extension)

    def unreachable(self, extension: str) -> bool:
        status = self._phones.get(extension)
        return status is not None and status.reason == "unreachable"

    def registered(self, extension: str, at: float | None, user_agent: str | None = None,
                   contact: str | None = None, fresh: bool = True) -> None:
        """``fresh``: the phone's own REGISTER (an event); False: the switch's listing, which
        does not bring back a phone found unreachable."""
        old = self._phones.get(extension)
        if not fresh and old is not None and old.reason == "unreachable":
            return
        if old is not None and old.registered:
            if (user_agent or old.user_agent, contact or old.contact) == (old.user_agent, old.contact):
                return  # a refresh: 'since' stays the first registration's
        self._set(extension, PhoneStatus(True, _at(at), None, user_agent or (old.user_agent if old else None),
                                         contact or (old.contact if old else None)))

    def offline(self, extension: str, at: float | None, reason: str) -> None:
        old = self._phones.get(extension)
        if old is not None and not old.registered and old.reason == reason:
            return
        self._set(extension, PhoneStatus(False, _at(at), reason, old.user_agent if old else None, None))

    def _set(self, extension: str, status: PhoneStatus) -> None:
        self._phones[extension] = status
        self._on_change(extension, status)
