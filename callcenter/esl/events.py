"""Typed FreeSWITCH events and the one table that maps event names to parsers.

The same table builds the `event plain ...` subscription, so the engine is
subscribed to exactly the events it can parse. Anything else that arrives is
dropped after one search for `Event-Name`, before any other parsing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Union

from callcenter.esl.parse import EventHeaders

__all__ = [
    "ChannelCreated", "ChannelAnswered", "ChannelParked", "ChannelBridged", "ChannelHoldChanged",
    "ChannelUnbridged",
    "ChannelHungUp", "ChannelDestroyed", "ApplicationStarted", "ApplicationCompleted", "DtmfPressed",
    "BackgroundJobDone", "PhoneRegistered", "PhoneUnregistered", "RecordingStarted",
    "RecordingStopped", "Heartbeat", "Event", "CHANNEL_EVENTS", "EVENT_PARSERS", "CUSTOM_PARSERS",
    "subscription_command", "subscription_filters", "parse_event", "SUBSCRIBED",
    "ENGINE_APPLICATION_PREFIX",
]


def _h():
    return field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class _Base:
    def variable(self, name: str) -> str | None:
        """A channel variable carried by the event (`variable_<name>`), URL-decoded."""
        headers = self.headers  # type: ignore[attr-defined]
        return headers.variable(name) if headers is not None else None

    @property
    def timestamp(self) -> float | None:
        """When the switch raised the event (its `Event-Date-Timestamp`, microseconds since
        the epoch), in seconds; None when the header is missing. Figures use this, not the
        time the engine got round to the event."""
        headers = self.headers  # type: ignore[attr-defined]
        raw = headers.get("Event-Date-Timestamp") if headers is not None else None
        return int(raw) / 1_000_000 if raw and raw.isdigit() else None


@dataclass(frozen=True, slots=True)
class ChannelCreated(_Base):
    uuid: str
    direction: str
    caller_number: str
    destination: str
    channel_name: str
    headers: EventHeaders | None = _h()


@dataclass(frozen=True, slots=True)
class ChannelAnswered(_Base):
    uuid: str
    direction: str
    caller_number: str
    destination: str
    headers: EventHeaders | None = _h()


@dataclass(frozen=True, slots=True)
class ChannelParked(_Base):
    uuid: str
    direction: str
    caller_number: str
    destination: str
    headers: EventHeaders | None = _h()


@dataclass(frozen=True, slots=True)
class ChannelBridged(_Base):
    uuid: str
    other_uuid: str
    headers: EventHeaders | None = _h()


@dataclass(frozen=True, slots=True)
class ChannelHoldChanged(_Base):
    """CHANNEL_HOLD / CHANNEL_UNHOLD: the channel was put on hold (uuid_hold, or its
    phone sent a re-INVITE sendonly / inactive) or taken off it."""
    uuid: str
    held: bool
    headers: EventHeaders | None = _h()


@dataclass(frozen=True, slots=True)
class ChannelUnbridged(_Base):
    uuid: str
    other_uuid: str
    headers: EventHeaders | None = _h()


@dataclass(frozen=True, slots=True)
class ChannelHungUp(_Base):
    """CHANNEL_HANGUP (complete=False) or CHANNEL_HANGUP_COMPLETE (complete=True)."""
    uuid: str
    cause: str
    complete: bool = False
    headers: EventHeaders | None = _h()


@dataclass(frozen=True, slots=True)
class ChannelDestroyed(_Base):
    uuid: str
    cause: str
    headers: EventHeaders | None = _h()


@dataclass(frozen=True, slots=True)
class ApplicationStarted(_Base):
    uuid: str
    application: str
    argument: str
    application_uuid: str
    headers: EventHeaders | None = _h()


@dataclass(frozen=True, slots=True)
class ApplicationCompleted(_Base):
    uuid: str
    application: str
    argument: str
    application_uuid: str
    response: str
    headers: EventHeaders | None = _h()


@dataclass(frozen=True, slots=True)
class DtmfPressed(_Base):
    uuid: str
    digit: str
    duration: int
    source: str
    headers: EventHeaders | None = _h()


@dataclass(frozen=True, slots=True)
class BackgroundJobDone(_Base):
    job_uuid: str
    command: str
    ok: bool
    body: str
    headers: EventHeaders | None = _h()


@dataclass(frozen=True, slots=True)
class PhoneRegistered(_Base):
    extension: str
    domain: str
    contact: str
    expires: int
    headers: EventHeaders | None = _h()

    @property
    def user_agent(self) -> str:
        return self.headers.get("user-agent") or "" if self.headers is not None else ""


@dataclass(frozen=True, slots=True)
class PhoneUnregistered(_Base):
    """sofia::unregister (expired=False) or sofia::expire (expired=True)."""
    extension: str
    domain: str
    expired: bool
    headers: EventHeaders | None = _h()


@dataclass(frozen=True, slots=True)
class RecordingStarted(_Base):
    uuid: str
    path: str
    headers: EventHeaders | None = _h()


@dataclass(frozen=True, slots=True)
class RecordingStopped(_Base):
    """``discarded``: the switch deleted the file it had opened (see _discarded)."""
    uuid: str
    path: str
    discarded: bool = False
    headers: EventHeaders | None = _h()


@dataclass(frozen=True, slots=True)
class Heartbeat(_Base):
    sessions: int
    uptime_seconds: int
    headers: EventHeaders | None = _h()


Event = Union[ChannelCreated, ChannelAnswered, ChannelParked, ChannelBridged, ChannelHoldChanged,
              ChannelUnbridged,
              ChannelHungUp, ChannelDestroyed, ApplicationStarted, ApplicationCompleted, DtmfPressed,
              BackgroundJobDone, PhoneRegistered, PhoneUnregistered, RecordingStarted,
              RecordingStopped, Heartbeat]
CHANNEL_EVENTS = (ChannelCreated, ChannelAnswered, ChannelParked, ChannelBridged, ChannelHoldChanged,
                  ChannelUnbridged,
                  ChannelHungUp, ChannelDestroyed, ApplicationStarted, ApplicationCompleted,
                  DtmfPressed, RecordingStarted, RecordingStopped)


def _s(h: EventHeaders, name: str) -> str:
    return h.get(name) or ""


def _int(h: EventHeaders, name: str) -> int:
    value = h.get(name) or ""
    return int(value) if value.isdigit() else 0


def _party(cls):
    return lambda h: cls(_s(h, "Unique-ID"), _s(h, "Call-Direction"), _s(h, "Caller-Caller-ID-Number"),
                         _s(h, "Caller-Destination-Number"), headers=h)


def _other(h: EventHeaders) -> str:
    mine = _s(h, "Unique-ID")
    for name in ("Other-Leg-Unique-ID", "Bridge-B-Unique-ID", "Bridge-A-Unique-ID"):
        value = h.get(name)
        if value and value != mine:
            return value
    return ""


def _job(h: EventHeaders) -> BackgroundJobDone:
    body = h.body()
    return BackgroundJobDone(_s(h, "Job-UUID"), _s(h, "Job-Command"), body.startswith("+OK"),
                             body.rstrip("\n"), headers=h)


# The completion causes with which FreeSWITCH deletes the file a session recording closes
# (switch_ivr_async.c, record_callback, SWITCH_ABC_TYPE_CLOSE): no audio frame was ever
# written ("Discarding empty file"), or fewer seconds than RECORD_MIN_SEC ("Discarding
# short file"). It sets RECORD_DISCARDED=true on the channel with them.
DISCARDED_CAUSES = ("empty-file", "input-too-short")


def _discarded(h: EventHeaders) -> bool:
    """Whether RECORD_STOP reports a file the switch deleted: its Record-Completion-Cause,
    this recording's own. Not variable_RECORD_DISCARDED: a channel variable, it stays for
    the channel's later recordings, and the `record` application's RECORD_STOP (which
    never deletes its file) carries it too."""
    return h.get("Record-Completion-Cause") in DISCARDED_CAUSES


def _unregistered(expired: bool):
    return lambda h: PhoneUnregistered(h.get("from-user") or _s(h, "user"),
                                       h.get("from-host") or _s(h, "host"), expired, headers=h)


Parser = Callable[[EventHeaders], Event]

EVENT_PARSERS: dict[str, Parser] = {
    "CHANNEL_CREATE": lambda h: ChannelCreated(
        _s(h, "Unique-ID"), _s(h, "Call-Direction"), _s(h, "Caller-Caller-ID-Number"),
        _s(h, "Caller-Destination-Number"), _s(h, "Channel-Name"), headers=h),
    "CHANNEL_ANSWER": _party(ChannelAnswered),
    "CHANNEL_PARK": _party(ChannelParked),
    "CHANNEL_BRIDGE": lambda h: ChannelBridged(_s(h, "Unique-ID"), _other(h), headers=h),
    "CHANNEL_UNBRIDGE": lambda h: ChannelUnbridged(_s(h, "Unique-ID"), _other(h), headers=h),
    "CHANNEL_HOLD": lambda h: ChannelHoldChanged(_s(h, "Unique-ID"), True, headers=h),
    "CHANNEL_UNHOLD": lambda h: ChannelHoldChanged(_s(h, "Unique-ID"), False, headers=h),
    "CHANNEL_HANGUP": lambda h: ChannelHungUp(_s(h, "Unique-ID"), _s(h, "Hangup-Cause"), False, headers=h),
    "CHANNEL_HANGUP_COMPLETE": lambda h: ChannelHungUp(
        _s(h, "Unique-ID"), _s(h, "Hangup-Cause"), True, headers=h),
    "CHANNEL_DESTROY": lambda h: ChannelDestroyed(_s(h, "Unique-ID"), _s(h, "Hangup-Cause"), headers=h),
    "CHANNEL_EXECUTE": lambda h: ApplicationStarted(
        _s(h, "Unique-ID"), _s(h, "Application"), _s(h, "Application-Data"),
        _s(h, "Application-UUID"), headers=h),
    "CHANNEL_EXECUTE_COMPLETE": lambda h: ApplicationCompleted(
        _s(h, "Unique-ID"), _s(h, "Application"), _s(h, "Application-Data"),
        _s(h, "Application-UUID"), _s(h, "Application-Response"), headers=h),
    "DTMF": lambda h: DtmfPressed(_s(h, "Unique-ID"), _s(h, "DTMF-Digit"), _int(h, "DTMF-Duration"),
                                  _s(h, "DTMF-Source"), headers=h),
    "BACKGROUND_JOB": _job,
    "RECORD_START": lambda h: RecordingStarted(_s(h, "Unique-ID"), _s(h, "Record-File-Path"), headers=h),
    "RECORD_STOP": lambda h: RecordingStopped(_s(h, "Unique-ID"), _s(h, "Record-File-Path"),
                                              _discarded(h), headers=h),
    "HEARTBEAT": lambda h: Heartbeat(_int(h, "Session-Count"), _int(h, "Uptime-msec") // 1000, headers=h),
}

CUSTOM_PARSERS: dict[str, Parser] = {
    "sofia::register": lambda h: PhoneRegistered(
        _s(h, "from-user"), _s(h, "from-host"), _s(h, "contact"), _int(h, "expires"), headers=h),
    "sofia::unregister": _unregistered(False),
    "sofia::expire": _unregistered(True),
}


# What the engine subscribes to: the events it acts on, no more. Every channel event
# carries all the channel's variables (several KB), and a call makes dozens of the
# others (CHANNEL_EXECUTE per application, CHANNEL_CREATE / ANSWER / BRIDGE per leg):
# the switch would serialise and the engine read them for nothing. The other parsers
# stay for reading transcripts and for tests.
# Not CHANNEL_DESTROY: a channel's CHANNEL_HANGUP already ends everything the engine
# follows of it, and each would bring the variables again, two a call.
SUBSCRIBED = ("CHANNEL_PARK", "CHANNEL_BRIDGE", "CHANNEL_HANGUP",
              "CHANNEL_EXECUTE_COMPLETE", "DTMF", "BACKGROUND_JOB", "RECORD_STOP",
              "CHANNEL_HOLD", "CHANNEL_UNHOLD")


# CHANNEL_EXECUTE_COMPLETE is wanted only for the applications the engine itself runs
# (connection.execute, whose sendmsg Event-UUID starts with this); the dialplan's own
# (five `set`s, `answer`, `sched_transfer` per hotline call) and uuid_broadcast's
# playbacks would each bring the channel's variables for nothing.
ENGINE_APPLICATION_PREFIX = "cc-"


def subscription_filters() -> list[str]:
    """`filter` commands after the subscription. FreeSWITCH passes an event if it matches
    any filter (a value /between slashes/ is a regular expression): every subscribed
    event by name, except application completions, which pass by their Application-UUID."""
    names = [name for name in SUBSCRIBED if name in EVENT_PARSERS and name != "CHANNEL_EXECUTE_COMPLETE"]
    if CUSTOM_PARSERS:
        names.append("CUSTOM")
    return ([f"filter Event-Name {name}" for name in names]
            + [f"filter Application-UUID /^{ENGINE_APPLICATION_PREFIX}/"])


def subscription_command() -> str:
    """`event plain ...` for the events the engine acts on (SUBSCRIBED, all of them
    parsed by EVENT_PARSERS) and the custom events it parses."""
    names = [name for name in SUBSCRIBED if name in EVENT_PARSERS]
    if CUSTOM_PARSERS:
        names += ["CUSTOM", *CUSTOM_PARSERS]
    return "event plain " + " ".join(names)


def parse_event(body: bytes) -> Event | None:
    """Typed event for a text/event-plain body, or None for an event we do not handle
    (decided on Event-Name / Event-Subclass alone, before any other parsing)."""
    headers = EventHeaders(body)
    name = headers.get("Event-Name")
    if name == "CUSTOM":
        parser = CUSTOM_PARSERS.get(headers.get("Event-Subclass") or "")
    else:
        parser = EVENT_PARSERS.get(name or "")
    return parser(headers) if parser else None


def channel_uuid(event: Event) -> str | None:
    return getattr(event, "uuid", None)
