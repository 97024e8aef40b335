"""What every eligibility use-case shares: who acts, the clock, idempotent commands, events and metrics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from google.protobuf.message import Message
from prometheus_client import Counter, Histogram
from sqlalchemy.orm import Session

from doudi_common.errors import InvalidArgument
from doudi_contracts.topics import topic
from doudi_eligibility.domain.machines.roles import Role
from doudi_eligibility.store import records as store
from doudi_runtime.idempotency import fingerprint_of, run_once, validate_request_id
from doudi_runtime.service import Persistence

T = TypeVar("T")

TOPIC_DECISIONS = topic("doudi.eligibility.decision.v1").name
TOPIC_ENTITLEMENTS = topic("doudi.eligibility.entitlement.v1").name

DECISIONS = Counter(
    "doudi_eligibility_decisions_total",
    "Final decisions on applications, by programme and outcome.",
    ["programme", "outcome"],
)
TIME_TO_DECISION = Histogram(
    "doudi_eligibility_time_to_decision_seconds",
    "From the acceptance of an application to its final decision.",
    buckets=(
        3600,
        86_400,
        3 * 86_400,
        7 * 86_400,
        14 * 86_400,
        21 * 86_400,
        30 * 86_400,
        45 * 86_400,
        90 * 86_400,
    ),
)
REDETERMINED = Counter(
    "doudi_eligibility_redeterminations_total",
    "Entitlements re-determined after a new parameter version, by result.",
    ["result"],
)


@dataclass(frozen=True)
class Actor:
    """Who takes a step: the role it is taken in (checked by the machines) and the person, for the audit."""

    role: Role
    user_id: str

    @classmethod
    def system(cls) -> Actor:
        return cls(Role.SYSTEM, "system")


def require_text(value: str, field: str, limit: int = 4000) -> str:
    text = value.strip()
    if not text or len(text) > limit:
        raise InvalidArgument.single(field, f"is required, at most {limit} characters")
    return text


@dataclass
class Commands:
    """Runs a command once per request_id inside the caller's transaction and announces events."""

    persistence: Persistence
    clock: Callable[[], datetime]

    def once(
        self,
        session: Session,
        method: str,
        request_id: str,
        parts: tuple[object, ...],
        perform: Callable[[], tuple[str, T]],
        replay: Callable[[str], T],
        reference: str | None = None,
    ) -> T:
        """``reference``: the id of what ``perform`` creates, when it is chosen beforehand (see run_once)."""
        validate_request_id(request_id)
        return run_once(
            session,
            self.persistence.store.idempotency,
            method=method,
            request_id=request_id,
            fingerprint=fingerprint_of(*parts),
            perform=perform,
            replay=replay,
            reference=reference,
        )

    def announce(
        self, session: Session, topic_name: str, key: str, payload: Message, cause: str = ""
    ) -> None:
        self.persistence.outbox.add(
            session, topic=topic_name, subject_key=key, payload=payload, causation_id=cause
        )

    def audit(
        self, session: Session, subject: str, action: str, actor: Actor, detail: dict[str, object]
    ) -> None:
        """One line of the case or entitlement's own history, in the transaction that made the change."""
        store.audit(
            session,
            subject_id=subject,
            action=action,
            role=actor.role.value,
            actor_id=actor.user_id,
            at=self.clock(),
            detail=detail,
        )
