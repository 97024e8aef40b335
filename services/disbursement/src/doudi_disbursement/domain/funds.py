"""Where a month's money stands, by fund source and township (DOMAIN §11.1, §11.3), and the month's
publication list (DOMAIN §11.5). Pure: the store counts, these rules sort the counts and the roster into
what is reported and what may be published."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields

from doudi_common.masking import mask_name
from doudi_common.period import Period
from doudi_disbursement.domain.payments import PaymentState
from doudi_disbursement.domain.roster import RosterEntry

#: Which column of a summary each payment state counts in; a cancelled payment was never money.
_COLUMN = {
    PaymentState.SETTLED.value: "settled",
    PaymentState.PENDING.value: "with_bank",
    PaymentState.SUBMITTED.value: "with_bank",
    PaymentState.RETURNED.value: "returned",
    PaymentState.FAILED.value: "returned",
    PaymentState.HELD.value: "held",
}

#: Programmes on the publication list (DOMAIN §11.5 publishes the applicant, the number of members and the
#: amount): a Dibao household's, every month it is paid.
HOUSEHOLD_PROGRAMMES = frozenset({"DIBAO"})
#: A person's programmes on the list, for the months the person is an adult throughout: a minor is never
#: published, nor a person whose birth month eligibility did not name. Orphans and children without
#: support are children's programmes, never published.
PERSON_PROGRAMMES = frozenset({"SINGLE_PERSON_DIBAO", "TEKUN"})
PUBLISHED_PROGRAMMES = HOUSEHOLD_PROGRAMMES | PERSON_PROGRAMMES


@dataclass(frozen=True)
class Amounts:
    settled_fen: int = 0
    settled_count: int = 0
    with_bank_fen: int = 0
    with_bank_count: int = 0
    returned_fen: int = 0
    returned_count: int = 0
    held_fen: int = 0
    held_count: int = 0

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(Amounts)))


def _counted(state: str, count: int, fen: int) -> Amounts:
    column = _COLUMN.get(state)
    if column is None:
        return Amounts()
    return Amounts(**{f"{column}_fen": fen, f"{column}_count": count})


@dataclass(frozen=True)
class FundLine:
    programme: str
    township: str
    amounts: Amounts


def fund_lines(counted: Iterable[tuple[str, str, str, int, int]]) -> list[FundLine]:
    """(programme, township, state, count, fen) counts → one line per programme and township, in township
    then programme order."""
    lines: dict[tuple[str, str], Amounts] = {}
    for programme, township, state, count, fen in counted:
        key = (township, programme)
        lines[key] = lines.get(key, Amounts()) + _counted(state, int(count), int(fen))
    return [FundLine(programme, place, amounts) for (place, programme), amounts in sorted(lines.items())]


def total(lines: Iterable[FundLine]) -> Amounts:
    summed = Amounts()
    for line in lines:
        summed += line.amounts
    return summed


@dataclass(frozen=True)
class Published:
    entitlement_id: str
    masked_name: str
    persons: int
    monthly_amount_fen: int
    township: str
    programme: str


def published(entry: RosterEntry, period: Period, adult_age: int) -> Published | None:
    """The entry as the month's publication list shows it, or None when it is not on it (another
    programme, a person not known to be an adult all month — ``adult_age``, the parameter
    ``child.adult_age`` — or nothing due that month). Only the masked name, the persons and the amount
    are shown."""
    persons = entry.persons
    if entry.programme in PERSON_PROGRAMMES:
        if not entry.adult_throughout(period, adult_age):
            return None
        persons = 1  # a person's entitlement, whatever an older event said it covered
    elif entry.programme not in HOUSEHOLD_PROGRAMMES:
        return None
    amounts = entry.amounts_for(period)
    if not amounts:
        return None
    return Published(
        entry.entitlement_id,
        mask_name(entry.payee_name),
        persons,
        sum(amounts.values()),
        entry.township,
        entry.programme,
    )
