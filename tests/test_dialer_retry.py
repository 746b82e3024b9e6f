"""After a dial: final state or next attempt, and the switch's hang-up causes as outcomes."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from callcenter.dialer.retry import (
    HANGUP_CAUSES, OUTCOMES, Next, RetryPolicy, next_step, outcome_from_hangup_cause)
from callcenter.dialer.windows import parse_weekly

UTC = timezone.utc
NOW = datetime(2026, 9, 29, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai
POLICY = RetryPolicy(max_attempts=3, delays={"busy": 600, "no_answer": 3600, "failed": 1800,
                                             "machine": 7200, "abandoned": 3600,
                                             "rejected": 14400, "network_failure": 300},
                     abandon_quiet_period=72 * 3600)
WINDOWS = parse_weekly({day: ["09:00-21:00"] for day in ("mon", "tue", "wed", "thu", "fri")})


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("outcome, attempts, expected", [
    ("answered", 1, Next.final("done", "answered")),
    ("opted_out", 1, Next.final("skipped", "opted out during the call")),
    ("unallocated", 1, Next.final("failed", "the number does not exist (unallocated)")),
    ("busy", 1, Next.retry(at(2026, 9, 29, 2, 10), "busy on attempt 1 of 3: retry after 10 min")),
    ("no_answer", 2, Next.retry(at(2026, 9, 29, 3, 0),
                                "no_answer on attempt 2 of 3: retry after 1 h")),
    ("network_failure", 1, Next.retry(at(2026, 9, 29, 2, 5),
                                      "network_failure on attempt 1 of 3: retry after 5 min")),
    ("machine", 1, Next.retry(at(2026, 9, 29, 4, 0), "machine on attempt 1 of 3: retry after 2 h")),
    ("rejected", 1, Next.retry(at(2026, 9, 29, 6, 0), "rejected on attempt 1 of 3: retry after 4 h")),
    # the quiet period wins over a shorter delay for abandoned contacts
    ("abandoned", 1, Next.retry(at(2026, 10, 2, 2, 0),
                                "abandoned on attempt 1 of 3: retry after 72 h")),
    ("busy", 3, Next.final("no_more_attempts", "busy on attempt 3 of 3")),
    ("failed", 4, Next.final("no_more_attempts", "failed on attempt 4 of 3")),
])
def test_next_step_without_windows(outcome, attempts, expected):
    assert next_step(outcome, attempts, POLICY, NOW) == expected


@pytest.mark.parametrize("now, outcome, tz, expected_at, moved", [
    # Tue 20:30 Shanghai, busy +10 min = 20:40: inside the window
    (at(2026, 9, 29, 12, 30), "busy", "Asia/Shanghai", at(2026, 9, 29, 12, 40), False),
    # Tue 20:55 Shanghai, no answer +1 h = 21:55: moved to Wed 09:00
    (at(2026, 9, 29, 12, 55), "no_answer", "Asia/Shanghai", at(2026, 9, 30, 1, 0), True),
    # Fri 20:00 Shanghai +1 h: Monday 09:00
    (at(2026, 10, 2, 12, 0), "no_answer", "Asia/Shanghai", at(2026, 10, 5, 1, 0), True),
    # same instant, a contact in New York (Fri 08:00 there) +1 h = 09:00 EDT: open
    (at(2026, 10, 2, 12, 0), "no_answer", "America/New_York", at(2026, 10, 2, 13, 0), False),
    # abandoned Tue 10:00 Shanghai + 72 h = Fri 10:00: open
    (at(2026, 9, 29, 2, 0), "abandoned", "Asia/Shanghai", at(2026, 10, 2, 2, 0), False),
    # abandoned Wed 10:00 + 72 h = Saturday: Monday 09:00
    (at(2026, 9, 30, 2, 0), "abandoned", "Asia/Shanghai", at(2026, 10, 5, 1, 0), True),
])
def test_next_attempt_moves_to_the_contacts_next_window(now, outcome, tz, expected_at, moved):
    result = next_step(outcome, 1, POLICY, now, tz, WINDOWS)
    assert result.final_state is None
    assert result.next_attempt_at == expected_at
    assert result.reason.endswith(", at the next calling window") is moved


def test_holidays_push_the_attempt_further_and_no_window_ends_the_contact():
    national_day = {date(2026, 10, 1), date(2026, 10, 2)}
    result = next_step("busy", 1, POLICY, at(2026, 9, 30, 12, 55), "Asia/Shanghai", WINDOWS,
                       national_day)
    assert result.next_attempt_at == at(2026, 10, 5, 1, 0)
    never = next_step("busy", 1, POLICY, NOW, "Asia/Shanghai", parse_weekly({}))
    assert never == Next.final("no_more_attempts", "busy: no calling window opens any more")


def test_policy_defaults_and_bad_input():
    default = RetryPolicy()
    assert default.max_attempts == 3 and default.abandon_quiet_period == 72 * 3600
    assert next_step("abandoned", 1, default, NOW).next_attempt_at == at(2026, 10, 2, 2, 0)
    with pytest.raises(ValueError, match="unknown outcome 'lost'"):
        next_step("lost", 1, POLICY, NOW)
    with pytest.raises(ValueError, match=">= 1"):
        next_step("busy", 0, POLICY, NOW)


@pytest.mark.parametrize("cause, answered, outcome", [
    ("NORMAL_CLEARING", None, "answered"),
    ("NORMAL_CLEARING", False, "no_answer"),
    ("USER_BUSY", None, "busy"),
    ("USER_BUSY", True, "answered"),
    ("NO_ANSWER", None, "no_answer"),
    ("NO_USER_RESPONSE", None, "no_answer"),
    ("ORIGINATOR_CANCEL", None, "no_answer"),
    ("CALL_REJECTED", None, "rejected"),
    ("UNALLOCATED_NUMBER", None, "unallocated"),
    ("NO_ROUTE_DESTINATION", None, "unallocated"),
    ("NETWORK_OUT_OF_ORDER", None, "network_failure"),
    ("NORMAL_TEMPORARY_FAILURE", None, "network_failure"),
    ("RECOVERY_ON_TIMER_EXPIRE", None, "network_failure"),
    ("GATEWAY_DOWN", None, "network_failure"),
    ("user_busy", None, "busy"),
    ("INVALID_GATEWAY", None, "failed"),
    ("", None, "failed"),
])
def test_hangup_causes(cause, answered, outcome):
    assert outcome_from_hangup_cause(cause, answered) == outcome


def test_every_mapped_cause_gives_a_known_outcome():
    assert set(HANGUP_CAUSES.values()) <= set(OUTCOMES)
