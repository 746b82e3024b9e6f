"""'Not ready after this call': asked while offered, on a call, on hold or in wrap-up,
it waits and takes effect when the call and its wrap-up are over (by the timer, by the
agent's disposition, or when an offer is rejected / missed / cancelled); Ready pressed
meanwhile withdraws it; every step is in the state log."""
from __future__ import annotations

import pytest

from acd.actions import AgentStateChanged, OfferCall
from acd.core import AcdCore
from acd.errors import IllegalTransition
from acd_fixtures import config


def states(actions):
    return [(a.record.event.value, a.record.to_state.value, a.record.reason)
            for a in actions if isinstance(a, AgentStateChanged)]


@pytest.fixture
def core():
    core = AcdCore(config())
    core.agent_logged_in("a", {"billing": 3}, 0)
    return core


def offered(core):
    [offer] = [a for a in core.call_enqueued("c1", "billing", 1) if isinstance(a, OfferCall)]
    return offer


def answered(core):
    offer = offered(core)
    core.offer_answered("c1", 2, offer.offer_id)
    return offer


def in_wrap_up(core):
    answered(core)
    core.call_ended("c1", 30)
    assert core.agent("a").state.value == "wrap_up"


SETUPS = {"offered": offered, "on_call": answered, "in_wrap_up": in_wrap_up}


@pytest.mark.parametrize("when", ["on_call", "in_wrap_up"])
@pytest.mark.parametrize("ends_by, expected", [
    ("timer", [("wrap_up_done", "ready", None), ("make_not_ready", "not_ready", "lunch")]),
    ("disposition", [("wrap_up_done", "ready", None), ("make_not_ready", "not_ready", "lunch")]),
])
def test_not_ready_after_the_call_takes_effect_when_wrap_up_ends(core, when, ends_by, expected):
    SETUPS[when](core)
    assert core.agent_not_ready("a", "lunch", 20 if when == "on_call" else 31) == []
    assert core.agent("a").pending_not_ready == "lunch"
    if when == "on_call":
        assert states(core.call_ended("c1", 30)) == [("hang_up", "wrap_up", None)]
    if ends_by == "timer":
        actions = core.tick(core.agent("a").wrap_up_until + 1)
    else:
        actions = core.wrap_up_done("a", 35)
    assert states(actions) == expected
    assert (core.agent("a").state.value, core.agent("a").not_ready_reason) == ("not_ready", "lunch")
    assert core.agent("a").pending_not_ready is None
    core.call_enqueued("c2", "billing", 60)
    assert core.agent("a").state.value == "not_ready", "a not-ready agent was offered a call"


@pytest.mark.parametrize("offer_ends", ["offer_rejected", "offer_timed_out", "call_abandoned"])
def test_asked_while_the_phone_rang_it_applies_when_the_offer_ends(core, offer_ends):
    offer = offered(core)
    core.agent_not_ready("a", "break", 1.5)
    if offer_ends == "call_abandoned":
        actions = core.call_abandoned("c1", 3)
    else:
        actions = getattr(core, offer_ends)("c1", 3, offer.offer_id)
    assert states(actions)[-1] == ("make_not_ready", "not_ready", "break")
    assert core.agent("a").state.value == "not_ready"


def test_ready_pressed_meanwhile_withdraws_it(core):
    answered(core)
    core.agent_not_ready("a", "training", 10)
    assert core.agent_ready("a", 11) == []
    assert core.agent("a").pending_not_ready is None and core.agent("a").state.value == "on_call"
    core.call_ended("c1", 30)
    assert states(core.wrap_up_done("a", 31)) == [("wrap_up_done", "ready", None)]


def test_a_new_reason_replaces_the_pending_one_and_a_bad_reason_is_refused_with_the_known_ones(core):
    answered(core)
    core.agent_not_ready("a", "break", 10)
    core.agent_not_ready("a", "back_office", 11)
    assert core.agent("a").pending_not_ready == "back_office"
    with pytest.raises(IllegalTransition, match="unknown not-ready reason 'nap'.*break"):
        core.agent_not_ready("a", "nap", 12)
    assert core.agent("a").pending_not_ready == "back_office"


def test_ready_on_a_call_without_a_pending_request_is_refused(core):
    answered(core)
    with pytest.raises(IllegalTransition, match="ready comes after the call"):
        core.agent_ready("a", 5)


def test_not_ready_when_idle_is_immediate_as_before(core):
    assert states(core.agent_not_ready("a", "break", 1)) == [("make_not_ready", "not_ready", "break")]
    assert core.agent("a").pending_not_ready is None


def test_logging_out_forgets_a_pending_request(core):
    in_wrap_up(core)
    core.agent_not_ready("a", "lunch", 31)
    core.agent_logged_out("a", 32)
    core.agent_logged_in("a", {"billing": 3}, 40)
    assert core.agent("a").state.value == "ready" and core.agent("a").pending_not_ready is None
