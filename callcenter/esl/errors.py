"""Named errors raised by the ESL layer. The web layer alone maps them to HTTP codes."""
from __future__ import annotations


class SwitchError(Exception):
    """Base class of every error the switch layer raises."""


class InvalidArgument(SwitchError, ValueError):
    """An argument could not be sent to the switch safely (injection attempt, bad charset...)."""

    def __init__(self, what: str, value: object, reason: str) -> None:
        self.what, self.value, self.reason = what, value, reason
        super().__init__(f"{what}={value!r}: {reason}")


class SwitchDisconnected(SwitchError):
    """The event socket is not connected, or dropped while a command was waiting."""


class AuthenticationFailed(SwitchError):
    """FreeSWITCH refused the event socket password."""


class CommandTimeout(SwitchError):
    """No answer to a command (or no completion of an application) within its timeout."""

    def __init__(self, command: str, seconds: float) -> None:
        self.command, self.seconds = command, seconds
        super().__init__(f"no answer to {command!r} within {seconds:g} s")


class CommandFailed(SwitchError):
    """The switch answered a command with -ERR (or another failure)."""

    def __init__(self, command: str, reply: str) -> None:
        self.command, self.reply = command, reply
        super().__init__(f"{command!r} failed: {reply}")


class OriginateFailed(CommandFailed):
    """An originate ended without an answered channel; `cause` is the FreeSWITCH cause."""

    def __init__(self, command: str, cause: str) -> None:
        self.cause = cause
        super().__init__(command, f"-ERR {cause}")


class CallHungUp(SwitchError):
    """The channel hung up (or no longer exists) while we were waiting on it."""

    def __init__(self, uuid: str, cause: str = "UNKNOWN") -> None:
        self.uuid, self.cause = uuid, cause
        super().__init__(f"channel {uuid} hung up ({cause})")
