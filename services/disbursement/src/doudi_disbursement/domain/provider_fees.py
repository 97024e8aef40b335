"""Care providers' monthly fees (DOMAIN §9.3, §13 H14): what care settled becomes a payment of its own.

A fee is identified like every payment, by (provider, programme, period, PROVIDER_FEE): the provider is
the payee, and the programme is Tekun, whose dispersed support purchases the care services. One
(provider, month) is paid once: a settlement heard again changes nothing, and a second settlement of
the month with another amount is refused, since the first may already be at the bank; a correction
is the county's decision, not a second payment.
"""

from __future__ import annotations

from dataclasses import dataclass

from doudi_common.errors import InvalidArgument
from doudi_common.period import Period
from doudi_common.region import RegionCode, RegionLevel
from doudi_disbursement.domain.payments import PaymentLine, idempotency_key

PROVIDER_FEE = "PROVIDER_FEE"
#: The programme whose purchased care services the fees pay for (DOMAIN §5.2.4, §9.3).
PROVIDER_PROGRAMME = "TEKUN"


class UnusableSettlement(ValueError):
    """A settlement disbursement cannot pay as it stands; retried, then dead-lettered with this message."""


@dataclass(frozen=True)
class ProviderFee:
    settlement_id: str
    provider_id: str
    period: Period
    gross_fen: int
    deductions_fen: int
    payable_fen: int

    @property
    def idempotency_key(self) -> str:
        return fee_key(self.provider_id, self.period)


@dataclass(frozen=True)
class ProviderAccount:
    provider_id: str
    county: str
    account_name: str
    account_number: str


def fee_key(provider_id: str, period: Period) -> str:
    return idempotency_key(provider_id, PROVIDER_PROGRAMME, period, PROVIDER_FEE)


def check_settlement(fee: ProviderFee) -> None:
    """The figures care announced must add up: payable = gross − deductions, none negative."""
    if not fee.provider_id or not fee.settlement_id:
        raise UnusableSettlement("a settlement without its provider or its id cannot be paid")
    if min(fee.gross_fen, fee.deductions_fen, fee.payable_fen) < 0:
        raise UnusableSettlement(f"settlement {fee.settlement_id} has a negative amount")
    if fee.gross_fen - fee.deductions_fen != fee.payable_fen:
        raise UnusableSettlement(
            f"settlement {fee.settlement_id}: payable {fee.payable_fen} is not gross {fee.gross_fen} "
            f"less deductions {fee.deductions_fen}"
        )


def check_resettlement(owed: ProviderFee, heard: ProviderFee) -> None:
    """A second settlement of a month already owed is harmless with the same payable amount (nothing more
    is owed) and refused with another one (UnusableSettlement)."""
    if heard.payable_fen != owed.payable_fen:
        raise UnusableSettlement(
            f"{heard.provider_id} is already owed {owed.payable_fen} fen for {owed.period} "
            f"(settlement {owed.settlement_id}); a second settlement of {heard.payable_fen} fen "
            f"({heard.settlement_id}) is refused: the month is paid once, and a correction is the "
            "county's decision"
        )


def check_account_number(value: str, field: str = "account_number") -> str:
    """A bank or credit-union account: 12 to 30 digits, spaces used for grouping dropped."""
    digits = "".join(value.split())
    if not digits.isdigit() or not 12 <= len(digits) <= 30:
        raise InvalidArgument.single(field, "must be 12 to 30 digits")
    return digits


def check_county(region: str, field: str = "region") -> None:
    if RegionCode.parse(region, field=field).level is not RegionLevel.COUNTY:
        raise InvalidArgument.single(field, "must be the 12-digit code of a county (its run pays the fees)")


def fee_line(fee: ProviderFee, account: ProviderAccount) -> PaymentLine:
    """The fee as a line of the county's run: the county is its 'township' (its shard and bank batch)."""
    return PaymentLine(
        beneficiary_id=fee.provider_id,
        programme=PROVIDER_PROGRAMME,
        period=fee.period,
        component=PROVIDER_FEE,
        amount_fen=fee.payable_fen,
        entitlement_id="",
        township=account.county,
        payee_name=account.account_name,
        payee_account=account.account_number,
    )


def due_lines(
    fees: list[ProviderFee], accounts: dict[str, ProviderAccount], run_period: Period
) -> list[PaymentLine]:
    """The lines a county's run of ``run_period`` pays: fees of months up to the run's, of providers
    with an account; a fee whose provider has no account yet waits for a later run."""
    return [
        fee_line(fee, accounts[fee.provider_id])
        for fee in sorted(fees, key=lambda f: (f.provider_id, f.period))
        if fee.provider_id in accounts and fee.period <= run_period and fee.payable_fen > 0
    ]
