"""Personal data sealed at rest: column types that encrypt on write and open on read, and lookup hashes.

A column declared ``Sealed("intake.leads.id_number")`` stores ``doudi_common.fieldcrypt`` ciphertext bound to
that context; the code above the store reads and writes plain strings. A column that must be searched keeps a
``LookupHash`` beside it: binding a plain value to it (an insert, or ``column == value``) stores or compares
its keyed digest, and :func:`matches` finds rows hashed under any key of the ring while keys rotate. Every
lookup hash names the sealed column it is the digest of (``hash_of``), so :func:`reseal_table` can move a
table to the primary keys without anyone knowing the plain values.

The keys are the process's (:func:`use_field_crypto`, called at start-up from the settings). An empty string
is stored as it is: ``NOT NULL DEFAULT ''`` columns say "none given", not a secret.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, Table, Text, literal, select, tuple_, type_coerce, update
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from doudi_common.fieldcrypt import KEY_BYTES, FieldCryptoError, KeyRing, LookupHasher

log = logging.getLogger(__name__)

#: Development keys, derived from public text: they keep the code path identical on a laptop and in tests,
#: and protect nothing. Settings refuse to run production without keys of its own.
_DEVELOPMENT_KEY = hashlib.sha256(b"doudi development field key").digest()[:KEY_BYTES]
_DEVELOPMENT_HASH_KEY = hashlib.sha256(b"doudi development lookup key").digest()[:KEY_BYTES]


@dataclass(frozen=True)
class FieldCrypto:
    """The key ring that seals values and the hasher that keys their lookup digests."""

    ring: KeyRing
    hasher: LookupHasher

    @classmethod
    def development(cls) -> FieldCrypto:
        return cls(
            KeyRing("dev", {"dev": _DEVELOPMENT_KEY}), LookupHasher("dev", {"dev": _DEVELOPMENT_HASH_KEY})
        )

    @property
    def is_development(self) -> bool:
        return self.ring.keys.get(self.ring.primary) == _DEVELOPMENT_KEY


_lock = threading.Lock()
_crypto: FieldCrypto = FieldCrypto.development()


def use_field_crypto(crypto: FieldCrypto) -> None:
    """Make ``crypto`` the keys of every sealed column and lookup hash in this process."""
    global _crypto
    with _lock:
        _crypto = crypto


def field_crypto() -> FieldCrypto:
    return _crypto


class Sealed(TypeDecorator[str]):
    """Text encrypted under the process's key ring, bound to ``context`` (``service.table.column``)."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or value == "":
            return value
        return _crypto.ring.seal(value, context=self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or value == "":
            return value
        return _crypto.ring.open(value, context=self.context)


class LookupHash(TypeDecorator[str]):
    """The keyed digest of the sealed column ``hash_of``: a plain value bound to it is hashed."""

    impl = String(64)
    cache_ok = True

    def __init__(self, context: str, *, hash_of: str) -> None:
        super().__init__()
        self.context = context
        self.hash_of = hash_of

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or value == "":
            return value
        return _crypto.hasher.digest(value, context=self.context)


def matches(column: Any, value: str) -> ColumnElement[bool]:
    """Rows whose lookup hash is ``value``'s under any key of the ring (primary or not yet rotated)."""
    kind = column.type
    if not isinstance(kind, LookupHash):
        raise TypeError(f"{column} is not a lookup hash column")
    return type_coerce(column, String).in_(_crypto.hasher.digests(value, context=kind.context))


def matches_any(column: Any, values: list[str]) -> ColumnElement[bool]:
    """Rows whose lookup hash is any of ``values``'s (one statement for a household's members)."""
    kind = column.type
    if not isinstance(kind, LookupHash):
        raise TypeError(f"{column} is not a lookup hash column")
    digests = [d for value in values for d in _crypto.hasher.digests(value, context=kind.context)]
    return type_coerce(column, String).in_(digests)


def sealed_columns(table: Table) -> list[str]:
    return [column.name for column in table.columns if isinstance(column.type, Sealed)]


def lookup_columns(table: Table) -> list[str]:
    return [column.name for column in table.columns if isinstance(column.type, LookupHash)]


def _raw(table: Table, name: str) -> Any:
    """The column as its stored text, past the type's sealing."""
    return type_coerce(table.c[name], Text)


def _page(
    connection: Session | Connection, table: Table, after: tuple[Any, ...] | None, page_size: int
) -> list[Any]:
    key = list(table.primary_key.columns)
    if not key:
        raise ValueError(f"{table.name} has no primary key to walk")
    wanted = [*key, *(_raw(table, n).label(n) for n in sealed_columns(table) + lookup_columns(table))]
    query = select(*wanted).order_by(*key).limit(page_size)
    if after is not None:
        query = query.where(tuple_(*key) > tuple_(*after))
    return list(connection.execute(query))


def reseal_page(
    connection: Session | Connection,
    table: Table,
    after: tuple[Any, ...] | None = None,
    *,
    page_size: int = 500,
) -> tuple[int, tuple[Any, ...] | None]:
    """Move one page of ``table`` (primary keys after ``after``) to the primary keys.

    Sealed values under an older key are sealed again under the primary one, plain values (rows written
    before the column was sealed) are sealed, and lookup hashes are recomputed from their sealed column.
    Returns the rows rewritten and the page's last key (None when the table is done). Rewriting a row from
    what it holds makes this safe to repeat and to run beside the service.
    """
    sealed, lookups = sealed_columns(table), lookup_columns(table)
    names = [c.name for c in table.primary_key.columns]
    rows = _page(connection, table, after, page_size) if sealed else []
    ring, hasher = _crypto.ring, _crypto.hasher
    rewritten = 0
    for row in rows:
        changes: dict[str, str] = {}
        plain: dict[str, str | None] = {}
        for name in sealed:
            stored = getattr(row, name)
            if stored is None or stored == "":
                plain[name] = stored
                continue
            context = table.c[name].type.context
            value = _open_or_plain(ring, stored, context)
            plain[name] = value
            if stored == value or ring.needs_reseal(stored):
                changes[name] = ring.seal(value, context=context)
        for name in lookups:
            kind = table.c[name].type
            source = plain.get(kind.hash_of)
            if source is None or source == "":
                continue
            digest = hasher.digest(source, context=kind.context)
            if getattr(row, name) != digest:
                changes[name] = digest
        if changes:
            connection.execute(
                update(table)
                .where(*(table.c[n] == getattr(row, n) for n in names))
                .values({n: literal(v, Text) for n, v in changes.items()})
            )
            rewritten += 1
    last = tuple(getattr(rows[-1], n) for n in names) if len(rows) == page_size else None
    return rewritten, last


def reseal_table(connection: Session | Connection, table: Table, *, page_size: int = 500) -> int:
    """:func:`reseal_page` over the whole table in the caller's transaction (a data migration's)."""
    total, after = 0, None
    while True:
        rewritten, after = reseal_page(connection, table, after, page_size=page_size)
        total += rewritten
        if after is None:
            return total


def unseal_table(connection: Session | Connection, table: Table) -> None:
    """Write every sealed value of ``table`` back as plain text (a migration downgrade; needs the keys)."""
    key = list(table.primary_key.columns)
    sealed = sealed_columns(table)
    for row in connection.execute(select(*key, *(table.c[n] for n in sealed))).all():
        connection.execute(
            update(table)
            .where(*(column == getattr(row, column.name) for column in key))
            .values({n: literal(getattr(row, n), Text) for n in sealed})
        )


def _open_or_plain(ring: KeyRing, stored: str, context: str) -> str:
    try:
        return ring.open(stored, context=context)
    except FieldCryptoError:
        if stored.startswith("v1.") and stored.count(".") == 2:
            raise
        return stored
