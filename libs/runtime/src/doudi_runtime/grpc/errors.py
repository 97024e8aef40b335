"""Domain errors ↔ gRPC status codes, and the google.rpc rich details (BadRequest) both sides read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from doudi_common.errors import (
    AlreadyExists,
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
)

# Most specific first, so a subclass of e.g. NotFound still maps to NOT_FOUND.
STATUS_CODES: tuple[tuple[type[DomainError], grpc.StatusCode], ...] = (
    (InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION),
    (PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
    (ResourceExhausted, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (Unavailable, grpc.StatusCode.UNAVAILABLE),
)


@dataclass(frozen=True)
class RichStatus(grpc.Status):
    """A concrete grpc.Status for ``context.abort_with_status``."""

    code: grpc.StatusCode
    details: str
    trailing_metadata: tuple[tuple[str, str | bytes], ...] = ()


def status_code_for(error: DomainError) -> grpc.StatusCode:
    """The status code a domain error travels as; an unknown DomainError subclass is a FAILED_PRECONDITION.

    A bare DomainError is still something the service meant to show, so it is not INTERNAL; the
    closest general code for "your request cannot be done as asked" is FAILED_PRECONDITION.
    """
    for error_type, code in STATUS_CODES:
        if isinstance(error, error_type):
            return code
    return grpc.StatusCode.FAILED_PRECONDITION


def invalid_argument_message(error: InvalidArgument) -> str:
    """The status message, guaranteed to name every field at fault (clients without rich details see them)."""
    missing = [v.field for v in error.violations if v.field not in error.message]
    if not missing:
        return error.message
    return f"{error.message} (fields: {', '.join(missing)})"


def invalid_argument_status(
    error: InvalidArgument, trailing_metadata: Sequence[tuple[str, str | bytes]] = ()
) -> RichStatus:
    """INVALID_ARGUMENT with a google.rpc.BadRequest detail listing every field violation."""
    bad_request = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
            for v in error.violations
        ]
    )
    detail = any_pb2.Any()
    detail.Pack(bad_request)
    message = invalid_argument_message(error)
    status = rpc_status.to_status(
        status_pb2.Status(code=grpc.StatusCode.INVALID_ARGUMENT.value[0], message=message, details=[detail])
    )
    # abort_with_status replaces the trailing metadata, so keep what is already there (e.g. x-request-id).
    return RichStatus(
        code=status.code,
        details=status.details,
        trailing_metadata=tuple(trailing_metadata) + tuple(status.trailing_metadata),
    )


def field_violations_from(rpc_error: grpc.RpcError) -> list[tuple[str, str]]:
    """The (field, description) pairs of the BadRequest details an error carries; [] if none."""
    if not isinstance(rpc_error, grpc.Call):
        return []
    try:
        status = rpc_status.from_call(rpc_error)
    except ValueError:
        # The trailing status disagrees with the call's own code/message: not ours to trust.
        return []
    if status is None:
        return []
    violations: list[tuple[str, str]] = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            violations.extend((v.field, v.description) for v in bad_request.field_violations)
    return violations
