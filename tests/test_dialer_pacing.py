"""Pacing: how many to dial now, per mode; the abandon limit enforced; the helpers behind it."""
from __future__ import annotations

import pytest

from callcenter.dialer.pacing import (
    AbandonWindow, BusyAgent, PacingDecision, PacingState, RingHistory, TalkTimeDistribution,
    abandon_rate, agents_soon_free, decide, estimate_answer_rate, expected_overflow, soon_free,
    window_counts, worst_case_answers)

SEEN = dict(answer_rate=0.3, answer_samples=1000, window_answered=1000, window_abandoned=0)


@pytest.mark.parametrize("state, dials, mode", [
    # preview: the agent presses Call
    (PacingState("preview", agents_free_for_outbound=5), 0, "preview"),
    # progressive: one dial per free agent, less the dials already ringing for them
    (PacingState("progressive", agents_free_for_outbound=5), 5, "progressive"),
    (PacingState("progressive", agents_free_for_outbound=5, dials_in_progress=3), 2, "progressive"),
    (PacingState("progressive", agents_free_for_outbound=2, dials_in_progress=4), 0, "progressive"),
    (PacingState("progressive", agents_free_for_outbound=5, max_lines=3, calls_connected=1),
     2, "progressive"),
    # agentless: fill the campaign's lines
    (PacingState("agentless", dials_in_progress=3, calls_connected=4, max_lines=10), 3, "agentless"),
    (PacingState("agentless", dials_in_progress=6, calls_connected=6, max_lines=10), 0, "agentless"),
    # predictive with a clean window: 10 free agents, 30 % answer -> 25 lines (ratio 2.5)
    (PacingState("predictive", agents_free_for_outbound=10, **SEEN), 25, "predictive"),
    # ... capped by the trunk's lines
    (PacingState("predictive", agents_free_for_outbound=10, max_lines=12, **SEEN), 12, "predictive"),
    # ... and by max_ratio
    (PacingState("predictive", agents_free_for_outbound=10, max_ratio=1.5, **SEEN), 15, "predictive"),
    # nobody free or about to be: nothing
    (PacingState("predictive", agents_free_for_outbound=0, **SEEN), 0, "predictive"),
    # few dials seen yet: the cautious ratio 1.5
    (PacingState("predictive", agents_free_for_outbound=10, answer_rate=0.3, answer_samples=10),
     15, "predictive"),
    # the window is at the limit: progressive
    (PacingState("predictive", agents_free_for_outbound=10, answer_rate=0.3, answer_samples=1000,
                 window_answered=1000, window_abandoned=30), 10, "progressive"),
    # within the margin (2.6 % with a 0.5 point margin under 3 %): progressive too
    (PacingState("predictive", agents_free_for_outbound=10, answer_rate=0.3, answer_samples=1000,
                 window_answered=1000, window_abandoned=26), 10, "progressive"),
])
def test_decide(state, dials, mode):
    decision = decide(state)
    assert (decision.dials, decision.mode_used) == (dials, mode), decision.reason


def test_the_worst_case_of_the_ringing_calls_counts_against_the_window():
    # 2.2 % in the window is under the 2.5 % threshold; but 60 lines ringing for 10 agents
    # could bring 18 +- 7 answers: counted as abandons that is far over, so progressive.
    ringing = PacingState("predictive", agents_free_for_outbound=10, dials_in_progress=60,
                          answer_rate=0.3, answer_samples=1000, window_answered=1000,
                          window_abandoned=22)
    decision = decide(ringing)
    assert decision.mode_used == "progressive" and decision.dials == 0
    assert "worst case" in decision.reason
    quiet = PacingState("predictive", agents_free_for_outbound=10, answer_rate=0.3,
                        answer_samples=1000, window_answered=1000, window_abandoned=22)
    assert decide(quiet).mode_used == "predictive"


def test_predictive_brakes_as_the_window_nears_the_limit():
    dials = [decide(PacingState("predictive", agents_free_for_outbound=10, answer_rate=0.3,
                                answer_samples=1000, window_answered=1000,
                                window_abandoned=abandoned)).dials
             for abandoned in (0, 10, 15, 20, 24)]
    assert dials == sorted(dials, reverse=True) and dials[0] > dials[-1] >= 10


def test_an_empty_window_allows_no_worst_case_abandon():
    # nothing answered yet in the window: any abandon would be 100 %; lines stay within
    # what the free agents can take in the plausible worst case
    decision = decide(PacingState("predictive", agents_free_for_outbound=10, answer_rate=0.3,
                                  answer_samples=1000))
    assert decision.mode_used == "predictive"
    answers = 0.3 * decision.dials
    assert worst_case_answers(answers, decision.dials * 0.21) <= 10


def test_soon_free_agents_and_long_ringing_calls_change_the_count():
    base = dict(agents_free_for_outbound=2, answer_rate=0.3, **{k: v for k, v in SEEN.items()
                                                                if k != "answer_rate"})
    alone = decide(PacingState("predictive", **base)).dials
    with_soon = decide(PacingState("predictive", agents_soon_free=3, **base)).dials
    fresh = decide(PacingState("predictive", dials_in_progress=4,
                               ringing_answer_chances=(0.3,) * 4, **base)).dials
    stale = decide(PacingState("predictive", dials_in_progress=4,
                               ringing_answer_chances=(0.02,) * 4, **base)).dials
    assert with_soon > alone
    assert stale > fresh  # dials that rang 25 s will hardly be answered: dial more


@pytest.mark.parametrize("chance, dials", [(0.0, 15), (0.3, 5)])
def test_max_ratio_counts_a_ringing_line_by_its_remaining_chance(chance, dials):
    # 10 agents free, at most 1.5 lines each: 10 fresh dials ringing leave room for 5 more;
    # 10 that rang out their chance leave room for all 15
    state = PacingState("predictive", agents_free_for_outbound=10, max_ratio=1.5,
                        dials_in_progress=10, ringing_answer_chances=(chance,) * 10, **SEEN)
    assert decide(state).dials == dials


def test_bad_states_are_refused():
    with pytest.raises(ValueError, match="unknown pacing mode 'turbo'"):
        decide(PacingState("turbo"))
    with pytest.raises(ValueError, match="agentless pacing needs max_lines"):
        decide(PacingState("agentless"))


@pytest.mark.parametrize("answered, abandoned, rate", [(0, 0, 0.0), (100, 3, 0.03), (40, 1, 0.025)])
def test_abandon_rate(answered, abandoned, rate):
    assert abandon_rate(answered, abandoned) == pytest.approx(rate)


@pytest.mark.parametrize("answered, dials, rate", [
    (0, 0, 0.25),          # the prior alone
    (10, 10, 15 / 30),     # 10 of 10 answered: pulled towards the prior
    (300, 1000, 305 / 1020),
])
def test_answer_rate_estimate(answered, dials, rate):
    assert estimate_answer_rate(answered, dials) == pytest.approx(rate)
    with pytest.raises(ValueError):
        estimate_answer_rate(5, 4)


def test_abandon_window_slides():
    window = AbandonWindow(3600)
    seen = []
    for at, abandoned in [(0, False), (10, True), (1000, False), (3605, False), (3700, True)]:
        window.add(at, abandoned)
        seen.append(window.counts(at))
    # at 3605 the call at 0 has left the window; at 3700 the abandon at 10 has too
    assert seen == [(1, 0), (2, 1), (3, 1), (3, 1), (3, 1)]
    assert window.rate(3700) == pytest.approx(1 / 3)
    assert window.counts(4700) == (2, 1) and window.rate(4700) == pytest.approx(1 / 2)
    assert window.counts(7400) == (0, 0) and window.rate(7400) == 0.0
    with pytest.raises(ValueError, match="time order"):
        window.add(10, False)
    with pytest.raises(ValueError):
        AbandonWindow(0)


def test_window_counts_over_a_sorted_log():
    log = [(0, False), (10, True), (1000, False), (3605, True)]
    assert window_counts(log, 0, 3600) == (3, 1)
    assert window_counts(log, 5, 3605) == (2, 1)
    assert window_counts(log, 5, 3606) == (3, 2)


def test_talk_time_distribution_and_soon_free_agents():
    talks = TalkTimeDistribution([60.0] * 20 + [120.0] * 20 + [240.0] * 20)
    assert talks.ends_within(0, 30) == 0
    assert talks.ends_within(50, 15) == pytest.approx(20 / 60)
    assert talks.ends_within(100, 30) == pytest.approx(20 / 40)
    assert talks.ends_within(300, 30) == 0  # nobody talked that long: assume not soon
    assert TalkTimeDistribution([60.0] * 5).ends_within(50, 15) == 0  # too few calls seen
    busy = [BusyAgent(wrap_up_left=5), BusyAgent(wrap_up_left=15), BusyAgent(call_age=100),
            BusyAgent(call_age=10)]
    # horizon 40 s, wrap-up 20 s: agent 1 surely; agent 3's call ends in 20 s with chance 1/2
    estimate = soon_free(busy, 40, talks, wrap_up=20)
    assert estimate.expected == pytest.approx(2 + 0.5)
    assert estimate.variance == pytest.approx(0.25)
    # with the answer-time curve: an agent freeing in 15 s counts as likely as a late answer
    late = soon_free(busy, 10, talks, wrap_up=20, answer_late_enough=lambda s: 1.0 if s < 10 else 0.4)
    assert late.expected == pytest.approx(1.4)
    assert agents_soon_free(busy, 40, talks, wrap_up=20) == pytest.approx(2.5)


def test_ring_history():
    finished = [(5.0, True)] * 30 + [(30.0, False)] * 60 + [(2.0, False)] * 10
    history = RingHistory(finished)
    assert history.samples == 100
    assert history.rate == pytest.approx(estimate_answer_rate(30, 100))
    assert history.answer_chance(0) == pytest.approx((30 + history.rate * 5) / (100 + 5))
    assert history.answer_chance(10) == pytest.approx(history.rate * 5 / 65)  # only ring-outs left
    assert history.answer_late_enough(4) == 1.0 and history.answer_late_enough(6) == 0.0
    few = RingHistory(finished[:10])
    assert few.answer_chance(10) == few.rate and few.answer_late_enough(1) == 0.0


@pytest.mark.parametrize("mean, variance, expected", [
    (2.0, 0.0, 2.0), (-2.0, 0.0, 0.0), (0.0, 1.0, 0.3989), (-3.0, 1.0, 0.000382),
])
def test_expected_overflow(mean, variance, expected):
    assert expected_overflow(mean, variance) == pytest.approx(expected, abs=1e-4)


def test_decision_is_plain_data():
    assert decide(PacingState("preview")) == PacingDecision(0, "preview",
                                                            "preview: the agent starts each call")


@pytest.mark.parametrize("agents, expected", [
    ([], []),
    ([("on_call", 70.0, None)], [BusyAgent(call_age=30.0)]),
    ([("on_hold", 90.0, None)], [BusyAgent(call_age=10.0)]),
    ([("wrap_up", 95.0, 112.0)], [BusyAgent(wrap_up_left=12.0)]),
    ([("wrap_up", 95.0, 99.0)], [BusyAgent(wrap_up_left=0.0)]),  # overdue: free any moment
    ([("wrap_up", 95.0, None)], []),  # no timer: nobody knows when
    ([("ready", 10.0, None), ("not_ready", 10.0, None), ("ringing", 99.0, None)], []),
])
def test_busy_agents_from_the_acds_states(agents, expected):
    from callcenter.dialer.pacing import busy_agents
    assert busy_agents(agents, 100.0) == expected
