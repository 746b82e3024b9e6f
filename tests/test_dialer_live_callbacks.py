"""Wire tests: callback requests are dialled and reach an agent, agent first.

A caller who presses 6 in the IVR's main menu leaves a request and hangs up; when
an agent is free, the agent's phone rings, and once the agent answers the
customer is called through the carrier gateway and bridged to them. A callback
an agent promised at wrap-up goes to that agent. (A caller who chooses a
callback while waiting in the queue is dialled the same way: test_engine_calls.)"""
from __future__ import annotations

from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import Agent, CallbackRequest, CallbackStatus
from engine_fixtures import OPEN_HOURS, hotline  # noqa: F401  (fixture)

CALLER = "13800000001"
CUSTOMER = "8613800000001"  # as stored and dialled (normalised)
CALLBACK_FROM_THE_MENU = "wait:0.5 press:1 wait:1 press:6 wait:30 hangup"  # Mandarin, then 6


def request(hotline) -> CallbackRequest | None:
    with hotline.services.sessions() as session:
        return session.scalar(select(CallbackRequest))


def customer_leg(hotline):
    for channel in hotline.sim.channels():
        if (channel.direction == "outbound" and channel.variables.get("cc_leg") == "caller"
                and channel.destination == CUSTOMER and not channel.gone):
            return channel
    return None


def test_a_callback_left_in_the_ivr_rings_a_free_agent_then_calls_the_customer(hotline):
    hotline.sim.add_external_party(CUSTOMER, "answer:1 hangup:60")
    caller = hotline.sim.place_call(CALLER, "10000", CALLBACK_FROM_THE_MENU)
    hotline.wait(lambda: request(hotline) is not None, 20, "no callback request was stored")
    hotline.wait(lambda: hotline.sim.channel(caller).gone, 20, "the caller was not let go")
    hotline.wait(lambda: caller in hotline.waiting(), 10, "the request never reached the ACD")
    assert hotline.engine.shell.core.waiting()[0].callback
    assert customer_leg(hotline) is None, "the customer was called before any agent was free"

    answered_agents_when_dialled = []
    hotline.sim.on_gateway_dial = lambda number, channel: answered_agents_when_dialled.append(
        [c.variables.get("cc_agent") for c in hotline.sim.channels()
         if c.variables.get("cc_leg") == "agent" and c.answered])
    hotline.agent_ready("agent10")
    hotline.wait(lambda: customer_leg(hotline), 20, "the customer was never called back")
    customer = customer_leg(hotline)
    # what campaigns/callbacks.yaml says: the customer sees the hotline's number, rings 30 s
    assert customer.caller_id_number == "10086"
    assert customer.variables.get("originate_timeout") == "30"
    hotline.wait(lambda: hotline.sim.channel(customer.uuid).bridged_to, 10, "customer not bridged")
    agent_leg = hotline.sim.channel(hotline.sim.channel(customer.uuid).bridged_to)
    assert agent_leg.variables.get("cc_agent") == "agent10"
    assert answered_agents_when_dialled == [["agent10"]], "agent first: agent10 answered, then the dial"
    assert hotline.state_of("agent10") == "on_call"
    hotline.wait(lambda: request(hotline).status is CallbackStatus.DONE, 10,
                 "the request was not marked done")
    assert request(hotline).attempts == 1 and request(hotline).dial_uuid == caller

    hotline.sim.hangup_call(customer.uuid)
    hotline.wait(lambda: hotline.state_of("agent10") == "wrap_up", 10, "agent10 not in wrap-up")
    assert hotline.waiting() == []
    hotline.engine.dialer.callbacks.tick()  # done: never handed again
    assert hotline.waiting() == []


def test_a_callback_an_agent_promised_goes_to_that_agent(hotline):
    hotline.sim.add_external_party(CUSTOMER, "answer:1 hangup:60")
    hotline.agent_ready("agent11")  # free first, and could take a general call
    promised = hotline.agent_ready("agent10")
    with transaction(hotline.services.sessions) as session:
        session.add(CallbackRequest(phone=CUSTOMER, agent_id=promised.id, need="general",
                                    note="call back with the refund amount"))

    hotline.wait(lambda: customer_leg(hotline), 20, "the promised callback was never made")
    customer = customer_leg(hotline)
    hotline.wait(lambda: hotline.sim.channel(customer.uuid).bridged_to, 10, "customer not bridged")
    agent_leg = hotline.sim.channel(hotline.sim.channel(customer.uuid).bridged_to)
    assert agent_leg.variables.get("cc_agent") == "agent10"
    assert hotline.state_of("agent11") == "ready"
    with hotline.services.sessions() as session:
        assert session.get(Agent, promised.id).login == "agent10"
    hotline.wait(lambda: request(hotline).status is CallbackStatus.DONE, 10,
                 "the promised callback was not marked done")


def test_a_callback_promised_at_wrap_up_is_made_when_due_and_keeps_the_first_call_s_record(hotline):
    from datetime import datetime, timedelta, timezone

    from callcenter.models import Call, CallDirection
    hotline.sim.add_external_party(CUSTOMER, "answer:1 hangup:60")
    agent = hotline.agent_ready("agent10")
    answered = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
    with transaction(hotline.services.sessions) as session:
        first = Call(uuid="first-call", direction=CallDirection.INBOUND, caller_number=CUSTOMER,
                     queued_at=answered, agent_id=agent.id, agent_answered_at=answered,
                     ended_at=answered + timedelta(minutes=3), need="general")
        session.add(first)
        session.flush()
        session.add(CallbackRequest(phone=CUSTOMER, call_id=first.id, need="general",
                                    scheduled_for=OPEN_HOURS - timedelta(minutes=1)))

    hotline.wait(lambda: customer_leg(hotline), 20, "the promised callback was never made")
    hotline.wait(lambda: request(hotline).status is CallbackStatus.DONE, 10, "not marked done")
    first_now = hotline.call("first-call")
    assert (first_now.agent_answered_at, first_now.queued_at) == (answered, answered)
    callback = hotline.call(request(hotline).dial_uuid)
    assert callback.direction is CallDirection.OUTBOUND and callback.id == request(hotline).call_id
    assert hotline.event(callback.uuid, "callback_for") == {"request": request(hotline).id,
                                                           "call": "first-call"}


def _restart(hotline):
    hotline.wait(lambda: hotline.engine.calllog.backlog()["pending"] == 0, 5,
                 "the saved picture was never written")
    hotline.crash_engine()
    hotline.engine = hotline._make_engine()
    hotline.engine.start()


def _agent_leg(hotline, agent):
    return next((c for c in hotline.sim.channels() if c.variables.get("cc_leg") == "agent"
                 and c.variables.get("cc_agent") == agent), None)


def test_a_restart_while_the_customer_rings_keeps_the_callback_and_its_end(hotline):
    hotline.sim.add_external_party(CUSTOMER, "answer:12 wait:600 hangup")  # x4: rings 3 s
    hotline.agent_ready("agent10")
    with transaction(hotline.services.sessions) as session:
        session.add(CallbackRequest(phone=CUSTOMER, need="general"))
    hotline.wait(lambda: customer_leg(hotline), 20, "the customer was never called back")
    customer = customer_leg(hotline).uuid
    assert not hotline.sim.channel(customer).answered
    _restart(hotline)
    assert hotline.state_of("agent10") == "on_call"
    hotline.wait(lambda: hotline.sim.channel(customer).bridged_to, 10, "the switch did not bridge")
    agent_leg = hotline.sim.channel(customer).bridged_to
    hotline.sim.hangup_call(customer, "NORMAL_UNSPECIFIED")
    # the customer's hang-up ends the call (the engine follows their leg since the restart):
    # the agent's leg is not left on a silent line, the call ends with the customer's cause
    hotline.wait(lambda: hotline.sim.channel(agent_leg).gone, 5, "agent10 left on a silent line")
    hotline.wait(lambda: hotline.state_of("agent10") == "wrap_up", 5, "agent10 never left the call")
    dial = request(hotline).dial_uuid
    hotline.wait(lambda: hotline.call(dial).ended_at is not None, 5, "the call's end never logged")
    assert hotline.call(dial).hangup_cause == "NORMAL_UNSPECIFIED"


def test_a_callback_whose_customer_dial_ended_while_no_engine_ran_frees_the_agent(hotline):
    hotline.sim.add_external_party(CUSTOMER, "ring")
    hotline.agent_ready("agent10")
    with transaction(hotline.services.sessions) as session:
        session.add(CallbackRequest(phone=CUSTOMER, need="general"))
    hotline.wait(lambda: customer_leg(hotline), 20, "the customer was never called back")
    customer = customer_leg(hotline).uuid
    agent_leg = _agent_leg(hotline, "agent10").uuid
    hotline.wait(lambda: hotline.engine.calllog.backlog()["pending"] == 0, 5, "picture not written")
    hotline.crash_engine()
    hotline.sim.hangup_call(customer)  # not reached: the dial ends while no engine runs
    hotline.wait(lambda: hotline.sim.channel(customer).gone, 5, "the customer leg stayed")
    hotline.engine = hotline._make_engine()
    hotline.engine.start()
    hotline.wait(lambda: hotline.sim.channel(agent_leg).gone, 5, "agent10 left on a silent line")
    hotline.wait(lambda: hotline.state_of("agent10") in ("wrap_up", "ready"), 5,
                 "agent10 still held by a callback that is over")
    assert hotline.waiting() == []
