"""Fuzzing doudi's gRPC APIs from their descriptors: hypothesis strategies for any request message, and
the check every answer must pass (a status the caller can act on, never INTERNAL or UNKNOWN, and an
INVALID_ARGUMENT that names the field at fault).

The strategies mix hostile values (empty, huge and odd unicode strings, integers at their limits,
unknown enum numbers, NaN) with plausible ones (region codes, checksum-valid resident ID numbers,
periods, dates), so a request gets past the first check often enough to reach the deeper ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import grpc
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor, ServiceDescriptor
from google.protobuf.message import Message
from hypothesis import strategies as st

from doudi_common.testing import make_resident_id
from doudi_runtime.grpc.errors import field_violations_from

#: Answers that mean the server failed rather than the request: never acceptable for any input.
SERVER_FAULTS = frozenset({grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.DATA_LOSS})

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_UINT32 = (0, 2**32 - 1)
_UINT64 = (0, 2**64 - 1)
_INT_RANGES = {
    FieldDescriptor.TYPE_INT32: _INT32,
    FieldDescriptor.TYPE_SINT32: _INT32,
    FieldDescriptor.TYPE_SFIXED32: _INT32,
    FieldDescriptor.TYPE_INT64: _INT64,
    FieldDescriptor.TYPE_SINT64: _INT64,
    FieldDescriptor.TYPE_SFIXED64: _INT64,
    FieldDescriptor.TYPE_UINT32: _UINT32,
    FieldDescriptor.TYPE_FIXED32: _UINT32,
    FieldDescriptor.TYPE_UINT64: _UINT64,
    FieldDescriptor.TYPE_FIXED64: _UINT64,
}

_REGION_CODES = ("640402", "640402100", "640402100000", "640402100201", "640402101000", "110101000000")
_RESIDENT_IDS = tuple(
    make_resident_id(birth, sequence, female=female)
    for birth, sequence, female in (
        (date(1980, 5, 17), 12, False),
        (date(2012, 2, 29), 31, True),
        (date(1945, 3, 8), 31, True),
    )
)


def _plausible_strings() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(_REGION_CODES),
        st.sampled_from(_RESIDENT_IDS),
        st.sampled_from(("2026-06", "2026-13", "2026-06-01", "0000-00", "PROGRAMME_DIBAO", "app_1")),
        st.from_regex(r"\A[0-9]{1,20}\Z"),
        st.from_regex(r"\A[a-z]{2,6}_[0-9a-f]{4,26}\Z"),
    )


def string_values(*, huge: int = 20_000) -> st.SearchStrategy[str]:
    """Empty, short unicode (surrogates excluded: protobuf refuses to encode them), whitespace, control
    characters, plausible identifiers, and one very long string."""
    return st.one_of(
        st.just(""),
        st.text(max_size=24),
        st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=64),
        st.sampled_from((" ", "\x00", "\n\t", "\u202e", "马建国", "𠀀𠀁", "' OR 1=1 --", "../../etc/passwd")),
        _plausible_strings(),
        st.just("界" * huge),
        st.integers(min_value=256, max_value=huge).map(lambda n: "9" * n),
    )


def _int_values(low: int, high: int) -> st.SearchStrategy[int]:
    edges = sorted(value for value in {low, high, 0, 1, -1, low + 1, high - 1} if low <= value <= high)
    return st.one_of(st.sampled_from(edges), st.integers(min_value=low, max_value=high))


def _float_values(width: int) -> st.SearchStrategy[float]:
    return st.one_of(
        st.sampled_from((0.0, -0.0, math.nan, math.inf, -math.inf)),
        st.floats(width=width),  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class FuzzLimits:
    """How big the drawn messages may grow."""

    max_depth: int = 4
    max_repeated: int = 3
    huge_string: int = 20_000


def _scalar(field: FieldDescriptor, limits: FuzzLimits) -> st.SearchStrategy[object]:
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return string_values(huge=limits.huge_string)
    if kind == FieldDescriptor.TYPE_BYTES:
        return st.one_of(st.binary(max_size=64), st.just(b"\x00" * limits.huge_string))
    if kind == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if kind == FieldDescriptor.TYPE_DOUBLE:
        return _float_values(64)
    if kind == FieldDescriptor.TYPE_FLOAT:
        return _float_values(32)
    if kind == FieldDescriptor.TYPE_ENUM:
        known = [value.number for value in field.enum_type.values]
        # proto3 enums are open: a number the server's code was not built with must be answered too.
        return st.one_of(st.sampled_from(known), _int_values(*_INT32))
    if kind in _INT_RANGES:
        return _int_values(*_INT_RANGES[kind])
    raise TypeError(f"no strategy for field {field.full_name} of type {kind}")


def message_strategy(descriptor: Descriptor, limits: FuzzLimits | None = None) -> st.SearchStrategy[Message]:
    """Messages of ``descriptor``'s type with any subset of fields set, nested messages included; half of
    them start from a :func:`plausible` request."""
    limits = limits or FuzzLimits()
    message_class = message_factory.GetMessageClass(descriptor)

    @st.composite
    def draw(data: st.DrawFn) -> Message:
        message = message_class()
        if data(st.booleans()):
            # Half the time a believable request with some fields replaced, to reach the deeper checks.
            message.CopyFrom(plausible(descriptor))
        changes = message_class()
        _fill(data, changes, limits.max_depth, limits)
        message.MergeFrom(changes)
        return message

    return draw()


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def _fill(data: st.DrawFn, message: Message, depth: int, limits: FuzzLimits) -> None:
    for field in message.DESCRIPTOR.fields:
        if not data(st.booleans()):
            continue
        repeated = field.is_repeated
        if field.message_type is not None:
            if depth <= 0:
                continue
            if _is_map(field):
                key_field = field.message_type.fields_by_name["key"]
                value_field = field.message_type.fields_by_name["value"]
                for _ in range(data(st.integers(0, limits.max_repeated))):
                    key = data(_scalar(key_field, limits))
                    if value_field.message_type is not None:
                        _fill(data, getattr(message, field.name)[key], depth - 1, limits)
                    else:
                        getattr(message, field.name)[key] = data(_scalar(value_field, limits))
            elif repeated:
                for _ in range(data(st.integers(0, limits.max_repeated))):
                    _fill(data, getattr(message, field.name).add(), depth - 1, limits)
            else:
                child = getattr(message, field.name)
                child.SetInParent()
                _fill(data, child, depth - 1, limits)
        elif repeated:
            values = data(st.lists(_scalar(field, limits), max_size=limits.max_repeated))
            getattr(message, field.name).extend(values)
        else:
            setattr(message, field.name, data(_scalar(field, limits)))


def service_descriptor(full_name: str) -> ServiceDescriptor:
    """The generated descriptor of an API (its ``*_pb2`` module must have been imported)."""
    return descriptor_pool.Default().FindServiceByName(full_name)


def unary_methods(full_name: str) -> list[MethodDescriptor]:
    """Every unary RPC of an API, as its descriptor declares them."""
    return [
        method
        for method in service_descriptor(full_name).methods
        if not (method.client_streaming or method.server_streaming)
    ]


@dataclass(frozen=True)
class Answer:
    """What a server answered to one fuzzed request."""

    code: grpc.StatusCode
    details: str
    violations: tuple[tuple[str, str], ...]


def call(
    channel: grpc.Channel,
    method: MethodDescriptor,
    request: Message,
    *,
    metadata: Sequence[tuple[str, str]] = (),
    timeout: float = 10.0,
) -> Answer:
    """Send one request to ``method`` over ``channel`` and return its status."""
    response_class = message_factory.GetMessageClass(method.output_type)
    stub = channel.unary_unary(
        f"/{method.containing_service.full_name}/{method.name}",
        request_serializer=lambda message: message.SerializeToString(),
        response_deserializer=response_class.FromString,
    )
    try:
        stub(request, metadata=tuple(metadata), timeout=timeout)
    except grpc.RpcError as error:
        code = error.code()  # type: ignore[attr-defined]
        details = error.details() or ""  # type: ignore[attr-defined]
        return Answer(code, details, tuple(field_violations_from(error)))
    return Answer(grpc.StatusCode.OK, "", ())


def problem_with(answer: Answer) -> str | None:
    """Why an answer to untrusted input is wrong, or None when it is an answer a caller can act on."""
    if answer.code in SERVER_FAULTS:
        return f"{answer.code.name}: {answer.details}"
    if answer.code is grpc.StatusCode.UNIMPLEMENTED:
        return f"UNIMPLEMENTED: {answer.details}"
    if answer.code is grpc.StatusCode.INVALID_ARGUMENT and not answer.violations:
        return f"INVALID_ARGUMENT without the field at fault: {answer.details}"
    return None


def saturated(descriptor: Descriptor, text: str, *, depth: int = 3) -> Message:
    """A message of ``descriptor``'s type with every string field (nested and repeated ones too) set to
    ``text`` and every other field to a plausible value: to see where a value travels (e.g. into logs)."""
    message = message_factory.GetMessageClass(descriptor)()
    _saturate(message, lambda _field, _parent: text, depth, "")
    return message


def plausible(descriptor: Descriptor, *, depth: int = 3) -> Message:
    """A believable request: every field set, strings chosen by what the field holds (an ID number, a
    village or township code, a period, a phone number), so fuzzing from it reaches past the first check."""
    message = message_factory.GetMessageClass(descriptor)()
    _saturate(message, _plausible_text, depth, "")
    return message


def _plausible_text(field: FieldDescriptor, parent: str) -> str:
    owner = field.containing_type.full_name
    if owner == "doudi.common.v1.IdNumber" or "id_number" in field.name:
        return _RESIDENT_IDS[0]
    if owner == "doudi.common.v1.RegionCode":
        return _REGION_CODES[3] if "township" not in parent else _REGION_CODES[2]
    if "period" in field.name or "month" in field.name or "period" in parent:
        return "2026-06"
    if "phone" in field.name:
        return "13909541234"
    return "fuzz-1" if field.name.endswith("id") else "x"


def _plain_value(field: FieldDescriptor, text: str) -> object:
    if field.type == FieldDescriptor.TYPE_STRING:
        return text
    if field.type == FieldDescriptor.TYPE_BYTES:
        return text.encode()
    if field.type == FieldDescriptor.TYPE_BOOL:
        return True
    if field.type == FieldDescriptor.TYPE_ENUM:
        numbers = [value.number for value in field.enum_type.values if value.number]
        return numbers[0] if numbers else 0
    if field.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return 1.0
    return 1


def _saturate(message: Message, text: Callable[[FieldDescriptor, str], str], depth: int, parent: str) -> None:
    if message.DESCRIPTOR.full_name in ("google.protobuf.Timestamp", "google.protobuf.Duration"):
        message.seconds = 1_780_000_000  # type: ignore[attr-defined]
        return
    for field in message.DESCRIPTOR.fields:
        if field.containing_oneof is not None and message.WhichOneof(field.containing_oneof.name):
            continue
        if field.message_type is not None:
            if depth <= 0 or _is_map(field):
                continue
            if field.is_repeated:
                _saturate(getattr(message, field.name).add(), text, depth - 1, field.name)
            else:
                child = getattr(message, field.name)
                child.SetInParent()
                _saturate(child, text, depth - 1, field.name)
        elif field.is_repeated:
            getattr(message, field.name).append(_plain_value(field, text(field, parent)))
        else:
            setattr(message, field.name, _plain_value(field, text(field, parent)))
