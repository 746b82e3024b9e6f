"""Preview dialing's pure core: cards to free agents, withdrawal on timeout, skip reasons."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from callcenter.dialer.preview import (DEFAULT_PREVIEW_TIMEOUT, Offer, OfferPlan, SkipOutcome,
                                       UnknownSkipReason, plan_offers, preview_timeout,
                                       skip_outcome)

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
LATER = NOW + timedelta(seconds=120)


def offer(contact, agent, seconds=60):
    return Offer(contact, agent, NOW + timedelta(seconds=seconds))


@pytest.mark.parametrize("free, current, due, expected", [
    # nothing due: no card
    ([1, 2], [], [], OfferPlan((), ())),
    # one card per free agent, the longest due contact to the longest idle agent
    ([1, 2], [], [10, 11, 12], OfferPlan((Offer(10, 1, LATER), Offer(11, 2, LATER)), ())),
    # fewer contacts than agents: the first agents get them
    ([1, 2, 3], [], [10], OfferPlan((Offer(10, 1, LATER),), ())),
    # an agent already holding a card gets no second one; a contact on a card is not offered twice
    ([1, 2], [offer(10, 1)], [10, 11], OfferPlan((Offer(11, 2, LATER),), ())),
    # a card past its time is withdrawn; its contact waits for the next tick, the agent gets another
    ([1, 2], [offer(10, 1, seconds=0)], [10, 11],
     OfferPlan((Offer(11, 1, LATER),), (offer(10, 1, seconds=0),))),
    # a withdrawn card of an agent no longer free: withdrawn, nothing new for them
    ([], [offer(10, 1, seconds=-5)], [10], OfferPlan((), (offer(10, 1, seconds=-5),))),
    # an agent no longer free (an inbound call, a break) loses the card; another gets the next contact
    ([2], [offer(10, 1)], [10, 11], OfferPlan((Offer(11, 2, LATER),), (offer(10, 1),))),
    # a free agent keeps a live card
    ([1], [offer(10, 1)], [10, 11], OfferPlan((), ())),
])
def test_cards_go_to_free_agents_once_and_are_withdrawn_on_time(free, current, due, expected):
    assert plan_offers(free, current, due, NOW, 120) == expected


@pytest.mark.parametrize("reason, expected", [
    ("already_paid", SkipOutcome(True, "preview_skip:already_paid", None)),
    ("wrong_contact", SkipOutcome(True, "preview_skip:wrong_contact", None)),
    ("call_later", SkipOutcome(False, "preview_skip:call_later", NOW + timedelta(minutes=60))),
    ("wrong_time", SkipOutcome(False, "preview_skip:wrong_time", NOW + timedelta(minutes=60))),
])
def test_a_skip_reason_decides_skipped_or_rescheduled(reason, expected):
    assert skip_outcome(reason, NOW) == expected


def test_call_later_uses_the_delay_given():
    assert skip_outcome("call_later", NOW, 15).next_attempt_at == NOW + timedelta(minutes=15)


@pytest.mark.parametrize("reason", ["", "bored", None])
def test_a_skip_needs_a_reason_from_the_list(reason):
    with pytest.raises(UnknownSkipReason, match="reason: one of call_later"):
        skip_outcome(reason, NOW)


@pytest.mark.parametrize("settings, expected", [
    (None, DEFAULT_PREVIEW_TIMEOUT), ({}, DEFAULT_PREVIEW_TIMEOUT), ({"preview_timeout": 45}, 45),
    ({"preview_timeout": "30"}, 30),
])
def test_preview_timeout_from_settings(settings, expected):
    assert preview_timeout(settings) == expected


@pytest.mark.parametrize("value, message", [
    (5, "between 10 and 1800 s, got 5"), (4000, "got 4000"), ("soon", "a number of seconds"),
])
def test_a_bad_preview_timeout_names_the_field(value, message):
    with pytest.raises(ValueError, match="preview_timeout: .*" + message):
        preview_timeout({"preview_timeout": value})
