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

#: Programmes on the publication list: households (DOMAIN §11.5 publishes the applicant, the number of
#: members and the amount). A Tekun beneficiary, an orphan or a child may be a minor, who is never published,
#: and the roster does not say who is one: their programmes are left off rather than risk it.
PUBLISHED_PROGRAMMES = frozenset({"DIBAO", "SINGLE_PERSON_DIBAO"})


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


def published(entry: RosterEntry, period: Period) -> Published | None:
    """The entry as the month's publication list shows it, or None when it is not on it (another
    programme, or nothing due that month). Only the masked name, the persons and the amount are shown."""
    if entry.programme not in PUBLISHED_PROGRAMMES:
        return None
    amounts = entry.amounts_for(period)
    if not amounts:
        return None
    return Published(
        entry.entitlement_id,
        mask_name(entry.payee_name),
        entry.persons,
        sum(amounts.values()),
        entry.township,
        entry.programme,
    )
