"""Reading and writing the roster, runs, shards, payments and bank batches; queries never commit."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import (
    and_,
    case,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from doudi_common.ids import new_ids
from doudi_common.period import Period
from doudi_disbursement.domain.batches import UNBATCHED
from doudi_disbursement.domain.payments import NO_ACCOUNT_REASON, PaymentLine, PaymentState, without_account
from doudi_disbursement.domain.roster import AmountChange, RosterEntry
from doudi_disbursement.domain.runs import PAID_OUT, UNRELEASED, Run, RunState, Totals
from doudi_disbursement.store import bulk
from doudi_disbursement.store.payee_sealing import ACCOUNT_CONTEXT, NAME_CONTEXT, Carried, as_stored, opened
from doudi_disbursement.store.tables import (
    TO_RESOLVE_WHERE,
    bank_batches,
    derived_persons,
    payments,
    recoveries,
    roster,
    roster_households,
    roster_persons,
    run_shards,
    runs,
)

#: A bank batch's states: declared when its shard is generated, released with its run, sent, and
#: reconciled once the bank has answered for every payment in it.
PLANNED, FORMED, SUBMITTED, RECONCILED = "PLANNED", "FORMED", "SUBMITTED", "RECONCILED"

#: A payment in a batch keeps PENDING in its row while the batch goes to the bank, and takes the batch's
#: state: SUBMITTED once it is sent, SETTLED once the bank has answered for all of it. Only an answer of its
#: own (returned, failed, or settled while others in the batch still wait) is written to the payment, so a
#: month of payments is written once and only its exceptions again.
_BATCH = bank_batches.alias("batch")
_FOLLOWS_BATCH = payments.c.state == PaymentState.PENDING.value
PAYMENT_STATE = case(
    (and_(_FOLLOWS_BATCH, _BATCH.c.state == SUBMITTED), PaymentState.SUBMITTED.value),
    (and_(_FOLLOWS_BATCH, _BATCH.c.state == RECONCILED), PaymentState.SETTLED.value),
    else_=payments.c.state,
)
_PAYMENT_COLUMNS = [PAYMENT_STATE.label("state") if c.name == "state" else c for c in payments.c]
_WITH_BATCH = payments.outerjoin(_BATCH, _BATCH.c.batch_request_id == payments.c.batch_request_id)


def _payment_rows() -> Any:
    """Payment rows as callers see them: every column, the state as the payment's batch makes it."""
    return select(*_PAYMENT_COLUMNS).select_from(_WITH_BATCH)


def _roster_body(entry: RosterEntry) -> str:
    body: dict[str, Any] = {
        "start": str(entry.start),
        "last": str(entry.last) if entry.last else None,
        "suspended_from": str(entry.suspended_from) if entry.suspended_from else None,
        "persons": entry.persons,
        "person_keys": list(entry.person_keys),
        "person_digests": entry.person_digests,
        "household_keys": list(entry.household_keys),
        "changes": [
            {"from": str(c.from_period), "components": dict(c.components), "reason": c.reason}
            for c in entry.changes
        ],
    }
    if entry.birth_month is not None:
        body["birth_month"] = str(entry.birth_month)
    return orjson.dumps(body).decode()


@lru_cache(maxsize=4096)
def _period(text: str) -> Period:
    """Months repeat across the roster: each is parsed once (a Period is immutable, so it is shared)."""
    return Period.parse(text)


def _roster_from_row(row: Any) -> RosterEntry:
    return _roster_entry(
        row.entitlement_id,
        row.beneficiary_id,
        row.programme,
        row.township,
        row.payee_name,
        row.payee_account,
        row.body,
    )


def _roster_entry(
    entitlement_id: str,
    beneficiary_id: str,
    programme: str,
    township: str,
    payee_name: str,
    payee_account: str,
    body_text: str,
) -> RosterEntry:
    body = orjson.loads(body_text)
    last, suspended_from = body["last"], body["suspended_from"]
    return RosterEntry(
        entitlement_id,
        beneficiary_id,
        programme,
        township,
        payee_name,
        payee_account,
        _period(body["start"]),
        tuple(
            [
                AmountChange(_period(c["from"]), tuple(sorted(c["components"].items())), c["reason"])
                for c in body["changes"]
            ]
        ),
        _period(last) if last else None,
        _period(suspended_from) if suspended_from else None,
        int(body.get("persons", 0)),
        tuple(body.get("person_keys", ())),
        tuple(body.get("household_keys", ())),
        int(body.get("person_digests", 1)),
        _period(body["birth_month"]) if "birth_month" in body else None,
    )


#: What a roster entry is made of (its ``updated_at`` is not), for generating payments: the payee comes as
#: stored, sealed, taken as :class:`Carried`, and goes onto the payment so (the payments seal it in the same
#: context).
_ROSTER_ENTRY = (
    roster.c.entitlement_id,
    roster.c.beneficiary_id,
    roster.c.programme,
    roster.c.township,
    as_stored(roster.c.payee_name),
    as_stored(roster.c.payee_account),
    roster.c.body,
)

#: A roster entry as the publication list reads it: the name opened by its column, the account as stored.
_PUBLISHED_ENTRY = (
    roster.c.entitlement_id,
    roster.c.beneficiary_id,
    roster.c.programme,
    roster.c.township,
    roster.c.payee_name,
    as_stored(roster.c.payee_account),
    roster.c.body,
)


def get_roster_entry(session: Session, entitlement_id: str) -> RosterEntry | None:
    row = session.execute(select(roster).where(roster.c.entitlement_id == entitlement_id)).one_or_none()
    return None if row is None else _roster_from_row(row)


def save_roster_entry(session: Session, entry: RosterEntry, now: datetime) -> None:
    values = {
        "beneficiary_id": entry.beneficiary_id,
        "programme": entry.programme,
        "township": entry.township,
        "payee_name": entry.payee_name,
        "payee_account": entry.payee_account,
        "body": _roster_body(entry),
        "updated_at": now,
    }
    updated = session.execute(
        update(roster).where(roster.c.entitlement_id == entry.entitlement_id).values(**values)
    )
    if not updated.rowcount:
        session.execute(insert(roster).values(entitlement_id=entry.entitlement_id, **values))
    _save_keys(session, roster_persons, entry.entitlement_id, entry.person_keys)
    _save_keys(session, roster_households, entry.entitlement_id, entry.household_keys)


def _save_keys(session: Session, table: Any, entitlement_id: str, keys: Iterable[str]) -> None:
    """An index of the entry's persons (covered, or the household's members) follows what eligibility last
    named."""
    stored = {
        row.person_key
        for row in session.execute(
            select(table.c.person_key).where(table.c.entitlement_id == entitlement_id)
        ).all()
    }
    wanted = set(keys)
    if stored == wanted:
        return
    if stored - wanted:
        session.execute(
            delete(table).where(
                table.c.entitlement_id == entitlement_id,
                table.c.person_key.in_(sorted(stored - wanted)),
            )
        )
    if wanted - stored:
        session.execute(
            insert(table),
            [{"entitlement_id": entitlement_id, "person_key": key} for key in sorted(wanted - stored)],
        )


def roster_pages(session: Session, township: str, page_size: int) -> Iterator[list[RosterEntry]]:
    """A township's roster in pages (keyset on entitlement id): never the whole roster in memory. The payee's
    name and account stay sealed (:class:`Carried`), to be copied onto the payments as they are."""
    after = ""
    while True:
        rows = session.execute(
            select(*_ROSTER_ENTRY)
            .where(roster.c.township == township, roster.c.entitlement_id > after)
            .order_by(roster.c.entitlement_id)
            .limit(page_size)
        ).all()
        if not rows:
            return
        # Each row is the entry's fields in _ROSTER_ENTRY's order: unpacked, not looked up by name.
        yield [
            _roster_entry(entitlement, beneficiary, programme, place, Carried(name), Carried(account), body)
            for entitlement, beneficiary, programme, place, name, account, body in rows
        ]
        after = rows[-1].entitlement_id


def roster_covering(session: Session, person_keys: Iterable[str], region_prefix: str) -> list[RosterEntry]:
    """The roster entries within a region that count any of these persons (by eligibility's person key)."""
    return _roster_indexed(session, roster_persons, person_keys, region_prefix)


def roster_sharing_household(
    session: Session, person_keys: Iterable[str], region_prefix: str
) -> list[RosterEntry]:
    """The roster entries within a region whose household has any of these persons as a member."""
    return _roster_indexed(session, roster_households, person_keys, region_prefix)


def _roster_indexed(
    session: Session, index: Any, person_keys: Iterable[str], region_prefix: str
) -> list[RosterEntry]:
    wanted = sorted(set(person_keys))
    found: dict[str, RosterEntry] = {}
    for start in range(0, len(wanted), 500):
        covering = select(index.c.entitlement_id).where(index.c.person_key.in_(wanted[start : start + 500]))
        for row in session.execute(
            select(*_ROSTER_ENTRY).where(
                roster.c.entitlement_id.in_(covering), roster.c.township.startswith(region_prefix)
            )
        ).all():
            found.setdefault(
                row.entitlement_id,
                _roster_entry(*row[:4], Carried(row.payee_name), Carried(row.payee_account), row.body),
            )
    return [found[key] for key in sorted(found)]


def township_of(session: Session, beneficiary_id: str, programme: str) -> str | None:
    """The township that pays a beneficiary under a programme, if the roster has them."""
    row = session.execute(
        select(roster.c.township)
        .where(roster.c.beneficiary_id == beneficiary_id, roster.c.programme == programme)
        .limit(1)
    ).first()
    return None if row is None else str(row.township)


def townships_within(session: Session, region_prefix: str) -> list[str]:
    rows = session.execute(
        select(roster.c.township).where(roster.c.township.startswith(region_prefix)).distinct()
    ).all()
    return sorted(row.township for row in rows)


# -- runs -------------------------------------------------------------------------------------------


def _run_values(run: Run) -> dict[str, Any]:
    return {
        "period": str(run.period),
        "region": run.region,
        "state": run.state.value,
        "created_by": run.created_by,
        "approved_by": run.approved_by,
        "payment_count": run.payment_count,
        "total_fen": run.total_fen,
        "held_count": run.held_count,
        "held_fen": run.held_fen,
        "reissued_count": run.reissued_count,
        "reissued_fen": run.reissued_fen,
        "state_reason": run.state_reason,
        "created_at": run.created_at,
        "updated_at": run.updated_at,
    }


def _run_from_row(row: Any) -> Run:
    return Run(
        run_id=row.run_id,
        period=Period.parse(row.period),
        region=row.region,
        state=RunState(row.state),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        payment_count=row.payment_count,
        total_fen=row.total_fen,
        approved_by=row.approved_by,
        state_reason=row.state_reason,
        held_count=row.held_count,
        held_fen=row.held_fen,
        reissued_count=row.reissued_count,
        reissued_fen=row.reissued_fen,
    )


def insert_run(session: Session, run: Run, townships: Iterable[str]) -> None:
    session.execute(insert(runs).values(run_id=run.run_id, **_run_values(run)))
    rows = [
        {
            "run_id": run.run_id,
            "township": t,
            "state": "PENDING",
            "lease_until": None,
            "payment_count": 0,
            "total_fen": 0,
            "held_count": 0,
            "held_fen": 0,
            "reissued_count": 0,
            "reissued_fen": 0,
        }
        for t in townships
    ]
    if rows:
        session.execute(insert(run_shards), rows)


def save_run(session: Session, run: Run) -> None:
    session.execute(update(runs).where(runs.c.run_id == run.run_id).values(**_run_values(run)))


def get_run(session: Session, run_id: str, *, for_update: bool = False) -> Run | None:
    query = select(runs).where(runs.c.run_id == run_id)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).one_or_none()
    return None if row is None else _run_from_row(row)


def live_run(session: Session, period: Period, region: str) -> Run | None:
    row = session.execute(
        select(runs).where(
            runs.c.period == str(period), runs.c.region == region, runs.c.state != RunState.CANCELLED.value
        )
    ).one_or_none()
    return None if row is None else _run_from_row(row)


def list_runs(
    session: Session,
    region_prefix: str,
    states: Iterable[RunState],
    period: Period | None,
    after: tuple[str, str] | None,
    limit: int,
) -> list[Run]:
    """Runs of the counties within a region, newest benefit month first and, within a month, newest first
    (run ids count up as they are made); ``after`` is the (month, run id) of the last run served."""
    query = select(runs).where(runs.c.region.startswith(region_prefix))
    wanted = [state.value for state in states]
    if wanted:
        query = query.where(runs.c.state.in_(wanted))
    if period is not None:
        query = query.where(runs.c.period == str(period))
    if after is not None:
        month, run_id = after
        query = query.where(or_(runs.c.period < month, and_(runs.c.period == month, runs.c.run_id < run_id)))
    ordered = query.order_by(runs.c.period.desc(), runs.c.run_id.desc()).limit(limit)
    return [_run_from_row(row) for row in session.execute(ordered).all()]


def runs_in(session: Session, state: RunState) -> list[Run]:
    return [_run_from_row(r) for r in session.execute(select(runs).where(runs.c.state == state.value)).all()]


def shards_of(session: Session, run_id: str) -> list[Any]:
    return list(
        session.execute(
            select(run_shards).where(run_shards.c.run_id == run_id).order_by(run_shards.c.township)
        ).all()
    )


def claim_shard(session: Session, now: datetime, lease_until: datetime) -> tuple[str, str] | None:
    """A shard of a GENERATING run that nobody holds (or whose holder's lease ran out)."""
    row = session.execute(
        select(run_shards.c.run_id, run_shards.c.township)
        .join(runs, runs.c.run_id == run_shards.c.run_id)
        .where(
            runs.c.state == RunState.GENERATING.value,
            or_(
                run_shards.c.state == "PENDING",
                and_(run_shards.c.state == "CLAIMED", run_shards.c.lease_until < now),
            ),
        )
        .order_by(run_shards.c.run_id, run_shards.c.township)
        .limit(1)
        .with_for_update(skip_locked=True, of=run_shards)
    ).first()
    if row is None:
        return None
    session.execute(
        update(run_shards)
        .where(run_shards.c.run_id == row.run_id, run_shards.c.township == row.township)
        .values(state="CLAIMED", lease_until=lease_until)
    )
    return row.run_id, row.township


def _shard_lines(session: Session, run_id: str, township: str) -> list[Any]:
    """A shard's lines counted by batch and state, in one pass: (batch request id, state, count, sum)."""
    return list(
        session.execute(
            select(
                payments.c.batch_request_id,
                payments.c.state,
                func.count(),
                func.coalesce(func.sum(payments.c.amount_fen), 0),
            )
            .where(payments.c.run_id == run_id, payments.c.township == township)
            .group_by(payments.c.batch_request_id, payments.c.state)
        ).all()
    )


def _totals_of(lines: Iterable[Any]) -> Totals:
    """A shard's lines for the bank, and its held lines apart (DOMAIN §11.1: nobody is paid without an
    account, so a held line is not in what the run declares)."""
    sent, kept = [0, 0], [0, 0]
    for _batch, state, count, fen in lines:
        counted = kept if state == PaymentState.HELD.value else sent
        counted[0] += int(count)
        counted[1] += int(fen)
    return Totals(sent[0], sent[1], kept[0], kept[1])


def _shard_totals(session: Session, run_id: str, township: str) -> Totals:
    return _totals_of(_shard_lines(session, run_id, township))


def _totals_values(totals: Totals) -> dict[str, int]:
    return {
        "payment_count": totals.payment_count,
        "total_fen": totals.total_fen,
        "held_count": totals.held_count,
        "held_fen": totals.held_fen,
    }


def finish_shard(session: Session, run_id: str, township: str, now: datetime) -> None:
    """The shard is generated: its totals are counted and its batches declared (count and sum each), to be
    released to the bank with the run."""
    lines = _shard_lines(session, run_id, township)
    session.execute(
        update(run_shards)
        .where(run_shards.c.run_id == run_id, run_shards.c.township == township)
        .values(state="DONE", lease_until=None, **_totals_values(_totals_of(lines)))
    )
    session.execute(
        delete(bank_batches).where(
            bank_batches.c.run_id == run_id,
            bank_batches.c.township == township,
            bank_batches.c.state == PLANNED,
        )
    )
    declared = [
        {
            "batch_request_id": batch,
            "run_id": run_id,
            "township": township,
            "state": PLANNED,
            "bank_batch_id": "",
            "payment_count": int(count),
            "total_fen": int(fen),
            "updated_at": now,
        }
        for batch, state, count, fen in lines
        if batch != UNBATCHED and state == PaymentState.PENDING.value
    ]
    if declared:
        session.execute(insert(bank_batches), declared)


def release_batches(session: Session, run_id: str, now: datetime) -> None:
    """The run is released: its declared batches may go to the bank."""
    session.execute(
        update(bank_batches)
        .where(bank_batches.c.run_id == run_id, bank_batches.c.state == PLANNED)
        .values(state=FORMED, updated_at=now)
    )


def _sum_totals(rows: Iterable[Any]) -> Totals:
    total = Totals()
    for r in rows:
        total += _stored_totals(r)
    return total


def _stored_totals(row: Any) -> Totals:
    return Totals(
        int(row.payment_count),
        int(row.total_fen),
        int(row.held_count),
        int(row.held_fen),
        int(row.reissued_count),
        int(row.reissued_fen),
    )


def run_totals_if_generated(session: Session, run_id: str) -> Totals | None:
    """The run's control totals once every shard is done; None while some are not."""
    rows = shards_of(session, run_id)
    if any(row.state != "DONE" for row in rows):
        return None
    return _sum_totals(rows)


def recount_shards(session: Session, run_id: str, township: str) -> Totals:
    """Count a generated shard of a run not yet released again; returns the run's totals over its shards."""
    session.execute(
        update(run_shards)
        .where(run_shards.c.run_id == run_id, run_shards.c.township == township, run_shards.c.state == "DONE")
        .values(**_totals_values(_shard_totals(session, run_id, township)))
    )
    return _sum_totals(shards_of(session, run_id))


def shard_totals(session: Session, run_id: str, township: str) -> Totals | None:
    """A shard's totals as recorded (a released run's are the ones it was approved with)."""
    row = session.execute(
        select(run_shards).where(run_shards.c.run_id == run_id, run_shards.c.township == township)
    ).one_or_none()
    return None if row is None else _stored_totals(row)


def save_shard_held(session: Session, run_id: str, township: str, totals: Totals) -> None:
    """Record a shard's held lines and those re-issued after release; its control totals stay as approved."""
    session.execute(
        update(run_shards)
        .where(run_shards.c.run_id == run_id, run_shards.c.township == township)
        .values(
            held_count=totals.held_count,
            held_fen=totals.held_fen,
            reissued_count=totals.reissued_count,
            reissued_fen=totals.reissued_fen,
        )
    )


# -- payments ---------------------------------------------------------------------------------------


#: The columns that differ from one generated payment to the next, in the order the rows carry them.
_GENERATED_COLUMNS = (
    "payment_id",
    "idempotency_key",
    "entitlement_id",
    "beneficiary_id",
    "programme",
    "period",
    "component",
    "township",
    "amount_fen",
    "payee_name",
    "payee_account",
    "offsets_key",
    "batch_request_id",
)


@dataclass(frozen=True)
class Inserted:
    count: int
    #: The payments inserted HELD for want of an account, to be announced.
    held: list[str]


@dataclass(frozen=True)
class PreparedPayments:
    """The rows of a page's payments, made before the transaction that writes them (they need nothing from
    the store), so that a worker holds the store's write lock only while it writes."""

    run_id: str
    #: Rows of the ``_GENERATED_COLUMNS`` that go to the bank, PENDING in their batch.
    ready: list[tuple[Any, ...]]
    #: Rows of the payments without an account, HELD in no batch, and their ids.
    held: list[tuple[Any, ...]]
    held_ids: list[str]


def prepare_payments(
    run_id: str, lines: list[PaymentLine], batches: list[str] | None = None
) -> PreparedPayments:
    """The rows :func:`insert_prepared` writes for ``lines``. Each line goes into its bank batch (``batches``,
    parallel to ``lines``; none given: every line waits to be put in one when sent). A line without an
    account is inserted HELD with the reason (DOMAIN §11.1), in no batch, never PENDING for the bank."""
    planned = batches if batches is not None else [UNBATCHED] * len(lines)
    ready = [(line, batch) for line, batch in zip(lines, planned, strict=True) if not without_account(line)]
    missing = [(line, UNBATCHED) for line in lines if without_account(line)]
    held_ids = new_ids("pay", len(missing))
    ready_rows = _generated_rows(ready, new_ids("pay", len(ready)))
    return PreparedPayments(run_id, ready_rows, _generated_rows(missing, held_ids), held_ids)


def insert_prepared(session: Session, prepared: PreparedPayments, now: datetime) -> Inserted:
    """Insert the prepared payments whose idempotency key is new; a key already paid (in any run) is
    skipped."""
    count = _insert_rows(session, prepared.run_id, prepared.ready, now, PaymentState.PENDING, "")
    count += _insert_rows(session, prepared.run_id, prepared.held, now, PaymentState.HELD, NO_ACCOUNT_REASON)
    ids = prepared.held_ids
    held = [
        row.payment_id
        for start in range(0, len(ids), 500)
        for row in session.execute(
            select(payments.c.payment_id).where(payments.c.payment_id.in_(ids[start : start + 500]))
        ).all()
    ]
    return Inserted(count, sorted(held))


def insert_payments_once(
    session: Session,
    run_id: str,
    lines: list[PaymentLine],
    now: datetime,
    batches: list[str] | None = None,
) -> Inserted:
    """Insert the lines whose idempotency key is new (see :func:`prepare_payments` and
    :func:`insert_prepared`)."""
    return insert_prepared(session, prepare_payments(run_id, lines, batches), now)


def _generated_rows(lines: list[tuple[PaymentLine, str]], ids: list[str]) -> list[tuple[Any, ...]]:
    return [
        (
            payment_id,
            line.idempotency_key,
            line.entitlement_id,
            line.beneficiary_id,
            line.programme,
            str(line.period),
            line.component,
            line.township,
            line.amount_fen,
            line.payee_name,
            line.payee_account,
            line.offsets_key,
            batch,
        )
        for payment_id, (line, batch) in zip(ids, lines, strict=True)
    ]


def _insert_rows(
    session: Session,
    run_id: str,
    rows: list[tuple[Any, ...]],
    now: datetime,
    state: PaymentState,
    reason: str,
) -> int:
    constants = {
        "run_id": run_id,
        "state": state.value,
        "reason": reason,
        "updated_at": now,
        "attempt": 1,
    }
    return bulk.insert_once(session, payments, _GENERATED_COLUMNS, rows, constants, "idempotency_key")


#: A line being paid or paid: neither returned, failed, held nor withdrawn.
_GOING_OUT = (PaymentState.PENDING.value, PaymentState.SUBMITTED.value, PaymentState.SETTLED.value)
#: A line the bank did not pay, or that waits for a caseworker: it may yet be re-issued.
_NOT_PAID = (PaymentState.RETURNED.value, PaymentState.FAILED.value, PaymentState.HELD.value)
_WITH_RUN = _WITH_BATCH.join(runs, runs.c.run_id == payments.c.run_id)


def _lines_of(
    entry: RosterEntry,
    components: Iterable[str],
    first: Period,
    run_states: Iterable[RunState],
    states: Iterable[str],
) -> Any:
    """The entitlement's lines of ``components`` from ``first`` on in runs in ``run_states``, by state."""
    return and_(
        payments.c.beneficiary_id == entry.beneficiary_id,
        payments.c.programme == entry.programme,
        payments.c.entitlement_id == entry.entitlement_id,
        payments.c.component.in_(sorted(components)),
        payments.c.period >= str(first),
        runs.c.state.in_(sorted(state.value for state in run_states)),
        PAYMENT_STATE.in_(list(states)),
    )


def monthly_paid_since(
    session: Session, entry: RosterEntry, components: Iterable[str], first: Period
) -> dict[Period, int]:
    """What the entitlement's lines of ``components`` paid, month by month from ``first`` on: the lines of
    released runs that the bank was or will be sent, and did not return or refuse."""
    rows = session.execute(
        select(payments.c.period, func.sum(payments.c.amount_fen))
        .select_from(_WITH_RUN)
        .where(_lines_of(entry, components, first, PAID_OUT, _GOING_OUT))
        .group_by(payments.c.period)
    ).all()
    return {Period.parse(period): int(amount) for period, amount in rows}


def months_not_paid_whole(
    session: Session, entry: RosterEntry, components: Iterable[str], first: Period
) -> set[Period]:
    """Months from ``first`` on with a line of the entitlement's ``components`` in a released run that the
    bank returned or refused, or that is held: what it did not pay may yet be re-issued."""
    rows = session.execute(
        select(payments.c.period)
        .distinct()
        .select_from(_WITH_RUN)
        .where(_lines_of(entry, components, first, PAID_OUT, _NOT_PAID))
    ).scalars()
    return {Period.parse(period) for period in rows}


def unreleased_runs_paying(
    session: Session, entry: RosterEntry, components: Iterable[str], first: Period
) -> list[str]:
    """The runs not released yet that hold lines of the entitlement's ``components`` from ``first`` on."""
    return list(
        session.execute(
            select(payments.c.run_id)
            .distinct()
            .select_from(_WITH_RUN)
            .where(_lines_of(entry, components, first, UNRELEASED, _GOING_OUT))
            .order_by(payments.c.run_id)
        ).scalars()
    )


def existing_keys(session: Session, keys: Iterable[str]) -> set[str]:
    wanted = list(keys)
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(
            r.idempotency_key
            for r in session.execute(
                select(payments.c.idempotency_key).where(payments.c.idempotency_key.in_(chunk))
            ).all()
        )
    return found


_UNSENT = (PaymentState.PENDING.value, PaymentState.HELD.value)


def delete_unsent_payments(session: Session, run_id: str) -> int:
    """Withdraw an unreleased run's payments — waiting for the bank or held at generation — so the month made
    again takes every line anew; the offsets they carried return to their overpayments, and the persons a
    price-subsidy line paid for (the household an electricity line paid) may be paid by the month made
    again."""
    unsent = and_(payments.c.run_id == run_id, payments.c.state.in_(_UNSENT))
    unsent_keys = select(payments.c.idempotency_key).where(unsent)
    session.execute(delete(recoveries).where(recoveries.c.payment_key.in_(unsent_keys)))
    session.execute(delete(derived_persons).where(derived_persons.c.payment_key.in_(unsent_keys)))
    session.execute(
        delete(bank_batches).where(bank_batches.c.run_id == run_id, bank_batches.c.state == PLANNED)
    )
    result = session.execute(delete(payments).where(unsent))
    return int(result.rowcount or 0)


def payments_by_state(session: Session, run_id: str) -> dict[str, int]:
    rows = session.execute(
        select(PAYMENT_STATE, func.count())
        .select_from(_WITH_BATCH)
        .where(payments.c.run_id == run_id)
        .group_by(PAYMENT_STATE)
    ).all()
    return {row[0]: int(row[1]) for row in rows}


def list_payments(
    session: Session, *, run_id: str, beneficiary_id: str, after: str | None, limit: int
) -> list[Any]:
    query = _payment_rows()
    if run_id:
        query = query.where(payments.c.run_id == run_id)
    if beneficiary_id:
        query = query.where(payments.c.beneficiary_id == beneficiary_id)
    if after is not None:
        query = query.where(payments.c.payment_id > after)
    return list(session.execute(query.order_by(payments.c.payment_id).limit(limit)).all())


# -- bank batches -----------------------------------------------------------------------------------


def _in_batch(table: Any, batch_request_id: str) -> Any:
    """Lines of a batch; the literal "not unbatched" lets the partial batch index serve on every store."""
    return and_(
        table.c.batch_request_id == batch_request_id, table.c.batch_request_id != literal_column("''")
    )


#: A RECOVERY line and the line it is deducted from (its carrier).
_RECOVERY = payments.alias("recovery")
_CARRIER = payments.alias("carrier")


def open_batches(session: Session, state: str) -> list[Any]:
    return list(
        session.execute(
            select(bank_batches)
            .where(bank_batches.c.state == state)
            .order_by(bank_batches.c.batch_request_id)
        ).all()
    )


def form_batch(session: Session, run_id: str, size: int, now: datetime, lease_until: datetime) -> str | None:
    """Put up to ``size`` unsent payments of one township of a released run into a new batch, held by the
    worker forming it until ``lease_until`` (it sends it at once)."""
    unsent = and_(
        payments.c.run_id == run_id,
        payments.c.state == PaymentState.PENDING.value,
        payments.c.batch_request_id == literal_column("''"),
        payments.c.offsets_key == "",
    )
    row = session.execute(select(payments.c.township).where(unsent).limit(1)).first()
    if row is None:
        return None
    township = row.township
    carriers = and_(unsent, payments.c.township == township)
    # The batch takes the township's first ``size`` carriers in payment id order: up to the size-th.
    last = session.execute(
        select(payments.c.payment_id)
        .where(carriers)
        .order_by(payments.c.payment_id)
        .offset(size - 1)
        .limit(1)
    ).scalar_one_or_none()
    if last is not None:
        carriers = and_(carriers, payments.c.payment_id <= last)
    sequence = session.execute(
        select(func.count())
        .select_from(bank_batches)
        .where(bank_batches.c.run_id == run_id, bank_batches.c.township == township)
    ).scalar_one()
    batch_request_id = f"{run_id}-{township}-{int(sequence) + 1:05d}"
    session.execute(
        update(payments).where(carriers).values(batch_request_id=batch_request_id, updated_at=now)
    )
    # A RECOVERY line travels in its carrier's batch: the bank is sent the carrier net of it. It is paid
    # by the same township, so only the township's unsent lines are looked at.
    carried = select(_CARRIER.c.idempotency_key).where(_in_batch(_CARRIER, batch_request_id))
    session.execute(
        update(payments)
        .where(
            payments.c.run_id == run_id,
            payments.c.township == township,
            payments.c.state == PaymentState.PENDING.value,
            payments.c.offsets_key != literal_column("''"),
            payments.c.offsets_key.in_(carried),
        )
        .values(batch_request_id=batch_request_id, updated_at=now)
    )
    count, total = session.execute(
        select(func.count(), func.coalesce(func.sum(payments.c.amount_fen), 0)).where(
            _in_batch(payments, batch_request_id)
        )
    ).one()
    session.execute(
        insert(bank_batches).values(
            batch_request_id=batch_request_id,
            run_id=run_id,
            township=township,
            state=FORMED,
            bank_batch_id="",
            payment_count=int(count),
            total_fen=int(total),
            updated_at=now,
            lease_until=lease_until,
        )
    )
    return batch_request_id


def batch_orders(session: Session, batch_request_id: str) -> list[tuple[str, str, int, int, str, str]]:
    """What the bank is sent for a batch, line by line: (idempotency key, offsets key, amount, attempt,
    payee name, payee account). The payees of the batch are opened together."""
    rows = session.execute(
        select(
            payments.c.idempotency_key,
            payments.c.offsets_key,
            payments.c.amount_fen,
            payments.c.attempt,
            as_stored(payments.c.payee_name),
            as_stored(payments.c.payee_account),
        )
        .where(_in_batch(payments, batch_request_id))
        .order_by(payments.c.payment_id)
    ).all()
    names = opened([row[4] for row in rows], NAME_CONTEXT)
    accounts = opened([row[5] for row in rows], ACCOUNT_CONTEXT)
    return [
        (key, offsets_key, int(amount), int(attempt), name, account)
        for (key, offsets_key, amount, attempt, _, _), name, account in zip(
            rows, names, accounts, strict=True
        )
    ]


def mark_batch(
    session: Session, batch_request_id: str, state: str, bank_batch_id: str, now: datetime
) -> None:
    """Move a batch on, out of its worker's lease; its payments that wait in it follow it
    (:data:`PAYMENT_STATE`)."""
    session.execute(
        update(bank_batches)
        .where(bank_batches.c.batch_request_id == batch_request_id)
        .values(state=state, bank_batch_id=bank_batch_id, updated_at=now, lease_until=None)
    )


def claim_batch(session: Session, batch_request_id: str, state: str, now: datetime, until: datetime) -> bool:
    """Take a batch in ``state`` that no worker holds (or whose holder's lease ran out), until ``until``;
    False when another worker holds it or it has moved on."""
    taken = session.execute(
        update(bank_batches)
        .where(
            bank_batches.c.batch_request_id == batch_request_id,
            bank_batches.c.state == state,
            or_(bank_batches.c.lease_until.is_(None), bank_batches.c.lease_until < now),
        )
        .values(lease_until=until)
    )
    return taken.rowcount == 1


def release_batch(session: Session, batch_request_id: str) -> None:
    """Let go of a batch, for any worker to take up again (the bank did not answer, or not for all of it)."""
    session.execute(
        update(bank_batches)
        .where(bank_batches.c.batch_request_id == batch_request_id)
        .values(lease_until=None)
    )


def lock_submitted_batch(session: Session, batch_request_id: str) -> bool:
    """Take the batch to record the bank's answers, if it is still awaiting them (one worker at a time)."""
    row = session.execute(
        select(bank_batches.c.batch_request_id)
        .where(bank_batches.c.batch_request_id == batch_request_id, bank_batches.c.state == SUBMITTED)
        .with_for_update()
    ).first()
    return row is not None


def waiting_in_batch(session: Session, batch_request_id: str) -> list[Any]:
    """The batch's payments that wait for the bank's answer, each as (payment id, idempotency key, amount,
    programme, offsets key)."""
    return list(
        session.execute(
            select(
                payments.c.payment_id,
                payments.c.idempotency_key,
                payments.c.amount_fen,
                payments.c.programme,
                payments.c.offsets_key,
            ).where(_in_batch(payments, batch_request_id), _FOLLOWS_BATCH)
        ).all()
    )


def settle_in_batch(session: Session, batch_request_id: str, keys: list[str], now: datetime) -> None:
    """Write SETTLED on these payments of a batch that still waits for other answers."""
    if keys:
        session.execute(
            update(payments)
            .where(
                _in_batch(payments, batch_request_id),
                _FOLLOWS_BATCH,
                bulk.one_of(session, payments.c.idempotency_key, keys),
            )
            .values(state=PaymentState.SETTLED.value, updated_at=now)
        )


def payments_by_id(session: Session, payment_ids: list[str]) -> list[Any]:
    """Whole payment rows, in payment id order."""
    if not payment_ids:
        return []
    return list(
        session.execute(
            _payment_rows()
            .where(bulk.one_of(session, payments.c.payment_id, payment_ids))
            .order_by(payments.c.payment_id)
        ).all()
    )


def follow_carriers(session: Session, batch_request_id: str, now: datetime) -> None:
    """RECOVERY lines take the bank's answer for the line they were deducted from."""
    answers: dict[tuple[str, str], list[str]] = {}
    for row in session.execute(
        select(_RECOVERY.c.payment_id, _CARRIER.c.state, _CARRIER.c.reason)
        .select_from(_RECOVERY.join(_CARRIER, _CARRIER.c.idempotency_key == _RECOVERY.c.offsets_key))
        .where(
            _RECOVERY.c.offsets_key != literal_column("''"),
            _in_batch(_RECOVERY, batch_request_id),
            _RECOVERY.c.state == PaymentState.PENDING.value,
            _CARRIER.c.state != PaymentState.PENDING.value,
        )
    ).all():
        answers.setdefault((row.state, row.reason), []).append(row.payment_id)
    for (state, reason), ids in answers.items():
        session.execute(
            update(payments)
            .where(bulk.one_of(session, payments.c.payment_id, ids))
            .values(state=state, reason=reason, updated_at=now)
        )


def runs_with_unsent_payments(session: Session) -> list[str]:
    """Released runs, and closed runs with a re-issued payment, that have payments to put in a batch."""
    rows = session.execute(
        select(payments.c.run_id)
        .join(runs, runs.c.run_id == payments.c.run_id)
        .where(
            runs.c.state.in_([RunState.RELEASED.value, RunState.CLOSED.value]),
            payments.c.state == PaymentState.PENDING.value,
            payments.c.batch_request_id == literal_column("''"),
        )
        .distinct()
    ).all()
    return sorted(row.run_id for row in rows)


def held_since_generation(session: Session, payment: Any) -> tuple[int, int]:
    """A payment held at generation and never sent, with the RECOVERY lines held with it: how many lines and
    their sum, as its shard counted them held. (0, 0) for any other payment — one held by a caseworker after
    the bank returned it was sent, so it is in the control totals."""
    count, fen = session.execute(
        select(func.count(), func.coalesce(func.sum(payments.c.amount_fen), 0)).where(
            or_(
                payments.c.payment_id == payment.payment_id,
                payments.c.offsets_key == payment.idempotency_key,
            ),
            payments.c.run_id == payment.run_id,
            payments.c.state == PaymentState.HELD.value,
            payments.c.batch_request_id == literal_column("''"),
        )
    ).one()
    return int(count), int(fen)


def get_payment(session: Session, payment_id: str, *, for_update: bool = False) -> Any:
    query = _payment_rows().where(payments.c.payment_id == payment_id)
    if for_update:
        query = query.with_for_update(of=payments)
    return session.execute(query).one_or_none()


def update_payment_and_its_offsets(session: Session, payment: Any, now: datetime, **values: Any) -> None:
    """Change a payment and the RECOVERY lines deducted from it, which go wherever it goes."""
    session.execute(
        update(payments)
        .where(
            or_(
                payments.c.payment_id == payment.payment_id,
                payments.c.offsets_key == payment.idempotency_key,
            )
        )
        .values(updated_at=now, **values)
    )


def payments_to_resolve(
    session: Session, region_prefix: str, states: list[str], after: str | None, limit: int
) -> list[Any]:
    """Returned, failed or held payments of a region (RECOVERY lines follow their carrier, not listed)."""
    query = _payment_rows().where(
        text(f"payments.{TO_RESOLVE_WHERE}"),
        payments.c.state.in_(states),
        payments.c.township.startswith(region_prefix),
        payments.c.offsets_key == "",
    )
    if after is not None:
        query = query.where(payments.c.payment_id > after)
    return list(session.execute(query.order_by(payments.c.payment_id).limit(limit)).all())


def settle_payment(
    session: Session,
    batch_request_id: str,
    idempotency_key: str,
    state: PaymentState,
    reason: str,
    now: datetime,
) -> Any:
    """Record the bank's answer for a payment sent in this batch and not yet answered; returns the row when
    it changed, else None (an answer recorded before, or one for an attempt since re-issued elsewhere)."""
    result = session.execute(
        update(payments)
        .where(
            payments.c.idempotency_key == idempotency_key,
            _in_batch(payments, batch_request_id),
            _FOLLOWS_BATCH,
        )
        .values(state=state.value, reason=reason, updated_at=now)
    )
    if not result.rowcount:
        return None
    return session.execute(_payment_rows().where(payments.c.idempotency_key == idempotency_key)).one()


def released_runs_without_open_batches(session: Session) -> list[str]:
    """Released runs with no batch formed or awaiting the bank: those that may have nothing left open."""
    open_batches_ = select(bank_batches.c.run_id).where(bank_batches.c.state.in_([FORMED, SUBMITTED]))
    rows = session.execute(
        select(runs.c.run_id).where(
            runs.c.state == RunState.RELEASED.value, runs.c.run_id.not_in(open_batches_)
        )
    ).all()
    return [row.run_id for row in rows]


def open_payments_left(session: Session, run_id: str) -> bool:
    """Whether any payment of the run still waits: in a batch the bank has not answered whole, or waiting
    to be put in one."""
    unanswered = select(bank_batches.c.batch_request_id).where(
        bank_batches.c.run_id == run_id, bank_batches.c.state.in_([PLANNED, FORMED, SUBMITTED])
    )
    unbatched = select(payments.c.payment_id).where(
        payments.c.run_id == run_id,
        payments.c.batch_request_id == literal_column("''"),
        payments.c.state == PaymentState.PENDING.value,
    )
    return bool(session.execute(select(unanswered.exists() | unbatched.exists())).scalar_one())


# -- fund tracking and publication --------------------------------------------------------------------


def fund_counts(session: Session, region_prefix: str, period: Period) -> list[Any]:
    """The payments of a month's runs within a region, counted by (programme, township, state as its batch
    makes it): each as (programme, township, state, count, sum)."""
    return list(
        session.execute(
            select(
                payments.c.programme,
                payments.c.township,
                PAYMENT_STATE,
                func.count(),
                func.coalesce(func.sum(payments.c.amount_fen), 0),
            )
            .select_from(_WITH_BATCH.join(runs, runs.c.run_id == payments.c.run_id))
            .where(
                runs.c.period == str(period),
                runs.c.state != RunState.CANCELLED.value,
                payments.c.township.startswith(region_prefix),
            )
            .group_by(payments.c.programme, payments.c.township, PAYMENT_STATE)
        ).all()
    )


def roster_to_publish(
    session: Session, region_prefix: str, programmes: Iterable[str], after: str | None, limit: int
) -> list[RosterEntry]:
    """Roster entries of these programmes within a region, in entitlement id order after ``after``, the
    payee's name opened (to be masked); the account, which the list never shows, stays sealed."""
    query = select(*_PUBLISHED_ENTRY).where(
        roster.c.programme.in_(sorted(programmes)), roster.c.township.startswith(region_prefix)
    )
    if after is not None:
        query = query.where(roster.c.entitlement_id > after)
    rows = session.execute(query.order_by(roster.c.entitlement_id).limit(limit)).all()
    return [
        _roster_entry(entitlement, beneficiary, programme, place, name, Carried(account), body)
        for entitlement, beneficiary, programme, place, name, account, body in rows
    ]
