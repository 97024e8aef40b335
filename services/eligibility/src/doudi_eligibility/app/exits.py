"""How a Dibao entitlement leaves: the gradual exit (渐退) that ends by itself after its frozen months, and
the household's voluntary exit with its one-off bonus (DOMAIN §5.1.6, §7.3, §13 H06, SEED-4).

The gradual exit's last frozen month is fixed when the review decides it, and EntitlementChanged carries it,
so disbursement stops paying after it whether or not this sweep has run yet (a run for the month after is
generated before that month starts). The sweep then makes eligibility's own record say so: from the month
after the last frozen one, each such entitlement is TERMINATED for INCOME_ABOVE_STD in a transaction of its
own, announced as EntitlementTerminated with that same last month and the last month the household stays
flagged for monitoring (``dibao.gradual_exit.monitoring_months``, §7.3, §8.1), which the audit line records
too. It is idempotent: an entitlement already ended is no longer in gradual exit, and a second pass finds
nothing to do. A review during the gradual exit that finds income back below the standard returns it to
ACTIVE instead (``EntitlementUseCases.complete_review``).

A voluntary exit ends the entitlement from the month after the request and announces the bonus
(``bonus_months`` × the monthly amount in force) on the EntitlementTerminated event, which disbursement pays
once as the EXIT_BONUS line of the last month paid.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.message import Message
from sqlalchemy.orm import Session

from doudi.common.v1 import types_pb2
from doudi.eligibility.v1 import events_pb2
from doudi_common.errors import FailedPrecondition, InvalidArgument
from doudi_common.ids import new_id
from doudi_common.period import Period
from doudi_eligibility.app.common import TOPIC_ENTITLEMENTS, Actor, require_text
from doudi_eligibility.app.dependents import dibao_moved, follow_dibao
from doudi_eligibility.app.entitlements import EntitlementUseCases
from doudi_eligibility.domain.explain import Programme
from doudi_eligibility.domain.machines.entitlement import State
from doudi_eligibility.domain.machines.roles import Role
from doudi_eligibility.domain.rules.dibao_changes import (
    monitored_until,
    voluntary_exit,
    voluntary_exit_allowed,
)
from doudi_eligibility.events import mapping
from doudi_eligibility.store import records as store
from doudi_eligibility.store.records import EntitlementRecord

#: The programmes a household (or a person, 单人保) leaves Dibao from.
_DIBAO = frozenset({Programme.DIBAO, Programme.SINGLE_PERSON_DIBAO})


@dataclass(frozen=True)
class VoluntaryExitRecorded:
    record: EntitlementRecord
    bonus_fen: int
    bonus_months: int


def terminated_event(
    record: EntitlementRecord, bonus_fen: int = 0, bonus_months: int = 0
) -> events_pb2.EntitlementTerminated:
    e = record.entitlement
    assert e.terminated_from is not None and e.termination_reason is not None
    return events_pb2.EntitlementTerminated(
        entitlement=mapping.entitlement_pb(record),
        reason=e.termination_reason.value,
        last_month=mapping.period_pb(e.terminated_from.previous()),
        exit_bonus=types_pb2.Money(amount_fen=bonus_fen),
        exit_bonus_months=bonus_months,
    )


@dataclass
class Exits:
    entitlements: EntitlementUseCases

    # -- the gradual exit ends by itself ---------------------------------------------------------

    def end_due_gradual_exits(self, limit: int = 500) -> int:
        """TERMINATED (INCOME_ABOVE_STD) for every gradual exit whose last frozen month has passed; one
        transaction per entitlement, so one that fails leaves the others ended."""
        month = Period.of(self.entitlements.today())
        ended, after = 0, None
        while True:
            with self.entitlements.database.read() as session:
                page = store.list_entitlements(
                    session, state=State.GRADUAL_EXIT.value, after=after, limit=limit
                )
            if not page:
                return ended
            after = page[-1].entitlement_id
            for record in page:
                last = record.entitlement.gradual_exit_last_month
                if last is not None and last < month and self._end_gradual_exit(record.entitlement_id, month):
                    ended += 1

    def _end_gradual_exit(self, entitlement_id: str, month: Period) -> bool:
        with self.entitlements.database.transaction() as session:
            record = store.get_entitlement(session, entitlement_id, for_update=True)
            if record is None or record.entitlement.state is not State.GRADUAL_EXIT:
                return False  # ended, or back to ACTIVE, since it was listed
            moved = record.moved(record.entitlement.end_gradual_exit(month, Role.SYSTEM), new_id("dec"))
            assert moved.entitlement.terminated_from is not None
            params = self.entitlements.params_for(session, record)
            watched = monitored_until(moved.entitlement.terminated_from, params)
            self.entitlements.save(
                session,
                moved,
                "gradual exit ended",
                Actor.system(),
                {
                    "reason": moved.entitlement.termination_reason.value,  # type: ignore[union-attr]
                    "last_month": str(moved.entitlement.terminated_from.previous()),
                    "monitored_until": str(watched) if watched else "",
                },
            )
            event = terminated_event(moved)
            if watched is not None:
                event.monitored_until.CopyFrom(mapping.period_pb(watched))
            self._announce(session, record, moved, event)
            return True

    # -- the voluntary exit ----------------------------------------------------------------------

    def exit_voluntarily(
        self, request_id: str, entitlement_id: str, bonus_months: int | None, reason: str, actor: Actor
    ) -> VoluntaryExitRecorded:
        text = require_text(reason, "reason")
        if bonus_months is not None and bonus_months < 0:
            raise InvalidArgument.single("bonus_months", "must not be negative")
        granted: dict[str, int] = {}

        def change(session: Session, record: EntitlementRecord) -> tuple[EntitlementRecord, Message | None]:
            before = record.entitlement
            if before.programme not in _DIBAO:
                raise FailedPrecondition(
                    f"entitlement {entitlement_id} is {before.programme.value}: a voluntary exit with a "
                    "bonus is Dibao's"
                )
            params = self.entitlements.params_for(session, record)
            maximum = params.integer("dibao.voluntary_exit.bonus_months")
            months = maximum if bonus_months is None else bonus_months
            if months > maximum:
                raise InvalidArgument.single(
                    "bonus_months", f"must be at most dibao.voluntary_exit.bonus_months = {maximum}"
                )
            today = self.entitlements.today()
            after = before.exit_voluntarily(today, actor.role)
            allowed = voluntary_exit_allowed(before.start_month, today, params)
            if not allowed.holds:
                raise FailedPrecondition(allowed.reason)
            exit_ = voluntary_exit(before.monthly_amount_fen, today, params, months_granted=months)
            granted.update(bonus_fen=exit_.bonus_fen, bonus_months=exit_.months)
            moved = record.moved(after, new_id("dec"))
            return moved, terminated_event(moved, exit_.bonus_fen, exit_.months)

        record = self.entitlements.command(
            "ExitVoluntarily",
            request_id,
            entitlement_id,
            (bonus_months, text),
            actor,
            "voluntary exit",
            change,
            text,
            granted,
            step="record a voluntary exit",
        )
        return VoluntaryExitRecorded(record, granted["bonus_fen"], granted["bonus_months"])

    def _announce(
        self, session: Session, before: EntitlementRecord, after: EntitlementRecord, event: Message
    ) -> None:
        commands = self.entitlements.commands
        commands.announce(session, TOPIC_ENTITLEMENTS, before.subject_id, event, after.last_decision_id)
        if dibao_moved(before, after):
            params = self.entitlements.params_for(session, after)
            follow_dibao(commands, session, before, after, params, after.last_decision_id)
