"""What keeps calls whole when the engine is late or away (issue 10), at the wire
level: the engine against the switch simulator over real sockets.

- times come from the switch's clock, not from when the engine got to an event;
- the switch bridges and records when the agent answers, so an agent whose caller
  has gone by then is released at once and never answers silence;
- a call parked while the engine was away is taken when it comes back;
- an overloaded engine gives new callers the dialplan's busy answer."""
from __future__ import annotations

import time
from datetime import timezone

import gevent

from engine_fixtures import hotline, hotline_with  # noqa: F401  (fixtures)

TO_AN_AGENT = "wait:0.5 press:1 wait:1 press:0"  # Mandarin, then 0 for an agent


def _block_acd(hotline, seconds: float) -> None:
    """Keep the ACD loop busy for ``seconds`` (as a slow database or a burst would)."""
    hotline.engine.shell.submit_nowait(lambda now: gevent.sleep(seconds) or [])


def test_a_hang_up_the_engine_handles_late_keeps_the_switch_time(hotline):
    caller = hotline.sim.place_call("13800000077", "10000", TO_AN_AGENT + " wait:3 hangup")
    hotline.wait(lambda: hotline.waiting() == [caller], 15, "the caller never queued")
    _block_acd(hotline, 2.0)
    hotline.wait(lambda: hotline.sim.channel(caller).gone, 15, "the caller never hung up")
    hung_up_at = hotline.sim.channel(caller).hangup_at
    hotline.wait(lambda: hotline.call(caller).abandoned, 10, "the call was never marked abandoned")
    hotline.engine.calllog.flush()
    call = hotline.call(caller)
    ended = call.ended_at.replace(tzinfo=call.ended_at.tzinfo or timezone.utc).timestamp()
    handled = time.time()
    assert abs(ended - hung_up_at) < 0.01, (ended, hung_up_at)
    assert handled - ended > 1.0, "the call's end should be the switch's time, not the handling time"
    created = call.created_at.replace(tzinfo=call.created_at.tzinfo or timezone.utc)
    assert created == call.switch_answered_at.replace(tzinfo=created.tzinfo)  # the switch's too


def test_an_agent_who_answers_after_the_caller_left_is_released_at_once(hotline):
    agent = hotline.agent_ready("agent08", phone="answer:2")
    caller = hotline.sim.place_call("13800000078", "10000", TO_AN_AGENT + " wait:0.5 hangup")
    hotline.wait(lambda: hotline.ringing_agents() == ["agent08"], 15, "agent08's phone never rang")
    _block_acd(hotline, 4.0)  # the engine hears nothing in time: no offer is withdrawn
    hotline.wait(lambda: hotline.sim.channel(caller).gone, 10, "the caller never hung up")
    legs = [c for c in hotline.sim.channels() if c.variables.get("cc_leg") == "agent"
            and c.variables.get("cc_call_id") == caller]
    assert len(legs) == 1
    leg = legs[0].uuid
    # the phone answers about 2 s after it started ringing; the switch finds no caller
    # to bridge and hangs the leg up at once (intercept), whatever the engine is doing
    hotline.wait(lambda: hotline.sim.channel(leg).gone, 6, "the agent leg was left up")
    snapshot = hotline.sim.channel(leg)
    assert snapshot.bridged_to is None and not snapshot.recordings
    hotline.wait(lambda: hotline.state_of("agent08") in ("ready", "wrap_up", "not_ready"), 10,
                 "agent08 stayed reserved for a call that is gone")


def test_the_switch_records_from_the_agents_answer(hotline):
    hotline.agent_ready("agent08", phone="answer:0.5")
    caller = hotline.sim.place_call("13800000079", "10000", TO_AN_AGENT + " wait:1 hangup")
    hotline.wait(lambda: hotline.agent_on(caller) == "agent08", 15, "never connected")
    snapshot = hotline.sim.channel(caller)
    assert snapshot.variables.get("record_stereo") == "true", "recording must run with the bridge"
    agent_leg = hotline.sim.channel(snapshot.bridged_to)
    assert agent_leg.variables["api_on_answer"].startswith(f"uuid_record {caller} start ")
    hotline.wait(lambda: hotline.call(caller).ended_at is not None, 15, "the call never ended")
    connected = hotline.event(caller, "connected")
    assert connected is not None and connected["recording"].endswith(f"{caller}-call.wav")
    assert hotline.sim.channel(caller).recordings == (connected["recording"],)


def test_a_call_parked_while_the_engine_was_away_is_taken_when_it_is_back(hotline):
    connection = hotline.engine.connection
    hotline.sim.drop_connections()
    hotline.wait(lambda: not connection.connected, 5, "the engine never noticed the drop")
    caller = hotline.sim.place_call("13800000080", "10000", "wait:30 hangup")
    hotline.wait(lambda: hotline.sim.channel(caller) is not None
                 and hotline.sim.channel(caller).parked, 5, "the call was never parked")
    assert not hotline.engine.inbound.has(caller)
    hotline.wait(lambda: connection.connected, 15, "the engine never reconnected")
    back = time.monotonic()
    hotline.wait(lambda: hotline.engine.inbound.has(caller), 5, "the orphaned call was never taken")
    assert time.monotonic() - back < 1.0
    ivr = ("play_and_get_digits", "playback")  # the IVR greets the caller
    hotline.wait(lambda: any(app in ivr for app, _ in hotline.sim.channel(caller).applications), 5,
                 "the taken call never heard the IVR")


def test_an_overloaded_engine_gives_new_callers_the_busy_answer(hotline, monkeypatch):
    monkeypatch.setattr(hotline.engine.config.switch, "overload_calls_in_ivr", 1)
    first = hotline.sim.place_call("13800000081", "10000", "wait:20 hangup")
    hotline.wait(lambda: hotline.engine.inbound.in_ivr == 1, 10, "the first call never reached the IVR")
    second = hotline.sim.place_call("13800000082", "10000", "wait:20 hangup")
    hotline.wait(lambda: hotline.sim.channel(second).gone, 15, "the second caller was kept")
    turned = hotline.sim.channel(second)
    assert turned.variables.get("cc_entry") == "overload"
    assert any(path.endswith("engine_busy.wav") for path in turned.files_played)
    assert hotline.engine.inbound.turned_away == 1
    assert not hotline.sim.channel(first).gone  # the call in progress is untouched
    lag = hotline.services.health()["switch"]["lag"]  # the figures the health page shows
    assert lag["calls_in_ivr"] == 1 and lag["turned_away"] == 1 and lag["overloaded"] is True
    assert lag["commands_waiting"] >= 0 and lag["call_log"]["spooled"] == 0


def test_an_agent_who_answered_while_the_engine_was_down_keeps_the_caller(hotline):
    hotline.agent_ready("agent08", phone="answer:2")
    caller = hotline.sim.place_call("13800000083", "10000", TO_AN_AGENT + " wait:8 hangup")
    hotline.wait(lambda: hotline.ringing_agents() == ["agent08"], 15, "agent08's phone never rang")
    hotline.wait(lambda: hotline.engine.calllog.backlog()["pending"] == 0, 5,
                 "the saved picture with the offer was never written")
    hotline.crash_engine()
    # the phone answers while no engine runs: the switch bridges and records by itself
    hotline.wait(lambda: hotline.agent_on(caller) == "agent08", 10, "the switch did not bridge")
    leg = hotline.bridged_to(caller)
    hotline.engine = hotline._make_engine()
    hotline.engine.start()
    assert hotline.state_of("agent08") == "on_call"
    assert hotline.bridged_to(caller) == leg and not hotline.sim.channel(leg).gone
    assert hotline.ringing_agents() == [] and hotline.waiting() == []
    hotline.wait(lambda: hotline.sim.channel(caller).gone, 20, "the caller never hung up")
    hotline.wait(lambda: hotline.state_of("agent08") == "wrap_up", 10, "agent08 never left the call")
    hotline.wait(lambda: hotline.event(caller, "ended") is not None, 10, "the call never ended")
    assert hotline.sim.channel(caller).recordings  # recorded from the answer to the end
    connected = hotline.event(caller, "connected")
    assert connected is not None and connected["agent"] == "agent08"
    assert hotline.sim.channel(caller).recordings == (connected["recording"],)
    assert hotline.call(caller).agent_answered_at is not None


def test_a_burst_every_call_reaches_an_agent_is_recorded_and_timed_by_the_switch(hotline_with):
    from sqlalchemy import select

    from callcenter.models import Call, CallEvent, Recording
    hotline = hotline_with(queues={"general": {"wrap_up": 1}})
    agents = [card.login for card in hotline.engine.agents.call_takers() if "general" in card.skills]
    for login in agents:
        hotline.agent_ready(login, phone="answer:0.2 hangup:1")
    callers = []
    for n in range(40):  # about 20 calls a second, simulated at x4
        callers.append(hotline.sim.place_call(f"1390000{n:04d}", "10000", TO_AN_AGENT + " wait:300"))
        gevent.sleep(0.05)
    hotline.wait(lambda: all(hotline.sim.channel(c).gone for c in callers), 90,
                 "not every call ended")
    hotline.wait(lambda: not set(callers) & set(hotline.engine.runner.calls), 10,
                 "the engine still holds ended calls")
    hotline.engine.calllog.flush()
    with hotline.services.sessions() as session:
        calls = {c.uuid: c for c in session.scalars(select(Call).where(Call.uuid.in_(callers)))}
        events = {}
        for event in session.scalars(select(CallEvent).join(Call).where(Call.uuid.in_(callers))
                                     .order_by(CallEvent.id)):
            events.setdefault(event.call_id, {})[event.kind] = event.at
        hashed = {r.path for r in session.scalars(select(Recording)) if r.sha256}
    assert len(calls) == len(callers)
    for uuid, call in calls.items():
        kinds = events[call.id]
        assert "connected" in kinds and "ended" in kinds, (uuid, sorted(kinds))
        assert call.agent_answered_at <= call.ended_at
        assert kinds["connected"] <= kinds["ended"]
        snapshot = hotline.sim.channel(uuid)
        assert abs(call.ended_at.replace(tzinfo=timezone.utc).timestamp() - snapshot.hangup_at) < 0.5
        assert len(snapshot.recordings) == 1 and snapshot.recordings[0] in hashed
    silent = [c for c in hotline.sim.channels() if c.variables.get("cc_leg") == "agent"
              and c.answered and not c.variables.get("bridge_uuid")]
    assert silent == []  # no agent leg answered without its caller


def test_a_known_caller_is_looked_up_once_for_the_engine_and_the_flow(hotline, sessions):
    from sqlalchemy import Engine, event

    from callcenter.models import Account, Customer, CustomerPhone, CustomerTier
    with sessions.begin() as session:
        customer = Customer(name="王芳", tier=CustomerTier.VIP1, language="zh",
                            service_password_hash="x", phones=[CustomerPhone(number="13800000084")],
                            accounts=[Account(number="A7000084", plan="Mobile 58")])
        session.add(customer)
        session.flush()
        customer_id = customer.id
    lookups = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if "customer_phones" in statement:
            lookups.append(statement)
    event.listen(Engine, "before_cursor_execute", count)  # the engine's own pool too
    try:
        hotline.agent_ready("agent09", phone="answer:1")
        caller = hotline.sim.place_call("13800000084", "10000", TO_AN_AGENT + " wait:2 hangup")
        hotline.wait(lambda: hotline.agent_on(caller) == "agent09", 15, "the caller never reached agent09")
        hotline.wait(lambda: hotline.event(caller, "ended") is not None, 15, "the call never ended")
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    call = hotline.call(caller)
    assert call.customer_id == customer_id
    assert "identified" in call.ivr_path  # the flow's own look-up found the customer ...
    assert len(lookups) == 1  # ... from the engine's one query


def test_an_acd_that_falls_behind_makes_new_callers_get_the_busy_answer(hotline, monkeypatch):
    monkeypatch.setattr(hotline.engine.config.switch, "overload_lag_seconds", 0.5)
    _block_acd(hotline, 3.0)
    hotline.engine.shell.submit_nowait(lambda now: [])  # an input that now waits behind it
    gevent.sleep(0.8)
    assert hotline.engine.lag()["acd_input_lag_seconds"] > 0.5 and hotline.engine.overloaded()
    caller = hotline.sim.place_call("13800000085", "10000", "wait:10 hangup")
    hotline.wait(lambda: hotline.sim.channel(caller).gone, 15, "the caller was kept")
    assert hotline.sim.channel(caller).variables.get("cc_entry") == "overload"
    hotline.wait(lambda: hotline.engine.shell.input_lag == 0.0, 10, "the ACD never caught up")
    assert not hotline.engine.overloaded()


def test_an_agent_phone_ringing_a_while_is_not_overload(hotline, monkeypatch):
    monkeypatch.setattr(hotline.engine.config.switch, "overload_lag_seconds", 1.0)
    hotline.agent_ready("agent08", phone="answer:40")  # 10 s: the simulator runs at x4
    first = hotline.sim.place_call("13800000084", "10000", TO_AN_AGENT + " wait:20 hangup")
    hotline.wait(lambda: hotline.ringing_agents() == ["agent08"], 15, "agent08's phone never rang")
    gevent.sleep(2.0)  # the offer's originate has waited longer than the overload limit
    assert hotline.ringing_agents() == ["agent08"]
    assert not hotline.engine.overloaded(), hotline.engine.lag()
    second = hotline.sim.place_call("13800000085", "10000", "wait:20 hangup")
    hotline.wait(lambda: hotline.engine.inbound.has(second), 10, "the second caller was not taken")
    assert hotline.engine.inbound.turned_away == 0
    assert hotline.sim.channel(second).variables.get("cc_entry") != "overload"
    assert not hotline.sim.channel(first).gone


def test_calls_above_the_admitted_rate_get_the_busy_answer_from_the_switch_and_never_reach_the_engine(hotline):
    # the kit's dialplan counts hotline calls with mod_hash's `limit` (vars.xml's
    # cc_max_new_calls_per_second, a one-second window); here 2 a second
    hotline.sim.global_vars["cc_max_new_calls_per_second"] = "2"
    calls = [hotline.sim.place_call(f"138000001{n:02d}", "10000", "wait:20 hangup") for n in range(4)]
    admitted, refused = calls[:2], calls[2:]
    for uuid in refused:
        hotline.wait(lambda: hotline.sim.channel(uuid).gone, 15, "a call above the rate was kept")
        channel = hotline.sim.channel(uuid)
        assert channel.variables.get("cc_entry") == "overload"
        assert channel.hangup_cause == "NORMAL_TEMPORARY_FAILURE"
        assert any(path.endswith("engine_busy.wav") for path in channel.files_played)
    hotline.wait(lambda: all(hotline.call(uuid) is not None for uuid in admitted), 10,
                 "the admitted calls never reached the engine")
    assert not any(hotline.sim.channel(uuid).gone for uuid in admitted)
    assert hotline.engine.inbound.turned_away == 0  # the switch answered them, not the engine
    hotline.engine.calllog.flush()
    assert all(hotline.call(uuid) is None for uuid in refused)

    gevent.sleep(0.3)  # a simulated second later (x4) a new window opens
    later = hotline.sim.place_call("13800000199", "10000", "wait:20 hangup")
    hotline.wait(lambda: hotline.call(later) is not None, 10, "the next second's call was refused")
