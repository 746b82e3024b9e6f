"""Caller scripts and phone behaviours: what the people on the far end do.

Pure parsing. A caller script is a list of steps separated by spaces:
``wait:1.5 press:1 wait:3 press:123456# wait:40 hangup``; ``until:bridged`` waits
until the caller is put through to someone (``until:bridged hangup``: a caller who
hangs up the instant the agent is connected). A phone behaviour is
how an agent phone or an external party reacts to a call:
``answer:1`` (answer after 1 s of ringing), ``reject``, ``ring`` (never
answers), ``busy``, optionally followed by what happens once answered
(``answer:2 hangup:30``, ``answer:1 wait:2 press:1``).
"""
from __future__ import annotations

from dataclasses import dataclass

VALID_DIGITS = set("0123456789*#ABCD")


class ScriptError(ValueError):
    """A caller script or phone behaviour that cannot be understood."""


@dataclass(frozen=True)
class Step:
    kind: str  # wait | press | hangup | until_bridged
    seconds: float = 0.0
    digits: str = ""


@dataclass(frozen=True)
class CallerScript:
    steps: tuple[Step, ...] = ()

    @classmethod
    def parse(cls, text: "str | CallerScript", where: str = "caller script") -> "CallerScript":
        if isinstance(text, CallerScript):
            return text
        return cls(tuple(_parse_step(token, where) for token in (text or "").split()))


@dataclass(frozen=True)
class PhoneBehaviour:
    """``answer_after`` None means the phone never answers (or rejects)."""
    answer_after: float | None = 1.0
    reject: str | None = None  # a hangup cause, e.g. CALL_REJECTED / USER_BUSY
    after_answer: CallerScript = CallerScript()
    # "dead": still registered on the switch but gone (crashed, unplugged): a call to it
    # fails before ringing, as FreeSWITCH measured it on a LAN (NORMAL_TEMPORARY_FAILURE)
    unreachable: bool = False

    @classmethod
    def parse(cls, text: "str | PhoneBehaviour", where: str = "phone behaviour") -> "PhoneBehaviour":
        if isinstance(text, PhoneBehaviour):
            return text
        tokens = (text or "answer:1").split()
        head, rest = tokens[0], tokens[1:]
        name, _, arg = head.partition(":")
        if name == "answer":
            seconds = _seconds(arg or "0", head, where)
            return cls(seconds, None, _after(rest, where))
        if name in ("reject", "busy") and not arg:
            return cls(None, "CALL_REJECTED" if name == "reject" else "USER_BUSY", CallerScript())
        if name == "ring" and not arg:
            return cls(None, None, CallerScript())
        if name == "dead" and not arg:
            return cls(None, None, CallerScript(), unreachable=True)
        raise ScriptError(f"{where}: first step {head!r} must be answer:<seconds>, reject, busy, ring or dead")


def _after(tokens: list[str], where: str) -> CallerScript:
    steps = []
    for token in tokens:
        name, _, arg = token.partition(":")
        if name == "hangup" and arg:
            # "hangup:30" after answer = wait 30 s then hang up
            steps.append(Step("wait", _seconds(arg, token, where)))
            steps.append(Step("hangup"))
        else:
            steps.append(_parse_step(token, where))
    return CallerScript(tuple(steps))


def _parse_step(token: str, where: str) -> Step:
    name, _, arg = token.partition(":")
    if name == "wait":
        return Step("wait", _seconds(arg, token, where))
    if name == "press":
        if not arg or not set(arg) <= VALID_DIGITS:
            raise ScriptError(f"{where}: step {token!r}: press needs DTMF digits (0-9 * # A-D)")
        return Step("press", digits=arg)
    if name == "hangup" and not arg:
        return Step("hangup")
    if token == "until:bridged":
        return Step("until_bridged")
    if name == "hangup":
        raise ScriptError(f"{where}: step {token!r}: use 'wait:<s> hangup' in a caller script")
    raise ScriptError(f"{where}: unknown step {token!r} (expected wait:<s>, press:<digits>, "
                      "until:bridged, hangup)")


def _seconds(arg: str, token: str, where: str) -> float:
    try:
        value = float(arg)
    except ValueError:
        raise ScriptError(f"{where}: step {token!r}: {arg!r} is not a number of seconds") from None
    if value < 0:
        raise ScriptError(f"{where}: step {token!r}: seconds must not be negative")
    return value
