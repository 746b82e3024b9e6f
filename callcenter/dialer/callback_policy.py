"""When a callback request may be dialled, and what becomes of it after a dial.

Callback requests (left in the IVR, chosen while waiting in the queue, promised
by an agent at wrap-up) follow the policy of the campaign file of kind
``callbacks`` (``campaigns/callbacks.yaml``: calling windows in the contact's
local time, holidays, ``max_attempts``, ``retry_delays``), validated by the same
checker as every campaign file (``file:line:column``). The center's calendar
adds its holidays (the floor is closed on them). Pure: the shell passes the
time in and stores what comes out.

- ``hand_at(policy, now, tz)``: ``now`` when a call may start now (inside a
  window, not in its last minute), else the next window's opening; None when no
  window opens any more.
- ``after_dial(policy, outcome, attempts, now, tz)``: the request's next state
  (``retry.next_step`` decides): done, failed with the reason (no more attempts,
  the number does not exist), or pending again with the next attempt time.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Collection

from callcenter.dialer.campaign_file import (
    CAMPAIGNS_DIR, CampaignFileError, CampaignSpec, parse_campaign)
from callcenter.dialer.retry import RetryPolicy, next_step
from callcenter.dialer.windows import WeeklyWindows, next_start, may_start
from callcenter.yamlsource import YamlSyntaxError, load_file

DEFAULT_FILE = CAMPAIGNS_DIR / "callbacks.yaml"
GUARD_SECONDS = 60  # as campaigns: no call starts in a window's last minute
# the request's status for each of the retry core's final states
FINAL_STATUS = {"done": "done", "failed": "failed", "no_more_attempts": "failed", "skipped": "failed"}
REASONS = {"no_more_attempts": "no more attempts", "failed": "the number does not exist",
           "skipped": "skipped", "done": "answered"}


@dataclass(frozen=True)
class CallbackPolicy:
    windows: WeeklyWindows
    timezone: str  # for requests without a zone of their own
    holidays: frozenset[date] = frozenset()
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    guard_seconds: float = GUARD_SECONDS
    source: str = "<memory>"
    caller_id: str | None = None  # the number the customer sees (the file's caller_id)
    ring_timeout: float = 30.0  # seconds the customer's phone rings

    def with_holidays(self, more: Collection[date]) -> "CallbackPolicy":
        return replace(self, holidays=self.holidays | frozenset(more))


@dataclass(frozen=True)
class AfterDial:
    """``status`` is 'done', 'failed' or 'pending' (then ``next_attempt_at`` is set)."""
    status: str
    next_attempt_at: datetime | None
    reason: str
    outcome: str


def policy_from_spec(spec: CampaignSpec, timezone: str | None = None) -> CallbackPolicy:
    """``timezone``: the center's, used when the file names none (None: the file's default)."""
    return CallbackPolicy(spec.windows, timezone or spec.timezone, frozenset(spec.holidays),
                          spec.retry_policy(), GUARD_SECONDS, spec.source,
                          caller_id=spec.caller_id, ring_timeout=spec.ring_timeout)


def load_callback_policy(path: str | Path = DEFAULT_FILE, center_timezone: str | None = None,
                         known_queues: Collection[str] | None = None) -> CallbackPolicy:
    """The callbacks campaign file; CampaignFileError (``file:line:column``) when it is wrong
    or not of kind ``callbacks``. Requests have no zone of their own yet: the file's
    ``timezone`` when it names one, else ``center_timezone``."""
    try:
        document = load_file(path)
    except FileNotFoundError:
        raise CampaignFileError([f"{path}:1:1: callbacks policy file not found"]) from None
    except YamlSyntaxError as exc:
        raise CampaignFileError([str(exc)]) from None
    spec = parse_campaign(document, known_queues=known_queues)
    if spec.kind != "callbacks":
        raise CampaignFileError([f"{document.where(('kind',))}: the callbacks policy must be a "
                                 f"campaign of kind callbacks, got '{spec.kind}'"])
    names_zone = isinstance(document.data, dict) and "timezone" in document.data
    return policy_from_spec(spec, None if names_zone else center_timezone)


def hand_at(policy: CallbackPolicy, now_utc: datetime, tz: str | None = None) -> datetime | None:
    """When the request may be handed to the ACD: ``now_utc`` inside a window (not in its
    last ``guard_seconds``), else the next window's opening; None: no window opens again."""
    zone = tz or policy.timezone
    if may_start(now_utc, zone, policy.windows, policy.holidays, policy.guard_seconds):
        return now_utc
    return next_start(now_utc, zone, policy.windows, policy.holidays, policy.guard_seconds)


def after_dial(policy: CallbackPolicy, outcome: str, attempts: int, now_utc: datetime,
               tz: str | None = None) -> AfterDial:
    """The request after its ``attempts``-th dial ended with ``outcome`` (retry.OUTCOMES)."""
    zone = tz or policy.timezone
    step = next_step(outcome, attempts, policy.retry, now_utc, zone, policy.windows,
                     policy.holidays)
    if step.final_state is not None:
        reason = REASONS[step.final_state]
        if step.final_state == "no_more_attempts":
            reason = f"{reason} ({step.reason})"
        return AfterDial(FINAL_STATUS[step.final_state], None, reason, outcome)
    at = step.next_attempt_at
    if not may_start(at, zone, policy.windows, policy.holidays, policy.guard_seconds):
        at = next_start(at, zone, policy.windows, policy.holidays, policy.guard_seconds)
        if at is None:
            return AfterDial("failed", None, "no more attempts (no calling window opens any more)",
                             outcome)
    return AfterDial("pending", at, step.reason, outcome)
