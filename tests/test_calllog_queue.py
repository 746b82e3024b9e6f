"""The call log's ordered write-behind queue on a real database: what a sequence
of writes leaves in the tables, how many transactions it takes, what an outage,
a data error, a full memory and a restart do to it."""
from __future__ import annotations

import json
import time
from datetime import date, datetime, timezone

import gevent
import pytest
from sqlalchemy import event, select

from callcenter.hooks import HookRunner
from callcenter.live.calllog import SPOOL_FILE, CallLog, CustomerLookup
from callcenter.live.spool import Spool, decode_op, encode_op
from callcenter.models import (Agent, CallbackRequest, CallbackStatus, CallDirection, Customer,
                               CustomerPhone, QueueMember, Role)
from persistence_fixtures import (FAST_RETRY, Agentless, Outage, State, call_count, call_row,
                                  events_of, members, state_log, wait_for)

IN = CallDirection.INBOUND
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def calllog(sessions, tmp_path):
    log = CallLog(sessions, tmp_path / "data", **FAST_RETRY)
    yield log
    log.close()


@pytest.fixture
def agent_id(sessions):
    with sessions() as session, session.begin():
        agent = Agent(login="a1", display_name="A 1", password_hash="x", role=Role.AGENT)
        session.add(agent)
        session.flush()
        return agent.id


# --- what a sequence of writes leaves behind ("flush" ends a batch) ---------------------

def _kinds(sessions, uuid):
    return [kind for kind, _ in events_of(sessions, uuid)]


SEQUENCES = [
    ("events queued in the same batch as their call's row are all written, created first",
     ["start c1", "event c1 a", "event c1 b", "event c1 c"],
     lambda s: _kinds(s, "c1") == ["created", "a", "b", "c"]),
    ("events of a call written in an earlier batch find it",
     ["start c1", "flush", "event c1 a", "flush", "event c1 b"],
     lambda s: _kinds(s, "c1") == ["created", "a", "b"]),
    ("updates of one call merge in order: the last value of each field wins",
     ["start c1", "update c1 queue_name=billing", "update c1 queue_name=general need=x",
          "flush", "update c1 need=y"],
     lambda s: (call_row(s, "c1").queue_name, call_row(s, "c1").need) == ("general", "y")),
    ("a call seen again (a resync) keeps one row and one created event",
     ["start c1", "flush", "start c1", "event c1 a", "start c1"],
     lambda s: call_count(s) == 1 and _kinds(s, "c1") == ["created", "a"]),
    ("events of two calls interleaved keep each call's order",
     ["start c1", "start c2", "event c2 x", "event c1 a", "flush", "event c2 y", "event c1 b"],
     lambda s: _kinds(s, "c1") == ["created", "a", "b"] and _kinds(s, "c2") == ["created", "x", "y"]),
    ("an update before the row in the same batch still lands (the row is inserted first)",
     ["update c1 need=early", "start c1"],
     lambda s: call_row(s, "c1").need == "early"),
    ("an end written before the row exists (the hang-up handled while the take was on its way)"
     " is carried by the row",
     ["end c1", "flush", "start c1"],
     lambda s: (call_row(s, "c1").ended_at, call_row(s, "c1").hangup_cause) == (ENDED, "NORMAL_CLEARING")),
]
ENDED = datetime(2026, 11, 23, 2, 0, 5, tzinfo=timezone.utc)


@pytest.mark.parametrize("name,steps,check", SEQUENCES, ids=[s[0] for s in SEQUENCES])
def test_a_sequence_of_writes_leaves_the_rows_it_describes(calllog, sessions, name, steps, check):
    for step in steps:
        word, *rest = step.split()
        if word == "flush":
            assert calllog.flush()
        elif word == "start":
            calllog.start(rest[0], IN, "13800000001", "10000")
        elif word == "event":
            calllog.event(rest[0], rest[1], {"n": rest[1]})
        elif word == "update":
            calllog.update(rest[0], **dict(pair.split("=") for pair in rest[1:]))
        elif word == "end":
            calllog.update(rest[0], ended_at=ENDED, hangup_cause="NORMAL_CLEARING")
    assert calllog.flush()
    assert check(sessions), name


def test_a_call_with_dozens_of_writes_costs_one_transaction(calllog, db_engine, sessions):
    commits = []
    event.listen(db_engine, "commit", lambda connection: commits.append(1))
    calllog.start("c1", IN, "13800000001", "10000", switch_answered_at=T0)
    for n in range(40):
        calllog.event("c1", "ivr_node", {"n": n})
    calllog.update("c1", queued_at=T0, queue_name="general", priority=0)
    calllog.update("c1", ended_at=T0, hangup_cause="NORMAL_CLEARING")
    wait_for(lambda: calllog.backlog()["pending"] == 0, 5, "the batch was never written")
    assert len(commits) == 1
    assert [data["n"] for kind, data in events_of(sessions, "c1") if kind == "ivr_node"] == list(range(40))
    assert call_row(sessions, "c1").hangup_cause == "NORMAL_CLEARING"
    assert calllog.ended("c1") and not calllog.ended("c2")


def test_the_event_time_is_the_one_given(calllog, sessions):
    calllog.start("c1", IN, "1", "10000")
    calllog.event("c1", "ended", {"cause": "x"}, at=T0)
    assert calllog.flush()
    with sessions() as session:
        from callcenter.models import CallEvent
        assert session.scalar(select(CallEvent.at).where(CallEvent.kind == "ended")) == T0


def test_a_callback_not_reached_is_pending_again_at_its_next_attempt_with_its_outcome(
        calllog, sessions):
    calllog.start("c1", IN, "13800000001", "10000")

    class Request:
        caller, customer_id, need = "13800000001", None, "general"
    calllog.callback_request("c1", Request())
    assert calllog.flush()
    with sessions() as session, session.begin():
        session.scalar(select(CallbackRequest)).dial_uuid = "c1"
    later = datetime(2026, 11, 23, 2, 5, tzinfo=timezone.utc)
    calllog.callback_progress("c1", CallbackStatus.DIALING, attempt=True)
    calllog.callback_progress("c1", CallbackStatus.PENDING, outcome="busy", next_attempt_at=later,
                              reason="busy on attempt 1 of 4: retry after 5 min")
    op = decode_op(encode_op({"op": "callback_progress", "uuid": "c1", "status": "pending",
                              "outcome": "busy", "next_attempt_at": later}))
    assert op["next_attempt_at"] == later  # a spooled op keeps the time
    assert calllog.flush()
    with sessions() as session:
        request = session.scalar(select(CallbackRequest))
        assert (request.status, request.attempts, request.last_outcome, request.scheduled_for,
                request.dial_uuid) == (CallbackStatus.PENDING, 1, "busy", later, None)
        assert request.reason == "busy on attempt 1 of 4: retry after 5 min"

    calllog.callback_progress("c1", CallbackStatus.DIALING, attempt=True)
    calllog.callback_progress("c1", CallbackStatus.FAILED, outcome="no_answer",
                              reason="no more attempts (no_answer on attempt 2 of 2)")
    assert calllog.flush()
    with sessions() as session:
        request = session.scalar(select(CallbackRequest))
        assert (request.status, request.attempts, request.last_outcome) == (
            CallbackStatus.FAILED, 2, "no_answer")
        assert request.scheduled_for == later and request.reason.startswith("no more attempts")


def test_fields_that_are_not_columns_are_refused_at_once(calllog):
    with pytest.raises(ValueError, match="not columns"):
        calllog.update("c1", no_such_column=1)


def test_agent_states_callbacks_and_queue_members_keep_their_order(calllog, sessions, agent_id):
    calllog.start("c1", IN, "13800000001", "10000")
    for before, after in [("logged_out", "ready"), ("ready", "reserved"), ("reserved", "ringing")]:
        calllog.agent_state(agent_id, Agentless(time.time(), State(before), State(after)))

    class Request:
        caller, customer_id, need = "13800000001", None, "billing"
    calllog.callback_request("c1", Request())
    calllog.callback_progress("c1", CallbackStatus.DIALING, attempt=True)
    calllog.callback_progress("c1", CallbackStatus.DONE)
    row = {"queue_name": "general", "priority": 0, "entered_at": T0, "announced_position": None,
           "callback_requested": False, "context": {"acd": {}}}
    calllog.put({"op": "member_put", "row": {**row, "call_uuid": "c1"}})
    calllog.put({"op": "member_put", "row": {**row, "call_uuid": "c2"}})
    calllog.put({"op": "member_delete", "call_uuids": ["c1"]})
    calllog.put({"op": "member_put", "row": {**row, "call_uuid": "c1", "queue_name": "billing"}})
    calllog.put({"op": "member_delete", "call_uuids": ["c2"]})
    assert calllog.flush()
    assert state_log(sessions, agent_id) == ["ready", "reserved", "ringing"]
    with sessions() as session:
        request = session.scalar(select(CallbackRequest))
        assert (request.status, request.attempts, request.need) == (CallbackStatus.DONE, 1, "billing")
    assert members(sessions) == {"c1": "billing"}
    assert _kinds(sessions, "c1") == ["created", "callback_requested"]


# --- the database goes away -----------------------------------------------------------------

def test_an_outage_delays_the_writes_and_loses_none_of_them(calllog, db_engine, sessions):
    outage = Outage(db_engine)
    calllog.start("before", IN, "1", "10000")
    calllog.event("before", "a")
    assert calllog.flush()
    with outage.during():
        calllog.event("before", "b")  # a call in progress when the database went
        for n in range(5):
            calllog.start(f"during{n}", IN, "1", "10000")
            for kind in ("a", "b", "c"):
                calllog.event(f"during{n}", kind)
        wait_for(lambda: outage.refused >= 3, 5, "the writer never retried")
        backlog = calllog.backlog()
        assert backlog["pending"] == 1 + 5 * 4 and backlog["last_error"]
        assert "OperationalError" in backlog["last_error"] and backlog["failing_for_seconds"] > 0
        assert not calllog.flush()  # refused, kept
        assert calllog.find_customer("13800000001") == CustomerLookup(False)  # served unidentified
    # the batch leaves the queue in the writer thread; the hub then marks the outage over
    wait_for(lambda: calllog.backlog()["pending"] == 0 and calllog.backlog()["failing_for_seconds"] == 0,
             5, "the backlog never drained")
    assert _kinds(sessions, "before") == ["created", "a", "b"]
    for n in range(5):
        assert _kinds(sessions, f"during{n}") == ["created", "a", "b", "c"]
    outage.remove()


def test_a_locked_sqlite_file_is_an_outage_too(database_url, sessions, tmp_path):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only: a second connection holds the write lock")
    import sqlite3

    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker
    impatient = create_engine(database_url, connect_args={"timeout": 0.05})
    calllog = CallLog(sessionmaker(impatient), tmp_path / "data", **FAST_RETRY)
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"))
    holder.execute("BEGIN EXCLUSIVE")
    try:
        calllog.start("c1", IN, "1", "10000")
        calllog.event("c1", "a")
        wait_for(lambda: calllog.backlog()["last_error"], 5, "the lock never refused a write")
        assert "locked" in calllog.backlog()["last_error"]
    finally:
        holder.rollback()
        holder.close()
    wait_for(lambda: calllog.backlog()["pending"] == 0, 5, "the backlog never drained")
    assert _kinds(sessions, "c1") == ["created", "a"]
    calllog.close()
    impatient.dispose()


def test_an_op_the_database_refuses_is_dropped_alone(calllog, sessions, agent_id):
    calllog.start("c1", IN, "1", "10000")
    calllog.event("c1", "a")
    calllog.agent_state(987654, Agentless(time.time(), State("ready"), State("reserved")))  # no such agent
    calllog.agent_state(agent_id, Agentless(time.time(), State("ready"), State("reserved")))
    calllog.event("c1", "b")
    assert calllog.flush()
    assert _kinds(sessions, "c1") == ["created", "a", "b"]
    assert state_log(sessions, agent_id) == ["reserved"]
    assert calllog.backlog()["dropped"] == 1


def test_past_the_memory_bound_writes_go_to_the_spool_file_and_come_back_in_order(
        sessions, db_engine, tmp_path):
    calllog = CallLog(sessions, tmp_path / "data", max_pending=10, **FAST_RETRY)
    outage = Outage(db_engine)
    with outage.during():
        calllog.start("c1", IN, "1", "10000")
        for n in range(40):
            calllog.event("c1", "e", {"n": n})
        backlog = calllog.backlog()
        assert (backlog["in_memory"], backlog["spooled"], backlog["pending"]) == (10, 31, 41)
        lines = (tmp_path / "data" / SPOOL_FILE).read_text().splitlines()
        assert [json.loads(line)["data"]["n"] for line in lines] == list(range(9, 40))
    wait_for(lambda: calllog.backlog()["pending"] == 0, 10, "the spool never drained")
    assert [data["n"] for _, data in events_of(sessions, "c1")[1:]] == list(range(40))
    assert not (tmp_path / "data" / SPOOL_FILE).exists()
    calllog.close()
    outage.remove()


def test_a_stop_during_an_outage_spools_everything_and_the_next_run_replays_it_first(
        sessions, db_engine, tmp_path):
    first = CallLog(sessions, tmp_path / "data", **FAST_RETRY)
    outage = Outage(db_engine)
    first.start("c1", IN, "1", "10000")
    assert first.flush()
    with outage.during():
        for n in range(3):
            first.event("c1", "e", {"n": n})
        first.start("c2", IN, "1", "10000")
        first.event("c2", "x")
        first.close()  # the engine stops while the database is away
    assert (tmp_path / "data" / SPOOL_FILE).exists()
    assert call_count(sessions) == 1

    second = CallLog(sessions, tmp_path / "data", **FAST_RETRY)  # the next run
    assert second.backlog()["spooled"] == 5
    second.event("c2", "y")  # new writes wait behind the old run's
    # the batch leaves the queue in the writer thread; the hub then lets the spool file go
    wait_for(lambda: second.backlog()["pending"] == 0 and not (tmp_path / "data" / SPOOL_FILE).exists(),
             5, "the spool was never replayed")
    assert [data["n"] for kind, data in events_of(sessions, "c1") if kind == "e"] == [0, 1, 2]
    assert _kinds(sessions, "c2") == ["created", "x", "y"]
    second.close()
    outage.remove()


# --- the spool file on its own ----------------------------------------------------------------

def test_ops_survive_the_spool_file_encoding():
    op = {"op": "update", "uuid": "c1", "fields": {"ended_at": T0, "abandoned": True},
          "retain_until": date(2027, 1, 2), "direction": IN, "data": {"path": ["a", "b"]}}
    back = decode_op(encode_op(op))
    assert back == {**op, "direction": "inbound"}
    assert back["fields"]["ended_at"].tzinfo is not None


SPOOL_STEPS = [
    # (ops appended, ops read and committed before the "crash", ops a new Spool replays)
    (5, 0, [0, 1, 2, 3, 4]),
    (5, 2, [2, 3, 4]),
    (5, 5, []),
]


@pytest.mark.parametrize("appended,committed,replayed", SPOOL_STEPS)
def test_a_spool_replays_what_was_not_committed(tmp_path, appended, committed, replayed):
    spool = Spool(tmp_path / "s.jsonl")
    for n in range(appended):
        spool.append({"op": "event", "n": n})
    if committed:
        read = spool.read(committed)
        spool.committed(read[-1]["_spool_end"])
    again = Spool(tmp_path / "s.jsonl")
    assert [op["n"] for op in again.read(100)] == replayed


# --- reads that must not stop a call ---------------------------------------------------------

def test_a_known_caller_is_identified(calllog, sessions):
    with sessions() as session, session.begin():
        customer = Customer(name="Li Lei", service_password_hash="x")
        customer.phones = [CustomerPhone(number="13800000001")]
        session.add(customer)
    found = calllog.find_customer("13800000001")
    assert found.answered and found.customer.name == "Li Lei" and found.customer.tier == "regular"
    assert calllog.find_customer("13900000000") == CustomerLookup(True)  # answered: unknown


def test_queue_wait_asks_the_live_acd_when_it_is_given(sessions):
    with sessions() as session, session.begin():
        session.add(QueueMember(call_uuid="x", queue_name="billing", entered_at=T0))
    live = HookRunner(sessions, waiting_callers=lambda need: {"billing": 7}.get(need, 0))
    assert live.call("queue_wait", {"need": "billing"}, 2).values == {"waiting_callers": 7}
    saved = HookRunner(sessions)
    assert saved.call("queue_wait", {"need": "billing"}, 2).values == {"waiting_callers": 1}
    broken = HookRunner(sessions, waiting_callers=lambda need: 1 // 0)
    assert broken.call("queue_wait", {"need": "billing"}, 2).status == "error"


def test_a_hook_during_an_outage_takes_its_error_branch(sessions, db_engine):
    outage = Outage(db_engine)
    with outage.during():
        result = HookRunner(sessions).call("customer_by_number", {"number": "13800000001"}, 2)
    assert result.status == "error"
    outage.remove()


def test_hashing_a_long_recording_does_not_stall_the_other_calls(calllog, sessions, tmp_path):
    import hashlib

    from callcenter.live.recordings import RecordingStore
    store = RecordingStore(sessions, str(tmp_path / "rec"), 30, writer=calllog)
    calllog.start("c1", IN, "1", "10000")
    path = store.path_for("c1")
    store.started("c1", path)
    blob = b"\x01\x02" * (40 << 20)  # 80 MB: a long call
    with open(path, "wb") as out:
        out.write(blob)
    ticks = []
    ticker = gevent.spawn(lambda: [ticks.append(gevent.sleep(0.001)) for _ in iter(int, 1)])
    store.finished(path, duration_ms=3_600_000)  # hashed by the writer, with its batch
    assert calllog.flush()
    ticker.kill()
    assert len(ticks) > 5, "the hub stood still while the file was hashed"
    from callcenter.models import Recording
    with sessions() as session:
        recording = session.scalar(select(Recording))
    assert recording.sha256 == hashlib.sha256(blob).hexdigest()
    assert (recording.size_bytes, recording.duration_ms, recording.kind) == (len(blob), 3_600_000, "call")


def test_an_agents_newer_presence_replaces_the_one_still_queued(calllog, sessions, agent_id):
    from callcenter.models import AgentPresence

    def presence(state):
        return {"op": "presence_put", "row": {
            "agent_id": agent_id, "state": state, "reason": None, "since": T0, "call_uuid": None,
            "missed_in_a_row": 0, "details": {"login": "a", "state": state}}}
    for state in ("ready", "reserved", "ringing", "on_call"):
        calllog.put(presence(state))
    assert calllog.backlog()["in_memory"] == 1  # one row to write, holding the last state
    assert calllog.flush()
    calllog.put(presence("wrap_up"))  # a new batch: queued again
    assert calllog.backlog()["in_memory"] == 1
    assert calllog.flush()
    with sessions() as session:
        row = session.scalar(select(AgentPresence).where(AgentPresence.agent_id == agent_id))
        assert (row.state, row.details["state"]) == ("wrap_up", "wrap_up")
