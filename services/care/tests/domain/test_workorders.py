"""Work orders and the provider's monthly settlement (DOMAIN §9.3, §13 H14)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_care.domain import workorders as rules
from doudi_care.domain.workorders import ContractTerms, WorkOrder, WorkOrderState
from doudi_common.errors import FailedPrecondition
from doudi_common.period import Period
from doudi_common.region import RegionCode, RegionLevel

JUNE = Period(2026, 6)
NOW = datetime(2026, 6, 20, 2, 0, tzinfo=UTC)
H14_CONTRACT = ContractTerms(
    unit_price_fen=12_000, low_score_threshold=Fraction(3), low_score_share=Fraction(1, 5)
)


def order(n: int = 1, **changes: object) -> WorkOrder:
    base = WorkOrder(
        work_order_id=f"wo_{n}",
        entry_id="entry_zhou",
        provider_id="provider_a",
        period=JUNE,
        state=WorkOrderState.ASSIGNED,
        region="640402100201",
        township="640402100000",
        created_at=NOW,
        updated_at=NOW,
        seq=n,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_h14_one_of_two_orders_done_with_score_2_pays_96_yuan() -> None:
    done = rules.complete(order(1), score=2, confirmed_by="周秀兰的侄女", at=NOW, now=NOW)
    missed = rules.miss(order(2), reason="provider did not come", now=NOW)
    figures = rules.settle([done, missed], H14_CONTRACT)
    assert (figures.planned, figures.paid_services, figures.missed) == (2, 1, 1)
    assert figures.average_score == 2
    assert figures.gross_fen == 12_000  # 1 × 120
    assert figures.deductions_fen == 2_400  # 20 % because the average 2 < 3
    assert figures.payable_fen == 9_600  # pay 96
    assert rules.completion_rate(figures.planned, figures.paid_services) == Fraction(1, 2)


def test_good_service_is_paid_in_full() -> None:
    orders = [rules.complete(order(n), score=4, confirmed_by="本人", at=NOW, now=NOW) for n in (1, 2)]
    figures = rules.settle(orders, H14_CONTRACT)
    assert (figures.gross_fen, figures.deductions_fen, figures.payable_fen) == (24_000, 0, 24_000)


def test_an_order_failed_by_an_audit_is_not_paid_and_may_be_penalised() -> None:
    done = rules.complete(order(1), score=5, confirmed_by="本人", at=NOW, now=NOW)
    failed = rules.audit(
        rules.complete(order(2), score=5, confirmed_by="本人", at=NOW, now=NOW), passed=False, now=NOW
    )
    terms = replace(H14_CONTRACT, failed_audit_deduction_fen=3_000)
    figures = rules.settle([done, failed], terms)
    assert (figures.paid_services, figures.failed_audit) == (1, 1)
    assert (figures.gross_fen, figures.deductions_fen, figures.payable_fen) == (12_000, 3_000, 9_000)


def test_a_month_with_open_orders_cannot_be_settled() -> None:
    with pytest.raises(FailedPrecondition):
        rules.settle([order(1)], H14_CONTRACT)


def test_only_an_assigned_order_can_be_completed_or_missed() -> None:
    done = rules.complete(order(1), score=3, confirmed_by="本人", at=NOW, now=NOW)
    with pytest.raises(FailedPrecondition):
        rules.complete(done, score=3, confirmed_by="本人", at=NOW, now=NOW)
    with pytest.raises(FailedPrecondition):
        rules.miss(done, reason="x", now=NOW)
    with pytest.raises(FailedPrecondition):
        rules.audit(order(2), passed=True, now=NOW)


@given(
    scores=st.lists(st.integers(1, 5), max_size=6),
    missed=st.integers(0, 4),
    price=st.integers(0, 50_000),
    penalty=st.integers(0, 50_000),
)
def test_payable_is_never_negative_and_never_above_the_gross(
    scores: list[int], missed: int, price: int, penalty: int
) -> None:
    orders = [
        rules.complete(order(i), score=s, confirmed_by="本人", at=NOW, now=NOW) for i, s in enumerate(scores)
    ]
    orders += [rules.miss(order(100 + i), reason="x", now=NOW) for i in range(missed)]
    figures = rules.settle(orders, ContractTerms(unit_price_fen=price, missed_deduction_fen=penalty))
    assert 0 <= figures.payable_fen <= figures.gross_fen == len(scores) * price
    assert figures.gross_fen - figures.deductions_fen == figures.payable_fen


# -- the region a provider serves (who may settle it) ------------------------------------------------

VILLAGES = st.builds(
    lambda county, township, village: RegionCode(f"6404{county}{township}{village}"),
    st.sampled_from(["02", "03"]),
    st.sampled_from(["100", "101"]),
    st.sampled_from(["201", "202"]),
)
LEVELS = list(RegionLevel)


@given(st.lists(VILLAGES, min_size=1, max_size=6))
def test_the_served_region_is_the_smallest_holding_every_person_served(villages: list[RegionCode]) -> None:
    served = rules.served_region(villages)
    assert served is not None and all(served.contains(v) for v in villages)
    if served not in villages:
        below = LEVELS[LEVELS.index(served.level) + 1]
        assert len({v.ancestor(below) for v in villages}) > 1  # nothing smaller holds them all


def test_a_provider_serving_no_one_or_two_provinces_has_no_served_region() -> None:
    assert rules.served_region([]) is None
    assert rules.served_region([RegionCode("640402100201"), RegionCode("650102100201")]) is None
    assert rules.served_region([RegionCode("640402100201"), RegionCode("640402101000")]) == RegionCode(
        "640402000000"
    )
