"""Agents' phones: periodic reconciliation of registrations with the switch; the phone's
state (registered, offline and why) kept apart from the agent's own."""
import gevent

from engine_fixtures import drain, hotline  # noqa: F401  (fixture)


def _registered(hotline, login):
    return hotline.engine.shell.core.agent(login).phone_registered


def test_a_phone_the_engine_wrongly_thinks_unregistered_is_repaired(hotline):
    agent = hotline.agent_ready("agent08")
    hotline.engine.shell.phone(agent.sip_extension, False)  # as if a stale event had arrived
    hotline.wait(lambda: _registered(hotline, "agent08") is False, 5, "the flag never dropped")

    hotline.engine.registrations.repair()
    hotline.wait(lambda: _registered(hotline, "agent08") is True, 5, "the phone was not repaired")


def test_a_phone_gone_without_an_event_is_marked_unregistered_after_two_checks(hotline):
    agent = hotline.agent_ready("agent08")
    hotline.engine.registrations.repair()
    listen = hotline.engine.connection.on_event
    hotline.engine.connection.on_event = lambda event: None  # the unregistration event is lost
    try:
        hotline.sim.unregister_phone(agent.sip_extension)
        hotline.wait(lambda: not hotline.sim_registered(agent.sip_extension), 5, "still registered")
    finally:
        hotline.engine.connection.on_event = listen

    hotline.engine.registrations.repair()
    hotline.engine.shell.submit(lambda now: [])  # every input queued before this one is applied
    assert _registered(hotline, "agent08") is True, "one missing listing must not be trusted yet"
    hotline.engine.registrations.repair()
    hotline.wait(lambda: _registered(hotline, "agent08") is False, 5, "the phone is still believed up")


def _phone(hotline, agent):
    return hotline.engine.live.agent_status(agent.id).phone


def test_the_desk_and_the_floor_see_the_phone_go_offline_and_come_back_apart_from_the_agents_state(hotline):
    agent = hotline.agent_ready("agent08")
    desk = hotline.engine.bus.subscribe(agent.id, 0.5)
    hotline.sim.unregister_phone(agent.sip_extension)  # the softphone quits (un-REGISTER)
    hotline.wait(lambda: not _phone(hotline, agent).registered, 5, "the phone is still shown registered")
    offline = _phone(hotline, agent)
    assert offline.reason == "unregistered" and offline.since is not None
    assert hotline.state_of("agent08") == "ready", "the agent's own choice changed with the phone"
    floor = {s.agent_id: s for s in hotline.engine.live.floor().agents}
    assert floor[agent.id].phone == offline
    uuid = hotline.sim.place_call("13800000001", "10000", "wait:0.5 press:1 wait:1 press:0 wait:30 hangup")
    hotline.wait(lambda: uuid in hotline.waiting(), 10, "the caller never queued")
    gevent.sleep(0.3)
    assert hotline.ringing_agents() == [], "a call was offered to an offline phone"

    hotline.sim.register_phone(agent.sip_extension, "answer:0.2")  # the phone comes back
    hotline.wait(lambda: _phone(hotline, agent).registered, 5, "the phone's return was not seen")
    hotline.wait(lambda: hotline.agent_on(uuid) == "agent08", 10, "the agent was not offered the call again")
    kinds = [(e.kind, e.data["phone"]["registered"]) for e in drain(desk) if e.kind == "phone_state"]
    assert kinds[:2] == [("phone_state", False), ("phone_state", True)], kinds


def test_a_phone_that_died_without_unregistering_does_not_cost_the_agent_missed_calls(hotline):
    agent = hotline.agent_ready("agent08")
    hotline.sim.set_phone_behaviour(agent.sip_extension, "dead")  # still listed, gone
    uuid = hotline.sim.place_call("13800000001", "10000", "wait:0.5 press:1 wait:1 press:0 wait:30 hangup")
    hotline.wait(lambda: (_phone(hotline, agent).reason == "unreachable"), 10, "the dead phone was not noticed")
    assert hotline.state_of("agent08") == "ready", "a dead phone made the agent not ready (missed calls)"
    assert uuid in hotline.waiting()
    hotline.engine.registrations.repair()  # the switch still lists it: not believed
    hotline.engine.shell.submit(lambda now: [])
    assert not _registered(hotline, "agent08")

    hotline.sim.register_phone(agent.sip_extension, "answer:0.2")  # the phone restarts and registers
    hotline.wait(lambda: hotline.agent_on(uuid) == "agent08", 10, "the agent was not offered the call again")
    assert _phone(hotline, agent).registered and _phone(hotline, agent).reason is None
