"""Scripted callers walk the shipped hotline flows against a real, seeded database."""
from __future__ import annotations

import logging
import time
import wave
from pathlib import Path

from sqlalchemy import func, select

from callcenter.db import transaction
from callcenter.hooks import HOOKS, Hook, HookRunner
from callcenter.ivr.flow import build_flow
from callcenter.ivr.interpreter import CallInfo, Interpreter, format_money
from callcenter.ivr.prompts import PromptLibrary
from callcenter.ivr.scripted import ScriptedControl, ScriptSource
from callcenter.ivr.trial import TraceSink
from callcenter.models import (Account, Bill, CallbackRequest, Customer, CustomerPhone, QueueMember,
                               Ticket, TicketCategory, TicketStatus)
from ivr_fixtures import (HOLIDAY_TIME, NIGHT_TIME, OPEN_TIME, REGULAR, UNKNOWN, VIP, hotline_db,  # noqa: F401
                          place_call, shipped_flows)

ENGLISH, BILL = "2", "1"


def _bill_facts(sessions, number: str) -> tuple[str, str, str]:
    with sessions() as session:
        customer_id = session.scalar(select(CustomerPhone.customer_id)
                                     .where(CustomerPhone.number == number))
        bills = session.scalars(select(Bill).join(Account).where(Account.customer_id == customer_id)
                                .order_by(Bill.period)).all()
    balance = sum(max(b.amount_due_cents - b.amount_paid_cents, 0) for b in bills)
    return format_money(balance), format_money(bills[-1].amount_due_cents), \
        bills[-1].due_date.isoformat()


def test_bill_inquiry_by_calling_number_says_the_bill_from_the_database(hotline_db, shipped_flows):
    call = place_call(shipped_flows, HookRunner(hotline_db),
                      f"{ENGLISH} {BILL} 111111# 2")
    balance, due, due_date = _bill_facts(hotline_db, REGULAR)
    assert call.said == [f"money:{balance}", f"money:{due}", f"date:{due_date}"]
    assert call.outcome.kind == "queue" and call.outcome.need == "billing"
    assert call.outcome.variables["language"] == "en"
    assert "enter_account" not in call.prompts  # identified by the calling number


def test_unknown_caller_identifies_by_account_number(hotline_db, shipped_flows):
    call = place_call(shipped_flows, HookRunner(hotline_db),
                      f"1 {BILL} 1000002# 333333# wait:6 wait:6", caller=UNKNOWN)
    assert "enter_account" in call.prompts
    assert call.outcomes()["find_account"] == "found"
    assert call.outcomes()["check_password"] == "found"
    balance, _, _ = _bill_facts(hotline_db, "8613800000002")
    assert call.said[0] == f"money:{balance}"
    assert call.outcome.kind == "hangup" and call.prompts[-1] == "goodbye"


def test_three_wrong_passwords_lock_out_and_the_digits_never_leave_the_interpreter(
        hotline_db, shipped_flows, caplog):
    caplog.set_level(logging.DEBUG)
    call = place_call(shipped_flows, HookRunner(hotline_db),
                      f"1 {BILL} 987654# 987655# 987656#")
    assert call.prompts.count("password_wrong") == 2
    assert "password_locked" in call.prompts
    assert call.outcome.kind == "queue" and call.outcome.need == "password"
    assert call.outcome.variables["record_whole_call"] == "yes"
    assert "service_password" not in call.outcome.variables
    logged = caplog.text + repr(call.sink.events) + repr(call.outcome)
    for digits in ("987654", "987655", "987656"):
        assert digits not in logged
    assert "******" in repr(call.sink.events)


def test_right_password_after_a_wrong_one_still_reads_the_bill(hotline_db, shipped_flows):
    call = place_call(shipped_flows, HookRunner(hotline_db), f"1 {BILL} 123123# 111111# hangup")
    assert call.prompts.count("password_wrong") == 1
    assert call.outcomes()["bill_lookup"] == "found"
    assert call.outcome.kind == "caller_hung_up" and call.outcome.last_node == "bill_options"


def test_caller_hangs_up_in_the_main_menu_and_the_path_shows_where(hotline_db, shipped_flows):
    call = place_call(shipped_flows, HookRunner(hotline_db), "1 hangup")
    assert call.outcome.kind == "caller_hung_up"
    assert call.outcome.last_node == "main_menu"
    assert call.outcome.path[-1] == "main_menu"
    assert call.sink.events[-1][:3] == ("main_menu", "menu", "caller_hung_up")


def test_invalid_digits_then_timeouts_send_the_caller_to_a_general_agent(hotline_db, shipped_flows):
    call = place_call(shipped_flows, HookRunner(hotline_db), "1 7 8 9")
    assert call.prompts.count("invalid_choice") == 2
    assert call.outcomes()["main_menu"] == "invalid"
    assert call.outcome.kind == "queue" and call.outcome.need == "general"

    call = place_call(shipped_flows, HookRunner(hotline_db), "wait:4 wait:4 wait:6 wait:6 wait:6")
    assert call.outcomes()["language/choose"] == "timeout"
    assert call.outcome.variables["language"] == "zh"  # the default language
    assert call.prompts.count("no_input") == 2
    assert call.outcome.need == "general"


def test_a_failing_hook_gets_an_apology_and_an_agent(hotline_db, shipped_flows):
    def broken(session, args):
        raise RuntimeError("billing database is down")
    hooks = {**HOOKS, "bill_summary": Hook("bill_summary", HOOKS["bill_summary"].params,
                                           HOOKS["bill_summary"].outputs, broken)}
    call = place_call(shipped_flows, HookRunner(hotline_db, hooks), f"1 {BILL} 111111#")
    assert call.outcomes()["bill_lookup"] == "error"
    assert "sorry_system" in call.prompts
    assert call.outcome.kind == "queue" and call.outcome.need == "billing"
    error_events = [data for node, _, outcome, data in call.sink.events if outcome == "error"]
    assert "billing database is down" in error_events[0]["error"]


def test_a_hook_that_times_out_is_an_error_branch(hotline_db, tmp_path):
    def slow(session, args):
        time.sleep(2)
        return {"customer_id": "1"}
    hooks = {**HOOKS, "customer_by_number": Hook("customer_by_number", ("number",),
                                                 HOOKS["customer_by_number"].outputs, slow)}
    runner = HookRunner(hotline_db, hooks)
    started = time.monotonic()
    result = runner.call("customer_by_number", {"number": REGULAR}, timeout=0.2)
    assert result.status == "error" and "timed out" in result.error
    assert time.monotonic() - started < 1.5
    # the same hook in a flow: the caller hears hold music, then the apology branch
    flow = build_flow({"flow": "t", "version": 1, "languages": ["en"], "entry": "who",
                       "prompts": {"sorry": {"en": "Sorry"}},
                       "nodes": {"who": {"kind": "lookup", "hook": "customer_by_number",
                                         "args": {"number": "${caller_number}"}, "timeout": 0.2,
                                         "found": "agent", "not_found": "agent", "error": "sorry"},
                                 "sorry": {"kind": "play", "prompts": ["sorry"], "next": "agent"},
                                 "agent": {"kind": "queue", "need": "general"}}})
    control = ScriptedControl(ScriptSource([]), start=OPEN_TIME)
    sink = TraceSink()
    outcome = Interpreter(flow, control, call=CallInfo("c", REGULAR, caller_tier="regular"),
                          hooks=runner, prompts=PromptLibrary(tmp_path), sink=sink).run()
    assert outcome.path == ("who", "sorry", "agent")
    assert [h.detail for h in control.heard if h.kind == "hold"] == ["start", "stop"]
    assert "timed out" in sink.events[0][3]["error"]


def test_vip_caller_skips_the_menus_to_the_vip_queue(hotline_db, shipped_flows):
    call = place_call(shipped_flows, HookRunner(hotline_db), "", caller=VIP)
    with hotline_db() as session:
        tier = session.scalar(select(Customer.tier).join(CustomerPhone)
                              .where(CustomerPhone.number == VIP))
    assert tier.value.startswith("vip")
    assert call.prompts == ["vip_welcome"]
    assert call.outcome.kind == "queue" and call.outcome.priority == 20


def test_complaint_is_recorded_and_becomes_a_ticket_whose_number_is_said(hotline_db, shipped_flows,
                                                                           tmp_path):
    call = place_call(shipped_flows, HookRunner(hotline_db), "1 3 2 talk:12 1",
                      recordings=tmp_path / "rec")
    recording = Path(call.outcome.recordings[0].path)
    with wave.open(str(recording)) as reader:
        assert reader.getframerate() == 8000 and reader.getnframes() == 12 * 8000
    number = call.outcome.variables["ticket_number"]
    assert call.said == [f"digits:{number}"]
    with hotline_db() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket.category == TicketCategory.FAULT
        assert str(recording) in ticket.description
        assert ticket.customer.phones[0].number == REGULAR
    assert call.outcome.kind == "queue" and call.outcome.need == "complaints"


def test_ticket_progress_by_number_and_by_calling_number(hotline_db, shipped_flows):
    with hotline_db() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.status == TicketStatus.CLOSED).limit(1))
        phone = ticket.customer.phones[0].number
        latest = session.scalar(select(Ticket).where(Ticket.customer_id == ticket.customer_id)
                                .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(1))
    call = place_call(shipped_flows, HookRunner(hotline_db), f"1 2 1 {ticket.number}# 1 hangup")
    assert call.said == [f"digits:{ticket.number}"]
    assert "ticket_done" in call.prompts and call.prompts[-1] == "main_menu"

    call = place_call(shipped_flows, HookRunner(hotline_db), "1 2 2 0", caller=phone)
    assert call.said == [f"digits:{latest.number}"]
    assert call.outcome.need == "general"

    call = place_call(shipped_flows, HookRunner(hotline_db), "1 2 1 0000000000# wait:6 wait:6")
    assert "ticket_not_found" in call.prompts and call.outcome.kind == "hangup"


def test_service_orders_and_password_reset_go_to_their_agents(hotline_db, shipped_flows):
    call = place_call(shipped_flows, HookRunner(hotline_db), "1 4")
    assert call.outcome.need == "service_orders"
    assert call.outcome.variables["record_whole_call"] == "no"
    call = place_call(shipped_flows, HookRunner(hotline_db), "1 5")
    assert call.outcome.need == "password"
    assert call.outcome.variables["record_whole_call"] == "yes"
    assert "password_notice" in call.prompts


def test_callback_request_is_stored(hotline_db, shipped_flows):
    with hotline_db() as session:
        before = session.scalar(select(func.count()).select_from(CallbackRequest))
    call = place_call(shipped_flows, HookRunner(hotline_db), "1 6")
    assert call.outcome.kind == "hangup" and call.prompts[-1] == "callback_confirmed"
    with hotline_db() as session:
        rows = session.scalars(select(CallbackRequest)).all()
    assert len(rows) == before + 1
    assert rows[-1].phone == REGULAR and rows[-1].need == "general" and rows[-1].customer_id


def test_after_hours_and_on_holidays_agents_are_replaced_by_a_callback_offer(hotline_db,
                                                                              shipped_flows):
    call = place_call(shipped_flows, HookRunner(hotline_db), "1 0 2", at=NIGHT_TIME)
    assert call.prompts[0] == "closed" and "callback_offer" in call.prompts
    assert call.outcome.kind == "hangup"
    call = place_call(shipped_flows, HookRunner(hotline_db), "1 0 1", at=HOLIDAY_TIME)
    assert call.prompts[0] == "holiday_closed"
    assert call.prompts[-1] == "callback_confirmed"


def test_the_billing_line_preselects_the_need(hotline_db, shipped_flows):
    call = place_call(shipped_flows, HookRunner(hotline_db), "1 111111# 2", dialled="10001")
    assert "main_menu" not in call.prompts
    assert call.outcome.need == "billing" and len(call.said) == 3


def test_survey_stores_the_score_and_retries_a_wrong_key(hotline_db, shipped_flows):
    call = place_call(shipped_flows, HookRunner(hotline_db), "7 4", flow="survey")
    assert call.outcome.survey_score == 4
    assert call.prompts == ["survey_question", "survey_invalid", "survey_question", "survey_thanks"]
    assert ("ask_score", "survey", "scored", {"score": 4}) in call.sink.events
    call = place_call(shipped_flows, HookRunner(hotline_db), "wait:6 wait:6", flow="survey")
    assert call.outcome.survey_score is None and call.prompts[-1] == "survey_goodbye"


def test_a_broken_flow_at_run_time_still_reaches_an_agent(hotline_db, shipped_flows):
    flow = build_flow({"flow": "x", "version": 1, "languages": ["zh"], "entry": "go",
                       "prompts": {}, "nodes": {"go": {"kind": "subflow", "flow": "missing",
                                                        "next": "end"},
                                                 "end": {"kind": "hangup"}}})
    control = ScriptedControl(ScriptSource([]), start=OPEN_TIME)
    outcome = Interpreter(flow, control, call=CallInfo("c1", REGULAR, need="billing"),
                          hooks=HookRunner(hotline_db), prompts=PromptLibrary("p")).run()
    assert outcome.kind == "queue" and outcome.need == "billing"
    assert "missing" in outcome.error


def test_a_long_wait_offers_a_callback_for_that_need(hotline_db, shipped_flows):
    with transaction(hotline_db) as session:
        session.add_all(QueueMember(call_uuid=f"waiting-{n}", queue_name="service_orders")
                        for n in range(5))
    call = place_call(shipped_flows, HookRunner(hotline_db), "1 4 1")
    assert "long_wait_offer" in call.prompts and call.prompts[-1] == "callback_confirmed"
    with hotline_db() as session:
        request = session.scalars(select(CallbackRequest)).all()[-1]
    assert request.need == "service_orders" and request.phone == REGULAR
    # billing has nobody waiting: straight to the queue
    call = place_call(shipped_flows, HookRunner(hotline_db), f"1 {BILL} 111111# 2")
    assert "long_wait_offer" not in call.prompts and call.outcome.need == "billing"


def test_the_engines_look_up_answers_the_flows_customer_by_number_exactly_as_the_hook(hotline_db):
    from callcenter.hooks import FOUND, HookResult, KnownAnswers
    from callcenter.live.calllog import CallLog

    calllog = CallLog(hotline_db)
    try:
        for number in (REGULAR, VIP, UNKNOWN):
            from_hook = HookRunner(hotline_db).call("customer_by_number", {"number": number}, 2.0)
            found = calllog.find_customer(number)
            assert found.answered
            assert (found.customer.hook_values() if found.customer else None) == \
                (dict(from_hook.values) if from_hook.status == FOUND else None), number
    finally:
        calllog.close()
    stock = HookRunner(hotline_db)
    answer = HookResult(FOUND, {"customer_id": "1"})
    known = KnownAnswers(stock, {("customer_by_number", REGULAR): answer})
    assert known.known("customer_by_number", {"number": REGULAR}) is answer
    assert known.known("customer_by_number", {"number": VIP}) is None  # another number: asked
    own = {**HOOKS, "customer_by_number": Hook("customer_by_number", ("number",), ("customer_id",),
                                               lambda session, args: {"customer_id": "crm-7"})}
    deployment = KnownAnswers(HookRunner(hotline_db, hooks=own),
                              {("customer_by_number", REGULAR): answer})
    assert deployment.known("customer_by_number", {"number": REGULAR}) is None  # its own hook runs
    assert deployment.call("customer_by_number", {"number": REGULAR}, 2.0).values == {"customer_id": "crm-7"}
