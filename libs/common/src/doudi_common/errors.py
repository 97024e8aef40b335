"""Errors that domain rules and use-cases raise; transports map them to status codes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldViolation:
    """One field at fault in a request, named by its path (e.g. ``household.members[2].id_number``)."""

    field: str
    description: str


class DomainError(Exception):
    """Base of every error a service means to show its caller."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgument(DomainError):
    """The request is malformed; every field at fault is listed."""

    def __init__(self, violations: Iterable[FieldViolation], message: str | None = None) -> None:
        self.violations: tuple[FieldViolation, ...] = tuple(violations)
        if not self.violations:
            raise ValueError("InvalidArgument needs at least one field violation")
        fields = ", ".join(v.field for v in self.violations)
        super().__init__(message or f"invalid argument: {fields}")

    @classmethod
    def single(cls, field: str, description: str) -> InvalidArgument:
        return cls([FieldViolation(field, description)])


class NotFound(DomainError):
    """The thing asked for does not exist (or the caller may not know it exists)."""


class AlreadyExists(DomainError):
    """The thing to create exists already under another request."""


class FailedPrecondition(DomainError):
    """The thing is in a state that does not allow this command."""


class PermissionDenied(DomainError):
    """The caller is known but may not do this."""


class Unauthenticated(DomainError):
    """The caller could not be identified."""


class ResourceExhausted(DomainError):
    """The caller exceeded a limit (rate, size, page)."""


class Unavailable(DomainError):
    """A dependency is down for now; the same call may succeed later."""
