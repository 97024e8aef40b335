"""Statements over many rows at once, in the fastest plain form each store offers: plain tuples through
executemany on SQLite, one INSERT … SELECT FROM unnest(arrays) on PostgreSQL (the arrays sent in binary,
which spares quoting every value as array text), and a set of keys bound as
one parameter (a JSON array on SQLite, an array on PostgreSQL) rather than one parameter per key."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

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
        arrays: dict[str, Any] = {}
        for index, values in enumerate(zip(*rows, strict=True)):
            arrays[f"v{index}"] = list(values)
        for index, processor in processors:
            arrays[f"v{index}"] = [processor(value) for value in arrays[f"v{index}"]]
        typed = ", ".join(
            f"%(v{i})b::{table.c[n].type.compile(dialect=dialect)}[]" for i, n in enumerate(varying)
        )
        picked = [f"v.v{i}" for i in range(len(varying))] + [f"%(k{i})s" for i in range(len(fixed))]
        aliases = ", ".join(f"v{i}" for i in range(len(varying)))
        parameters = {**arrays, **{f"k{i}": value for i, value in enumerate(fixed)}}
        result = connection.exec_driver_sql(
            f"INSERT INTO {table.name} ({columns}) SELECT {', '.join(picked)}"
            f" FROM unnest({typed}) AS v({aliases}) ON CONFLICT ({conflict}) DO NOTHING",
            parameters,
        )
        return int(result.rowcount or 0)
    if processors:
        converted = []
        for row in rows:
            values = list(row)
            for index, processor in processors:
                values[index] = processor(values[index])
            converted.append(tuple(values))
        rows = converted
    # The driver would adapt a shared value (a timestamp) once per row: it is adapted once, as it would be.
    fixed = tuple(_adapted_once(value) for value in fixed)
    placeholders = ", ".join("?" * len(names))
    result = connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({columns}) VALUES ({placeholders}) ON CONFLICT ({conflict}) DO NOTHING",
        [row + fixed for row in rows],
    )
    return int(result.rowcount or 0)


def _adapted_once(value: Any) -> Any:
    """``value`` as SQLite's driver adapts it for a statement (its registered adapter, if any)."""
    adapter = sqlite3.adapters.get((type(value), sqlite3.PrepareProtocol))
    return value if adapter is None else adapter(value)
