"""The `limit` application with the hash backend, as mod_hash counts a rate:
`limit hash <realm> <resource> <max>/<interval> [<number> [<dialplan> [<context>]]]`.

Per realm and resource, a window opens at the first call after the last one ended
(`interval` simulated seconds long); the call that makes the window's count exceed
`max` is transferred to `<number>` in `<context>` (FreeSWITCH's default number is
`limit_exceeded`), and the rest of its extension does not run. Simplified: FreeSWITCH
counts in whole epoch seconds, this in real seconds scaled by the simulator's speed;
only the rate form is modelled (a plain `<max>`, which counts concurrent calls, is
logged and lets the call through).
"""
from __future__ import annotations

import logging
import re
import time

from .app_registry import app
from .apps_bridge import transfer_to
from .channel import Channel

log = logging.getLogger(__name__)

_LEADING_DIGITS = re.compile(r"\s*(\d+)")
DEFAULT_NUMBER = "limit_exceeded"  # FreeSWITCH's LIMIT_DEF_XFER_EXTEN


class RateWindows:
    """mod_hash's rate count: (realm, resource) -> [calls in the window, when it opened]."""

    def __init__(self) -> None:
        self._windows: dict[tuple[str, str], list[float]] = {}

    def admit(self, key: tuple[str, str], maximum: int, window_seconds: float, now: float) -> bool:
        window = self._windows.setdefault(key, [0, float("-inf")])
        if window[1] <= now - window_seconds:
            window[0], window[1] = 1, now
            return True
        window[0] += 1
        return window[0] <= maximum


def _atoi(text: str) -> int:
    """C's atoi, as the switch reads the numbers: leading digits, else 0 (an unset
    `$${variable}` leaves a limit of 0, which admits a window's first call only)."""
    digits = _LEADING_DIGITS.match(text)
    return int(digits.group(1)) if digits else 0


@app("limit")
def _limit(ch: Channel, data: str) -> None:
    words = data.split()
    if len(words) < 4 or words[0] != "hash":
        log.warning("sim channel %s: limit %r not modelled (only `limit hash realm resource max/interval`)",
                    ch.uuid, data)
        return
    realm, resource, bound = words[1], words[2], words[3]
    maximum, _, interval = bound.partition("/")
    if not interval:
        log.warning("sim channel %s: limit %r: concurrent-call limits are not modelled", ch.uuid, data)
        return
    if ch.sim.rate_windows.admit((realm, resource), _atoi(maximum), ch.sim.clock.real(_atoi(interval)),
                                 time.monotonic()):
        return
    log.info("sim channel %s: usage for %s_%s exceeds maximum rate of %s", ch.uuid, realm, resource, bound)
    transfer_to(ch, words[4] if len(words) > 4 else DEFAULT_NUMBER, words[6] if len(words) > 6 else None)
