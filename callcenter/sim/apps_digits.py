"""Digit collection: play_and_get_digits and read, counted as switch_ivr_read and
switch_play_and_get_digits count. DTMF comes only from caller scripts / phone
behaviours."""
from __future__ import annotations

import logging
import re

from .app_registry import app, int_arg
from .apps_bridge import transfer_to
from .apps_media import play
from .channel import Channel

log = logging.getLogger(__name__)


def collect(ch: Channel, min_digits: int, max_digits: int, prompt: str, timeout_ms: int,
            terminators: str, digit_timeout_ms: int, var_name: str = "") -> tuple[str, str]:
    """switch_ivr_read: play the prompt (a digit stops it), then collect up
    to max_digits; `timeout_ms` for the first digit, `digit_timeout_ms`
    between digits; a terminator ends input (read_terminator_used). Returns
    (digits, status) with status success | timeout | too_small, sets
    read_result (success | timeout | failure) and var_name when digits came."""
    for name in ("read_result", "read_terminator_used", var_name):
        ch.variables.pop(name, None)
    max_digits = max(max_digits, min_digits)
    if prompt and prompt != "silence":
        play(ch, prompt, dtmf_stops=True)
    digits, status = "", "success"
    while len(digits) < max_digits:
        wait_ms = digit_timeout_ms if digits else timeout_ms
        if not ch.dtmf and ch.wait(wait_ms / 1000.0, dtmf=True, breakable=False) == "timeout":
            status = "timeout"
            break
        digit = ch.dtmf.pop(0)
        if digit in terminators:
            ch.variables["read_terminator_used"] = digit
            break
        digits += digit
    if min_digits and len(digits) < min_digits:
        status = "too_small"
    ch.variables["read_result"] = {"success": "success", "timeout": "timeout"}.get(status, "failure")
    if var_name and digits:
        ch.variables[var_name] = digits
    return digits, status


@app("play_and_get_digits")
def _pagd(ch: Channel, data: str) -> str:
    """play_and_get_digits <min> <max> <tries> <timeout> <terminators> <file>
    <invalid_file> <var_name> <regexp> [<digit_timeout>] [<transfer_on_failure>],
    counted as switch_play_and_get_digits does: a try fails on no input, too
    few digits or no regex match (then var_name is cleared and
    <var_name>_invalid holds the digits); every failed try, the last one
    included, plays invalid_file."""
    args = data.split()
    if len(args) < 7:
        log.warning("sim channel %s: play_and_get_digits needs at least 7 arguments, got %r", ch.uuid, data)
        return "_none_"
    min_d, max_d, tries, timeout = (int_arg(a, d) for a, d in zip(args[:4], (0, 1, 1, 5000)))
    terminators = "" if args[4] == "none" else args[4]
    prompt, invalid = args[5], args[6]
    var_name = args[7] if len(args) > 7 else "pagd_input"
    regex = args[8] if len(args) > 8 else ""
    digit_timeout = (int_arg(args[9], 0) if len(args) > 9 else 0) or timeout
    failure = args[10:]
    if regex:
        ch.variables.pop(f"{var_name}_invalid", None)
    while tries > 0:
        digits, status = collect(ch, min_d, max_d, prompt, timeout, terminators, digit_timeout, var_name)
        if status == "timeout" and len(digits) >= min_d:
            status = "success"
        if min_d == 0 and not digits and "read_terminator_used" in ch.variables:
            return "_none_"
        if status == "success" and digits:
            if not regex or re.search(regex, digits):
                return "_none_"
            ch.variables.pop(var_name, None)
            ch.variables[f"{var_name}_invalid"] = digits
        if invalid and invalid != "silence":
            play(ch, invalid)
        tries -= 1
    if failure:
        transfer_to(ch, failure[0], failure[2] if len(failure) > 2 else None)
    return "_none_"


@app("read")
def _read(ch: Channel, data: str) -> str:
    """read <min> <max> <sound_file> <var_name> <timeout_ms> <terminators>: one try."""
    args = data.split()
    if len(args) < 4:
        log.warning("sim channel %s: read needs <min> <max> <file> <var>, got %r", ch.uuid, data)
        return "_none_"
    min_d, max_d = int_arg(args[0], 0), int_arg(args[1], 1)
    timeout = int_arg(args[4], 5000) if len(args) > 4 else 5000
    terminators = args[5] if len(args) > 5 else "#"
    collect(ch, min_d, max_d, args[2], timeout, terminators, timeout, args[3])
    return "_none_"
