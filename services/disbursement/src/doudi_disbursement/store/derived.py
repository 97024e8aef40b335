"""Arrears owed, overpayments and their offsets; queries never commit."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from doudi_common.period import Period
from doudi_disbursement.domain.derived import Declaration, DerivedKind
from doudi_disbursement.domain.recovery import OpenBalance
from doudi_disbursement.domain.runs import RunState
from doudi_disbursement.store import bulk
from doudi_disbursement.store.tables import (
    arrears,
    derived_declarations,
    derived_persons,
    month_adjustments,
    overpayments,
    paid_ahead_rechecks,
    payments,
    recoveries,
    repayments,
    roster,
    runs,
)


def insert_once(session: Session, table: Any, rows: list[dict[str, Any]], keys: list[str]) -> int:
    """Insert the rows whose ``keys`` are new; returns how many were."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return int(session.execute(statement.on_conflict_do_nothing(index_elements=keys), rows).rowcount or 0)


# -- arrears ----------------------------------------------------------------------------------------


def record_arrears(
    session: Session, entitlement_id: str, owed: dict[str, tuple[Period, int]], reason: str, now: datetime
) -> int:
    """``owed`` maps an ARREARS payment key to its month and amount; a key already recorded is kept."""
    rows = [
        {
            "idempotency_key": key,
            "entitlement_id": entitlement_id,
            "period": str(period),
            "amount_fen": amount,
            "reason": reason,
            "recorded_at": now,
        }
        for key, (period, amount) in owed.items()
    ]
    return insert_once(session, arrears, rows, ["idempotency_key"])


def arrears_keys(session: Session, keys: Iterable[str]) -> set[str]:
    """Which of these ARREARS payment keys are owed already (paid or not)."""
    wanted = list(keys)
    if not wanted:
        return set()
    found = select(arrears.c.idempotency_key).where(bulk.one_of(session, arrears.c.idempotency_key, wanted))
    return set(session.execute(found).scalars())


def unpaid(session: Session, table: Any, entitlement_ids: Iterable[str], up_to: Period) -> list[Any]:
    """Lines owed in ``table`` (arrears, exit bonuses) of these entitlements for months up to ``up_to``
    that no payment carries yet."""
    ids = list(entitlement_ids)
    if not ids:
        return []
    paid = select(payments.c.idempotency_key)
    return list(
        session.execute(
            select(table)
            .where(
                bulk.one_of(session, table.c.entitlement_id, ids),
                table.c.period <= str(up_to),
                table.c.idempotency_key.not_in(paid),
            )
            .order_by(table.c.entitlement_id, table.c.period)
        ).all()
    )


def any_unpaid_within(session: Session, table: Any, township: str, up_to: Period) -> bool:
    """Whether ``table`` (arrears, exit bonuses) owes any line for months up to ``up_to`` to an entitlement
    on the township's roster that no payment carries yet: one look per shard, so that its pages ask
    :func:`unpaid` only when something is owed."""
    carried = select(payments.c.idempotency_key).where(payments.c.idempotency_key == table.c.idempotency_key)
    owed = (
        select(table.c.idempotency_key)
        .join(roster, roster.c.entitlement_id == table.c.entitlement_id)
        .where(roster.c.township == township, table.c.period <= str(up_to), ~carried.exists())
        .limit(1)
    )
    return session.execute(owed).first() is not None


def arrears_unpaid(session: Session, entitlement_ids: Iterable[str], up_to: Period) -> list[Any]:
    """Arrears of these entitlements for months up to ``up_to`` that no payment carries yet."""
    return unpaid(session, arrears, entitlement_ids, up_to)


# -- overpayments -----------------------------------------------------------------------------------


def insert_overpayment(session: Session, values: dict[str, Any]) -> None:
    session.execute(insert(overpayments).values(**values))


def adjusted_since(session: Session, entitlement_id: str, first: Period) -> dict[Period, int]:
    """What earlier changes found each of the entitlement's months from ``first`` on overpaid (positive) or
    owed (negative), in all."""
    rows = session.execute(
        select(month_adjustments.c.period, func.sum(month_adjustments.c.amount_fen))
        .where(month_adjustments.c.entitlement_id == entitlement_id, month_adjustments.c.period >= str(first))
        .group_by(month_adjustments.c.period)
    ).all()
    return {Period.parse(period): int(amount) for period, amount in rows}


def record_adjustments(
    session: Session, entitlement_id: str, references: Mapping[Period, str], amounts: Mapping[Period, int]
) -> None:
    """Each month's adjustment (overpaid positive, owed negative) under what recorded it."""
    session.execute(
        insert(month_adjustments),
        [
            {
                "entitlement_id": entitlement_id,
                "period": str(month),
                "reference": references[month],
                "amount_fen": amount,
            }
            for month, amount in amounts.items()
        ],
    )


def add_rechecks(
    session: Session, run_ids: Iterable[str], entitlement_id: str, first: Period, change: str, cause: str
) -> None:
    rows = [
        {
            "run_id": run_id,
            "entitlement_id": entitlement_id,
            "cause": cause,
            "first_period": str(first),
            "change": change,
        }
        for run_id in run_ids
    ]
    insert_once(session, paid_ahead_rechecks, rows, ["run_id", "entitlement_id", "cause"])


def rechecks_of(session: Session, run_id: str) -> list[Any]:
    return list(
        session.execute(
            select(paid_ahead_rechecks)
            .where(paid_ahead_rechecks.c.run_id == run_id)
            .order_by(paid_ahead_rechecks.c.entitlement_id, paid_ahead_rechecks.c.cause)
        ).all()
    )


def drop_rechecks(session: Session, run_id: str) -> None:
    session.execute(delete(paid_ahead_rechecks).where(paid_ahead_rechecks.c.run_id == run_id))


def get_overpayment(session: Session, overpayment_id: str) -> Any:
    return session.execute(
        select(overpayments).where(overpayments.c.overpayment_id == overpayment_id)
    ).one_or_none()


def overpayments_of(session: Session, beneficiary_id: str) -> list[Any]:
    return list(
        session.execute(
            select(overpayments)
            .where(overpayments.c.beneficiary_id == beneficiary_id)
            .order_by(overpayments.c.recorded_at, overpayments.c.overpayment_id)
        ).all()
    )


def offsets_of(session: Session, overpayment_id: str) -> list[Any]:
    """The live offsets of an overpayment (payment id, month, part, run), oldest month first."""
    return list(
        session.execute(
            select(
                payments.c.payment_id,
                payments.c.period,
                payments.c.run_id,
                recoveries.c.amount_fen,
            )
            .join(payments, payments.c.idempotency_key == recoveries.c.payment_key)
            .where(recoveries.c.overpayment_id == overpayment_id)
            .order_by(payments.c.period, payments.c.payment_id)
        ).all()
    )


def recovered_fen(session: Session, overpayment_ids: Iterable[str]) -> dict[str, int]:
    ids = list(overpayment_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(recoveries.c.overpayment_id, func.sum(recoveries.c.amount_fen))
        .join(payments, payments.c.idempotency_key == recoveries.c.payment_key)
        .where(recoveries.c.overpayment_id.in_(ids))
        .group_by(recoveries.c.overpayment_id)
    ).all()
    return {row[0]: int(row[1]) for row in rows}


def repaid_fen(session: Session, overpayment_ids: Iterable[str]) -> dict[str, int]:
    ids = list(overpayment_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(repayments.c.overpayment_id, func.sum(repayments.c.amount_fen))
        .where(repayments.c.overpayment_id.in_(ids))
        .group_by(repayments.c.overpayment_id)
    ).all()
    return {row[0]: int(row[1]) for row in rows}


def insert_repayment(session: Session, values: dict[str, Any]) -> None:
    session.execute(insert(repayments).values(**values))


def lock_overpayment(session: Session, overpayment_id: str) -> Any:
    return session.execute(
        select(overpayments).where(overpayments.c.overpayment_id == overpayment_id).with_for_update()
    ).one_or_none()


def open_balances(
    session: Session, beneficiary_ids: Iterable[str]
) -> dict[tuple[str, str], list[OpenBalance]]:
    """(beneficiary, programme) → what each overpayment still owes, oldest first. The rows are locked, so
    two runs generated at once cannot both offset the same balance."""
    ids = list(beneficiary_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(overpayments)
        .where(bulk.one_of(session, overpayments.c.beneficiary_id, ids))
        .order_by(overpayments.c.recorded_at, overpayments.c.overpayment_id)
        .with_for_update()
    ).all()
    ids = [r.overpayment_id for r in rows]
    recovered, repaid = recovered_fen(session, ids), repaid_fen(session, ids)
    found: dict[tuple[str, str], list[OpenBalance]] = {}
    for row in rows:
        left = int(row.amount_fen) - recovered.get(row.overpayment_id, 0) - repaid.get(row.overpayment_id, 0)
        if left > 0:
            found.setdefault((row.beneficiary_id, row.programme), []).append(
                OpenBalance(row.overpayment_id, left)
            )
    return found


def any_overpayment_within(session: Session, township: str) -> bool:
    """Whether any overpayment, open or not, is recorded for a beneficiary and programme on the township's
    roster: one look per shard, so that its pages ask :func:`open_balances` only when one may be open."""
    if session.execute(select(overpayments.c.overpayment_id).limit(1)).first() is None:
        return False
    found = (
        select(overpayments.c.overpayment_id)
        .join(
            roster,
            and_(
                roster.c.beneficiary_id == overpayments.c.beneficiary_id,
                roster.c.programme == overpayments.c.programme,
            ),
        )
        .where(roster.c.township == township)
        .limit(1)
    )
    return session.execute(found).first() is not None


def record_recoveries(session: Session, payment_key: str, taken: list[tuple[str, int]]) -> None:
    rows = [{"payment_key": payment_key, "overpayment_id": o, "amount_fen": fen} for o, fen in taken]
    insert_once(session, recoveries, rows, ["payment_key", "overpayment_id"])


# -- derived payment declarations -------------------------------------------------------------------


def _declaration(row: Any) -> Declaration:
    return Declaration(
        declaration_id=row.declaration_id,
        kind=DerivedKind(row.kind),
        region=row.region,
        period=Period.parse(row.period),
        amounts={str(k): int(v) for k, v in json.loads(row.amounts).items()},
        reference=row.reference,
        declared_by=row.declared_by,
        declared_at=row.declared_at,
    )


def insert_declaration(session: Session, declaration: Declaration) -> None:
    session.execute(
        insert(derived_declarations).values(
            declaration_id=declaration.declaration_id,
            kind=declaration.kind.value,
            region=declaration.region,
            period=str(declaration.period),
            amounts=json.dumps(dict(sorted(declaration.amounts.items()))),
            reference=declaration.reference,
            declared_by=declaration.declared_by,
            declared_at=declaration.declared_at,
        )
    )


def get_declaration(session: Session, declaration_id: str) -> Declaration | None:
    row = session.execute(
        select(derived_declarations).where(derived_declarations.c.declaration_id == declaration_id)
    ).one_or_none()
    return None if row is None else _declaration(row)


def declarations_of(
    session: Session,
    region: str,
    kind: DerivedKind | None = None,
    year: int | None = None,
    *,
    after: tuple[str, str] | None = None,
    limit: int | None = None,
) -> list[Declaration]:
    """Newest month first, then by kind; ``after`` is the (period, kind) the previous page ended on."""
    table = derived_declarations
    query = select(table).where(table.c.region == region)
    if after is not None:
        period, last_kind = after
        query = query.where(
            or_(table.c.period < period, and_(table.c.period == period, table.c.kind > last_kind))
        )
    if limit is not None:
        query = query.limit(limit)
    if kind is not None:
        query = query.where(derived_declarations.c.kind == kind.value)
    if year is not None:
        query = query.where(derived_declarations.c.period.startswith(f"{year:04d}-"))
    rows = session.execute(
        query.order_by(derived_declarations.c.period.desc(), derived_declarations.c.kind)
    ).all()
    return [_declaration(row) for row in rows]


#: Runs whose lines are generated and not withdrawn.
_GENERATED = [
    s.value for s in (RunState.AWAITING_APPROVAL, RunState.HELD, RunState.RELEASED, RunState.CLOSED)
]


def declarations_due(session: Session, run_id: str, region: str, period: Period) -> list[Declaration]:
    """The county's declarations a run pays: for its month or an earlier one, unless another run, opened
    after the declaration for that month or a later one, has already generated its lines."""
    d = derived_declarations
    covered = exists().where(
        and_(
            runs.c.region == d.c.region,
            runs.c.run_id != run_id,
            runs.c.period >= d.c.period,
            runs.c.created_at > d.c.declared_at,
            runs.c.state.in_(_GENERATED),
        )
    )
    rows = session.execute(
        select(d)
        .where(d.c.region == region, d.c.period <= str(period), ~covered)
        .order_by(d.c.period, d.c.kind)
    ).all()
    return [_declaration(row) for row in rows]


# -- persons a per-person line paid for --------------------------------------------------------------------


def persons_paid(
    session: Session, kind: DerivedKind, within: str, person_keys: Iterable[str]
) -> dict[str, str]:
    """Person key → the line that already paid ``kind`` for the person (or the person's household) ``within``
    the month or year :func:`doudi_disbursement.domain.derived.paid_within` names (in any run)."""
    wanted = sorted(set(person_keys))
    paid: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(derived_persons.c.person_key, derived_persons.c.payment_key).where(
                derived_persons.c.kind == kind.value,
                derived_persons.c.period == within,
                derived_persons.c.person_key.in_(wanted[start : start + 500]),
            )
        ).all()
        paid.update({row.person_key: row.payment_key for row in rows})
    return paid


def record_persons_paid(
    session: Session, kind: DerivedKind, within: str, payment_key: str, person_keys: Iterable[str]
) -> None:
    """The persons a line pays for (for the electricity subsidy, the household's members). A person another
    line already paid for ``within`` the same month (or year) is refused by the table's key, failing the
    page's transaction: money for a person, or a household, never moves twice."""
    rows = [
        {"kind": kind.value, "period": within, "person_key": key, "payment_key": payment_key}
        for key in sorted(set(person_keys))
    ]
    if rows:
        session.execute(insert(derived_persons), rows)
