"""The callbacks policy: when a request may be handed, what follows a dial (pinned clocks).

Shanghai is UTC+8. The policy: weekdays 09:00-21:00, weekends 10:00-18:00, National
Day (Thu 2026-10-01) a holiday, 3 attempts, busy 5 min, no answer 30 min, failed 15 min."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from callcenter.dialer.callback_policy import (
    DEFAULT_FILE, CallbackPolicy, after_dial, hand_at, load_callback_policy)
from callcenter.dialer.campaign_file import CampaignFileError
from callcenter.dialer.retry import RetryPolicy
from callcenter.dialer.windows import parse_weekly

UTC = timezone.utc
NATIONAL_DAY = date(2026, 10, 1)
POLICY = CallbackPolicy(
    parse_weekly({d: ["09:00-21:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
                 | {d: ["10:00-18:00"] for d in ("sat", "sun")}),
    "Asia/Shanghai", frozenset({NATIONAL_DAY}),
    RetryPolicy(3, {"busy": 300, "no_answer": 1800, "failed": 900}))


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("now, tz, expected", [
    (utc(2026, 9, 29, 2, 0), None, utc(2026, 9, 29, 2, 0)),  # Tue 10:00: now
    (utc(2026, 9, 29, 0, 30), None, utc(2026, 9, 29, 1, 0)),  # Tue 08:30: at 09:00
    (utc(2026, 9, 29, 12, 59, 30), None, utc(2026, 9, 30, 1, 0)),  # Tue 20:59:30: last minute
    (utc(2026, 9, 29, 14, 0), None, utc(2026, 9, 30, 1, 0)),  # Tue 22:00: Wed 09:00
    (utc(2026, 9, 30, 14, 0), None, utc(2026, 10, 2, 1, 0)),  # Wed 22:00: Oct 1 a holiday, Fri
    (utc(2026, 10, 2, 14, 0), None, utc(2026, 10, 3, 2, 0)),  # Fri 22:00: Sat 10:00
    (utc(2026, 9, 29, 2, 0), "America/New_York", utc(2026, 9, 29, 13, 0)),  # NY Mon 22:00: Tue 09:00 NY
    (utc(2026, 9, 29, 14, 0), "America/New_York", utc(2026, 9, 29, 14, 0)),  # NY Tue 10:00: now
])
def test_a_request_is_handed_only_inside_its_window_in_the_contacts_time(now, tz, expected):
    assert hand_at(POLICY, now, tz) == expected


@pytest.mark.parametrize("outcome, attempts, now, status, at, reason", [
    # busy at Tue 10:00 on the first attempt: again 5 min later
    ("busy", 1, utc(2026, 9, 29, 2, 0), "pending", utc(2026, 9, 29, 2, 5), "busy on attempt 1 of 3"),
    ("no_answer", 2, utc(2026, 9, 29, 2, 0), "pending", utc(2026, 9, 29, 2, 30), "no_answer on attempt 2"),
    ("failed", 1, utc(2026, 9, 29, 2, 0), "pending", utc(2026, 9, 29, 2, 15), "failed on attempt 1"),
    # network failures and rejections take the file's (or the default) delays
    ("network_failure", 1, utc(2026, 9, 29, 2, 0), "pending", utc(2026, 9, 29, 2, 10), "network_failure"),
    # the delay ends past the window's end (Tue 20:50 + 30 min): Wed 09:00
    ("no_answer", 1, utc(2026, 9, 29, 12, 50), "pending", utc(2026, 9, 30, 1, 0), "next calling window"),
    # ... or in its last minute (Tue 20:55 + 5 min = 20:00:00 local, guard): Wed 09:00
    ("busy", 1, utc(2026, 9, 29, 12, 55, 30), "pending", utc(2026, 9, 30, 1, 0), "busy"),
    # Wed 20:50 + 30 min: Oct 1 is a holiday, Fri 09:00
    ("no_answer", 1, utc(2026, 9, 30, 12, 50), "pending", utc(2026, 10, 2, 1, 0), "next calling window"),
    # the last attempt: final
    ("no_answer", 3, utc(2026, 9, 29, 2, 0), "failed", None, "no more attempts (no_answer on attempt 3 of 3)"),
    ("busy", 4, utc(2026, 9, 29, 2, 0), "failed", None, "no more attempts"),
    ("unallocated", 1, utc(2026, 9, 29, 2, 0), "failed", None, "the number does not exist"),
    ("answered", 1, utc(2026, 9, 29, 2, 0), "done", None, "answered"),
])
def test_after_a_dial_the_request_is_retried_in_a_window_or_ends(outcome, attempts, now, status,
                                                                  at, reason):
    result = after_dial(POLICY, outcome, attempts, now)
    assert (result.status, result.next_attempt_at, result.outcome) == (status, at, outcome)
    assert reason in result.reason


def test_no_window_opening_any_more_ends_the_request():
    closed = CallbackPolicy(parse_weekly({}), "Asia/Shanghai", retry=RetryPolicy(3))
    result = after_dial(closed, "busy", 1, utc(2026, 9, 29, 2, 0))
    assert (result.status, result.next_attempt_at) == ("failed", None)
    assert "no more attempts" in result.reason
    assert hand_at(closed, utc(2026, 9, 29, 2, 0)) is None


def test_the_shipped_file_is_the_policy_and_the_centers_zone_fills_in(tmp_path):
    policy = load_callback_policy(DEFAULT_FILE, center_timezone="Asia/Urumqi")
    assert policy.retry.max_attempts == 4 and policy.retry.delay("busy") == 300
    assert policy.timezone == "Asia/Urumqi"  # the shipped file names no zone
    assert (policy.caller_id, policy.ring_timeout) == ("10086", 30.0)  # what the customer sees
    assert policy.with_holidays({date(2026, 9, 29)}).caller_id == "10086"
    assert hand_at(policy.with_holidays({date(2026, 9, 29)}), utc(2026, 9, 29, 6, 0)) \
        == utc(2026, 9, 30, 2, 0)  # a center holiday: Wed 08:00 in Urumqi (UTC+6)


def test_a_wrong_policy_file_is_reported_at_file_line_column(tmp_path):
    wrong = tmp_path / "callbacks.yaml"
    wrong.write_text("name: callbacks\nkind: callbacks\nqueue: general\ncaller_id: '10086'\n"
                     "calling_windows: {mon: ['9-5']}\nretry_delays: {busy: soon}\n")
    with pytest.raises(CampaignFileError) as error:
        load_callback_policy(wrong)
    assert f"{wrong}:5:25: a calling window looks like 09:00-20:00" in str(error.value)
    assert f"{wrong}:6:16: 'busy' must be a duration" in str(error.value)
    survey = tmp_path / "survey.yaml"
    survey.write_text("name: s\nkind: survey\nflow: x\nmax_lines: 1\ncaller_id: '10086'\n"
                      "calling_windows: {mon: ['09:00-17:00']}\n")
    with pytest.raises(CampaignFileError, match=f"{survey}:2:1: the callbacks policy must be a "
                                                r"campaign of kind callbacks"):
        load_callback_policy(survey)
    with pytest.raises(CampaignFileError, match="not found"):
        load_callback_policy(tmp_path / "missing.yaml")


def test_the_configuration_names_the_policy_file_and_a_wrong_one_is_a_configuration_error(
        write_config, tmp_path):
    from callcenter.config import ConfigError, load_config
    from callcenter.live.callbacks import callback_policy_of
    base = "switch:\n  kind: simulator\n  password: x\ngeneral:\n  timezone: Asia/Urumqi\n"
    assert callback_policy_of(load_config(write_config(base), environ={})).timezone == "Asia/Urumqi"

    (tmp_path / "cb.yaml").write_text(
        "name: callbacks\nkind: callbacks\nqueue: general\ncaller_id: '10086'\n"
        "timezone: Asia/Shanghai\ncalling_windows: {sat: ['10:00-12:00']}\nmax_attempts: 2\n")
    named = load_config(write_config(base + "callbacks:\n  policy_file: cb.yaml\n"), environ={})
    policy = callback_policy_of(named)
    assert (policy.retry.max_attempts, policy.timezone) == (2, "Asia/Shanghai")  # the file's zone

    (tmp_path / "cb.yaml").write_text("name: callbacks\nkind: callbacks\nmax_attempts: 0\n")
    with pytest.raises(ConfigError) as error:
        callback_policy_of(named)
    assert f"{tmp_path / 'cb.yaml'}:3:1: 'max_attempts' must be at least 1" in str(error.value)


def test_a_dial_lost_with_an_engine_is_given_the_policy_s_longest_ring_to_end():
    from dataclasses import replace

    from callcenter.live.callbacks import CallbackDialer
    policy = load_callback_policy(DEFAULT_FILE)
    assert CallbackDialer(None, None, None, policy=policy).stale_seconds == 120
    longest = replace(policy, ring_timeout=180.0)  # the most a campaign file allows
    assert CallbackDialer(None, None, None, policy=longest).stale_seconds == 240
    assert CallbackDialer(None, None, None).stale_seconds == 120
