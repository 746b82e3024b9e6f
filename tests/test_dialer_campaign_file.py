"""Campaign files: the shipped ones load; a broken one lists every problem at file:line:column."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from acd.queue_config import load_queues
from callcenter.dialer.campaign_file import (
    CAMPAIGNS_DIR, CampaignFileError, load_campaign, load_campaign_text, load_campaigns,
    parse_duration, parse_share)
from callcenter.dialer.windows import parse_weekly

FLOWS_DIR = Path(__file__).resolve().parents[1] / "ivr_flows"


def test_shipped_campaigns_are_valid_against_the_shipped_flows_and_queues():
    flows = {path.stem for path in FLOWS_DIR.glob("*.yaml")}
    specs = load_campaigns(CAMPAIGNS_DIR, known_flows=flows, known_queues=set(load_queues().queues))
    assert {"collections_overdue", "satisfaction_survey", "callbacks"} <= set(specs)
    collections = specs["collections_overdue"]
    assert (collections.kind, collections.pacing, collections.flow, collections.queue) == \
        ("collections", "agentless", "collections", None)
    assert collections.agentless and collections.max_lines == 20
    assert collections.windows.on(date(2026, 9, 28)) == parse_weekly(
        {"mon": ["09:00-12:00", "14:00-20:00"]}).on(date(2026, 9, 28))
    assert date(2026, 10, 1) in collections.holidays and date(2026, 10, 2) in collections.holidays
    policy = collections.retry_policy()
    assert policy.max_attempts == 3 and policy.delay("busy") == 900 and policy.delay("machine") == 4 * 3600
    callbacks = specs["callbacks"]
    assert (callbacks.pacing, callbacks.queue, callbacks.flow) == ("preview", "general", None)


MINIMAL = """\
name: upsell
kind: marketing
queue: service_orders
caller_id: "10086"
calling_windows: {mon: "09:00-20:00"}
"""


def test_defaults_of_a_minimal_agent_campaign():
    spec = load_campaign_text(MINIMAL)
    assert spec.pacing == "progressive"  # marketing's default
    assert spec.timezone == "Asia/Shanghai"
    assert (spec.abandon_limit, spec.abandon_window, spec.abandon_quiet_period) == (0.03, 86400, 259200)
    assert (spec.max_attempts, spec.ring_timeout, spec.max_lines, spec.max_ratio) == (3, 30, None, 3)
    assert spec.retry_delays["no_answer"] == 3600 and spec.holidays == frozenset()


BROKEN = """\
name: Collections-1
kind: collection
pacing: agentless
queue: billing
caller_id: call-me
timezone: Mars/Olympus
calling_windows:
  mon: ["09:00-12:00", "11:00-13:00"]
  tue: ["9-5"]
  funday: ["09:00-10:00"]
holidays: [2026-10-01, tomorrow]
max_attempts: 0
retry_delays: {busy: soon, answered: 1h}
ring_timeout: 5s
abandon_limit: 30%
colour: blue
"""


def test_broken_file_lists_every_problem_with_its_position(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(CampaignFileError) as caught:
        load_campaign(path, known_flows={"collections"}, known_queues={"billing"})
    f = str(path)
    assert caught.value.problems == [
        f"{f}:16:1: unknown key 'colour' (known: abandon_limit, abandon_quiet_period, "
        f"abandon_window, caller_id, calling_windows, description, flow, holidays, kind, "
        f"max_attempts, max_lines, max_ratio, name, pacing, preview_timeout, queue, record, "
        f"retry_delays, ring_timeout, "
        f"skills, timezone)",
        f"{f}:1:1: 'name' must be lower-case letters, digits and _, starting with a letter, "
        f"got 'Collections-1'",
        f"{f}:2:1: 'kind' must be one of collections, survey, marketing, callbacks, answer_back, "
        f"got 'collection'",
        f"{f}:1:1: missing 'flow': an agentless campaign names the IVR flow that talks to the "
        f"customer",
        f"{f}:4:1: 'queue' is for campaigns with agents; this one is agentless",
        f"{f}:5:1: 'caller_id' must be a phone number of 3 to 15 digits, got 'call-me'",
        f"{f}:6:1: unknown time zone 'Mars/Olympus' (use a name like Asia/Shanghai)",
        f"{f}:8:3: windows 09:00-12:00 and 11:00-13:00 of 'mon' overlap",
        f"{f}:9:9: a calling window looks like 09:00-20:00, got '9-5'",
        f"{f}:10:3: 'funday' is not a weekday (known: mon, tue, wed, thu, fri, sat, sun)",
        f"{f}:11:24: a holiday is a date YYYY-MM-DD or {{date: YYYY-MM-DD, name: ...}}, "
        f"got 'tomorrow'",
        f"{f}:12:1: 'max_attempts' must be at least 1, got 0",
        f"{f}:13:16: 'busy' must be a duration like 30s, 10m, 1h or 3d, got 'soon'",
        f"{f}:13:28: no retry delay for 'answered' (outcomes retried: busy, no_answer, failed, "
        f"machine, abandoned, rejected, network_failure)",
        f"{f}:14:1: 'ring_timeout' must be at least 15 s and at most 180 s (a person needs time "
        f"to reach the phone), got 5 s",
        f"{f}:15:1: 'abandon_limit' must be above 0% and at most 20%, got 30.0%",
        f"{f}:1:1: missing 'max_lines': an agentless campaign needs a limit of lines at once",
    ]


@pytest.mark.parametrize("change, problem", [
    (("queue: service_orders\n", ""),
     "<campaign>:1:1: missing 'queue': a progressive campaign names the ACD queue whose agents "
     "take its calls"),
    (("queue: service_orders\n", "queue: sales\n"),
     "<campaign>:3:1: unknown queue 'sales' (known: billing, service_orders)"),
    (("queue: service_orders\n", "queue: service_orders\nflow: survey\n"),
     "<campaign>:4:1: 'flow' is for agentless campaigns; this one is progressive"),
    (("kind: marketing\nqueue: service_orders\n",
      "kind: callbacks\npacing: agentless\nflow: survey\nmax_lines: 3\n"),
     "<campaign>:3:1: a callbacks campaign needs agents: pacing cannot be agentless"),
    (("kind: marketing\nqueue: service_orders\n", "kind: survey\nflow: surveys\nmax_lines: 3\n"),
     "<campaign>:3:1: unknown flow 'surveys' (known: collections, survey)"),
    (("calling_windows: {mon: \"09:00-20:00\"}\n", ""),
     "<campaign>:1:1: missing 'calling_windows' (e.g. {mon: [\"09:00-20:00\"], ...}; a day left "
     "out: no calls)"),
    (("calling_windows: {mon: \"09:00-20:00\"}\n", "calling_windows: {mon: []}\n"),
     "<campaign>:5:1: 'calling_windows' allows no call on any day"),
    (("calling_windows: {mon: \"09:00-20:00\"}\n", "calling_windows: {mon: 9}\n"),
     "<campaign>:5:19: windows of 'mon' must be a list like [\"09:00-12:00\"], got 9"),
    (("name: upsell\n", ""), "<campaign>:1:1: missing 'name'"),
    (("kind: marketing\n", "kind: marketing\npacing: turbo\n"),
     "<campaign>:3:1: 'pacing' must be one of preview, progressive, predictive, agentless, "
     "got 'turbo'"),
    (("kind: marketing\n", "kind: marketing\npreview_timeout: 3s\n"),
     "<campaign>:3:1: 'preview_timeout' must be at least 10 s and at most 1800 s, got 3 s"),
    (("kind: marketing\n", "kind: marketing\nmax_lines: 0\n"),
     "<campaign>:3:1: 'max_lines' must be at least 1, got 0"),
    (("kind: marketing\n", "kind: marketing\nabandon_window: 10m\n"),
     "<campaign>:3:1: 'abandon_window' must be at least 3600 s, got 600 s"),
    (("kind: marketing\n", "kind: marketing\nabandon_limit: lots\n"),
     "<campaign>:3:1: 'abandon_limit' must be a share like 3% or 0.03, got 'lots'"),
    (("kind: marketing\n", "kind: marketing\nskills: {sales: high}\n"),
     "<campaign>:3:10: level of skill 'sales' must be a whole number >= 0, got 'high'"),
    (("caller_id: \"10086\"\n", ""), "<campaign>:1:1: missing 'caller_id' (the number the "
                                         "customer sees)"),
])
def test_each_problem_is_reported_alone(change, problem):
    old, new = change
    with pytest.raises(CampaignFileError) as caught:
        load_campaign_text(MINIMAL.replace(old, new),
                           known_flows={"collections", "survey"},
                           known_queues={"billing", "service_orders"})
    assert caught.value.problems == [problem]


def test_syntax_errors_and_missing_files_and_duplicate_names(tmp_path):
    with pytest.raises(CampaignFileError, match=r"<campaign>:3:1: YAML syntax error"):
        load_campaign_text("name: x\nkind: [unclosed\n")
    with pytest.raises(CampaignFileError, match="campaign file not found"):
        load_campaign(tmp_path / "nowhere.yaml")
    good = MINIMAL
    (tmp_path / "a.yaml").write_text(good, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(good, encoding="utf-8")
    with pytest.raises(CampaignFileError) as caught:
        load_campaigns(tmp_path)
    assert caught.value.problems == [f"{tmp_path / 'b.yaml'}:1:1: campaign name 'upsell' is also "
                                     f"used by {tmp_path / 'a.yaml'}"]


@pytest.mark.parametrize("text, seconds", [
    (30, 30.0), (2.5, 2.5), ("30s", 30.0), ("10m", 600.0), ("1h", 3600.0), ("72h", 259200.0),
    ("30d", 2592000.0), (" 15 ", 15.0),
])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["soon", "-5", "1w", True, -1, "1h30m"])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize("text, share", [("3%", 0.03), (0.03, 0.03), ("2.5%", 0.025), (0.1, 0.1)])
def test_shares(text, share):
    assert parse_share(text) == pytest.approx(share)
