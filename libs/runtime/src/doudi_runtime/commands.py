"""What the use-cases of a service share: the store, the clock, and running a command once per request_id.

A service's use-case classes extend ``Commands``; ``once`` opens the transaction, runs the command or
replays the answer to an earlier ``request_id``, and runs the ``AfterCommit`` effects once it committed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from doudi_common.errors import InvalidArgument
from doudi_common.validation import validate_together
from doudi_runtime.idempotency import run_once, validate_request_id
from doudi_runtime.service import Persistence, ServiceContext

__all__ = [
    "AfterCommit",
    "Clock",
    "Commands",
    "request_id_check",
    "require_id",
    "utc_now",
    "validate_together",
]

T = TypeVar("T")
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def require_id(value: str, field: str) -> Callable[[], None]:
    def check() -> None:
        if not value.strip():
            raise InvalidArgument.single(field, "is required")
        if len(value) > 40:
            raise InvalidArgument.single(field, "is not an id this service issued")

    return check


def request_id_check(request_id: str) -> Callable[[], None]:
    return lambda: validate_request_id(request_id)


@dataclass
class AfterCommit:
    """Effects that must happen only once the transaction committed (metrics of what really changed)."""

    actions: list[Callable[[], None]] = field(default_factory=list)

    def add(self, action: Callable[[], None]) -> None:
        self.actions.append(action)

    def run(self) -> None:
        for action in self.actions:
            action()


@dataclass
class Commands:
    context: ServiceContext
    clock: Clock = utc_now

    @property
    def persistence(self) -> Persistence:
        return self.context.persistence()

    def once(
        self,
        method: str,
        request_id: str,
        fingerprint: str,
        perform: Callable[[Session, datetime, AfterCommit], tuple[str, T]],
        replay: Callable[[Session, str], T],
    ) -> T:
        """One transaction that performs the command, or replays the answer to an earlier request_id."""
        now = self.clock()
        after = AfterCommit()
        with self.persistence.database.transaction() as session:
            result = run_once(
                session,
                self.persistence.store.idempotency,
                method=method,
                request_id=request_id,
                fingerprint=fingerprint,
                perform=lambda: perform(session, now, after),
                replay=lambda reference: replay(session, reference),
            )
        after.run()
        return result
