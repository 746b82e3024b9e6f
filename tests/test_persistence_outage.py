"""The database goes away while callers talk and new callers arrive: the engine
serves them all, and once the database is back every call has all its events,
in order, written once. The outage is a connection that refuses every statement
(the same on SQLite and PostgreSQL); test_persistence_pg_outage.py stops a real
PostgreSQL server."""
from __future__ import annotations

from collections import Counter

from engine_fixtures import hotline  # noqa: F401  (fixture)
from persistence_fixtures import Outage, wait_for

TO_AN_AGENT = "wait:0.5 press:1 wait:1 press:0"  # Mandarin, then 0 for an agent
WHOLE_CALL = ["created", "ivr_finished", "routed", "offered", "connected", "ended"]


def assert_whole_and_once(events: list[tuple[str, dict]], uuid: str) -> None:
    kinds = [kind for kind, _ in events]
    landmarks = [kind for kind in kinds if kind in WHOLE_CALL]
    assert landmarks == WHOLE_CALL, f"{uuid}: {kinds}"
    assert "ivr_node" in kinds[:kinds.index("ivr_finished")], f"{uuid}: {kinds}"
    repeated = {kind: n for kind, n in Counter(kinds).items() if kind != "ivr_node" and n > 1}
    assert not repeated, f"{uuid}: written more than once: {repeated}"


def test_calls_go_on_and_new_calls_are_served_through_a_database_outage(hotline):
    outage = Outage(hotline.services.db_engine)
    for login in ("agent08", "agent10", "agent11"):
        hotline.agent_ready(login)
    talking = hotline.sim.place_call("13800000001", "10000", TO_AN_AGENT + " wait:120 hangup")
    hotline.wait(lambda: hotline.agent_on(talking), 20, "the first caller never talked")

    with outage.during():
        arriving = [hotline.sim.place_call(number, "10000", TO_AN_AGENT + " wait:120 hangup")
                    for number in ("13800000002", "13800000003")]
        for uuid in arriving:
            hotline.wait(lambda: hotline.agent_on(uuid), 25, "a caller arriving in the outage was not served")
        for uuid in [talking, *arriving]:
            hotline.sim.hangup_call(uuid)
        hotline.wait(lambda: all(hotline.engine.calllog.ended(u) for u in [talking, *arriving]), 10,
                     "the calls did not end")
        backlog = hotline.engine.calllog.backlog()
        assert backlog["pending"] > 0 and "OperationalError" in backlog["last_error"]

    wait_for(lambda: hotline.engine.calllog.backlog()["pending"] == 0, 15, "the backlog never drained")
    for uuid in [talking, *arriving]:
        assert_whole_and_once(hotline.events(uuid), uuid)
        call = hotline.call(uuid)
        assert call.ended_at is not None and call.agent_answered_at is not None
    assert hotline.persisted_waiting() == set()
    outage.remove()
