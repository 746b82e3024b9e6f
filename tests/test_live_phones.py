"""PhoneBook, the engine's record of agents' phones (pure): registered since when and with
which softphone, offline and why; a phone found unreachable is not brought back by the
switch's (stale) listing, only by its own new REGISTER."""
from datetime import datetime, timezone

import pytest

from callcenter.live.phones import UNREACHABLE, PhoneBook

T0 = 1_796_000_000.0


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(T0 + seconds, timezone.utc)


@pytest.mark.parametrize("steps, registered, reason, since, changes", [
    ([("registered", 0, "baresip 1.0", "sip:1008@10.0.0.5", True)], True, None, 0, 1),
    # a refresh of the same registration keeps the first 'since' and tells nobody
    ([("registered", 0, "baresip 1.0", "sip:1008@10.0.0.5", True),
      ("registered", 60, "baresip 1.0", "sip:1008@10.0.0.5", True)], True, None, 0, 1),
    # the same phone from a new address is a new registration
    ([("registered", 0, "baresip 1.0", "sip:1008@10.0.0.5", True),
      ("registered", 60, "baresip 1.0", "sip:1008@10.0.0.9", True)], True, None, 60, 2),
    ([("registered", 0, "Linphone", "sip:a", True), ("offline", 30, "unregistered")], False, "unregistered", 30, 2),
    ([("registered", 0, "Linphone", "sip:a", True), ("offline", 30, "expired"), ("offline", 40, "expired")],
     False, "expired", 30, 2),
    # unreachable: the switch still lists it, which is not believed ...
    ([("registered", 0, "MicroSIP", "sip:a", True), ("offline", 5, "unreachable"),
      ("registered", 6, None, "sip:a", False)], False, "unreachable", 5, 2),
    # ... until the phone registers again by itself
    ([("registered", 0, "MicroSIP", "sip:a", True), ("offline", 5, "unreachable"),
      ("registered", 90, "MicroSIP", "sip:a", True)], True, None, 90, 3),
])
def test_phone_book(steps, registered, reason, since, changes):
    told = []
    book = PhoneBook(on_change=lambda extension, status: told.append((extension, status)))
    for step in steps:
        if step[0] == "registered":
            _, seconds, agent, contact, fresh = step
            book.registered("1008", T0 + seconds, agent, contact, fresh=fresh)
        else:
            _, seconds, why = step
            book.offline("1008", T0 + seconds, why)
    status = book.get("1008")
    assert (status.registered, status.reason, status.since) == (registered, reason, at(since))
    assert len(told) == changes and told[-1] == ("1008", status)
    assert book.unreachable("1008") is (reason == "unreachable")


def test_a_phone_keeps_its_user_agent_when_it_goes_offline():
    book = PhoneBook()
    book.registered("1001", T0, "baresip v1.0.0", "sip:1001@127.0.0.1:5070")
    book.offline("1001", T0 + 1, "expired")
    assert book.get("1001").user_agent == "baresip v1.0.0" and book.get("1001").contact is None
    assert book.get("1002") is None


def test_causes_that_mean_the_phone_is_gone_are_not_the_agents_miss():
    assert "NORMAL_TEMPORARY_FAILURE" in UNREACHABLE  # measured: a dead phone on a LAN
    assert "RECOVERY_ON_TIMER_EXPIRE" in UNREACHABLE  # SIP timers ran out
    assert not UNREACHABLE & {"NO_ANSWER", "USER_BUSY", "CALL_REJECTED", "ORIGINATOR_CANCEL"}
