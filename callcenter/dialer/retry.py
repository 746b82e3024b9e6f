"""After a dial: the contact's final state, or when to try again (and why).

``next_step(outcome, attempts, policy, now, ...)`` is a pure function: the
shell stores what it returns.  Every contact ends in a final state (``done``,
``failed``, ``no_more_attempts``, ``skipped``) or gets a next attempt time
inside a calling window.  ``outcome_from_hangup_cause`` turns the switch's
hang-up cause into one of ``OUTCOMES`` (pure data, no switch code here).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Collection, Mapping

from callcenter.dialer.windows import WeeklyWindows, next_window_start

OUTCOMES = ("answered", "busy", "no_answer", "failed", "machine", "abandoned", "rejected",
            "unallocated", "network_failure", "opted_out")
# Outcomes a campaign may give its own retry delay for.
RETRYABLE = ("busy", "no_answer", "failed", "machine", "abandoned", "rejected", "network_failure")
FINAL_STATES = ("done", "failed", "no_more_attempts", "skipped")

DEFAULT_DELAYS = MappingProxyType({
    "busy": 10 * 60, "no_answer": 60 * 60, "failed": 30 * 60, "machine": 4 * 3600,
    "abandoned": 72 * 3600, "rejected": 4 * 3600, "network_failure": 10 * 60,
})
DEFAULT_ABANDON_QUIET_PERIOD = 72 * 3600


@dataclass(frozen=True)
class RetryPolicy:
    """A campaign's retry rules; delays in seconds per outcome (see ``RETRYABLE``)."""

    max_attempts: int = 3
    delays: Mapping[str, float] = field(default_factory=lambda: DEFAULT_DELAYS)
    abandon_quiet_period: float = DEFAULT_ABANDON_QUIET_PERIOD

    def delay(self, outcome: str) -> float:
        return float(self.delays.get(outcome, DEFAULT_DELAYS[outcome]))


@dataclass(frozen=True)
class Next:
    """Exactly one of ``final_state`` and ``next_attempt_at`` is set."""

    final_state: str | None
    next_attempt_at: datetime | None
    reason: str

    @classmethod
    def final(cls, state: str, reason: str) -> "Next":
        return cls(state, None, reason)

    @classmethod
    def retry(cls, at: datetime, reason: str) -> "Next":
        return cls(None, at, reason)


def next_step(outcome: str, attempts: int, policy: RetryPolicy, now_utc: datetime,
              tz: str | None = None, windows: WeeklyWindows | None = None,
              holidays: Collection[date] = ()) -> Next:
    """What becomes of a contact after its ``attempts``-th dial ended with ``outcome``.

    The next attempt waits the policy's delay for the outcome (an abandoned
    contact at least ``abandon_quiet_period``), then moves to the start of the
    next calling window in the contact's zone ``tz`` when ``windows`` is given.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r} (known: {', '.join(OUTCOMES)})")
    if attempts < 1:
        raise ValueError(f"attempts counts the dial that just ended, so it is >= 1, got {attempts}")
    if outcome == "answered":
        return Next.final("done", "answered")
    if outcome == "opted_out":
        return Next.final("skipped", "opted out during the call")
    if outcome == "unallocated":
        return Next.final("failed", "the number does not exist (unallocated)")
    if attempts >= policy.max_attempts:
        return Next.final("no_more_attempts",
                          f"{outcome} on attempt {attempts} of {policy.max_attempts}")
    wait = policy.delay(outcome)
    if outcome == "abandoned":
        wait = max(wait, policy.abandon_quiet_period)
    earliest = now_utc + timedelta(seconds=wait)
    reason = f"{outcome} on attempt {attempts} of {policy.max_attempts}: retry after {_span(wait)}"
    if windows is None:
        return Next.retry(earliest, reason)
    start = next_window_start(earliest, tz, windows, holidays)
    if start is None:
        return Next.final("no_more_attempts", f"{outcome}: no calling window opens any more")
    if start != earliest:
        reason += ", at the next calling window"
    return Next.retry(start, reason)


def _span(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


# --------------------------------------------------------------------------- hang-up causes

# FreeSWITCH hang-up causes (Q.850 names) -> outcomes of an outbound dial.
HANGUP_CAUSES: Mapping[str, str] = MappingProxyType({
    "NORMAL_CLEARING": "answered",
    "SUCCESS": "answered",
    "USER_BUSY": "busy",
    "NO_ANSWER": "no_answer",
    "NO_USER_RESPONSE": "no_answer",
    "ORIGINATOR_CANCEL": "no_answer",  # the dialer gave up at its ring timeout
    "ALLOTTED_TIMEOUT": "no_answer",
    "PROGRESS_TIMEOUT": "no_answer",
    "SUBSCRIBER_ABSENT": "no_answer",
    "CALL_REJECTED": "rejected",
    "INCOMING_CALL_BARRED": "rejected",
    "UNALLOCATED_NUMBER": "unallocated",
    "NO_ROUTE_DESTINATION": "unallocated",
    "NUMBER_CHANGED": "unallocated",
    "INVALID_NUMBER_FORMAT": "unallocated",
    "NETWORK_OUT_OF_ORDER": "network_failure",
    "NORMAL_TEMPORARY_FAILURE": "network_failure",
    "RECOVERY_ON_TIMER_EXPIRE": "network_failure",
    "DESTINATION_OUT_OF_ORDER": "network_failure",
    "SWITCH_CONGESTION": "network_failure",
    "NORMAL_CIRCUIT_CONGESTION": "network_failure",
    "REQUESTED_CHAN_UNAVAIL": "network_failure",
    "NO_ROUTE_TRANSIT_NET": "network_failure",
    "EXCHANGE_ROUTING_ERROR": "network_failure",
    "GATEWAY_DOWN": "network_failure",
    "MEDIA_TIMEOUT": "network_failure",
})


def outcome_from_hangup_cause(cause: str, answered: bool | None = None) -> str:
    """'USER_BUSY' -> 'busy'.  A call the switch reported answered is 'answered' whatever
    the cause it ended with; NORMAL_CLEARING on a call known unanswered is 'no_answer'.
    Causes not in ``HANGUP_CAUSES`` (a gateway refused, a bad configuration) are 'failed'.
    """
    if answered:
        return "answered"
    outcome = HANGUP_CAUSES.get(str(cause).strip().upper(), "failed")
    if outcome == "answered" and answered is False:
        return "no_answer"
    return outcome
