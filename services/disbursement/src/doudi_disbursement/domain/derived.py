"""Derived payments (DOMAIN §5.7, §11.2 step 3): the price subsidy, one-off subsidies and the yearly
electricity subsidy, declared by the county for a month and paid once per beneficiary for that month.

Each is a line with its own identity (beneficiary, programme, declared month, component), so a declaration
heard twice, a run generated again, or a supplementary payment in a later run never pays it twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from doudi_common.errors import InvalidArgument
from doudi_common.period import Period
from doudi_disbursement.domain.payments import PaymentLine
from doudi_disbursement.domain.roster import RosterEntry


class DerivedKind(StrEnum):
    PRICE_SUBSIDY = "PRICE_SUBSIDY"
    ONE_OFF = "ONE_OFF"
    ELECTRICITY = "ELECTRICITY"


#: Who may receive each kind (§5.7): the price subsidy goes to Dibao and Tekun recipients and, since 2021,
#: orphans and de facto unsupported children; one-off batches to active Dibao and Tekun recipients; the
#: electricity subsidy to each Dibao or Tekun (五保) household.
ELIGIBLE: Mapping[DerivedKind, frozenset[str]] = {
    DerivedKind.PRICE_SUBSIDY: frozenset(
        {"DIBAO", "SINGLE_PERSON_DIBAO", "TEKUN", "ORPHAN_ALLOWANCE", "UNSUPPORTED_CHILD_ALLOWANCE"}
    ),
    DerivedKind.ONE_OFF: frozenset({"DIBAO", "SINGLE_PERSON_DIBAO", "TEKUN"}),
    DerivedKind.ELECTRICITY: frozenset({"DIBAO", "TEKUN"}),
}
#: Programmes whose entitlement covers a household; the others cover one person.
HOUSEHOLD_PROGRAMMES = frozenset({"DIBAO"})
#: Kinds paid once a year (§5.7: the electricity subsidy once per household and year); the rest once a month.
YEARLY = frozenset({DerivedKind.ELECTRICITY})


def paid_within(kind: DerivedKind, period: Period) -> str:
    """The span within which ``kind`` is paid once for a person or a household eligibility named: the
    declared month, or its year for a yearly kind (whichever month the county declares it for)."""
    return f"{period.year:04d}" if kind in YEARLY else str(period)


@dataclass(frozen=True)
class Declaration:
    declaration_id: str
    kind: DerivedKind
    region: str
    period: Period
    #: programme → fen, per person for the price subsidy, per beneficiary otherwise.
    amounts: Mapping[str, int]
    reference: str
    declared_by: str
    declared_at: datetime


def check_amounts(kind: DerivedKind, amounts: Mapping[str, int]) -> None:
    """Every amount positive and every programme one that may receive ``kind``."""
    if not amounts:
        raise InvalidArgument.single("amounts", "name at least one programme and its amount")
    for programme, fen in amounts.items():
        if programme not in ELIGIBLE[kind]:
            raise InvalidArgument.single(
                "amounts", f"{programme} does not receive {kind.value} (DOMAIN §5.7)"
            )
        if fen <= 0:
            raise InvalidArgument.single("amounts", f"the amount for {programme} must be positive")


def persons_paid(entry: RosterEntry, kind: DerivedKind) -> int:
    """How many times the amount is paid: per covered person for the price subsidy (0 when a household's
    size is unknown, so nothing is guessed), once otherwise. An entry whose persons eligibility named by key
    is paid for the persons :func:`doudi_disbursement.domain.price_subsidy.persons_to_pay` leaves it."""
    if kind is not DerivedKind.PRICE_SUBSIDY:
        return 1
    if entry.person_keys:
        return len(entry.covered())
    if entry.programme in HOUSEHOLD_PROGRAMMES:
        return entry.persons
    return 1


def persons_among(entry: RosterEntry, keys: Sequence[str]) -> int:
    """How many of the entry's covered persons have a key among ``keys``."""
    wanted = set(keys)
    return sum(1 for person in entry.covered() if wanted.intersection(person))


def derived_line(
    entry: RosterEntry, declaration: Declaration, paid_for: Sequence[str] | None = None
) -> PaymentLine | None:
    """The line ``entry`` receives from ``declaration``: only if its programme is listed and it was paying
    in the declared month (the snapshot of §11.2 step 1). ``paid_for``, when given, are the keys of the
    persons a per-person payment pays for (no line when none is left); a person is paid for once however
    many of the person's keys are among them."""
    per_unit = declaration.amounts.get(entry.programme)
    if not per_unit or not entry.amounts_for(declaration.period):
        return None
    times = persons_among(entry, paid_for) if paid_for is not None else persons_paid(entry, declaration.kind)
    if times <= 0:
        return None
    return PaymentLine(
        beneficiary_id=entry.beneficiary_id,
        programme=entry.programme,
        period=declaration.period,
        component=declaration.kind.value,
        amount_fen=per_unit * times,
        entitlement_id=entry.entitlement_id,
        township=entry.township,
        payee_name=entry.payee_name,
        payee_account=entry.payee_account,
    )


def declaration_key(declaration: Declaration) -> str:
    """A declaration's place in a county's list (newest month first, then kind), as a page token keeps it."""
    return f"{declaration.period}|{declaration.kind.value}"


def parse_declaration_key(text: str) -> tuple[str, str]:
    """The (period, kind) a page token's key names; a key this service did not issue is the caller's error."""
    period, _, kind = text.partition("|")
    try:
        Period.parse(period)
        DerivedKind(kind)
    except (InvalidArgument, ValueError):
        raise InvalidArgument.single("page.page_token", "is not a token this service issued") from None
    return period, kind
