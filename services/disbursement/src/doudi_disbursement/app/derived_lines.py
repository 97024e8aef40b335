"""The lines of one roster page for a run: the monthly amounts, arrears and exit bonuses still owed, declared
derived payments (the price subsidy once per person and month, the electricity subsidy once per household and
year), and the month's offset of any open overpayment (DOMAIN §11.2 steps 2–3, §5.7, §11.4, §5.1.6)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from prometheus_client import Counter
from sqlalchemy.orm import Session

from doudi_common.parameters import ParameterError
from doudi_common.period import Period
from doudi_common.region import RegionCode
from doudi_disbursement.domain.arrears import ARREARS
from doudi_disbursement.domain.derived import (
    Declaration,
    DerivedKind,
    derived_line,
    paid_within,
    persons_paid,
)
from doudi_disbursement.domain.electricity import households_to_pay
from doudi_disbursement.domain.exit_bonus import exit_bonus_line
from doudi_disbursement.domain.payments import PaymentLine, idempotency_key, lines_for
from doudi_disbursement.domain.price_subsidy import line_key, persons_to_pay, receives
from doudi_disbursement.domain.recovery import RECOVERY, recovery_line
from doudi_disbursement.domain.roster import RosterEntry
from doudi_disbursement.domain.runs import Run
from doudi_disbursement.store import derived as store
from doudi_disbursement.store import exit_bonuses as bonus_store
from doudi_disbursement.store import payroll as payroll_store
from doudi_disbursement.store.tables import arrears as arrears_table
from doudi_disbursement.store.tables import exit_bonuses as exit_bonuses_table

log = logging.getLogger(__name__)
UNKNOWN_SIZE = Counter(
    "doudi_disbursement_derived_unknown_household_size_total",
    "Per-person derived lines not generated because a household's size was not given.",
)
#: The most of a month's payment an offset may take, for a township and month (a parameter).
MaxShare = Callable[[str, Period], Fraction]
#: Per-person (per-household) derived payment key → (kind, the month or year it is paid within, the persons it
#: pays for).
PersonsPaid = dict[str, tuple[DerivedKind, str, tuple[str, ...]]]


@dataclass(frozen=True)
class ShardDue:
    """What a shard's pages may owe beyond the monthly amounts, looked up once when the shard is taken: the
    declarations the run pays, and whether any arrears, exit bonus or overpayment concerns the township's
    roster at all (most pages of most months have none, and need not ask). Something recorded after the
    look is paid by the next run, as if recorded after the page."""

    declarations: list[Declaration]
    arrears: bool = True
    exit_bonuses: bool = True
    overpayments: bool = True


def shard_due(session: Session, run: Run, township: str) -> ShardDue:
    return ShardDue(
        declarations=store.declarations_due(session, run.run_id, run.region, run.period),
        arrears=store.any_unpaid_within(session, arrears_table, township, run.period),
        exit_bonuses=store.any_unpaid_within(session, exit_bonuses_table, township, run.period),
        overpayments=store.any_overpayment_within(session, township),
    )


@dataclass(frozen=True)
class PageLines:
    lines: list[PaymentLine]
    #: RECOVERY payment key → the overpayments it recovers and how much of each.
    recoveries: dict[str, list[tuple[str, int]]]
    #: Per-person (per-household) derived payment key → (kind, month or year, the persons it pays for).
    persons: PersonsPaid = field(default_factory=dict)


def _arrears_lines(session: Session, page: Sequence[RosterEntry], period: Period) -> list[PaymentLine]:
    entries = {entry.entitlement_id: entry for entry in page}
    lines = []
    for row in store.arrears_unpaid(session, entries, period):
        entry = entries[row.entitlement_id]
        lines.append(
            PaymentLine(
                beneficiary_id=entry.beneficiary_id,
                programme=entry.programme,
                period=Period.parse(row.period),
                component=ARREARS,
                amount_fen=int(row.amount_fen),
                entitlement_id=entry.entitlement_id,
                township=entry.township,
                payee_name=entry.payee_name,
                payee_account=entry.payee_account,
            )
        )
    return lines


def _exit_bonus_lines(session: Session, page: Sequence[RosterEntry], period: Period) -> list[PaymentLine]:
    entries = {entry.entitlement_id: entry for entry in page}
    return [
        exit_bonus_line(entries[row.entitlement_id], Period.parse(row.period), int(row.amount_fen))
        for row in bonus_store.exit_bonuses_unpaid(session, entries, period)
    ]


def _per_person_lines(
    session: Session, page: Sequence[RosterEntry], declaration: Declaration, region: str, persons: PersonsPaid
) -> list[PaymentLine]:
    """The price subsidy of the page's entries whose persons eligibility named: once per person and month,
    whichever entitlements count the person (DOMAIN §5.7, §5.8). A line generated before keeps what it
    paid."""
    keyed = [entry for entry in page if entry.person_keys and receives(entry, declaration)]
    if not keyed:
        return []
    generated = payroll_store.existing_keys(session, [line_key(entry, declaration) for entry in keyed])
    fresh = [entry for entry in keyed if line_key(entry, declaration) not in generated]
    wanted = {key for entry in fresh for key in entry.person_keys}
    if not wanted:
        return []
    covering = payroll_store.roster_covering(session, wanted, RegionCode(region).prefix)
    rivals_paid = payroll_store.existing_keys(session, [line_key(rival, declaration) for rival in covering])
    rivals = [rival for rival in covering if line_key(rival, declaration) not in rivals_paid]
    within = paid_within(declaration.kind, declaration.period)
    paid = store.persons_paid(session, declaration.kind, within, wanted)
    lines = []
    for entry in fresh:
        paid_for = persons_to_pay(entry, declaration, rivals, paid)
        line = derived_line(entry, declaration, paid_for)
        if line is None:
            continue
        lines.append(line)
        persons[line.idempotency_key] = (declaration.kind, within, paid_for)
        paid.update(dict.fromkeys(paid_for, line.idempotency_key))
    return lines


def _sharing_household(
    session: Session, entries: Sequence[RosterEntry], declaration: Declaration, region: str
) -> list[RosterEntry]:
    """``entries`` and every roster entry receiving ``declaration`` whose household meets theirs, directly or
    through another (households are small: a few rounds)."""
    found = {entry.entitlement_id: entry for entry in entries}
    members = {key for entry in entries for key in entry.household_keys}
    asked: set[str] = set()
    while members - asked:
        ask = members - asked
        asked |= ask
        for other in payroll_store.roster_sharing_household(session, ask, RegionCode(region).prefix):
            if other.entitlement_id not in found and receives(other, declaration):
                found[other.entitlement_id] = other
                members.update(other.household_keys)
    return list(found.values())


def _household_lines(
    session: Session, page: Sequence[RosterEntry], declaration: Declaration, region: str, persons: PersonsPaid
) -> list[PaymentLine]:
    """The electricity subsidy of the page's entries whose household eligibility named: once per household
    and year, whichever entitlements the household holds (DOMAIN §5.7, §5.8). A line generated before keeps
    what it paid."""
    keyed = [entry for entry in page if entry.household_keys and receives(entry, declaration)]
    if not keyed:
        return []
    generated = payroll_store.existing_keys(session, [line_key(entry, declaration) for entry in keyed])
    fresh = [entry for entry in keyed if line_key(entry, declaration) not in generated]
    if not fresh:
        return []
    sharing = _sharing_household(session, fresh, declaration, region)
    made = payroll_store.existing_keys(session, [line_key(entry, declaration) for entry in sharing])
    within = paid_within(declaration.kind, declaration.period)
    members = {key for entry in sharing for key in entry.household_keys}
    paid = store.persons_paid(session, declaration.kind, within, members)
    for key, (kind, span, paid_for) in persons.items():  # this page's lines for an earlier declaration
        if kind is declaration.kind and span == within:
            paid.update(dict.fromkeys(paid_for, key))
    paying = households_to_pay(sharing, declaration, paid, made)
    lines = []
    for entry in fresh:
        paid_for = paying.get(entry.entitlement_id)
        line = derived_line(entry, declaration) if paid_for else None
        if line is None:
            continue
        lines.append(line)
        persons[line.idempotency_key] = (declaration.kind, within, paid_for or ())
    return lines


def _declared_lines(
    session: Session,
    page: Sequence[RosterEntry],
    run: Run,
    declarations: Sequence[Declaration],
    persons: PersonsPaid,
) -> list[PaymentLine]:
    lines = []
    for declaration in declarations:
        if declaration.kind is DerivedKind.PRICE_SUBSIDY:
            lines.extend(_per_person_lines(session, page, declaration, run.region, persons))
        if declaration.kind is DerivedKind.ELECTRICITY:
            lines.extend(_household_lines(session, page, declaration, run.region, persons))
        for entry in page:
            if declaration.kind is DerivedKind.PRICE_SUBSIDY and entry.person_keys:
                continue
            if declaration.kind is DerivedKind.ELECTRICITY and entry.household_keys:
                continue
            line = derived_line(entry, declaration)
            if line is not None:
                lines.append(line)
            elif (
                declaration.amounts.get(entry.programme)
                and entry.amounts_for(declaration.period)
                and persons_paid(entry, declaration.kind) == 0
            ):
                UNKNOWN_SIZE.inc()
                log.warning(
                    "a per-person payment is not paid to a household whose size eligibility did not give",
                    extra={"entitlement": entry.entitlement_id, "declaration": declaration.declaration_id},
                )
    return lines


def page_lines(
    session: Session,
    page: Sequence[RosterEntry],
    run: Run,
    max_share: MaxShare,
    due: ShardDue | None = None,
    monthly: list[PaymentLine] | None = None,
) -> PageLines:
    """Every line of ``run`` for one roster page; lines whose identity is already paid are dropped later
    by the store's unique key, so nothing here needs to know what earlier runs paid. ``due`` is what the
    page's shard may owe (:func:`shard_due`); without it, everything is looked up for the page. ``monthly``
    is the page's ``lines_for`` the months the run pays the township (its month, or the rest of its quarter
    for a township paid quarterly), when the caller made them already (outside its transaction): those lines
    come first, in that order, then whatever else is due."""
    if due is None:
        due = ShardDue(store.declarations_due(session, run.run_id, run.region, run.period))
    period = run.period
    if monthly is None:
        monthly = list(lines_for(page, period))
    persons: PersonsPaid = {}
    lines = list(monthly)
    if due.arrears:
        lines += _arrears_lines(session, page, period)
    if due.exit_bonuses:
        lines += _exit_bonus_lines(session, page, period)
    if due.declarations:
        lines += _declared_lines(session, page, run, due.declarations, persons)
    if not due.overpayments:
        return PageLines(lines, {}, persons)
    balances = store.open_balances(session, {entry.beneficiary_id for entry in page})
    if not balances:
        return PageLines(lines, {}, persons)
    by_payee: dict[tuple[str, str], list[PaymentLine]] = {}
    for line in monthly:
        by_payee.setdefault((line.beneficiary_id, line.programme), []).append(line)
    candidates = {
        idempotency_key(beneficiary, programme, period, RECOVERY): month
        for (beneficiary, programme), month in by_payee.items()
        if balances.get((beneficiary, programme))
    }
    # A month already generated (a worker that died after its page) keeps what it was given.
    generated = payroll_store.existing_keys(
        session, [*candidates, *(line.idempotency_key for month in candidates.values() for line in month)]
    )
    recoveries: dict[str, list[tuple[str, int]]] = {}
    for key, month in candidates.items():
        fresh = [line for line in month if line.idempotency_key not in generated]
        if key in generated or len(fresh) != len(month):
            continue
        first = month[0]
        try:
            share = max_share(first.township, period)
        except ParameterError:
            # Without its parameter no offset is taken: the month is paid in full rather than held up.
            log.error(
                "no recovery.offset.max_share is in force; the overpayment is not offset this month",
                extra={"township": first.township, "period": str(period)},
            )
            continue
        line, taken = recovery_line(month, balances[(first.beneficiary_id, first.programme)], share)
        if line is not None:
            lines.append(line)
            recoveries[line.idempotency_key] = taken
    return PageLines(lines, recoveries, persons)
