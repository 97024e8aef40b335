"""Statements over many rows at once, in the fastest plain form each store offers: plain tuples through
executemany on SQLite, binary COPY on PostgreSQL (under a savepoint, and again after one look-up of the keys
already taken should any be, since COPY cannot skip a conflicting row), and a set of keys bound as one
parameter (a JSON array on SQLite, an array on PostgreSQL) rather than one parameter per key."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from sqlalchemy import ColumnElement, String, Table, any_, bindparam, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session


def one_of(session: Session, column: Any, values: Sequence[str]) -> ColumnElement[bool]:
    """``column`` is one of ``values``, bound as a single parameter however many values there are."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(String)))
    listed = func.json_each(bindparam(None, json.dumps(list(values)), type_=String)).table_valued("value")
    return column.in_(select(listed.c.value))


def insert_once(
    session: Session,
    table: Table,
    varying: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    constants: Mapping[str, Any],
    conflict: str,
) -> int:
    """Insert ``rows`` (values of the ``varying`` columns, in that order; every row shares ``constants``),
    skipping each row whose ``conflict`` column is taken; returns how many were inserted."""
    if not rows:
        return 0
    connection = session.connection()
    dialect = connection.dialect
    names = [*varying, *constants]

    def bound(name: str, value: Any) -> Any:
        processor = table.c[name].type.bind_processor(dialect)
        return value if processor is None else processor(value)

    fixed = tuple(bound(name, value) for name, value in constants.items())
    processors = [(i, table.c[n].type.bind_processor(dialect)) for i, n in enumerate(varying)]
    processors = [(i, p) for i, p in processors if p is not None]
    columns = ", ".join(names)
    if dialect.name == "postgresql":
        return _copy_new_rows(session, table, names, rows, processors, fixed, varying.index(conflict))
    if processors:
        rows = [_bound(row, processors) for row in rows]
    # The driver would adapt a shared value (a timestamp) once per row: it is adapted once, as it would be.
    fixed = tuple(_adapted_once(value) for value in fixed)
    placeholders = ", ".join("?" * len(names))
    result = connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({columns}) VALUES ({placeholders}) ON CONFLICT ({conflict}) DO NOTHING",
        [row + fixed for row in rows],
    )
    return int(result.rowcount or 0)


def _copy_new_rows(
    session: Session,
    table: Table,
    names: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    processors: Sequence[tuple[int, Any]],
    fixed: tuple[Any, ...],
    key_index: int,
) -> int:
    """COPY the rows whose key is not taken yet. All of them are tried first, under a savepoint: a month
    generated for the first time takes no key, and needs no look-up. Should any key be taken (a page written
    again after a crash), the savepoint undoes the COPY, and the rows whose keys one look-up does not find
    are copied. The unique key guards the table throughout: a row another worker wrote since the look-up
    fails the COPY, and its transaction with it, rather than paying twice."""
    bound = [_bound(row, processors) + fixed for row in rows]
    try:
        with session.begin_nested():
            _copy(session, table, names, bound)
        return len(bound)
    except psycopg.errors.UniqueViolation:
        pass
    key = names[key_index]
    wanted = list(dict.fromkeys(row[key_index] for row in bound))
    taken = {
        found
        for (found,) in session.connection().exec_driver_sql(
            # %b: the keys go as a binary array, which the driver builds without quoting each one.
            f"SELECT {key} FROM {table.name} WHERE {key} = ANY(%(keys)b)",
            {"keys": wanted},
        )
    }
    fresh: list[tuple[Any, ...]] = []
    for row in bound:
        if row[key_index] not in taken:
            taken.add(row[key_index])
            fresh.append(row)
    _copy(session, table, names, fresh)
    return len(fresh)


def _bound(row: tuple[Any, ...], processors: Sequence[tuple[int, Any]]) -> tuple[Any, ...]:
    if not processors:
        return row
    values = list(row)
    for index, processor in processors:
        values[index] = processor(values[index])
    return tuple(values)


def _copy(session: Session, table: Table, names: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """COPY in binary: neither side spells each value out as text (nor the server parses it back)."""
    if not rows:
        return
    driver = session.connection().connection.driver_connection
    types = _column_types(driver, table.name, names)
    statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _column_types(driver: psycopg.Connection[Any], table: str, names: Sequence[str]) -> list[int]:
    """The type of each column COPY writes, as the table has it now (binary values must be of it exactly);
    one look-up a page costs little beside the page."""
    found = dict(
        driver.execute(
            "SELECT attname, atttypid FROM pg_attribute"
            " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            (table,),
        ).fetchall()
    )
    return [int(found[name]) for name in names]


def _adapted_once(value: Any) -> Any:
    """``value`` as SQLite's driver adapts it for a statement (its registered adapter, if any)."""
    adapter = sqlite3.adapters.get((type(value), sqlite3.PrepareProtocol))
    return value if adapter is None else adapter(value)
