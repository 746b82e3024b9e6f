"""Wire tests: callback requests retried within calling windows (the callbacks policy,
campaigns/callbacks.yaml: weekdays 08:00-21:00, weekends 09:00-18:00, 4 attempts, busy
again after 5 min, no answer after 30 min; the center calendar's holidays excluded).

Agent first as always: the agent's phone rings, then the customer is dialled. A customer
who is busy or does not answer counts an attempt; the request is pending again at the
policy's time (a call row of its own each attempt), or ends failed, "no more attempts".
The dialer's clock is pinned and moved by the test; nothing depends on the hour."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import CallbackRequest, CallbackStatus
from dialer_fixtures import outbound_at  # noqa: F401  (fixture)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_MORNING = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
CALLER = "13800000001"
CUSTOMER = "8613800000001"  # as stored and dialled (normalised)
CALLBACK_FROM_THE_MENU = "wait:0.5 press:1 wait:1 press:6 wait:30 hangup"  # Mandarin, then 6
QUICK_WRAP_UP = {"general": {"wrap_up": 1}}


def request(out) -> CallbackRequest | None:
    with out.sessions() as session:
        return session.scalar(select(CallbackRequest))


def ask_for_a_callback(out, phone: str = CUSTOMER, **fields) -> None:
    with transaction(out.sessions) as session:
        session.add(CallbackRequest(phone=phone, need="general", **fields))


def settled(out, attempts: int):
    """The request once its ``attempts``-th dial is written (pending again, done or failed)."""
    def check():
        out.engine.calllog.flush()
        found = request(out)
        return found if found and found.attempts == attempts and \
            found.status is not CallbackStatus.DIALING and found.last_outcome else None
    out.line.wait(check, 20, f"attempt {attempts} was never settled")
    return request(out)


def customer_ringing(out) -> bool:
    return any(c.destination == CUSTOMER and not c.gone for c in out.line.sim.channels())


def agent_on_the_line(out, login: str = "agent10") -> bool:
    return any(c.variables.get("cc_leg") == "agent" and c.variables.get("cc_agent") == login
               and not c.gone for c in out.line.sim.channels())


def agent_free(out, login: str = "agent10") -> None:
    out.line.wait(lambda: out.line.state_of(login) == "ready", 20, f"{login} never ready again")


def test_an_ivr_callback_whose_customer_is_busy_is_tried_again_after_the_busy_delay(outbound_at):
    out = outbound_at(MONDAY_MORNING, queues=QUICK_WRAP_UP)
    out.customers.add(CUSTOMER, "busy")
    out.line.agent_ready("agent10")
    caller = out.line.sim.place_call(CALLER, "10000", CALLBACK_FROM_THE_MENU)

    out.line.wait(lambda: len(out.customers.dials_to(CUSTOMER)) == 1, 30, "the customer was never dialled")
    first = settled(out, 1)
    assert (first.status, first.last_outcome) == (CallbackStatus.PENDING, "busy")
    assert first.scheduled_for == MONDAY_MORNING + timedelta(minutes=5)
    assert first.dial_uuid is None and "busy on attempt 1 of 4" in first.reason
    agent_free(out)

    out.clock.advance(4 * 60 + 59)  # 10:04:59: not yet
    assert out.engine.dialer.callbacks.tick() == 0
    assert len(out.customers.dials_to(CUSTOMER)) == 1

    out.customers.add(CUSTOMER, "answers", after=1, then="wait:100 hangup")
    out.clock.advance(1)  # 10:05: the busy delay is over
    out.line.wait(lambda: len(out.customers.dials_to(CUSTOMER)) == 2, 30, "never tried again")
    second = settled(out, 2)
    assert (second.status, second.last_outcome) == (CallbackStatus.DONE, "answered")
    assert second.dial_uuid not in (None, caller), "the second attempt is a call of its own"
    retry_call = out.line.call(second.dial_uuid)
    assert retry_call.id == second.call_id
    assert out.line.event(second.dial_uuid, "callback_for")["request"] == second.id
    assert [dial.concurrent for dial in out.customers.dials_to(CUSTOMER)] == [0, 0]


def test_a_customer_who_never_answers_ends_with_no_more_attempts(outbound_at):
    out = outbound_at(MONDAY_MORNING, queues=QUICK_WRAP_UP)
    out.customers.add(CUSTOMER, "never_answers")
    out.line.agent_ready("agent10")
    ask_for_a_callback(out)

    for attempt in (1, 2, 3):
        out.line.wait(lambda: len(out.customers.dials_to(CUSTOMER)) == attempt, 30,
                      f"dial {attempt} never happened")
        pending = settled(out, attempt)
        assert pending.status is CallbackStatus.PENDING and pending.last_outcome == "no_answer"
        assert pending.scheduled_for == out.clock() + timedelta(minutes=30)
        agent_free(out)
        out.clock.advance(29 * 60)
        assert out.engine.dialer.callbacks.tick() == 0, "dialled before the no-answer delay"
        out.clock.advance(60)

    out.line.wait(lambda: len(out.customers.dials_to(CUSTOMER)) == 4, 30, "the 4th dial never happened")
    final = settled(out, 4)
    assert final.status is CallbackStatus.FAILED and final.scheduled_for is not None
    assert final.reason.startswith("no more attempts") and "attempt 4 of 4" in final.reason
    agent_free(out)
    out.clock.advance(24 * 3600)
    assert out.engine.dialer.callbacks.tick() == 0
    assert len(out.customers.dials_to(CUSTOMER)) == 4


def test_past_the_windows_end_the_next_attempt_waits_for_the_next_opening_after_the_holidays(
        outbound_at):
    # Wednesday 2026-09-30, 20:40 in Shanghai; Oct 1-3 are holidays in the center's calendar
    late = datetime(2026, 9, 30, 20, 40, tzinfo=SHANGHAI)
    sunday_opening = datetime(2026, 10, 4, 9, 0, tzinfo=SHANGHAI)
    out = outbound_at(late, queues=QUICK_WRAP_UP)
    out.customers.add(CUSTOMER, "never_answers")
    out.line.agent_ready("agent10")
    ask_for_a_callback(out)

    out.line.wait(lambda: len(out.customers.dials_to(CUSTOMER)) == 1, 30, "never dialled")
    first = settled(out, 1)  # 20:40 + 30 min is past 21:00: Thursday to Saturday are holidays
    assert first.status is CallbackStatus.PENDING
    assert first.scheduled_for == sunday_opening
    assert "next calling window" in first.reason
    agent_free(out)

    out.clock.set(datetime(2026, 9, 30, 21, 30, tzinfo=SHANGHAI))  # past the window's end
    assert out.engine.dialer.callbacks.tick() == 0
    out.clock.set(datetime(2026, 10, 2, 10, 0, tzinfo=SHANGHAI))  # a holiday morning
    assert out.engine.dialer.callbacks.tick() == 0
    assert len(out.customers.dials_to(CUSTOMER)) == 1

    out.customers.add(CUSTOMER, "answers", after=1, then="wait:100 hangup")
    out.clock.set(sunday_opening)
    out.line.wait(lambda: len(out.customers.dials_to(CUSTOMER)) == 2, 30, "not tried at the opening")
    assert out.customers.dials_to(CUSTOMER)[1].at == sunday_opening.astimezone(timezone.utc)
    assert settled(out, 2).status is CallbackStatus.DONE


def test_a_request_left_after_hours_waits_for_the_opening_and_a_promised_time_is_kept(outbound_at):
    evening = datetime(2026, 11, 23, 21, 30, tzinfo=SHANGHAI)  # Monday, closed since 21:00
    out = outbound_at(evening, queues=QUICK_WRAP_UP)
    out.customers.add(CUSTOMER, "answers", after=1, then="wait:100 hangup")
    out.line.agent_ready("agent10")
    promised = datetime(2026, 11, 24, 14, 15, tzinfo=SHANGHAI)  # Tuesday, inside the window
    ask_for_a_callback(out, scheduled_for=promised)
    ask_for_a_callback(out, phone="8613800000002")  # as soon as possible
    out.customers.add("8613800000002", "answers", after=1, then="wait:100 hangup")

    assert out.engine.dialer.callbacks.tick() == 0
    with out.sessions() as session:
        asap = session.scalar(select(CallbackRequest).where(CallbackRequest.phone == "8613800000002"))
    assert asap.scheduled_for == datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI)
    assert asap.reason == "outside the calling window" and asap.attempts == 0
    assert out.customers.dials == []

    out.clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI))
    out.line.wait(lambda: len(out.customers.dials) == 1, 30, "not dialled at the opening")
    assert out.customers.dials[0].number == "8613800000002"
    agent_free(out)
    out.clock.set(promised - timedelta(seconds=1))
    assert out.engine.dialer.callbacks.tick() == 0
    out.clock.set(promised)
    out.line.wait(lambda: len(out.customers.dials_to(CUSTOMER)) == 1, 30, "the promised time was not kept")
    assert out.customers.dials_to(CUSTOMER)[0].at == promised.astimezone(timezone.utc)


def test_a_restart_while_the_customer_rings_neither_loses_nor_doubles_the_attempt(outbound_at):
    out = outbound_at(MONDAY_MORNING, queues=QUICK_WRAP_UP)
    out.customers.add(CUSTOMER, "never_answers")
    out.line.agent_ready("agent10")
    ask_for_a_callback(out)
    out.line.wait(lambda: len(out.customers.dials_to(CUSTOMER)) == 1, 30, "never dialled")

    def dialling():
        out.engine.calllog.flush()
        return request(out).status is CallbackStatus.DIALING
    out.line.wait(dialling, 10, "the request was not marked dialling")
    out.line.restart_engine()  # its dial's result dies with it
    out.engine.dialer.callbacks.stale_seconds = 0.5
    out.line.wait(lambda: not customer_ringing(out), 20, "the customer's phone never stopped")
    # the new engine followed the customer's leg: its end ends the call, agent10 is not
    # left on a silent line
    out.line.wait(lambda: not agent_on_the_line(out), 5, "agent10 left on a silent line")
    out.line.wait(lambda: request(out).status is not CallbackStatus.DIALING, 20,
                  "the lost dial was never settled")

    lost = request(out)
    assert (lost.status, lost.attempts, lost.last_outcome) == (CallbackStatus.PENDING, 1, "interrupted")
    assert lost.scheduled_for == MONDAY_MORNING + timedelta(minutes=15)  # the delay for failures
    assert lost.dial_uuid is None and lost.reason.startswith("interrupted: failed on attempt 1 of 4")
    assert out.engine.dialer.callbacks.tick() == 0 and len(out.customers.dials_to(CUSTOMER)) == 1

    out.customers.add(CUSTOMER, "answers", after=1, then="wait:100 hangup")
    out.line.wait(lambda: out.line.state_of("agent10") == "ready", 30, "agent10 not ready after the restart")
    out.clock.advance(15 * 60)
    out.line.wait(lambda: len(out.customers.dials_to(CUSTOMER)) == 2, 30, "never tried again")
    assert settled(out, 2).status is CallbackStatus.DONE
    assert [dial.concurrent for dial in out.customers.dials_to(CUSTOMER)] == [0, 0]


def test_a_queue_callback_whose_turn_comes_after_the_window_waits_for_the_opening(outbound_at):
    evening = datetime(2026, 11, 23, 21, 30, tzinfo=SHANGHAI)  # agents still on, calls closed
    out = outbound_at(evening, queues={"general": {
        "wrap_up": 1, "overflow": [{"after": 1, "offer": ["callback", "voicemail"]}]}})
    out.customers.add(CUSTOMER, "answers", after=1, then="wait:100 hangup")
    # nobody is free: the callback choice is offered at once; the caller presses 1
    caller = out.line.sim.place_call(CALLER, "10000", "wait:0.5 press:1 wait:1 press:0 wait:4 "
                                                      "press:1 wait:60 hangup")
    out.line.wait(lambda: out.line.sim.channel(caller).gone, 20, "the caller was not let go")
    out.line.wait(lambda: request(out) is not None, 10, "no callback request")

    out.line.agent_ready("agent10")  # its turn: outside the window, nobody is rung
    tuesday_opening = datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI)

    def deferred():
        out.engine.calllog.flush()
        return request(out).scheduled_for == tuesday_opening
    out.line.wait(deferred, 20, "the callback was not put off to the opening")
    assert out.line.waiting() == [] and caller not in out.engine.runner.calls
    assert [c for c in out.line.sim.channels() if c.variables.get("cc_leg") == "agent"] == []
    assert out.line.state_of("agent10") == "ready" and out.customers.dials == []
    waited = request(out)
    assert (waited.status, waited.attempts, waited.reason) == (
        CallbackStatus.PENDING, 0, "outside the calling window")
    assert out.line.call(caller).abandoned is not True  # not an abandoned call

    out.clock.set(tuesday_opening)
    out.line.wait(lambda: len(out.customers.dials_to(CUSTOMER)) == 1, 30, "not called at the opening")
    assert out.customers.dials_to(CUSTOMER)[0].at == tuesday_opening.astimezone(timezone.utc)
    done = settled(out, 1)
    assert done.status is CallbackStatus.DONE and done.dial_uuid != caller
