"""Typed results of switch-wide queries (show channels, show registrations, originate
failures): pure parsing, no I/O."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

_ERR_CAUSE = re.compile(r"(?:-ERR\s+)+([A-Z_]+)\s*$")


@dataclass(frozen=True)
class ChannelInfo:
    uuid: str
    direction: str
    state: str
    callstate: str
    caller_number: str
    caller_name: str
    destination: str
    application: str
    application_data: str
    created_epoch: int
    name: str


@dataclass(frozen=True)
class ControlledChannel:
    """A live channel and the cc_* variables the engine set on it (None when unset)."""
    info: ChannelInfo
    variables: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Collected:
    """Outcome of play_and_get_digits: the valid digits ('' if none), the last invalid
    input (variable <name>_invalid) and read_result (success | timeout | failure)."""
    digits: str
    invalid: str = ""
    result: str = ""


@dataclass(frozen=True)
class Registration:
    extension: str
    realm: str
    contact: str
    expires: int


def parse_registrations(text: str) -> list[Registration]:
    """The CSV of `show registrations` (header line, rows, blank line, 'N total.')."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("reg_user,"):
        return []
    names = lines[0].split(",")
    found = []
    for line in lines[1:]:
        row = dict(zip(names, line.split(",")))
        if "reg_user" in row and row.get("expires") is not None:
            expires = row["expires"]
            found.append(Registration(row["reg_user"], row.get("realm", ""), row.get("url", ""),
                                      int(expires) if expires.isdigit() else 0))
    return found


def failure_cause(body: str) -> str:
    """`-ERR USER_BUSY` -> USER_BUSY; any other failure text is kept as it is."""
    text = body.strip()
    match = _ERR_CAUSE.match(text)
    return match.group(1) if match else (text[4:].strip() if text.startswith("-ERR") else text) or "UNKNOWN"


def channel_info(row: Mapping[str, str]) -> ChannelInfo:
    epoch = str(row.get("created_epoch", ""))
    return ChannelInfo(row["uuid"], row.get("direction", ""), row.get("state", ""),
                       row.get("callstate", ""), row.get("cid_num", ""), row.get("cid_name", ""),
                       row.get("dest", ""), row.get("application", ""),
                       row.get("application_data", ""), int(epoch) if epoch.isdigit() else 0,
                       row.get("name", ""))
