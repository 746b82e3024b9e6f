"""AcdCore: inputs in, actions out, timers fired by tick()."""
from __future__ import annotations

import json

import pytest

from acd.actions import (AgentStateChanged, Announce, CallAbandoned, CallRequeued, CancelOffer,
                         OfferCall, OfferChoices, Overflow, PlayMusicOnHold, RouteDecisionLogged,
                         StartCallback)
from acd.agent_state import AgentState
from acd.core import AcdCore
from acd.errors import (DuplicateCall, IllegalTransition, UnknownAgent, UnknownCall, UnknownQueue,
                        WrapUpAlreadyExtended)
from acd_fixtures import config


def of(kind, actions):
    return [a for a in actions if isinstance(a, kind)]


def offers(actions):
    return [(a.call_id, a.agent) for a in actions if isinstance(a, (OfferCall, StartCallback))]


def states(actions):
    return [(a.record.agent, a.record.event.value, a.record.to_state.value)
            for a in of(AgentStateChanged, actions)]


@pytest.fixture
def core():
    return AcdCore(config())


def test_new_call_is_offered_to_the_specialist_with_the_reason(core):
    core.agent_logged_in("spec", {"billing": 3}, 0)
    core.agent_logged_in("gen", {"general": 9}, 0)
    actions = core.call_enqueued("c1", "billing", 10, caller="13800000001",
                                 context={"customer": 42})
    assert of(PlayMusicOnHold, actions) == [PlayMusicOnHold("c1", "billing")]
    [offer] = of(OfferCall, actions)
    assert (offer.agent, offer.ring_timeout, offer.context) == ("spec", 10, {"customer": 42})
    [logged] = of(RouteDecisionLogged, actions)
    assert logged.reason["rule"] == "specialist"
    assert logged.reason["passed_over"] == {"gen": "overflow_step_not_reached:1"}
    assert states(actions) == [("spec", "reserve", "reserved")]


def test_transferred_call_first_and_its_context_travels(core):
    core.agent_logged_in("spec", {"billing": 3}, 0)
    core.agent_not_ready("spec", "break", 1)
    core.call_enqueued("regular", "billing", 2)
    core.call_enqueued("xfer", "billing", 5, transferred=True,
                       context={"from_agent": "agent04", "notes": "disputed bill"})
    [offer] = of(OfferCall, core.agent_ready("spec", 6))
    assert offer.call_id == "xfer" and offer.context["notes"] == "disputed bill"
    assert offer.reason["priority_class"] == "transferred"


def test_unidentified_need_goes_to_the_general_queue(core):
    core.agent_logged_in("gen", {"general": 2}, 0)
    actions = core.call_enqueued("c1", None, 1)
    assert offers(actions) == [("c1", "gen")]
    assert of(OfferCall, actions)[0].queue == "general"
    assert of(OfferCall, actions)[0].reason["rule"] == "unidentified_need_to_general"


def test_ring_timeout_requeues_at_the_front_and_missed_call_after_the_limit(core):
    core.agent_logged_in("a", {"billing": 5}, 0)
    assert offers(core.call_enqueued("c1", "billing", 10)) == [("c1", "a")]
    core.offer_ringing("c1", 11)
    core.call_enqueued("c2", "billing", 12)
    assert core.tick(19.9) == []  # 9.9 s of ringing: not yet
    actions = core.tick(20)
    assert of(CancelOffer, actions) == [CancelOffer("c1", "a", "ring_timeout", 1)]
    assert of(CallRequeued, actions) == [CallRequeued("c1", "billing", "ring_timeout")]
    assert states(actions)[0] == ("a", "miss", "ready")
    assert [c.call_id for c in core.waiting()] == ["c1", "c2"]  # back at the front
    assert offers(actions) == [("c1", "a")]  # only agent: asked again, c1 before c2
    actions = core.tick(30)  # second miss in a row
    assert states(actions) == [("a", "miss_limit", "not_ready")]
    assert core.agent("a").not_ready_reason == "missed_call"
    assert offers(actions) == []
    assert [c.call_id for c in core.waiting()] == ["c1", "c2"]
    assert [c.entered_at for c in core.waiting()] == [10, 12]  # original entry kept


def test_answer_resets_the_missed_offer_count(core):
    core.agent_logged_in("a", {"billing": 5}, 0)
    core.call_enqueued("c1", "billing", 0)
    core.tick(10)  # missed once, offered again
    core.offer_answered("c1", 12)
    assert core.agent("a").missed_in_row == 0
    core.call_ended("c1", 20)
    core.wrap_up_done("a", 21)
    core.call_enqueued("c2", "billing", 22)
    assert states(core.tick(32)) == [("a", "miss", "ready"), ("a", "reserve", "reserved")]


def test_offer_event_after_timeout_is_ignored(core):
    core.agent_logged_in("a", {"billing": 5}, 0)
    core.agent_logged_in("b", {"billing": 1}, 0)
    core.call_enqueued("c1", "billing", 0)
    core.agent_not_ready("b", "lunch", 1)
    core.tick(10)  # a missed; c1 offered to a again
    core.offer_timed_out("c1", 15)  # the shell's own report of an old offer: c1 is still offered
    assert core.agent("a").state is AgentState.NOT_READY
    assert core.offer_answered("c1", 16) == []  # nobody is offered c1 now


def test_rejected_offer_goes_to_the_next_agent_at_once(core):
    core.agent_logged_in("a", {"billing": 9}, 0)
    core.agent_logged_in("b", {"billing": 5}, 0)
    assert offers(core.call_enqueued("c1", "billing", 1)) == [("c1", "a")]
    actions = core.offer_rejected("c1", 3)
    assert of(CallRequeued, actions) == [CallRequeued("c1", "billing", "rejected")]
    assert offers(actions) == [("c1", "b")]
    assert of(RouteDecisionLogged, actions)[0].reason["passed_over"]["a"] == "declined_this_call"
    assert core.agent("a").state is AgentState.READY


def test_caller_hangs_up_while_the_agent_phone_rings(core):
    core.agent_logged_in("a", {"billing": 9}, 0)
    core.call_enqueued("c1", "billing", 1, caller="1390")
    core.offer_ringing("c1", 2)
    actions = core.call_abandoned("c1", 5)
    assert of(CancelOffer, actions) == [CancelOffer("c1", "a", "caller_hung_up", 1)]
    assert states(actions) == [("a", "cancel", "ready")]
    assert of(CallAbandoned, actions) == [CallAbandoned("c1", "billing", 4, "1390")]
    assert core.waiting() == []
    assert core.tick(100) == []  # no ghost: nothing left to time out


def test_wrap_up_timer_ends_after_the_queue_setting(core):
    core.agent_logged_in("a", {"billing": 9}, 0)
    core.call_enqueued("c1", "billing", 0)
    core.offer_answered("c1", 2)
    assert states(core.call_ended("c1", 100)) == [("a", "hang_up", "wrap_up")]
    core.call_enqueued("c2", "billing", 101)  # waits: the agent is in wrap-up
    assert offers(core.tick(119)) == []
    actions = core.tick(120)
    assert states(actions)[0] == ("a", "wrap_up_done", "ready")
    assert offers(actions) == [("c2", "a")]


def test_wrap_up_can_end_early(core):
    core.agent_logged_in("a", {"billing": 9}, 0)
    core.call_enqueued("c1", "billing", 0)
    core.offer_answered("c1", 2)
    core.call_ended("c1", 50)
    assert states(core.wrap_up_done("a", 55)) == [("a", "wrap_up_done", "ready")]
    with pytest.raises(IllegalTransition):
        core.wrap_up_done("a", 56)


def test_wrap_up_can_be_extended_once(core):
    core.agent_logged_in("a", {"billing": 9}, 0)
    core.call_enqueued("c1", "billing", 0)
    core.offer_answered("c1", 2)
    core.call_ended("c1", 100)
    assert states(core.wrap_up_extend("a", 110)) == [("a", "wrap_up_extend", "wrap_up")]
    with pytest.raises(WrapUpAlreadyExtended):
        core.wrap_up_extend("a", 111)
    assert core.tick(134) == [] and core.agent("a").state is AgentState.WRAP_UP
    assert states(core.tick(135)) == [("a", "wrap_up_done", "ready")]  # 20 s + 15 s extension


def test_no_wrap_up_for_a_queue_without_it(core):
    core.agent_logged_in("a", {"complaints": 5}, 0)
    core.call_enqueued("c1", "complaints", 0)
    core.offer_answered("c1", 1)
    assert states(core.call_ended("c1", 30)) == [("a", "hang_up", "wrap_up"),
                                                ("a", "wrap_up_done", "ready")]


def test_general_agents_take_billing_calls_after_the_step_wait(core):
    core.agent_logged_in("spec", {"billing": 5}, 0)
    core.agent_not_ready("spec", "training", 0)
    core.agent_logged_in("gen", {"general": 7}, 0)
    assert offers(core.call_enqueued("c1", "billing", 10)) == []
    assert offers(core.tick(39)) == []
    actions = core.tick(40)
    assert offers(actions) == [("c1", "gen")]
    assert of(OfferCall, actions)[0].reason["rule"] == "general_overflow"


def test_no_skilled_agent_logged_in_goes_to_the_next_step_at_once(core):
    core.agent_logged_in("gen", {"general": 7}, 0)
    actions = core.call_enqueued("c1", "billing", 10)
    assert offers(actions) == [("c1", "gen")]
    assert of(OfferCall, actions)[0].reason["step"] == 1


def test_nobody_logged_in_at_all_offers_callback_at_once(core):
    actions = core.call_enqueued("c1", "billing", 10)
    assert of(OfferChoices, actions) == [OfferChoices("c1", "billing", ("callback", "voicemail"), 2)]
    assert of(OfferChoices, core.tick(20)) == []  # offered once only


def test_overflow_offer_step_after_its_wait(core):
    core.agent_logged_in("spec", {"billing": 5}, 0)
    core.agent_not_ready("spec", "lunch", 0)
    core.call_enqueued("c1", "billing", 0)
    assert of(OfferChoices, core.tick(119)) == []
    assert of(OfferChoices, core.tick(120)) == [OfferChoices("c1", "billing",
                                                             ("callback", "voicemail"), 2)]


def test_max_wait_callback_keeps_the_place_and_calls_back(core):
    core.agent_logged_in("spec", {"billing": 5}, 0)
    core.agent_not_ready("spec", "lunch", 0)
    core.call_enqueued("c1", "billing", 0, caller="1391")
    core.call_enqueued("c2", "billing", 100)
    actions = core.tick(300)
    assert of(Overflow, actions) == [Overflow("c1", "billing", "callback", None, "max_wait")]
    assert [c.call_id for c in core.waiting()] == ["c1", "c2"]
    actions = core.agent_ready("spec", 305)
    assert of(StartCallback, actions)[0].number == "1391"
    assert offers(actions) == [("c1", "spec")]


def test_max_wait_to_another_queue(core):
    core.agent_logged_in("spec", {"complaints": 5}, 0)
    core.agent_not_ready("spec", "lunch", 0)
    core.agent_logged_in("gen", {"general": 5}, 0)
    core.agent_not_ready("gen", "lunch", 0)
    core.call_enqueued("c1", "complaints", 0)
    actions = core.tick(200)
    assert of(Overflow, actions) == [Overflow("c1", "complaints", "queue", "general", "max_wait")]
    assert offers(core.agent_ready("gen", 201)) == [("c1", "gen")]


def test_max_wait_to_voicemail_leaves_the_queue(core):
    core.agent_logged_in("gen", {"general": 5}, 0)
    core.agent_not_ready("gen", "lunch", 0)
    core.call_enqueued("c1", "general", 0)
    assert of(Overflow, core.tick(100)) == [Overflow("c1", "general", "voicemail", None, "max_wait")]
    assert core.waiting() == []


def test_announced_position_never_goes_up(core):
    core.agent_logged_in("spec", {"billing": 5}, 0)
    core.agent_not_ready("spec", "lunch", 0)
    core.call_enqueued("c1", "billing", 0)
    assert of(Announce, core.tick(30)) == [Announce("c1", "billing", 1, None)]
    core.call_enqueued("vip", "billing", 40, tier="vip3")  # jumps ahead of c1
    assert core.position("c1") == 2
    assert of(Announce, core.tick(60)) == [Announce("c1", "billing", 1, None)]


def test_announced_position_goes_down(core):
    core.agent_logged_in("spec", {"billing": 5}, 0)
    core.agent_not_ready("spec", "lunch", 0)
    core.call_enqueued("c1", "billing", 0)
    core.call_enqueued("c2", "billing", 1)
    assert of(Announce, core.tick(31)) == [Announce("c1", "billing", 1, None),
                                           Announce("c2", "billing", 2, None)]
    core.call_abandoned("c1", 40)
    assert of(Announce, core.tick(61)) == [Announce("c2", "billing", 1, None)]


def handle_calls(core, count, talk):
    for n in range(count):
        core.call_enqueued(f"h{n}", "billing", 1000 * n)
        core.offer_answered(f"h{n}", 1000 * n + 1)
        core.call_ended(f"h{n}", 1000 * n + 1 + talk)
        core.wrap_up_done("a", 1000 * n + 2 + talk)


def test_estimated_wait_only_when_sound(core):
    core.agent_logged_in("a", {"billing": 5}, 0)
    handle_calls(core, 2, talk=100)  # two samples: too few (min 3)
    core.agent_not_ready("a", "break", 5000)
    core.call_enqueued("w1", "billing", 5000)
    core.call_enqueued("w2", "billing", 5001)
    assert [a.estimated_wait for a in of(Announce, core.tick(5031))] == [None, None]
    core.agent_ready("a", 5032)  # takes w1
    core.offer_answered("w1", 5033)
    core.call_ended("w1", 5133)  # third sample: 100 s talk + 20 s wrap-up
    [announce] = of(Announce, core.tick(5133))
    assert announce.call_id == "w2" and announce.position == 1
    assert announce.estimated_wait == pytest.approx(120)  # 1 ahead x 120 s / 1 agent staffed
    core.agent_logged_out("a", core.agent("a").wrap_up_until)
    assert [a.estimated_wait for a in of(Announce, core.tick(5170))] == [None]  # nobody staffed


def test_callback_keeps_the_place(core):
    core.agent_logged_in("a", {"billing": 5}, 0)
    core.agent_not_ready("a", "lunch", 0)
    core.call_enqueued("c1", "billing", 0, caller="1392")
    core.call_enqueued("c2", "billing", 10)
    assert core.callback_requested("c1", 20) == []
    assert of(Announce, core.tick(45)) == [Announce("c2", "billing", 2, None)]  # c1 holds its place
    actions = core.agent_ready("a", 50)
    [callback] = of(StartCallback, actions)
    assert (callback.call_id, callback.agent, callback.number) == ("c1", "a", "1392")
    assert of(OfferCall, actions) == []


def test_callback_requested_while_ringing_cancels_the_offer(core):
    core.agent_logged_in("a", {"billing": 5}, 0)
    core.call_enqueued("c1", "billing", 0, caller="1393")
    actions = core.callback_requested("c1", 3, number="010-555")
    assert of(CancelOffer, actions) == [CancelOffer("c1", "a", "caller_chose_callback", 1)]
    assert of(StartCallback, actions)[0].number == "010-555"


def test_caller_who_calls_again_within_the_window_resumes_the_place(core):
    core.agent_logged_in("a", {"billing": 5}, 0)
    core.agent_not_ready("a", "lunch", 0)
    core.call_enqueued("c1", "billing", 0, caller="1394")
    core.call_enqueued("c2", "billing", 10, caller="1395")
    core.call_abandoned("c1", 20)
    core.call_enqueued("c1-again", "billing", 70, caller="1394")  # 50 s later: within 60 s
    assert [c.call_id for c in core.waiting()] == ["c1-again", "c2"]
    assert core.waiting()[0].entered_at == 0


def test_caller_who_calls_again_after_the_window_starts_again(core):
    core.agent_logged_in("a", {"billing": 5}, 0)
    core.agent_not_ready("a", "lunch", 0)
    core.call_enqueued("c1", "billing", 0, caller="1394")
    core.call_enqueued("c2", "billing", 10, caller="1395")
    core.call_abandoned("c1", 20)
    core.call_enqueued("c1-again", "billing", 81, caller="1394")
    assert [c.call_id for c in core.waiting()] == ["c2", "c1-again"]


def test_no_offer_to_an_unregistered_phone_or_an_agent_on_another_call(core):
    core.agent_logged_in("a", {"billing": 5}, 0)
    core.phone_unregistered("a", 1)
    assert offers(core.call_enqueued("c1", "billing", 2)) == []
    core.agent_on_external_call("a", 3)
    assert offers(core.phone_registered("a", 4)) == []
    assert offers(core.agent_external_call_ended("a", 5)) == [("c1", "a")]


def test_snapshot_restore_keeps_the_order_and_the_agents(core):
    core.agent_logged_in("a", {"billing": 5, "general": 6}, 0)
    core.agent_logged_in("b", {"complaints": 4}, 0)
    core.agent_not_ready("b", "back_office", 1)
    core.call_enqueued("first", "billing", 2, caller="1")  # offered to a
    core.call_enqueued("r1", "billing", 3)
    core.call_enqueued("v2", "complaints", 4, tier="vip2")
    core.call_enqueued("r2", None, 5)
    core.call_enqueued("x", "billing", 6, transferred=True)
    core.callback_requested("r2", 7)
    before = core.snapshot()
    restored = AcdCore.restore(core.config, json.loads(json.dumps(before)))
    assert [c.call_id for c in restored.waiting()] == ["x", "v2", "first", "r1", "r2"]
    assert restored.snapshot() == before
    assert restored.agent("a").state is AgentState.RESERVED
    # both engines now behave the same
    for engine in (core, restored):
        engine.offer_rejected("first", 8)
    assert core.snapshot() == restored.snapshot()
    assert states(core.agent_ready("b", 9)) == states(restored.agent_ready("b", 9))
    assert offers(core.tick(30)) == offers(restored.tick(30))


def test_restore_rejects_an_unknown_snapshot_version():
    with pytest.raises(ValueError, match="unsupported ACD snapshot version"):
        AcdCore.restore(config(), {"version": 99})


def test_named_errors(core):
    with pytest.raises(UnknownQueue):
        core.call_enqueued("c1", "roaming", 0)
    core.call_enqueued("c1", "billing", 0)
    with pytest.raises(DuplicateCall):
        core.call_enqueued("c1", "billing", 1)
    with pytest.raises(UnknownCall):
        core.call_abandoned("nope", 1)
    with pytest.raises(UnknownAgent):
        core.agent_ready("nobody", 1)
    core.agent_logged_in("a", {"billing": 1}, 0)
    with pytest.raises(IllegalTransition):
        core.agent_logged_in("a", {"billing": 1}, 1)
    with pytest.raises(IllegalTransition):
        core.agent_logged_out("a", 2)  # reserved for c1


def test_next_timer_names_the_earliest_due_time(core):
    assert core.next_timer() is None
    core.agent_logged_in("a", {"billing": 5}, 0)
    core.call_enqueued("c1", "billing", 100)
    assert core.next_timer() == 110  # the ring timeout


def test_late_event_of_an_old_offer_is_ignored(core):
    core.agent_logged_in("a", {"billing": 5}, 0)
    [first] = of(OfferCall, core.call_enqueued("c1", "billing", 0))
    [second] = of(OfferCall, core.tick(10))  # rang out; offered to the same agent again
    assert (first.offer_id, second.offer_id) == (1, 2)
    assert core.offer_timed_out("c1", 10.5, offer_id=first.offer_id) == []  # the shell's late report
    assert core.agent("a").state is AgentState.RESERVED and core.agent("a").missed_in_row == 1
    assert states(core.offer_answered("c1", 11, offer_id=second.offer_id)) == [("a", "answer", "on_call")]
    assert core.active_call("c1") == ("billing", "a", 11)


def test_transfer_back_into_a_queue_keeps_the_call_id_and_context(core):
    core.agent_logged_in("a", {"billing": 5}, 0)
    core.agent_logged_in("b", {"complaints": 5}, 0)
    core.call_enqueued("c1", "billing", 0)
    core.offer_answered("c1", 1)
    core.call_ended("c1", 60)  # agent a transfers the caller to complaints
    [offer] = of(OfferCall, core.call_enqueued("c1", "complaints", 60, transferred=True,
                                               context={"ticket": "T-1"}))
    assert (offer.agent, offer.context, offer.reason["priority_class"]) == \
        ("b", {"ticket": "T-1"}, "transferred")


def test_explain_says_why_a_call_waits(core):
    core.agent_logged_in("spec", {"billing": 5}, 0)
    core.agent_not_ready("spec", "lunch", 0)
    core.agent_logged_in("gen", {"general": 7}, 0)
    core.agent_on_external_call("gen", 0)
    core.agent_logged_in("low", {"general": 2}, 0)
    core.call_enqueued("c0", "billing", 0)
    core.call_enqueued("c1", "billing", 1)
    early = core.explain("c1", 10)
    assert (early["step"], early["position"], early["order"]) == (0, 2, 1)
    assert early["agents"] == {"spec": "not_ready:lunch", "gen": "overflow_step_not_reached:1",
                               "low": "level_below_minimum:general=2<5"}
    later = core.explain("c1", 40)
    assert later["step"] == 1 and later["agents"]["gen"] == "on_non_queue_call"


def test_hanging_up_after_choosing_a_callback_keeps_the_request(core):
    core.agent_logged_in("a", {"billing": 5}, 0)
    core.agent_not_ready("a", "lunch", 0)
    core.call_enqueued("c1", "billing", 0, caller="1396")
    core.callback_requested("c1", 5)
    assert core.call_abandoned("c1", 6) == []  # the caller hangs up as told
    assert [c.call_id for c in core.waiting()] == ["c1"]
    core.call_removed("c1", 7, "customer cancelled")
    assert core.waiting() == []


# --- transfer to a named agent ----------------------------------------------

def _named_agent_core():
    from acd.actions import OfferCall
    from acd.core import AcdCore
    from acd.queue_config import load_queues
    core = AcdCore(load_queues())
    core.agent_logged_in("specialist", {"billing": 9}, 0.0)
    core.agent_logged_in("named", {"billing": 2}, 0.0)
    core.agent_not_ready("named", "break", 1.0)
    return core, OfferCall


def test_a_call_transferred_to_a_named_agent_waits_for_that_agent_alone():
    core, OfferCall = _named_agent_core()
    actions = core.call_enqueued("c1", "billing", 10.0, transferred=True, for_agent="named",
                                 for_agent_seconds=60)
    assert not [a for a in actions if isinstance(a, OfferCall)], "offered to someone else"
    offers = [a for a in core.agent_ready("named", 20.0) if isinstance(a, OfferCall)]
    assert [(o.call_id, o.agent) for o in offers] == [("c1", "named")]
    assert offers[0].reason["rule"] == "transferred_to_agent"


def test_a_named_agent_transfer_falls_back_to_the_queue_after_its_time():
    core, OfferCall = _named_agent_core()
    core.call_enqueued("c1", "billing", 10.0, transferred=True, for_agent="named", for_agent_seconds=30)
    assert core.next_timer() <= 40.0
    assert not [a for a in core.tick(39.0) if isinstance(a, OfferCall)]
    offers = [a for a in core.tick(40.0) if isinstance(a, OfferCall)]
    assert [(o.call_id, o.agent) for o in offers] == [("c1", "specialist")]


def test_named_agent_transfer_survives_snapshot_and_restore():
    from acd.core import AcdCore
    core, OfferCall = _named_agent_core()
    core.call_enqueued("c1", "billing", 10.0, transferred=True, for_agent="named", for_agent_seconds=60)
    restored = AcdCore.restore(core.config, core.snapshot())
    offers = [a for a in restored.agent_ready("named", 20.0) if isinstance(a, OfferCall)]
    assert [(o.call_id, o.agent) for o in offers] == [("c1", "named")]


# --- call_handed_over: a completed consultation transfer ------------------------------

def _answered_billing_call(core, holder="a", helper="b"):
    """c1 answered by ``holder`` (billing); ``helper`` ready and flagged as consulting."""
    core.agent_logged_in(holder, {"billing": 5}, 0)
    core.call_enqueued("c1", "billing", 1)
    core.offer_answered("c1", 2)
    core.agent_logged_in(helper, {"general": 5}, 3)
    core.agent_on_external_call(helper, 4)
    return core


@pytest.mark.parametrize("holder_on_hold", [False, True])
def test_a_handed_over_call_puts_the_holder_in_wrap_up_and_the_helper_on_the_call(
        core, holder_on_hold):
    _answered_billing_call(core)
    if holder_on_hold:
        core.agent_hold("a", 5)
    actions = core.call_handed_over("c1", "b", 10)
    assert states(actions) == [("a", "hang_up", "wrap_up"), ("b", "reserve", "reserved"),
                               ("b", "answer", "on_call")]
    assert [a.record.call_id for a in of(AgentStateChanged, actions)] == ["c1"] * 3
    assert core.active_call("c1") == ("billing", "b", 10)
    helper, holder = core.agent("b"), core.agent("a")
    assert (helper.call_id, helper.on_external_call) == ("c1", False)
    assert (holder.call_id, holder.wrap_up_until, holder.wrap_up_queue) == ("c1", 30, "billing")
    # the call now ends with the helper, who goes to wrap-up in turn
    assert states(core.call_ended("c1", 20)) == [("b", "hang_up", "wrap_up")]


@pytest.mark.parametrize("helper_state, error", [
    ("not_ready", IllegalTransition),  # went on a break while consulting
    ("logged_out", IllegalTransition),
    ("holder", IllegalTransition),  # handing the call to the agent who has it
    ("unknown", UnknownAgent),
])
def test_a_hand_over_to_an_agent_who_cannot_take_it_changes_nothing(core, helper_state, error):
    _answered_billing_call(core)
    target = {"holder": "a", "unknown": "nobody"}.get(helper_state, "b")
    if helper_state == "not_ready":
        core.agent_not_ready("b", "break", 5)
    elif helper_state == "logged_out":
        core.agent_logged_out("b", 5)
    before = (core.agent("a").state, core.agent("b").state, core.active_call("c1"))
    with pytest.raises(error):
        core.call_handed_over("c1", target, 10)
    assert (core.agent("a").state, core.agent("b").state, core.active_call("c1")) == before


def test_only_an_answered_call_can_be_handed_over(core):
    core.agent_logged_in("a", {"billing": 5}, 0)
    core.agent_logged_in("b", {"general": 5}, 0)
    core.call_enqueued("c1", "billing", 1)  # offered to a, not answered
    with pytest.raises(UnknownCall):
        core.call_handed_over("c1", "b", 2)
    with pytest.raises(UnknownCall):
        core.call_handed_over("nope", "b", 2)


def test_a_handed_over_call_survives_snapshot_and_restore(core):
    _answered_billing_call(core)
    core.call_handed_over("c1", "b", 10)
    again = AcdCore.restore(config(), json.loads(json.dumps(core.snapshot())))
    assert again.active_call("c1") == ("billing", "b", 10)
    assert again.agent("b").state is AgentState.ON_CALL
