"""Conversions every API and event mapping needs between protobuf messages and plain Python values."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TypeVar, overload

from google.protobuf.timestamp_pb2 import Timestamp

from doudi.common.v1 import programme_pb2, types_pb2
from doudi_common.errors import InvalidArgument

E = TypeVar("E", bound=StrEnum)


@overload
def timestamp(moment: datetime) -> Timestamp: ...
@overload
def timestamp(moment: None) -> None: ...
@overload
def timestamp(moment: datetime | None) -> Timestamp | None: ...
def timestamp(moment: datetime | None) -> Timestamp | None:
    """A Timestamp of an aware datetime; None stays None (the field is left unset)."""
    if moment is None:
        return None
    result = Timestamp()
    result.FromDatetime(moment)
    return result


def money(fen: int) -> types_pb2.Money:
    """An amount in fen as the API's Money."""
    return types_pb2.Money(amount_fen=fen)


def programme_pb(name: str) -> int:
    """The proto Programme of a domain programme name (``DIBAO`` → ``PROGRAMME_DIBAO``)."""
    return programme_pb2.Programme.Value(f"PROGRAMME_{name}")


def programme_name(value: int) -> str:
    """The domain programme name of a proto Programme (``PROGRAMME_DIBAO`` → ``DIBAO``)."""
    return programme_pb2.Programme.Name(value).removeprefix("PROGRAMME_")


def domain_enum(domain: type[E], enum_type: object, value: int, prefix: str, field: str) -> E | None:
    """The domain member a request's proto enum names; None for UNSPECIFIED.

    A number the enum does not have, or a value the API declares that this domain never keeps, is the
    caller's error on ``field`` (INVALID_ARGUMENT), never an internal one."""
    try:
        name = enum_type.Name(value)  # type: ignore[attr-defined]
    except ValueError:
        raise InvalidArgument.single(field, f"has no value {value}") from None
    if name.endswith("_UNSPECIFIED"):
        return None
    try:
        return domain(name.removeprefix(prefix))
    except ValueError:
        raise InvalidArgument.single(field, f"{name} is not used here") from None
