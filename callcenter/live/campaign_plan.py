"""A running campaign as the dialer reads it (its row and validated settings), and
what an attempt's outcome makes of its contact (callcenter.dialer.retry decides)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from callcenter.dialer import store
from callcenter.dialer.pacing import DEFAULT_ABANDON_LIMIT
from callcenter.dialer.retry import (DEFAULT_ABANDON_QUIET_PERIOD, DEFAULT_DELAYS, RetryPolicy,
                                     next_step as retry_step)
from callcenter.dialer.windows import WEEKDAYS, WeeklyWindows, may_start, next_start, parse_weekly
from callcenter.live.campaign_call import CallResult
from callcenter.models import Campaign, ContactStatus

WINDOW_GUARD_SECONDS = 60  # no new dial in a window's last minute: a call never starts after it
# attempt outcomes of the shell's own, and the retry core's outcome they are retried as
SHELL_OUTCOMES = {"interrupted": "failed"}  # an engine restart cut the attempt short


@dataclass(frozen=True)
class CampaignPlan:
    """A running campaign as the runner needs it (from its row and validated settings)."""
    id: int
    name: str
    kind: str
    flow: str | None
    queue_name: str | None
    caller_id: str
    ring_timeout: int
    max_lines: int
    max_attempts: int
    timezone: str
    windows: Any
    holidays: Any
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    script: str = ""
    guard_seconds: int = WINDOW_GUARD_SECONDS
    pacing: str = "progressive"
    abandon_limit: float = DEFAULT_ABANDON_LIMIT
    abandon_window: float = 24 * 3600.0  # seconds
    max_ratio: float = 3.0
    record: bool = False  # agentless calls recorded (issue 13); calls with an agent always are
    settings: dict = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def of(cls, campaign: Campaign, center_timezone: str) -> "CampaignPlan":
        settings = dict(campaign.settings or {})
        policy = RetryPolicy(campaign.max_attempts or 1,
                             {**DEFAULT_DELAYS, **{k: float(v) for k, v in
                                                   (settings.get("retry_delays") or {}).items()}},
                             float(settings.get("abandon_quiet_seconds", DEFAULT_ABANDON_QUIET_PERIOD)))
        return cls(campaign.id, campaign.name, campaign.kind.value, campaign.flow,
                   campaign.queue_name, campaign.caller_id or "", campaign.ring_timeout or 30,
                   campaign.max_lines or 1, campaign.max_attempts or 1,
                   campaign.timezone or center_timezone,
                   windows_of(settings, campaign), holidays_of(settings), policy,
                   str(settings.get("script") or ""),
                   int(settings.get("window_guard_seconds", WINDOW_GUARD_SECONDS)),
                   campaign.pacing or "progressive",
                   float(settings.get("abandon_limit", DEFAULT_ABANDON_LIMIT)),
                   float(settings.get("abandon_window_hours", 24)) * 3600,
                   float(settings.get("max_ratio", 3.0)), bool(settings.get("record", False)),
                   settings)

    def may_call(self, zone: str, at: datetime) -> bool:
        """Inside a calling window at ``at`` and still at the end of the guard."""
        return may_start(at, zone, self.windows, self.holidays, self.guard_seconds)

    def next_window(self, zone: str, at: datetime) -> datetime | None:
        """The first moment after ``at`` that may_call accepts (None: no window opens again)."""
        return next_start(at, zone, self.windows, self.holidays, self.guard_seconds)


def next_step(plan: CampaignPlan, attempt_number: int, result: CallResult, now: datetime,
              zone: str | None = None) -> store.Settled:
    """An attempt's outcome -> the contact's next state (callcenter.dialer.retry decides:
    final, or due again at the next calling window after the outcome's delay)."""
    outcome = "opted_out" if result.result == "opted_out" else result.outcome
    step = retry_step(SHELL_OUTCOMES.get(outcome, outcome), attempt_number, plan.policy, now,
                      zone or plan.timezone, plan.windows, plan.holidays)
    status = ContactStatus(step.final_state) if step.final_state else ContactStatus.PENDING
    return store.Settled(outcome, status, step.next_attempt_at, result=result.result or outcome,
                         hangup_cause=result.cause, answered_at=result.answered_at,
                         detail=dict(result.detail) if result.detail else None,
                         abandoned=outcome == "abandoned", reason=step.reason)


def windows_of(settings: dict[str, Any], campaign: Campaign) -> WeeklyWindows:
    """The campaign's weekly windows ({"mon": ["09:00-20:00"], ...}); without any, every day
    between the campaign's window_start and window_end."""
    weekly = settings.get("windows") or {
        day: [f"{campaign.window_start}-{campaign.window_end}"] for day in WEEKDAYS}
    return parse_weekly(weekly)


def holidays_of(settings: dict[str, Any]) -> frozenset:
    return frozenset(date.fromisoformat(str(day)) for day in settings.get("holidays") or ())
