"""The price subsidy once per person and month through disbursement's gRPC API (DOMAIN §5.7, §5.8, H08): the
girl counted in her grandfather's Dibao household and topped up by her FUC allowance is paid the price subsidy
in the household's line only, whichever entitlement's event comes first, when a run is made again, and when
the household stops counting her."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from doudi.common.v1 import programme_pb2
from doudi.disbursement.v1 import disbursement_pb2
from doudi.eligibility.v1 import eligibility_pb2
from doudi.eligibility.v1 import events_pb2 as eligibility_events
from doudi_disbursement.store import tables

from .test_derived_payments_api import declare, entitlement, lines, pay
from .test_payroll_api import (
    AS_CLERK,
    TOWNSHIPS,
    Payroll,
    all_payments,
    deliver,
    disbursement,
    generate,
    get_run,
)

__all__ = ["disbursement"]

BASE = programme_pb2.BENEFIT_COMPONENT_BASE
PRICE = programme_pb2.BENEFIT_COMPONENT_PRICE_SUBSIDY
#: Eligibility's opaque keys of the two persons (never their ID numbers).
GRANDFATHER, GIRL = "9f2c" * 16, "41d7" * 16


def yang_dibao(*keys: str) -> eligibility_pb2.Entitlement:
    dibao = entitlement("yang", 19_700, start="2026-07")
    dibao.covered_persons = len(keys)
    dibao.covered_person_keys.extend(keys)
    return dibao


def girl_fuc() -> eligibility_pb2.Entitlement:
    fuc = entitlement("yang_girl", 150_150, start="2026-07")
    fuc.programme = programme_pb2.PROGRAMME_UNSUPPORTED_CHILD_ALLOWANCE
    fuc.covered_persons = 1
    fuc.covered_person_keys.append(GIRL)
    return fuc


def declare_july(p: Payroll) -> None:
    declare(
        p,
        disbursement_pb2.DERIVED_KIND_PRICE_SUBSIDY,
        "2026-07",
        "cpi-jul",
        DIBAO=1_200,
        UNSUPPORTED_CHILD_ALLOWANCE=1_200,
    )


def price_lines(p: Payroll, run_id: str) -> list[tuple[str, int]]:
    return sorted(
        (x.beneficiary_id, x.amount.amount_fen) for x in all_payments(p, run_id) if x.component == PRICE
    )


def july(p: Payroll, request_id: str = "gen-jul") -> disbursement_pb2.Run:
    run = generate(p, request_id, "2026-07")
    p.use_cases.generate_shards()
    return get_run(p, run.run_id)


def test_h08_the_girl_is_paid_the_price_subsidy_in_the_dibao_line_only_whichever_event_comes_first(
    disbursement,
) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, eligibility_events.EntitlementActivated(entitlement=girl_fuc()))
    deliver(p, eligibility_events.EntitlementActivated(entitlement=yang_dibao(GRANDFATHER, GIRL)))
    deliver(p, eligibility_events.EntitlementActivated(entitlement=girl_fuc()))  # heard again
    declare_july(p)

    run = july(p)
    assert price_lines(p, run.run_id) == [("hh_yang", 2 * 1_200)]
    assert lines(all_payments(p, run.run_id)) == [
        ("2026-07", BASE, 19_700),
        ("2026-07", BASE, 150_150),
        ("2026-07", PRICE, 2_400),
    ]
    assert pay(p, run).state == disbursement_pb2.RUN_STATE_CLOSED
    assert july(p, "gen-jul-again").run_id == run.run_id, "the month's run is the one already made"


def test_a_run_made_without_the_dibao_and_made_again_after_it_is_known_pays_the_girl_once(
    disbursement,
) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, eligibility_events.EntitlementActivated(entitlement=girl_fuc()))
    declare_july(p)
    first = july(p)
    assert price_lines(p, first.run_id) == [("hh_yang_girl", 1_200)], "alone, her own allowance pays for her"

    p.stub.CancelRun(
        disbursement_pb2.CancelRunRequest(
            request_id="c-1", run_id=first.run_id, reason="低保名单未到，重新生成"
        ),
        metadata=AS_CLERK,
        timeout=10,
    )
    deliver(p, eligibility_events.EntitlementActivated(entitlement=yang_dibao(GRANDFATHER, GIRL)))
    again = july(p, "gen-jul-again")
    assert again.run_id != first.run_id
    assert price_lines(p, again.run_id) == [("hh_yang", 2 * 1_200)]
    with p.context.database.read() as session:
        paid = session.execute(
            select(tables.derived_persons.c.person_key, tables.derived_persons.c.payment_key)
        ).all()
    assert sorted(paid) == sorted(
        [(GRANDFATHER, "DIBAO:hh_yang:2026-07:PRICE_SUBSIDY"), (GIRL, "DIBAO:hh_yang:2026-07:PRICE_SUBSIDY")]
    ), "the withdrawn line's person went with it"


@pytest.mark.parametrize("dibao_township, fuc_township", [(0, 1), (1, 0)])
def test_the_dibao_pays_for_the_girl_whichever_townships_shard_is_made_first(
    disbursement, dibao_township: int, fuc_township: int
) -> None:  # type: ignore[no-untyped-def]
    """Her allowance is paid by another township's office than the household's Dibao: the two lines are made
    by different shards of the county's run, in either order, and she is paid for once."""
    p = disbursement
    fuc, dibao = girl_fuc(), yang_dibao(GRANDFATHER, GIRL)
    fuc.region.code, dibao.region.code = TOWNSHIPS[fuc_township], TOWNSHIPS[dibao_township]
    deliver(p, eligibility_events.EntitlementActivated(entitlement=fuc))
    deliver(p, eligibility_events.EntitlementActivated(entitlement=dibao))
    declare_july(p)
    run = july(p)
    assert price_lines(p, run.run_id) == [("hh_yang", 2 * 1_200)]
    assert run.total_fen == 19_700 + 150_150 + 2_400


def test_when_the_household_stops_counting_the_girl_her_own_allowance_pays_for_her(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, eligibility_events.EntitlementActivated(entitlement=yang_dibao(GRANDFATHER, GIRL)))
    deliver(p, eligibility_events.EntitlementActivated(entitlement=girl_fuc()))
    deliver(
        p,
        eligibility_events.EntitlementChanged(
            after=yang_dibao(GRANDFATHER), effective_month=yang_dibao().start_month, reason="成员变更"
        ),
    )
    declare_july(p)
    run = july(p)
    assert price_lines(p, run.run_id) == [("hh_yang", 1_200), ("hh_yang_girl", 1_200)]
