"""The one-off bonus of a voluntary exit from Dibao (DOMAIN §5.1.6, §7.3, SEED-4): eligibility decides the
amount (``dibao.voluntary_exit.bonus_months`` × the monthly amount in force) and disbursement pays it once,
as its own component of the last month the entitlement paid, so the payment identity
(beneficiary, programme, month, EXIT_BONUS) is never taken by the monthly amount or a county's one-off batch,
and an event heard twice or a run generated again pays it once.
"""

from __future__ import annotations

from doudi_common.period import Period
from doudi_disbursement.domain.payments import PaymentLine, idempotency_key
from doudi_disbursement.domain.roster import RosterEntry

EXIT_BONUS = "EXIT_BONUS"


def exit_bonus_key(entry: RosterEntry, period: Period) -> str:
    return idempotency_key(entry.beneficiary_id, entry.programme, period, EXIT_BONUS)


def exit_bonus_line(entry: RosterEntry, period: Period, amount_fen: int) -> PaymentLine:
    return PaymentLine(
        beneficiary_id=entry.beneficiary_id,
        programme=entry.programme,
        period=period,
        component=EXIT_BONUS,
        amount_fen=amount_fen,
        entitlement_id=entry.entitlement_id,
        township=entry.township,
        payee_name=entry.payee_name,
        payee_account=entry.payee_account,
    )
