r"""Validation and escaping of everything that reaches a FreeSWITCH command line.

Rules (FreeSWITCH 1.10/1.11 behaviour):
- ESL commands end at a newline, so CR, LF and NUL are refused everywhere:
  a caller's text can never start a second command or a second sendmsg header.
- uuids are restricted to hex digits and dashes; channel variable names to
  [A-Za-z_][A-Za-z0-9_.-]*; applications to a known list.
- A `{name=value,...}` value goes through three splits in FreeSWITCH
  (switch_utils.c separate_string_* + cleanup_separated_string): the api
  arguments on blanks (single quotes group, and are removed), the variables on
  `,` (`\,` is a literal comma), then name/value on the first `=`. So a comma
  is written `\,` and a value with a space is wrapped in single quotes, which
  the first split removes. Quotes, backslashes, `^` and tabs inside a value
  would need a different escape at each split, and braces, brackets and angle
  brackets are counted by the bracket scanner (switch_find_end_paren) whatever
  the quoting: all of these are refused with InvalidArgument.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from callcenter.esl.errors import InvalidArgument

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")
_TOKEN = re.compile(r"[A-Za-z0-9_.+*#@:-]{1,128}")  # extensions, numbers, gateways, domains, causes
_CAUSE = re.compile(r"[A-Z_]{1,64}")
_FORBIDDEN = ("\r", "\n", "\0")
_WHITESPACE = re.compile(r"\s")
_API_QUOTING = re.compile(r"['\"\\\\]")
_APP_ARGUMENT_BREAKS = re.compile(r"[()\s]")
_NO_ESCAPE = set("{}[]<>'\"\\^\t")

APPLICATIONS = frozenset({
    "answer", "pre_answer", "ring_ready", "park", "playback", "play_and_get_digits", "say",
    "speak", "sleep", "set", "export", "unset", "hangup", "transfer", "bridge", "eavesdrop",
    "record_session", "stop_record_session", "echo", "hold", "unhold", "break", "endless_playback",
    "read", "info", "log", "record", "intercept",
})


def no_control(what: str, value: str) -> str:
    if not isinstance(value, str):
        raise InvalidArgument(what, value, "must be a string")
    for bad in _FORBIDDEN:
        if bad in value:
            raise InvalidArgument(what, value, "contains CR, LF or NUL")
    return value


def uuid(value: str, what: str = "uuid") -> str:
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        raise InvalidArgument(what, value, "not a uuid (8-4-4-4-12 hex digits)")
    return value


def var_name(value: str) -> str:
    if not isinstance(value, str) or not _VAR_NAME.fullmatch(value):
        raise InvalidArgument("variable name", value, "only letters, digits, '_', '.', '-'")
    return value


def token(value: str, what: str) -> str:
    if not isinstance(value, str) or not _TOKEN.fullmatch(value):
        raise InvalidArgument(what, value, "only letters, digits and _ . + * # @ : -")
    return value


def cause(value: str) -> str:
    if not isinstance(value, str) or not _CAUSE.fullmatch(value):
        raise InvalidArgument("hangup cause", value, "must be an upper-case FreeSWITCH cause")
    return value


def application(name: str) -> str:
    if name not in APPLICATIONS:
        raise InvalidArgument("application", name, "not in the list of allowed applications")
    return name


def word(value: str, what: str) -> str:
    """One space-free argument of an api command (a file path, a dialplan name...)."""
    no_control(what, value)
    if not value or _WHITESPACE.search(value):
        raise InvalidArgument(what, value, "must be non-empty and contain no whitespace")
    return value


def var_value(value: object, what: str = "variable value") -> str:
    """A channel-variable value written for `{name=value}` (see the module rules)."""
    text = no_control(what, str(value) if isinstance(value, (int, float)) else value).strip(" ")
    if _NO_ESCAPE.intersection(text):
        raise InvalidArgument(what, value, "quotes, backslashes, ^, tabs, braces, brackets and "
                                           "angle brackets cannot be escaped in a dial string")
    text = text.replace(",", "\\,")
    return "'" + text + "'" if " " in text else text


def api_value(value: object, what: str = "value") -> str:
    """The last argument of an api command such as uuid_setvar: the blank split there
    removes quotes and backslash escapes, so those are refused."""
    text = no_control(what, str(value) if isinstance(value, (int, float)) else value)
    if _API_QUOTING.search(text):
        raise InvalidArgument(what, value, "quotes and backslashes are not allowed here")
    return text


@dataclass(frozen=True)
class Endpoint:
    """Where to dial: Endpoint.user("1001") -> user/1001;
    Endpoint.gateway("carrier", "13800000001") -> sofia/gateway/carrier/13800000001."""

    text: str

    @classmethod
    def user(cls, extension: str, domain: str | None = None) -> "Endpoint":
        suffix = "@" + token(domain, "domain") if domain else ""
        return cls("user/" + token(extension, "extension") + suffix)

    @classmethod
    def gateway(cls, gateway: str, number: str) -> "Endpoint":
        return cls(f"sofia/gateway/{token(gateway, 'gateway')}/{token(number, 'number')}")


@dataclass(frozen=True)
class DialString:
    """`{vars}endpoint`, built from typed parts only."""

    endpoint: Endpoint
    variables: Mapping[str, object] = field(default_factory=dict)

    def render(self) -> str:
        parts = [f"{var_name(k)}={var_value(v, k)}" for k, v in self.variables.items()]
        prefix = "{" + ",".join(parts) + "}" if parts else ""
        return prefix + self.endpoint.text


def app_suffix(name: str, argument: str = "") -> str:
    """`&name(argument)` for the end of an originate."""
    application(name)
    no_control("application argument", argument)
    if _APP_ARGUMENT_BREAKS.search(argument):
        raise InvalidArgument("application argument", argument,
                              "no parentheses or whitespace after '&app(' in an originate")
    return f"&{name}({argument})"
