"""Care providers' fees as payments (DOMAIN §9.3, §13 H14): one line per (provider, month), paid into the
provider's account by the county that registered it, and never a second amount for a month."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.errors import InvalidArgument
from doudi_common.period import Period
from doudi_disbursement.domain.payments import bank_key, identity_of
from doudi_disbursement.domain.provider_fees import (
    PROVIDER_FEE,
    ProviderAccount,
    ProviderFee,
    UnusableSettlement,
    check_account_number,
    check_county,
    check_resettlement,
    check_settlement,
    due_lines,
    fee_key,
)

JUN, JUL, AUG = Period(2026, 6), Period(2026, 7), Period(2026, 8)
COUNTY = "640402000000"
ACCOUNT = ProviderAccount("prov_anle", COUNTY, "安乐居家养老服务中心", "6228480000000099")


def fee(
    payable: int = 9_600, period: Period = JUN, provider: str = "prov_anle", sid: str = "s1"
) -> ProviderFee:
    return ProviderFee(sid, provider, period, 12_000, 12_000 - payable, payable)


def test_h14_the_june_fee_of_96_is_one_line_to_the_providers_account_keyed_by_its_identity() -> None:
    (line,) = due_lines([fee()], {"prov_anle": ACCOUNT}, JUL)
    assert (line.beneficiary_id, line.period, line.component, line.amount_fen) == (
        "prov_anle",
        JUN,
        PROVIDER_FEE,
        9_600,
    )
    assert (line.township, line.payee_name, line.payee_account) == (
        COUNTY,
        ACCOUNT.account_name,
        "6228480000000099",
    )
    assert line.idempotency_key == fee_key("prov_anle", JUN) == "TEKUN:prov_anle:2026-06:PROVIDER_FEE"


def test_a_fee_waits_while_its_provider_has_no_account() -> None:
    assert due_lines([fee()], {}, JUL) == []


def test_a_run_does_not_pay_a_month_after_its_own() -> None:
    assert due_lines([fee(period=AUG)], {"prov_anle": ACCOUNT}, JUL) == []
    assert [x.period for x in due_lines([fee(period=AUG), fee(period=JUN)], {"prov_anle": ACCOUNT}, AUG)] == [
        JUN,
        AUG,
    ]


def test_a_month_with_nothing_payable_sends_no_empty_order_to_the_bank() -> None:
    assert due_lines([fee(payable=0)], {"prov_anle": ACCOUNT}, JUL) == []


@given(
    provider=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=30),
    month=st.integers(1, 12),
    attempt=st.integers(1, 50),
)
def test_a_fees_identity_survives_the_bank_key_of_any_attempt(
    provider: str, month: int, attempt: int
) -> None:
    key = fee_key(provider, Period(2026, month))
    assert identity_of(bank_key(key, attempt)) == key
    assert key.endswith(f":{PROVIDER_FEE}")


@given(gross=st.integers(0, 10**9), deductions=st.integers(0, 10**9), payable=st.integers(-10, 10**9))
def test_a_settlement_is_accepted_only_when_payable_is_gross_less_deductions(
    gross: int, deductions: int, payable: int
) -> None:
    settled = ProviderFee("s1", "prov_anle", JUN, gross, deductions, payable)
    if payable == gross - deductions and payable >= 0:
        check_settlement(settled)
    else:
        with pytest.raises(UnusableSettlement):
            check_settlement(settled)


@given(first=st.integers(1, 10**7), second=st.integers(1, 10**7))
def test_a_second_settlement_of_a_month_is_a_repeat_only_with_the_same_amount(
    first: int, second: int
) -> None:
    owed, heard = fee(first, sid="s1"), fee(second, sid="s2")
    if first == second:
        check_resettlement(owed, heard)
    else:
        with pytest.raises(UnusableSettlement, match="refused"):
            check_resettlement(owed, heard)


@pytest.mark.parametrize("number", ["", "12345", "6228 4800 0000 0099 x", "1" * 31])
def test_an_account_number_is_12_to_30_digits(number: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        check_account_number(number)
    assert [v.field for v in raised.value.violations] == ["account_number"]


def test_grouping_spaces_are_dropped_from_an_account_number() -> None:
    assert check_account_number("6228 4800 0000 0099") == "6228480000000099"


@pytest.mark.parametrize("region", ["640402100000", "640000000000", "6404"])
def test_only_a_county_pays_providers(region: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        check_county(region)
    assert [v.field for v in raised.value.violations] == ["region"]


fees = st.builds(
    lambda provider, month, payable: fee(payable, Period(2026, month), provider, f"s_{provider}_{month}"),
    st.sampled_from(["prov_a", "prov_b", "prov_c"]),
    st.integers(1, 12),
    st.integers(0, 50_000),
)


@given(
    owed=st.lists(fees, unique_by=lambda f: f.idempotency_key, max_size=20),
    with_account=st.sets(st.sampled_from(["prov_a", "prov_b", "prov_c"])),
    run_month=st.integers(1, 12),
)
def test_a_run_pays_exactly_the_fees_owed_to_providers_with_an_account_up_to_its_month(
    owed: list[ProviderFee], with_account: set[str], run_month: int
) -> None:
    accounts = {p: ProviderAccount(p, COUNTY, p, "6228480000000099") for p in with_account}
    lines = due_lines(owed, accounts, Period(2026, run_month))
    expected = {
        f.idempotency_key: f.payable_fen
        for f in owed
        if f.provider_id in with_account and f.period.month <= run_month and f.payable_fen > 0
    }
    assert {line.idempotency_key: line.amount_fen for line in lines} == expected
    assert len(lines) == len(expected), "one line per (provider, month)"
    assert all(line.township == COUNTY for line in lines)
