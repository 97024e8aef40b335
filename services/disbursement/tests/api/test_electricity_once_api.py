"""The electricity subsidy once per household and year through disbursement's gRPC API (DOMAIN §5.7, §5.8,
H07): a Dibao household whose grandmother is Tekun, not counted in the household and holding her own Tekun
entitlement, is paid the subsidy once, in the household's Dibao line, whichever entitlement's event or
township's shard comes first, and when a run is made again after it was cancelled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from doudi.common.v1 import programme_pb2
from doudi.disbursement.v1 import disbursement_pb2
from doudi.eligibility.v1 import eligibility_pb2
from doudi.eligibility.v1 import events_pb2 as eligibility_events
from doudi_disbursement.app.payroll import PayrollUseCases
from doudi_disbursement.store import payroll as store
from doudi_disbursement.store import tables

from .test_derived_payments_api import declare, entitlement, pay
from .test_payroll_api import (
    AS_CLERK,
    TOWNSHIPS,
    Payroll,
    activated,
    all_payments,
    deliver,
    disbursement,
    generate,
    get_run,
)

__all__ = ["disbursement"]

ELECTRICITY = programme_pb2.BENEFIT_COMPONENT_ELECTRICITY
CREDIT = 6_000
#: Eligibility's opaque keys of the grandmother and her grandson (never their ID numbers).
GRANDMOTHER, GRANDSON = "7b1e" * 16, "c30a" * 16


def hu_dibao(*household: str) -> eligibility_pb2.Entitlement:
    """The grandson's Dibao: he alone is counted, and the application declared them both."""
    dibao = entitlement("hu", 30_000)
    dibao.covered_persons = 1
    dibao.covered_person_keys.append(GRANDSON)
    dibao.household_person_keys.extend(household)
    return dibao


def hu_tekun(*household: str) -> eligibility_pb2.Entitlement:
    tekun = entitlement("hu_grandmother", 73_700)
    tekun.programme = programme_pb2.PROGRAMME_TEKUN
    tekun.covered_persons = 1
    tekun.covered_person_keys.append(GRANDMOTHER)
    tekun.household_person_keys.extend(household)
    return tekun


def declare_january(p: Payroll) -> None:
    declare(p, disbursement_pb2.DERIVED_KIND_ELECTRICITY, "2026-01", "elec-2026", DIBAO=CREDIT, TEKUN=CREDIT)


def january(p: Payroll, request_id: str = "gen-jan") -> disbursement_pb2.Run:
    run = generate(p, request_id, "2026-01")
    p.use_cases.generate_shards()
    return get_run(p, run.run_id)


def electricity_lines(p: Payroll, run_id: str) -> list[tuple[str, int]]:
    return sorted(
        (x.beneficiary_id, x.amount.amount_fen) for x in all_payments(p, run_id) if x.component == ELECTRICITY
    )


def recorded(p: Payroll) -> list[tuple[str, str, str, str]]:
    d = tables.derived_persons
    with p.context.database.read() as session:
        rows = session.execute(select(d.c.kind, d.c.period, d.c.person_key, d.c.payment_key)).all()
    return sorted(tuple(row) for row in rows)


DIBAO_LINE = "DIBAO:hh_hu:2026-01:ELECTRICITY"


@pytest.mark.parametrize("dibao_first", [True, False])
def test_h07_the_household_is_paid_the_electricity_subsidy_once_in_its_dibao_line_whichever_event_comes_first(
    disbursement, dibao_first: bool
) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    events = [hu_dibao(GRANDMOTHER, GRANDSON), hu_tekun(GRANDMOTHER, GRANDSON)]
    for e in events if dibao_first else reversed(events):
        deliver(p, eligibility_events.EntitlementActivated(entitlement=e))
    declare_january(p)

    run = january(p)
    assert electricity_lines(p, run.run_id) == [("hh_hu", CREDIT)]
    assert run.total_fen == 30_000 + 73_700 + CREDIT
    assert recorded(p) == [
        ("ELECTRICITY", "2026", GRANDMOTHER, DIBAO_LINE),
        ("ELECTRICITY", "2026", GRANDSON, DIBAO_LINE),
    ]
    assert pay(p, run).state == disbursement_pb2.RUN_STATE_CLOSED
    february = generate(p, "gen-feb", "2026-02")
    p.use_cases.generate_shards()
    assert electricity_lines(p, february.run_id) == []


def test_a_run_made_without_the_dibao_and_made_again_after_it_is_known_pays_the_household_once(
    disbursement,
) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, eligibility_events.EntitlementActivated(entitlement=hu_tekun(GRANDMOTHER)))
    declare_january(p)
    first = january(p)
    assert electricity_lines(p, first.run_id) == [("hh_hu_grandmother", CREDIT)], "alone, her Tekun pays"

    p.stub.CancelRun(
        disbursement_pb2.CancelRunRequest(
            request_id="c-1", run_id=first.run_id, reason="低保名单未到，重新生成"
        ),
        metadata=AS_CLERK,
        timeout=10,
    )
    deliver(p, eligibility_events.EntitlementActivated(entitlement=hu_dibao(GRANDMOTHER, GRANDSON)))
    again = january(p, "gen-jan-again")
    assert again.run_id != first.run_id
    assert electricity_lines(p, again.run_id) == [("hh_hu", CREDIT)]
    assert recorded(p) == [
        ("ELECTRICITY", "2026", GRANDMOTHER, DIBAO_LINE),
        ("ELECTRICITY", "2026", GRANDSON, DIBAO_LINE),
    ], "the withdrawn line's household went with it"


def test_a_tekun_line_made_before_the_dibao_was_heard_of_stands_for_the_household_in_the_same_run(
    disbursement,
) -> None:  # type: ignore[no-untyped-def]
    """The grandmother's township's shard is made first, while the household's Dibao is not yet on the roster;
    the Dibao's activation is heard before its township's shard is made: the household is paid once."""
    p = disbursement
    deliver(p, activated(1, TOWNSHIPS[0], 50_000))  # the Dibao's township has a shard in the run
    tekun = hu_tekun(GRANDMOTHER)
    tekun.region.code = TOWNSHIPS[1]
    deliver(p, eligibility_events.EntitlementActivated(entitlement=tekun))
    declare_january(p)
    run = generate(p, "gen-jan", "2026-01")
    now = datetime.now(UTC)
    with p.context.database.transaction() as session:  # another worker holds the first township's shard
        assert store.claim_shard(session, now, now + timedelta(minutes=5)) == (run.run_id, TOWNSHIPS[0])
    assert p.use_cases.generate_shards() == 1
    deliver(p, eligibility_events.EntitlementActivated(entitlement=hu_dibao(GRANDMOTHER, GRANDSON)))
    later = PayrollUseCases(p.context, p.use_cases.bank, clock=lambda: now + timedelta(minutes=10))
    assert later.generate_shards() == 1

    run = get_run(p, run.run_id)
    assert electricity_lines(p, run.run_id) == [("hh_hu_grandmother", CREDIT)]
    assert [x.beneficiary_id for x in all_payments(p, run.run_id) if x.beneficiary_id == "hh_hu"] == ["hh_hu"]
    tekun_line = "TEKUN:hh_hu_grandmother:2026-01:ELECTRICITY"
    assert recorded(p) == [("ELECTRICITY", "2026", GRANDMOTHER, tekun_line)]


@pytest.mark.parametrize("dibao_township, tekun_township", [(0, 1), (1, 0)])
def test_the_dibao_pays_the_household_whichever_townships_shard_is_made_first(
    disbursement, dibao_township: int, tekun_township: int
) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    dibao, tekun = hu_dibao(GRANDMOTHER, GRANDSON), hu_tekun(GRANDMOTHER)
    dibao.region.code, tekun.region.code = TOWNSHIPS[dibao_township], TOWNSHIPS[tekun_township]
    deliver(p, eligibility_events.EntitlementActivated(entitlement=tekun))
    deliver(p, eligibility_events.EntitlementActivated(entitlement=dibao))
    declare_january(p)
    run = january(p)
    assert electricity_lines(p, run.run_id) == [("hh_hu", CREDIT)]
    assert run.total_fen == 30_000 + 73_700 + CREDIT


def test_entitlements_announced_without_their_household_are_each_paid_as_before(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, eligibility_events.EntitlementActivated(entitlement=hu_dibao()))
    deliver(p, eligibility_events.EntitlementActivated(entitlement=hu_tekun()))
    declare_january(p)
    run = january(p)
    assert electricity_lines(p, run.run_id) == [("hh_hu", CREDIT), ("hh_hu_grandmother", CREDIT)]
    assert recorded(p) == []
