"""The queues file: the shipped one loads; a broken one lists every problem at file:line:column."""
from __future__ import annotations

import pytest

from acd.queue_config import QUEUES_FILE, Destination, QueueConfigError, load_queues, load_queues_text
from callcenter.seed import QUEUES, SKILLS


def test_shipped_queues_file_is_valid_against_the_demo_skills():
    config = load_queues(QUEUES_FILE, known_skills=SKILLS)
    assert set(config.queues) == set(QUEUES) == {"billing", "complaints", "service_orders",
                                                 "password", "general"}
    billing = config.queues["billing"]
    assert dict(billing.skills) == {"billing": 1}
    assert (billing.service_level.percent, billing.service_level.seconds) == (80, 20)
    assert billing.overflow[0].after == 30 and dict(billing.overflow[0].accept) == {"general": 5}
    assert billing.overflow[1].offer == ("callback", "voicemail")
    assert billing.at_max_wait == Destination("callback")
    assert config.default_queue == "general"
    assert config.offer_timeout == 15 and config.missed_offers_limit == 2


BROKEN = """\
settings:
  offer_timeout: soon
  colour: blue
queues:
  billing:
    display_name: Billing
    skills: {billing: 1, astrology: 2}
    max_wait: 300
    wrap_up: 30
    overflow:
      - after: 30
        accept_queue: roaming
      - after: 20
        offer: [callback, fax]
    at_max_wait: {queue: nowhere}
  general:
    skills: {general: high}
    max_wait: 100
    wrap_up: 10
    at_max_wait: voicemail
    annoucements: {first_after: 30}
"""


def test_broken_file_lists_every_problem_with_its_position(tmp_path):
    path = tmp_path / "queues.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(QueueConfigError) as caught:
        load_queues(path, known_skills={"billing", "general"})
    f = str(path)
    assert caught.value.problems == [
        f"{f}:7:26: unknown skill 'astrology' in queue 'billing' skills (known: billing, general)",
        f"{f}:12:9: queue 'billing' overflow step 1 refers to unknown queue 'roaming'",
        f"{f}:13:9: 'after' in queue 'billing' overflow step 2 must be later than the step "
        f"before (30 s)",
        f"{f}:14:27: 'offer' in queue 'billing' overflow step 2: unknown choice 'fax' "
        f"(known: callback, voicemail)",
        f"{f}:15:19: 'at_max_wait' of queue 'billing' refers to unknown queue 'nowhere'",
        f"{f}:21:5: unknown key 'annoucements' in queue 'general' (known: announcements, "
        f"at_max_wait, display_name, max_wait, overflow, policy, service_level, skills, wrap_up, "
        f"wrap_up_extension)",
        f"{f}:16:3: missing 'display_name' in queue 'general'",
        f"{f}:17:14: level of skill 'general' in queue 'general' skills must be a whole number "
        f">= 0, got 'high'",
        f"{f}:3:3: unknown key 'colour' in 'settings' (known: default_queue, estimate, "
        f"missed_offers_limit, offer_timeout, priorities, priority_ageing_per_minute, "
        f"resume_window)",
        f"{f}:2:3: 'offer_timeout' in 'settings' must be a number, got 'soon'",
    ]
    assert str(caught.value).count(f) == 10


@pytest.mark.parametrize("text, problem", [
    ("queues: {}\n", "<q>:1:1: 'queues' must define at least one queue"),
    ("settings: {}\n", "<q>:1:1: missing 'queues' (a mapping of queue name -> settings)"),
    ("queues:\n  general:\n    display_name: G\n    skills: {general: 1}\n    wrap_up: 1\n"
     "    at_max_wait: voicemail\n", "<q>:2:3: missing 'max_wait' in queue 'general'"),
    ("queues:\n  general:\n    display_name: G\n    skills: {general: 1}\n    max_wait: 60\n"
     "    wrap_up: 1\n    at_max_wait: voicemail\n    overflow:\n      - after: 90\n        offer: [callback]\n",
     "<q>:9:9: 'after' in queue 'general' overflow step 1 must be before max_wait (60 s)"),
    ("queues:\n  general:\n    display_name: G\n    skills: {general: 1}\n    max_wait: 60\n"
     "    wrap_up: 1\n    at_max_wait: voicemail\n    overflow:\n      - after: 9\n",
     "<q>:9:9: queue 'general' overflow step 1 does nothing: give accept, accept_queue, "
     "min_level or offer"),
    ("queues:\n  billing:\n    display_name: B\n    skills: {billing: 1}\n    max_wait: 60\n"
     "    wrap_up: 1\n    at_max_wait: voicemail\n",
     "<q>:1:1: default_queue 'general' is not a queue in this file"),
    ("queues:\n  general:\n    display_name: G\n    skills: {general: 1}\n    max_wait: 60\n"
     "    wrap_up: 1\n    at_max_wait: {queue: general}\n",
     "<q>:7:19: 'at_max_wait' of queue 'general' cannot send calls to itself"),
    ("queues:\n  general: [1, 2]\n", "<q>:2:3: queue 'general' must be a mapping, got a list"),
    ("queues:\n  general:\n    display_name: G\n    skills: {general: 1}\n    max_wait: 60\n"
     "    wrap_up: 1\n    at_max_wait: later\n",
     "<q>:7:5: 'at_max_wait' in queue 'general' must be callback, voicemail or queue: <name>, "
     "got 'later'"),
    ("queues: [\n", "<q>:2:1: YAML syntax error: expected the node content, but found '<stream end>'"),
    ("queues:\n  general:\n    display_name: {en: G, fr: Général}\n    skills: {general: 1}\n"
     "    max_wait: 60\n    wrap_up: 1\n    at_max_wait: voicemail\n",
     "<q>:3:27: 'display_name' in queue 'general': unknown language 'fr' (one of en, zh)"),
    ("queues:\n  general:\n    display_name: {zh: ''}\n    skills: {general: 1}\n"
     "    max_wait: 60\n    wrap_up: 1\n    at_max_wait: voicemail\n",
     "<q>:3:20: 'display_name' in queue 'general': the zh name must be a non-empty string, got ''"),
])
def test_single_problem(text, problem):
    with pytest.raises(QueueConfigError) as caught:
        load_queues_text(text, "<q>", known_skills={"general", "billing"})
    assert problem in caught.value.problems


def test_missing_file_is_named(tmp_path):
    with pytest.raises(QueueConfigError, match="queues file not found"):
        load_queues(tmp_path / "absent.yaml")


@pytest.mark.parametrize("language, shown", [("zh", "账单查询"), ("en", "Bill inquiry"), (None, "Bill inquiry"),
                                             ("fr", "Bill inquiry")])
def test_a_queue_is_shown_in_the_readers_language(language, shown):
    billing = load_queues(QUEUES_FILE, known_skills=set(SKILLS)).queues["billing"]
    assert billing.display_name == "Bill inquiry"  # logs and any other language
    assert billing.shown(language) == shown
