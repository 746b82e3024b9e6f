"""Periodic reconciliation of agents' phone registrations with the switch."""
from engine_fixtures import hotline  # noqa: F401  (fixture)


def _registered(hotline, login):
    return hotline.engine.shell.core.agent(login).phone_registered


def test_a_phone_the_engine_wrongly_thinks_unregistered_is_repaired(hotline):
    agent = hotline.agent_ready("agent08")
    hotline.engine.shell.phone(agent.sip_extension, False)  # as if a stale event had arrived
    hotline.wait(lambda: _registered(hotline, "agent08") is False, 5, "the flag never dropped")

    hotline.engine._repair_registrations()
    hotline.wait(lambda: _registered(hotline, "agent08") is True, 5, "the phone was not repaired")


def test_a_phone_gone_without_an_event_is_marked_unregistered_after_two_checks(hotline):
    agent = hotline.agent_ready("agent08")
    hotline.engine._repair_registrations()
    listen = hotline.engine.connection.on_event
    hotline.engine.connection.on_event = lambda event: None  # the unregistration event is lost
    try:
        hotline.sim.unregister_phone(agent.sip_extension)
        hotline.wait(lambda: not hotline.sim_registered(agent.sip_extension), 5, "still registered")
    finally:
        hotline.engine.connection.on_event = listen

    hotline.engine._repair_registrations()
    hotline.engine.shell.submit(lambda now: [])  # every input queued before this one is applied
    assert _registered(hotline, "agent08") is True, "one missing listing must not be trusted yet"
    hotline.engine._repair_registrations()
    hotline.wait(lambda: _registered(hotline, "agent08") is False, 5, "the phone is still believed up")
