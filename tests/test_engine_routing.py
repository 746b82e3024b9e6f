"""Who gets the call, at the wire level: the real engine, the switch simulator
over real sockets and a seeded database. Specialists first, VIPs first,
rejected and unanswered offers, phones that are not registered."""
import time

from callcenter.models import CustomerTier
from engine_fixtures import hotline, hotline_with  # noqa: F401  (fixtures)

REGULAR = "13800000001"
OTHER_REGULAR = "13800000002"
VIP = "13800000004"  # a vip3 customer: straight to the general queue at priority 20
TO_AN_AGENT = "wait:0.5 press:1 wait:1 press:0"  # Mandarin, then 0 for an agent
# The billing line (10001) preselects billing; a known caller is asked for the
# service password: three wrong entries and the IVR hands over to a billing agent.
BILLING_LINE_TO_AN_AGENT = "wait:0.5 press:1 wait:1 press:12# wait:1 press:12# wait:1 press:12#"


def _tier(hotline, number):
    customer = hotline.engine.calllog.find_customer(number).customer
    return customer.tier if customer else None


def test_billing_line_caller_reaches_the_billing_specialist_before_a_general_agent(hotline):
    hotline.agent_ready("agent10")  # general 5
    hotline.agent_ready("agent02")  # billing 7
    uuid = hotline.sim.place_call(REGULAR, "10001", BILLING_LINE_TO_AN_AGENT + " wait:30 hangup")

    hotline.wait(lambda: hotline.agent_on(uuid), 25, "the billing caller was never connected")
    assert hotline.agent_on(uuid) == "agent02"
    routed = hotline.event(uuid, "routed")
    assert routed["agent"] == "agent02" and routed["rule"] == "specialist"
    assert hotline.call(uuid).queue_name == "billing"
    assert hotline.state_of("agent10") == "ready"


def test_a_vip_who_called_later_is_offered_first(hotline):
    assert _tier(hotline, VIP) == CustomerTier.VIP3.value
    assert _tier(hotline, REGULAR) == CustomerTier.REGULAR.value
    regular = hotline.sim.place_call(REGULAR, "10000", TO_AN_AGENT + " wait:60 hangup")
    hotline.wait(lambda: hotline.waiting() == [regular], 15, "the regular caller never queued")
    vip = hotline.sim.place_call(VIP, "10000", "wait:60 hangup")
    hotline.wait(lambda: len(hotline.waiting()) == 2, 15, "the VIP never queued")
    assert hotline.waiting() == [vip, regular]

    hotline.agent_ready("agent10")
    hotline.wait(lambda: hotline.agent_on(vip), 15, "the VIP was never connected")
    assert hotline.agent_on(vip) == "agent10"
    # the switch bridges on the agent's answer; the ACD hears of the answer just after
    hotline.wait(lambda: hotline.waiting() == [regular], 5, "the VIP still counted as waiting")
    assert hotline.bridged_to(regular) is None
    routed = hotline.event(vip, "routed")
    assert routed["priority_class"] == "vip3" and routed["order"] == 0


def test_a_rejected_offer_goes_to_the_next_agent_at_once(hotline):
    hotline.agent_ready("agent08", phone="reject")  # general 9: ranked first
    hotline.agent_ready("agent10")                  # general 5
    uuid = hotline.sim.place_call(REGULAR, "10000", TO_AN_AGENT + " wait:30 hangup")

    hotline.wait(lambda: hotline.event(uuid, "offered"), 20, "nobody was offered the call")
    first_offer = time.monotonic()
    hotline.wait(lambda: hotline.agent_on(uuid), 10, "the call never reached the second agent")
    offer_timeout = hotline.engine.acd_config.offer_timeout
    assert time.monotonic() - first_offer < offer_timeout / 2, "the rejected offer rang out first"
    assert hotline.agent_on(uuid) == "agent10"
    offers = [data["agent"] for kind, data in hotline.events(uuid) if kind == "offered"]
    assert offers == ["agent08", "agent10"]
    assert hotline.state_of("agent08") == "ready"  # a rejection is not a miss


def test_an_unanswered_offer_goes_back_to_the_front_and_repeated_misses_make_the_agent_not_ready(
        hotline_with):
    hotline = hotline_with(settings={"offer_timeout": 1.5})  # missed_offers_limit as shipped
    limit = hotline.engine.acd_config.missed_offers_limit
    first = hotline.sim.place_call(REGULAR, "10000", TO_AN_AGENT + " wait:60 hangup")
    hotline.wait(lambda: hotline.waiting() == [first], 15, "the first caller never queued")
    second = hotline.sim.place_call(OTHER_REGULAR, "10000", TO_AN_AGENT + " wait:60 hangup")
    hotline.wait(lambda: len(hotline.waiting()) == 2, 15, "the second caller never queued")

    hotline.agent_ready("agent08", phone="ring")  # the phone rings and nobody answers
    hotline.wait(lambda: hotline.state_of("agent08") == "not_ready", 5 + 3 * limit,
                 f"the agent who missed {limit} offers in a row is still offered calls")
    assert hotline.engine.shell.core.agent("agent08").not_ready_reason == "missed_call"
    requeued = lambda: [data["reason"] for kind, data in hotline.events(first)  # noqa: E731
                        if kind == "requeued"]
    hotline.wait(lambda: len(requeued()) >= limit, 5, "the missed offers were not logged")
    assert requeued() == ["ring_timeout"] * limit
    assert hotline.event(second, "offered") is None
    assert hotline.waiting() == [first, second]  # the missed call kept the front
    hotline.wait(lambda: not hotline.ringing_agents(), 5, "the missed offer's leg still rings")

    hotline.agent_ready("agent10")
    hotline.wait(lambda: hotline.agent_on(first), 15, "the first caller never reached agent10")
    assert hotline.agent_on(first) == "agent10" and hotline.bridged_to(second) is None


def test_an_agent_whose_phone_is_not_registered_is_never_offered_a_call(hotline):
    absent = hotline.agent_ready("agent08")  # general 9: would be first
    hotline.sim.unregister_phone(absent.sip_extension)
    hotline.wait(lambda: not hotline.engine.shell.core.agent("agent08").phone_registered, 5,
                 "the engine never heard that the phone unregistered")
    hotline.agent_ready("agent10")
    uuid = hotline.sim.place_call(REGULAR, "10000", TO_AN_AGENT + " wait:30 hangup")

    hotline.wait(lambda: hotline.agent_on(uuid), 20, "the call never reached agent10")
    assert hotline.agent_on(uuid) == "agent10"
    assert [data["agent"] for kind, data in hotline.events(uuid) if kind == "offered"] == ["agent10"]
    passed_over = hotline.event(uuid, "routed")["passed_over"]
    assert passed_over["agent08"] == "phone_not_registered"
