"""Every (state, event) pair of the agent state machine: the legal ones and the rest."""
from __future__ import annotations

import itertools

import pytest

from acd.agent_state import AgentEvent, AgentState, IllegalTransition, NotReadyReason, transition

# Written out by hand from the design (docs/acd.md), independent of acd.agent_state.TRANSITIONS.
LEGAL = """
logged_out  login           ready
ready       logout          logged_out
not_ready   logout          logged_out
wrap_up     logout          logged_out
not_ready   make_ready      ready
wrap_up     make_ready      ready
ready       make_not_ready  not_ready
not_ready   make_not_ready  not_ready
wrap_up     make_not_ready  not_ready
ready       reserve         reserved
reserved    ring            ringing
reserved    answer          on_call
ringing     answer          on_call
reserved    reject          ready
ringing     reject          ready
reserved    miss            ready
ringing     miss            ready
reserved    miss_limit      not_ready
ringing     miss_limit      not_ready
reserved    cancel          ready
ringing     cancel          ready
on_call     hold            on_hold
on_hold     unhold          on_call
on_call     hang_up         wrap_up
on_hold     hang_up         wrap_up
wrap_up     wrap_up_done    ready
wrap_up     wrap_up_extend  wrap_up
"""
LEGAL_TABLE = {(state, event): target for state, event, target in
               (line.split() for line in LEGAL.strip().splitlines())}
ALL_PAIRS = list(itertools.product([s.value for s in AgentState], [e.value for e in AgentEvent]))


@pytest.mark.parametrize("state, event", [p for p in ALL_PAIRS if p in LEGAL_TABLE])
def test_legal_transition_returns_a_log_record(state, event):
    reason = "break" if event == "make_not_ready" else None
    record = transition("agent01", state, event, 1234.5, reason=reason, call_id="call-1")
    assert (record.from_state.value, record.event.value, record.to_state.value) == \
        (state, event, LEGAL_TABLE[(state, event)])
    assert record.agent == "agent01" and record.time == 1234.5 and record.call_id == "call-1"
    assert record.as_dict()["from"] == state


@pytest.mark.parametrize("state, event", [p for p in ALL_PAIRS if p not in LEGAL_TABLE])
def test_illegal_transition_raises_a_named_error(state, event):
    with pytest.raises(IllegalTransition) as caught:
        transition("agent01", state, event, 0.0, reason="break")
    assert caught.value.state == state and caught.value.event == event
    assert f"event '{event}' is not allowed in state '{state}'" in str(caught.value)


def test_every_state_and_event_is_covered():
    assert len(ALL_PAIRS) == len(AgentState) * len(AgentEvent) == 8 * 16


@pytest.mark.parametrize("reason", [r.value for r in NotReadyReason])
def test_not_ready_reason_codes(reason):
    record = transition("a", "ready", "make_not_ready", 0.0, reason=reason)
    assert record.reason == reason


def test_not_ready_needs_a_known_reason():
    with pytest.raises(IllegalTransition, match="a not-ready reason is required"):
        transition("a", "ready", "make_not_ready", 0.0)
    with pytest.raises(IllegalTransition, match="unknown not-ready reason 'nap'"):
        transition("a", "ready", "make_not_ready", 0.0, reason="nap")


def test_too_many_missed_offers_means_missed_call():
    record = transition("a", "ringing", "miss_limit", 0.0)
    assert record.to_state is AgentState.NOT_READY and record.reason == "missed_call"
