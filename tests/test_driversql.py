"""The writer's pre-rendered SQL: values converted as the column types would, statements
rendered for each dialect, and rows that read back through the models as Core's do."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Text, cast, insert, select
from sqlalchemy.orm import Session

from callcenter.live import driversql
from callcenter.models import (Agent, AgentPresence, Call, CallbackRequest, CallbackStatus,
                               CallDirection, CallEvent, Recording)

UTC = timezone.utc
AT = datetime(2026, 12, 1, 8, 56, 48, 628980, tzinfo=UTC)
calls, events, presence = Call.__table__, CallEvent.__table__, AgentPresence.__table__


@pytest.mark.parametrize("value, stored", [
    (None, None),
    (AT, "2026-12-01 08:56:48.628980"),
    (AT.replace(microsecond=0), "2026-12-01 08:56:48.000000"),
    (AT.astimezone(timezone(timedelta(hours=8))), "2026-12-01 08:56:48.628980"),
    (datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC), "0999-01-02 03:04:05.000000"),
])
def test_sqlite_datetimes_are_stored_as_naive_utc_text(value, stored):
    assert driversql.utc_text(value) == stored


@pytest.mark.parametrize("convert", [driversql.utc_text, driversql.utc_aware])
def test_naive_datetimes_are_refused(convert):
    with pytest.raises(ValueError, match="naive"):
        convert(datetime(2026, 12, 1, 8, 0))


@pytest.mark.parametrize("column, dialect, value, expected", [
    (Recording.__table__.c.retain_until, "sqlite", date(2027, 3, 1), "2027-03-01"),
    (Recording.__table__.c.retain_until, "postgresql", date(2027, 3, 1), date(2027, 3, 1)),
    (events.c.at, "postgresql", AT, AT),
    (events.c.data, "sqlite", {"a": [1, "b"]}, '{"a": [1, "b"]}'),
    (events.c.data, "postgresql", None, "null"),  # the JSON type stores None as JSON null
    (calls.c.direction, "sqlite", "inbound", "inbound"),
    (calls.c.direction, "postgresql", CallDirection.OUTBOUND, "outbound"),
    (CallbackRequest.__table__.c.status, "sqlite", CallbackStatus.PENDING, "pending"),
])
def test_values_are_converted_as_their_column_type_would(column, dialect, value, expected):
    convert = driversql.converter(column, dialect)
    assert (convert(value) if convert else value) == expected


@pytest.mark.parametrize("column", [calls.c.uuid, calls.c.priority, calls.c.abandoned])
def test_plain_columns_are_passed_as_they_are(column):
    assert driversql.converter(column, "sqlite") is None
    assert driversql.converter(column, "postgresql") is None


def test_invalid_enum_values_are_refused():
    with pytest.raises(ValueError):
        driversql.converter(calls.c.direction, "sqlite")("sideways")


class Recorder:
    """A connection that records what it is asked to run."""

    def __init__(self, name: str = "sqlite", paramstyle: str = "qmark") -> None:
        self.dialect = type("Dialect", (), {"name": name, "paramstyle": paramstyle})()
        self.runs: list[tuple[str, object]] = []

    def exec_driver_sql(self, sql, params):
        self.runs.append((sql, params))
        return type("Result", (), {"fetchall": lambda self: []})()


EVENT_ROW = {"call_id": 7, "at": AT, "kind": "created", "data": {"caller": "1390"}}


@pytest.mark.parametrize("dialect, paramstyle, run, sql, params", [
    ("sqlite", "qmark",
     lambda c: driversql.insert(c, events, ("call_id", "at", "kind", "data"), [EVENT_ROW]),
     "INSERT INTO call_events (call_id, at, kind, data) VALUES (?, ?, ?, ?)",
     [(7, "2026-12-01 08:56:48.628980", "created", '{"caller": "1390"}')]),
    ("postgresql", "pyformat",
     lambda c: driversql.insert(c, events, ("call_id", "at", "kind", "data"), [EVENT_ROW]),
     "INSERT INTO call_events (call_id, at, kind, data) VALUES (%s, %s, %s, CAST(%s AS JSON))",
     [(7, AT, "created", '{"caller": "1390"}')]),
    ("sqlite", "qmark",  # the Python-side defaults of the columns left out, as Core fills them
     lambda c: driversql.insert(c, Recording.__table__, ("call_id", "path", "started_at",
                                                         "retain_until"),
                                [{"call_id": 1, "path": "/r.wav", "started_at": AT,
                                  "retain_until": date(2027, 3, 1)}], conflict="nothing:path"),
     "INSERT INTO recordings (call_id, path, started_at, retain_until, kind, legal_hold, empty) "
     "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO NOTHING",
     [(1, "/r.wav", "2026-12-01 08:56:48.628980", "2027-03-01", "call", False, False)]),
    ("postgresql", "pyformat",
     lambda c: driversql.insert(c, presence, ("agent_id", "state", "since", "details"),
                                [{"agent_id": 3, "state": "ready", "since": AT, "details": {}}],
                                conflict="update:agent_id"),
     "INSERT INTO agent_presence (agent_id, state, since, details, missed_in_a_row) "
     "VALUES (%s, %s, %s, CAST(%s AS JSON), %s) ON CONFLICT (agent_id) DO UPDATE SET "
     "state = excluded.state, since = excluded.since, details = excluded.details, "
     "missed_in_a_row = excluded.missed_in_a_row",
     [(3, "ready", AT, "{}", 0)]),
    ("sqlite", "qmark",
     lambda c: driversql.update(c, calls, ("ended_at", "hangup_cause"), "uuid").run(
         c, [{"ended_at": AT, "hangup_cause": "NORMAL", "uuid": "u1"}]),
     "UPDATE calls SET ended_at = ?, hangup_cause = ? WHERE uuid = ?",
     [("2026-12-01 08:56:48.628980", "NORMAL", "u1")]),
    ("postgresql", "format",
     lambda c: driversql.delete(c, presence, "agent_id").run(c, [{"agent_id": 3}, {"agent_id": 4}]),
     "DELETE FROM agent_presence WHERE agent_id = %s", [(3,), (4,)]),
])
def test_statements_are_rendered_for_the_dialect(dialect, paramstyle, run, sql, params):
    connection = Recorder(dialect, paramstyle)
    run(connection)
    assert connection.runs == [(sql, params)]


def test_postgresql_inserts_are_multi_row_statements():
    connection = Recorder("postgresql", "pyformat")
    rows = [{"call_id": n, "kind": "k"} for n in range(driversql.INSERT_CHUNK + 1)]
    driversql.insert(connection, events, ("call_id", "kind"), rows)
    [(first, params), (second, last)] = connection.runs
    assert first == ("INSERT INTO call_events (call_id, kind, at) VALUES "
                     + ", ".join(["(%s, %s, %s)"] * driversql.INSERT_CHUNK))
    assert params[:2] == (0, "k") and isinstance(params[2], datetime)  # at: its default, utcnow
    assert second == "INSERT INTO call_events (call_id, kind, at) VALUES (%s, %s, %s)"
    assert last[0][:2] == (driversql.INSERT_CHUNK, "k")


def test_returning_inserts_are_one_multi_row_statement():
    connection = Recorder()
    rows = [{"uuid": f"u{n}", "direction": "inbound", "created_at": AT} for n in range(3)]
    driversql.insert(connection, calls, ("uuid", "direction", "created_at"), rows,
                     conflict="nothing:uuid", returning=("id", "uuid"))
    [(sql, params)] = connection.runs
    assert sql == ("INSERT INTO calls (uuid, direction, created_at, caller_number, dialled_number, "
                   "priority, abandoned) VALUES " + ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * 3)
                   + " ON CONFLICT (uuid) DO NOTHING RETURNING id, uuid")
    assert params[:7] == ("u0", "inbound", "2026-12-01 08:56:48.628980", "", "", 0, False)
    assert len(params) == 21


def test_nothing_is_run_for_no_rows():
    connection = Recorder()
    driversql.delete(connection, presence, "agent_id").run(connection, [])
    driversql.insert(connection, events, ("call_id",), [])
    driversql.insert(connection, calls, ("uuid",), [], returning=("id",))
    assert connection.runs == []


def test_drivers_without_a_rendering_are_refused():
    with pytest.raises(NotImplementedError):
        driversql.insert(Recorder("mysql", "format"), events, ("call_id",), [{"call_id": 1}])


def test_rows_read_back_as_the_ones_core_writes(db_engine):
    """Same row through Core and through driversql: the database holds the same values."""
    call = {"direction": CallDirection.INBOUND, "created_at": AT.astimezone(timezone(timedelta(hours=8))),
            "ended_at": AT, "ivr_path": ["start", "menu"], "customer_id": None}
    event = {"at": AT, "kind": "ivr_node", "data": {"node": "start", "values": {"a": 1}}}
    with db_engine.begin() as connection:
        connection.execute(insert(Agent), {"id": 5, "login": "a5", "display_name": "a5",
                                           "password_hash": "x"})
        connection.execute(insert(calls), {**call, "uuid": "core"})
        [(via_core,)] = connection.execute(select(calls.c.id).where(calls.c.uuid == "core"))
        [(via_driver, _)] = driversql.insert(connection, calls, (*call, "uuid"),
                                             [{**call, "uuid": "driver"}],
                                             conflict="nothing:uuid", returning=("id", "uuid"))
        connection.execute(insert(events), {**event, "call_id": via_core})
        driversql.insert(connection, events, ("call_id", *event), [{**event, "call_id": via_driver}])
        connection.execute(insert(events), {**event, "call_id": via_core, "data": None})
        driversql.insert(connection, events, ("call_id", *event),
                         [{**event, "call_id": via_driver, "data": None}])
        presence_row = {"agent_id": 5, "state": "ready", "since": AT, "details": {"x": [1]}}
        driversql.insert(connection, presence, tuple(presence_row), [presence_row],
                         conflict="update:agent_id")
        driversql.insert(connection, presence, tuple(presence_row),
                         [{**presence_row, "state": "busy"}], conflict="update:agent_id")
    with Session(db_engine) as session:
        core, driver = (session.get(Call, via_core), session.get(Call, via_driver))
        columns = [column.key for column in calls.c if column.key not in ("id", "uuid")]
        assert {key: getattr(driver, key) for key in columns} == \
            {key: getattr(core, key) for key in columns}
        assert driver.created_at == AT and driver.created_at.tzinfo is not None
        assert [(e.at, e.kind, e.data) for e in driver.events] == \
            [(e.at, e.kind, e.data) for e in core.events]
        [agent] = session.scalars(select(AgentPresence)).all()
        assert (agent.state, agent.since, agent.details, agent.missed_in_a_row) == \
            ("busy", AT, {"x": [1]}, 0)
    with db_engine.connect() as connection:  # the stored text too (JSON null, not SQL NULL)
        stored = connection.execute(select(events.c.call_id, cast(events.c.data, Text), events.c.at)
                                    .order_by(events.c.id)).all()
    assert [row[1:] for row in stored if row[0] == via_core] == \
        [row[1:] for row in stored if row[0] == via_driver]
