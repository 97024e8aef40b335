"""Derived payments a county declares for a month (DOMAIN §5.7): the price subsidy when the CPI trigger
fired, one-off subsidies and the yearly electricity subsidy; the runs turn them into lines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from doudi_common.errors import AlreadyExists, InvalidArgument, NotFound
from doudi_common.ids import new_id
from doudi_common.period import Period
from doudi_common.region import RegionCode, RegionLevel
from doudi_disbursement.domain.derived import Declaration, DerivedKind, check_amounts, parse_declaration_key
from doudi_disbursement.events import derived as events
from doudi_disbursement.store import derived as store
from doudi_runtime.commands import AfterCommit, Commands, request_id_check, validate_together
from doudi_runtime.idempotency import fingerprint_of


def _county(region: str) -> None:
    if RegionCode.parse(region, field="region").level is not RegionLevel.COUNTY:
        raise InvalidArgument.single("region", "must be the 12-digit code of a county")


def _kind(kind: str) -> None:
    if kind not in DerivedKind.__members__:
        raise InvalidArgument.single("kind", "must be PRICE_SUBSIDY, ONE_OFF or ELECTRICITY")


def _reference(reference: str) -> None:
    if not reference.strip():
        raise InvalidArgument.single("reference", "name the notice or index release it rests on")


class Declarations(Commands):
    def declare(
        self,
        request_id: str,
        kind: str,
        region: str,
        period_text: str,
        amounts: dict[str, int],
        reference: str,
        declared_by: str,
    ) -> Declaration:
        validate_together(
            request_id_check(request_id),
            lambda: _kind(kind),
            lambda: _county(region),
            lambda: Period.parse(period_text, field="period"),
            lambda: _reference(reference),
            lambda: check_amounts(DerivedKind(kind), amounts) if kind in DerivedKind.__members__ else None,
        )
        derived = DerivedKind(kind)
        period = Period.parse(period_text)

        def perform(session: Session, now: datetime, after: AfterCommit) -> tuple[str, Declaration]:
            same_month = [d for d in store.declarations_of(session, region, derived) if d.period == period]
            if same_month:
                raise AlreadyExists(
                    f"{derived.value} is already declared for {region} in {period} "
                    f"({same_month[0].declaration_id}); a month pays it once"
                )
            if derived is DerivedKind.ELECTRICITY and store.declarations_of(
                session, region, derived, period.year
            ):
                raise AlreadyExists(
                    f"the electricity subsidy of {period.year} is already declared for {region}"
                )
            declaration = Declaration(
                new_id("dcl"), derived, region, period, dict(amounts), reference.strip(), declared_by, now
            )
            store.insert_declaration(session, declaration)
            self.persistence.outbox.add(
                session,
                topic=events.TOPIC_PAYROLL,
                subject_key=declaration.declaration_id,
                payload=events.declared(declaration),
                causation_id=request_id,
            )
            return declaration.declaration_id, declaration

        def replay(session: Session, declaration_id: str) -> Declaration:
            found = store.get_declaration(session, declaration_id)
            if found is None:
                raise NotFound(f"no declaration {declaration_id!r}")
            return found

        return self.once(
            "DeclareDerivedPayment",
            request_id,
            fingerprint_of(kind, region, str(period), sorted(amounts.items()), reference.strip()),
            perform,
            replay,
        )

    def of_region(
        self, region: str, *, after: str | None = None, limit: int | None = None
    ) -> list[Declaration]:
        """The county's declarations, newest month first, from after the key ``after`` (a page token's)."""
        validate_together(lambda: _county(region))
        position = parse_declaration_key(after) if after is not None else None
        with self.persistence.database.read() as session:
            return store.declarations_of(session, region, after=position, limit=limit)
