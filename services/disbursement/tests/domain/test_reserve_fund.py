"""The township reserve fund (DOMAIN §11.3): advances never overdraw it, cash needs its paperwork, and
every advance is later regularised; the ledger always adds up."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.errors import FailedPrecondition, InvalidArgument
from doudi_common.money import MAX_FEN
from doudi_common.testing import EXAMPLE_TOWNSHIP, make_resident_id
from doudi_disbursement.domain import reserve
from doudi_disbursement.domain.reserve import Advance, AdvanceState, Method

NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
TODAY = date(2026, 11, 28)
PERSON = make_resident_id(date(1979, 5, 6), 33)


def an_advance(amount_fen: int = 200_000, method: Method = Method.CASH, **changes: object) -> Advance:
    advance = Advance(
        advance_id="adv_1",
        township=EXAMPLE_TOWNSHIP,
        person_id=PERSON,
        person_name="马有福",
        amount_fen=amount_fen,
        method=method,
        reason="房屋失火，临时安置",
        case_reference="lead_42",
        paid_by=("民政助理 李", "副乡长 王"),
        payee_account="6228480012345678" if method is Method.BANK else "",
        receipt_reference="收据 2026-118" if method is Method.CASH else "",
        photo_reference="photo/2026/11/28/118.jpg" if method is Method.CASH else "",
    )
    return replace(advance, **changes)  # type: ignore[arg-type]


def test_an_advance_that_would_overdraw_the_fund_is_refused_and_names_the_escalation() -> None:
    fund, _ = reserve.open_fund(EXAMPLE_TOWNSHIP, 100_000, NOW)
    with pytest.raises(reserve.InsufficientReserve, match="escalate to the county"):
        reserve.pay_advance(fund, an_advance(100_001), NOW)
    emptied, paid, entry = reserve.pay_advance(fund, an_advance(100_000), NOW)
    assert (emptied.balance_fen, emptied.outstanding_fen, paid.state) == (0, 100_000, AdvanceState.PAID)
    assert (entry.amount_fen, entry.balance_after_fen) == (-100_000, 0)


def test_cash_needs_a_receipt_a_photo_and_two_different_signatures() -> None:
    bare = an_advance(receipt_reference="", photo_reference="", paid_by=("李", "李"))
    with pytest.raises(InvalidArgument) as raised:
        reserve.validate_advance(bare, TODAY)
    fields = {v.field for v in raised.value.violations}
    assert fields == {"receipt_reference", "photo_reference", "paid_by"}
    reserve.validate_advance(an_advance(), TODAY)


def test_a_bank_advance_needs_an_account_and_waits_for_the_bank() -> None:
    with pytest.raises(InvalidArgument) as raised:
        reserve.validate_advance(an_advance(method=Method.BANK, payee_account="12ab"), TODAY)
    assert [v.field for v in raised.value.violations] == ["payee_account"]
    fund, _ = reserve.open_fund(EXAMPLE_TOWNSHIP, 500_000, NOW)
    fund, advance, _ = reserve.pay_advance(fund, an_advance(method=Method.BANK), NOW)
    assert advance.state is AdvanceState.PENDING_BANK
    with pytest.raises(FailedPrecondition):
        reserve.regularise(fund, advance, 200_000, "TA-2026-9", NOW)


def test_a_returned_bank_advance_puts_the_money_back_and_cannot_be_regularised() -> None:
    fund, _ = reserve.open_fund(EXAMPLE_TOWNSHIP, 500_000, NOW)
    fund, advance, _ = reserve.pay_advance(fund, an_advance(method=Method.BANK), NOW)
    fund, returned, entry = reserve.bank_answered(
        fund, replace(advance, state=AdvanceState.SUBMITTED), settled=False, now=NOW
    )
    assert (fund.balance_fen, fund.outstanding_fen, returned.state) == (500_000, 0, AdvanceState.RETURNED)
    assert entry is not None and entry.kind is reserve.EntryKind.RETURNED
    with pytest.raises(FailedPrecondition):
        reserve.regularise(fund, returned, 200_000, "TA-2026-9", NOW)


def test_regularisation_replenishes_the_fund_and_an_advance_above_the_grant_is_an_overpayment() -> None:
    fund, _ = reserve.open_fund(EXAMPLE_TOWNSHIP, 500_000, NOW)
    fund, advance, _ = reserve.pay_advance(fund, an_advance(300_000), NOW)
    done = reserve.regularise(fund, advance, 250_000, "TA-2026-9", NOW)
    assert (done.fund.balance_fen, done.fund.outstanding_fen) == (500_000, 0)
    assert (done.advance.state, done.advance.approved_fen, done.overpaid_fen) == (
        AdvanceState.REGULARISED,
        250_000,
        50_000,
    )
    with pytest.raises(FailedPrecondition):
        reserve.regularise(done.fund, done.advance, 250_000, "TA-2026-9", NOW)


movements = st.lists(
    st.one_of(
        st.tuples(st.just("top_up"), st.integers(1, 1_000_000)),
        st.tuples(st.just("advance"), st.integers(1, 1_000_000)),
        st.tuples(st.just("regularise"), st.integers(0, 1_000_000)),
    ),
    max_size=30,
)


@given(st.integers(0, 2_000_000), movements)
def test_the_fund_never_goes_below_zero_and_balance_plus_outstanding_is_what_was_put_in(
    opening: int, steps: list[tuple[str, int]]
) -> None:
    fund, _ = reserve.open_fund(EXAMPLE_TOWNSHIP, opening, NOW)
    put_in = opening
    paid: list[Advance] = []
    for index, (kind, amount) in enumerate(steps):
        if kind == "top_up":
            fund, _ = reserve.top_up(fund, amount, "县级拨付", NOW)
            put_in += amount
        elif kind == "advance":
            try:
                fund, advance, _ = reserve.pay_advance(
                    fund, an_advance(amount, advance_id=f"adv_{index}"), NOW
                )
                paid.append(advance)
            except reserve.InsufficientReserve:
                assert amount > fund.balance_fen
        elif paid:
            fund = reserve.regularise(fund, paid.pop(0), amount, f"TA-{index}", NOW).fund
        assert fund.balance_fen >= 0
        assert fund.balance_fen + fund.outstanding_fen == put_in
        assert fund.outstanding_fen == sum(a.amount_fen for a in paid)


def test_a_top_up_beyond_what_a_ledger_records_is_refused_naming_the_amount() -> None:
    fund, _ = reserve.open_fund(EXAMPLE_TOWNSHIP, 100_000, NOW)
    with pytest.raises(InvalidArgument) as refused:
        reserve.top_up(fund, MAX_FEN - 99_999, "县级追加", NOW)
    assert [v.field for v in refused.value.violations] == ["amount"]
    full, entry = reserve.top_up(fund, MAX_FEN - 100_000, "县级追加", NOW)
    assert full.balance_fen == entry.balance_after_fen == MAX_FEN
