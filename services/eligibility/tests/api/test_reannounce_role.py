"""The reannounce role: every entitlement not terminated announced again as it stands now, its persons keyed
under every key of the lookup-key ring, once per run, a page per transaction; an interrupted run resumes
after its last page. It changes nothing else: no amount, no state, no other event."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from doudi.eligibility.v1 import eligibility_pb2 as pb
from doudi.eligibility.v1 import events_pb2
from doudi_common.fieldcrypt import LookupHasher
from doudi_common.period import Period
from doudi_eligibility.app.reannouncement import Reannouncements
from doudi_eligibility.domain.explain import Category, Programme
from doudi_eligibility.domain.machines.entitlement import Entitlement, State
from doudi_eligibility.events.mapping import covered_person_keys
from doudi_eligibility.main import DEFINITION
from doudi_eligibility.store import records
from doudi_eligibility.store.tables import entitlements
from doudi_runtime.service import run_role
from doudi_runtime.store.sealed import field_crypto, use_field_crypto

from .conftest import TOWNSHIP, Eligibility

APPROVED_AT = datetime(2025, 4, 15, 1, 0, tzinfo=UTC)
#: (state, monthly amount in fen, ID numbers of the persons covered) of the town's entitlements.
TOWN = (
    (State.ACTIVE, 6_000, ("640402198403091139", "640402198607021247")),
    (State.SUSPENDED, 12_000, ("640402196802142133",)),
    (State.TERMINATED, 8_000, ("640402195404043135",)),
    (State.PENDING_START, 9_000, ("640402201105201373",)),
    (State.GRADUAL_EXIT, 7_000, ("640402195810013249",)),
    (State.ACTIVE, 5_000, ("640402196908302246", "640402201105201373")),
)
NOT_TERMINATED = [f"ent_re_{i}" for i, (state, _, _) in enumerate(TOWN) if state is not State.TERMINATED]


def seed(e: Eligibility) -> None:
    with e.context.database.transaction() as session:  # type: ignore[union-attr]
        for index, (state, amount, persons) in enumerate(TOWN):
            entitlement = Entitlement(
                f"ent_re_{index}",
                Programme.DIBAO,
                state,
                amount,
                Period(2025, 5),
                gradual_exit_last_month=Period(2025, 10) if state is State.GRADUAL_EXIT else None,
            )
            record = records.EntitlementRecord(
                entitlement,
                f"app_re_{index}",
                f"hh_re_{index}",
                TOWNSHIP,
                "李明",
                Category.C,
                "NX-2024-01+GY-2024-01+EX-GY-2024-01",
                f"dec_re_{index}",
                persons=persons,
                household=persons,
                payee_account=f"62170000000000{index:04d}",
                payee_bank="农村信用社",
            )
            records.insert_entitlement(session, record, APPROVED_AT)


def reannounced(e: Eligibility) -> list[tuple[str, events_pb2.EntitlementReannounced]]:
    """(subject key, event) of every re-announcement in the outbox, in order."""
    return [
        (envelope.subject_key, events_pb2.EntitlementReannounced.FromString(envelope.payload.value))  # type: ignore[attr-defined]
        for envelope in e.envelopes("EntitlementReannounced")
    ]


def stored_rows(e: Eligibility) -> list[tuple[object, ...]]:
    with e.context.database.read() as session:  # type: ignore[union-attr]
        return [tuple(row) for row in session.execute(select(entitlements).order_by("entitlement_id"))]


def _ring_text(primary: str, keys: Mapping[str, bytes]) -> str:
    order = [primary, *(k for k in keys if k != primary)]
    return ",".join(f"{k}:{base64.urlsafe_b64encode(keys[k]).decode().rstrip('=')}" for k in order)


@pytest.fixture
def rotated(eligibility):  # type: ignore[no-untyped-def]
    """The service's settings with a new lookup key put first in the ring, the old one kept behind it."""
    before = field_crypto()
    hasher = LookupHasher("k2", {"k2": os.urandom(32), **before.hasher.keys})
    settings = eligibility.context.settings.model_copy(
        update={
            "field_encryption_keys": SecretStr(_ring_text(before.ring.primary, before.ring.keys)),
            "lookup_hash_keys": SecretStr(_ring_text(hasher.primary, hasher.keys)),
        }
    )
    try:
        yield settings, hasher
    finally:
        use_field_crypto(before)


def test_one_run_announces_every_entitlement_not_terminated_once_as_it_stands_under_every_key_of_the_ring(
    eligibility, rotated, capsys
) -> None:  # type: ignore[no-untyped-def]
    settings, rotated_keys = rotated
    seed(eligibility)
    before = stored_rows(eligibility)

    assert run_role(DEFINITION, "reannounce", settings) == 0

    assert (
        capsys.readouterr().out.strip().splitlines()[-1] == f"re-announced {len(NOT_TERMINATED)} entitlements"
    )
    events = reannounced(eligibility)
    assert sorted(event.entitlement.entitlement_id for _, event in events) == NOT_TERMINATED
    assert len({event.run_id for _, event in events}) == 1
    for key, event in events:
        index = int(event.entitlement.entitlement_id.rsplit("_", 1)[1])
        state, amount, persons = TOWN[index]
        announced = event.entitlement
        assert key == f"hh_re_{index}", "on the household's key, in order with its other events"
        assert announced.state == pb.EntitlementState.Value(f"ENTITLEMENT_STATE_{state.value}")
        assert announced.monthly_amount.amount_fen == amount
        assert announced.payee.account_number == f"62170000000000{index:04d}"
        assert announced.digests_per_person == 2
        assert list(announced.covered_person_keys) == covered_person_keys(persons, rotated_keys)
        assert list(announced.household_person_keys) == covered_person_keys(persons, rotated_keys)
    assert {kind for _, _, kind in eligibility.outbox()} == {"EntitlementReannounced"}
    assert stored_rows(eligibility) == before, "no entitlement changes"

    assert run_role(DEFINITION, "reannounce", settings) == 0
    again = reannounced(eligibility)[len(events) :]
    assert sorted(event.entitlement.entitlement_id for _, event in again) == NOT_TERMINATED
    assert len({event.run_id for _, event in again} | {events[0][1].run_id}) == 2, "a new run each time"


def test_an_interrupted_run_resumes_after_its_last_page_and_announces_each_entitlement_once(
    eligibility, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    seed(eligibility)
    runner = Reannouncements(eligibility.app.entitlements.commands, page_size=2)
    original = runner._page
    pages: list[str] = []

    def stopping(session, run_id):  # type: ignore[no-untyped-def]
        if len(pages) == 1:
            raise RuntimeError("the process stopped")
        pages.append(run_id)
        return original(session, run_id)

    monkeypatch.setattr(runner, "_page", stopping)
    with pytest.raises(RuntimeError):
        runner.run()
    first = [event.entitlement.entitlement_id for _, event in reannounced(eligibility)]
    assert first == NOT_TERMINATED[:2]

    resumed = Reannouncements(eligibility.app.entitlements.commands, page_size=2).run()

    assert resumed == len(NOT_TERMINATED) - 2
    events = reannounced(eligibility)
    assert [event.entitlement.entitlement_id for _, event in events] == NOT_TERMINATED
    assert {event.run_id for _, event in events} == set(pages), "the interrupted run, resumed"


def test_an_entitlement_changed_after_a_run_is_announced_as_it_stands_by_the_next(eligibility) -> None:  # type: ignore[no-untyped-def]
    seed(eligibility)
    commands = eligibility.app.entitlements.commands
    Reannouncements(commands, page_size=4).run()
    with eligibility.context.database.transaction() as session:  # type: ignore[union-attr]
        record = records.get_entitlement(session, "ent_re_0", for_update=True)
        assert record is not None
        records.save_entitlement(
            session, record.moved(record.entitlement, "dec_re_0b", household=()), APPROVED_AT
        )

    Reannouncements(commands, page_size=4).run()

    latest = [
        e.entitlement for _, e in reannounced(eligibility) if e.entitlement.entitlement_id == "ent_re_0"
    ]
    assert [len(e.household_person_keys) for e in latest] == [2, 0]
    assert latest[-1].decision_id == "dec_re_0b"
