"""The well-formedness step of the interceptor chain: values the wire accepts but no handler can use.

protobuf decodes an enum number the server was not built with (proto3 enums are open) and a
Timestamp or Duration outside the range its own conversions accept. Each service would otherwise
meet them deep inside a handler as a ValueError, i.e. INTERNAL; this step answers INVALID_ARGUMENT
naming every such field, once for every API, before authorisation and the handler see the request.
"""

from __future__ import annotations

from collections.abc import Iterator

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from doudi_common.errors import FieldViolation, InvalidArgument
from doudi_common.validation import join_path
from doudi_runtime.grpc.interceptors import EntryStep, ServerCall

# The range google.protobuf.Timestamp allows: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
_TIMESTAMP_SECONDS = (-62_135_596_800, 253_402_300_799)
_DURATION_SECONDS = 315_576_000_000
_NANOS = 999_999_999
#: Violations listed at most, so a request of a million bad enums costs a bounded answer.
_MAX_VIOLATIONS = 20
_CHECKED_TYPES = frozenset({"google.protobuf.Timestamp", "google.protobuf.Duration"})

#: Per message type: can a message of it hold anything ``violations`` checks? (one entry per type)
_checked_types: dict[Descriptor, bool] = {}


def _holds_checked_values(descriptor: Descriptor, seen: set[Descriptor]) -> bool:
    """Whether an enum field, a Timestamp or a Duration can occur anywhere in a message of this type."""
    if descriptor.full_name in _CHECKED_TYPES:
        return True
    seen.add(descriptor)
    for field in descriptor.fields:
        if field.enum_type is not None:
            return True
        nested = field.message_type
        if nested is not None and nested not in seen and _holds_checked_values(nested, seen):
            return True
    return False


def may_hold_violations(descriptor: Descriptor) -> bool:
    """False for a message type in which no field can ever be a violation, so none need be walked."""
    known = _checked_types.get(descriptor)
    if known is None:
        known = _checked_types[descriptor] = _holds_checked_values(descriptor, set())
    return known


def _well_known(message: Message, path: str) -> FieldViolation | None:
    name = message.DESCRIPTOR.full_name
    if name == "google.protobuf.Timestamp":
        seconds, nanos = message.seconds, message.nanos  # type: ignore[attr-defined]
        low, high = _TIMESTAMP_SECONDS
        if not (low <= seconds <= high and 0 <= nanos <= _NANOS):
            return FieldViolation(path, "is not a time between the years 1 and 9999")
    elif name == "google.protobuf.Duration":
        seconds, nanos = message.seconds, message.nanos  # type: ignore[attr-defined]
        same_sign = seconds == 0 or nanos == 0 or (seconds > 0) == (nanos > 0)
        if not (abs(seconds) <= _DURATION_SECONDS and abs(nanos) <= _NANOS and same_sign):
            return FieldViolation(path, "is not a valid duration")
    return None


def _enum_violation(field: FieldDescriptor, number: int, path: str) -> FieldViolation | None:
    if field.enum_type.values_by_number.get(number) is not None:
        return None
    return FieldViolation(path, f"{number} is not one of {', '.join(field.enum_type.values_by_name)}")


def violations(message: Message, prefix: str = "") -> Iterator[FieldViolation]:
    """Every unknown enum number and out-of-range Timestamp/Duration in ``message``, by field path."""
    problem = _well_known(message, prefix or "request")
    if problem is not None:
        yield problem
        return
    for field, value in message.ListFields():
        path = join_path(prefix, field.name)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            for key, item in value.items():
                item_path = f"{path}[{key!r}]"
                if value_field.message_type is not None:
                    yield from violations(item, item_path)
                elif value_field.enum_type is not None:
                    found = _enum_violation(value_field, item, item_path)
                    if found is not None:
                        yield found
            continue
        items = list(value) if field.is_repeated else [value]
        for index, item in enumerate(items):
            item_path = f"{path}[{index}]" if field.is_repeated else path
            if field.message_type is not None:
                yield from violations(item, item_path)
            elif field.enum_type is not None:
                found = _enum_violation(field, item, item_path)
                if found is not None:
                    yield found


def check_well_formed(message: Message) -> None:
    """Raise InvalidArgument naming every field whose value no handler could use."""
    if not may_hold_violations(message.DESCRIPTOR):
        return
    found = []
    for violation in violations(message):
        found.append(violation)
        if len(found) == _MAX_VIOLATIONS:
            break
    if found:
        raise InvalidArgument(found)


class WellFormedStep(EntryStep):
    """Refuses, as INVALID_ARGUMENT, requests with unknown enum numbers or out-of-range times."""

    def enter(self, call: ServerCall) -> None:
        if isinstance(call.request, Message):
            check_well_formed(call.request)
