"""The writer's statements as pre-rendered SQL, run with ``exec_driver_sql``.

The write-behind runs the same dozen statements thousands of times, and through
SQLAlchemy Core each run costs more CPU (compiled-cache look-up, parameter
building, a bind processor per value for UTCDateTime and JSON) than SQLite
spends writing the rows. So each statement is rendered once per dialect from
its table's columns, and each value converted here the way its column type
would convert it, so that what the models read back is the same: SQLite gets
naive UTC datetimes and dates as text in SQLAlchemy's storage format,
PostgreSQL gets them as they are; JSON is serialized with ``json.dumps`` (None
too: the JSON type stores it as JSON null); enums as their values. An insert
fills the Python-side defaults of the columns it leaves out, as Core does.
Values are always bound parameters. Only SQLite and PostgreSQL are known.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping, Sequence

from sqlalchemy import JSON, Column, Date, Enum, Table

from callcenter.models import UTCDateTime

Row = Mapping[str, Any]
INSERT_CHUNK = 100  # rows in one multi-row INSERT ... RETURNING


def utc_text(value: datetime | None) -> str | None:
    """SQLite: a UTCDateTime as stored (naive UTC, always with microseconds)."""
    if value is None:
        return None
    if value.tzinfo is not timezone.utc:
        value = utc_aware(value).astimezone(timezone.utc)
    return value.isoformat(" ", "microseconds")[:-6]  # without its "+00:00"


def utc_aware(value: datetime | None) -> datetime | None:
    """PostgreSQL: a UTCDateTime as it is (timestamptz keeps the instant)."""
    if value is not None and value.tzinfo is None:
        raise ValueError("naive datetime refused: store timezone-aware UTC times")
    return value


def date_text(value: date | None) -> str | None:
    """SQLite: a Date as stored."""
    if value is None:
        return None
    if isinstance(value, datetime):
        raise TypeError(f"a date column was given a datetime: {value!r}")
    return value.isoformat()


def json_text(value: Any) -> str:
    return json.dumps(value)


def _enum_value(enum_class: type) -> Callable[[Any], Any]:
    return lambda value: None if value is None else enum_class(value).value


def converter(column: Column, dialect: str) -> Callable[[Any], Any] | None:
    """What turns a value into the driver's parameter for ``column``; None: as it is."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return utc_text if dialect == "sqlite" else utc_aware
    if isinstance(kind, Date):
        return date_text if dialect == "sqlite" else None
    if isinstance(kind, JSON):
        return json_text
    if isinstance(kind, Enum) and kind.enum_class is not None:
        return _enum_value(kind.enum_class)
    return None


@dataclass(frozen=True)
class Statement:
    """One rendered statement: ``params`` turns row dicts into the driver's tuples."""
    sql: str
    keys: tuple[str, ...]  # the row keys, in the order of the placeholders
    converts: tuple[tuple[int, Callable[[Any], Any]], ...]  # (position, converter)
    defaults: tuple[Any, ...] = ()  # values of the columns left out (callables called per row)
    rows: int = 1  # rows of placeholders (multi-row VALUES)

    def params(self, row: Row) -> list[Any]:
        values = [row[key] for key in self.keys]
        for position, convert in self.converts:
            values[position] = convert(values[position])
        for default in self.defaults:
            values.append(default() if callable(default) else default)
        return values

    def run(self, connection: Any, rows: Sequence[Row]) -> Any:
        """executemany (a single execute for one row, or for a multi-row statement)."""
        if not rows:
            return None
        if self.rows > 1:
            flat = [value for row in rows for value in self.params(row)]
            return connection.exec_driver_sql(self.sql, tuple(flat))
        return connection.exec_driver_sql(self.sql, [tuple(self.params(row)) for row in rows])


def _dialect(connection: Any) -> str:
    name, style = connection.dialect.name, connection.dialect.paramstyle
    if (name, style) not in (("sqlite", "qmark"), ("postgresql", "pyformat"), ("postgresql", "format")):
        raise NotImplementedError(f"no pre-rendered SQL for {name} ({style})")
    return name


def _mark(column: Column, dialect: str) -> str:
    if dialect == "sqlite":
        return "?"
    return "CAST(%s AS JSON)" if isinstance(column.type, JSON) else "%s"


def _converts(columns: Iterable[Column], dialect: str) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    found = ((n, converter(column, dialect)) for n, column in enumerate(columns))
    return tuple((n, convert) for n, convert in found if convert is not None)


def _default(column: Column, dialect: str) -> Any:
    """The value Core would give a column left out of an insert."""
    default, convert = column.default, converter(column, dialect) or (lambda value: value)
    if default.is_scalar:
        return convert(default.arg)
    return lambda: convert(default.arg(None))


def insert(connection: Any, table: Table, keys: Sequence[str], rows: Sequence[Row], *,
           conflict: str = "", returning: Sequence[str] = ()) -> list[Any]:
    """INSERT ``rows`` (their ``keys``, and the defaults of the columns left out); the rows
    RETURNING gave. ``conflict``: "nothing:col" (ON CONFLICT (col) DO NOTHING) or
    "update:col" (an upsert of every column given).

    SQLite: executemany (one prepared statement, the rows bound in C). PostgreSQL, and
    RETURNING on both: multi-row VALUES, INSERT_CHUNK rows a statement, because
    psycopg's pipelined executemany waits on the socket about once a row, and in the
    engine such a wait goes through gevent's patched poll, which costs more CPU than
    the row (the writer's replay under gevent: ~3.5 -> ~2.6 ms a call)."""
    dialect, keys, returning = _dialect(connection), tuple(keys), tuple(returning)
    if dialect == "sqlite" and not returning:
        _insert(dialect, table, keys, conflict, returning, 1).run(connection, rows)
        return []
    returned: list[Any] = []
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start:start + INSERT_CHUNK]
        result = _insert(dialect, table, keys, conflict, returning, len(chunk)).run(connection, chunk)
        if returning:
            returned += result.fetchall()
    return returned


@lru_cache(maxsize=256)
def _insert(dialect: str, table: Table, keys: tuple[str, ...], conflict: str,
            returning: tuple[str, ...], rows: int) -> Statement:
    given = [table.c[key] for key in keys]
    left_out = [column for column in table.c if column.key not in keys
                and column.default is not None and not column.primary_key]
    columns = given + left_out
    values = "(" + ", ".join(_mark(column, dialect) for column in columns) + ")"
    sql = (f"INSERT INTO {table.name} ({', '.join(column.name for column in columns)}) "
           f"VALUES {', '.join([values] * rows)}")
    if conflict:
        action, target = conflict.split(":")
        if action == "nothing":
            sql += f" ON CONFLICT ({target}) DO NOTHING"
        elif action == "update":
            sql += f" ON CONFLICT ({target}) DO UPDATE SET " + ", ".join(
                f"{column.name} = excluded.{column.name}" for column in columns
                if column.name != target)
        else:
            raise ValueError(f"unknown conflict action {conflict!r}")
    if returning:
        sql += " RETURNING " + ", ".join(table.c[key].name for key in returning)
    return Statement(sql, keys, _converts(given, dialect),
                     tuple(_default(column, dialect) for column in left_out), rows)


def update(connection: Any, table: Table, keys: Sequence[str], where: str) -> Statement:
    """UPDATE ``keys`` of the rows whose ``where`` column equals the row's ``where`` key."""
    return _update(_dialect(connection), table, tuple(keys), where)


@lru_cache(maxsize=256)
def _update(dialect: str, table: Table, keys: tuple[str, ...], where: str) -> Statement:
    columns = [table.c[key] for key in keys] + [table.c[where]]
    if any(column.onupdate is not None for column in table.c):
        raise NotImplementedError(f"{table.name} has onupdate defaults")
    sets = ", ".join(f"{column.name} = {_mark(column, dialect)}" for column in columns[:-1])
    sql = f"UPDATE {table.name} SET {sets} WHERE {columns[-1].name} = {_mark(columns[-1], dialect)}"
    return Statement(sql, keys + (where,), _converts(columns, dialect))


def delete(connection: Any, table: Table, where: str) -> Statement:
    """DELETE the rows whose ``where`` column equals the row's ``where`` key."""
    return _delete(_dialect(connection), table, where)


@lru_cache(maxsize=64)
def _delete(dialect: str, table: Table, where: str) -> Statement:
    column = table.c[where]
    return Statement(f"DELETE FROM {table.name} WHERE {column.name} = {_mark(column, dialect)}",
                     (where,), _converts([column], dialect))
