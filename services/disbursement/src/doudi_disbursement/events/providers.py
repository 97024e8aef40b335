"""Care's ProviderFeeSettled → a provider fee owed (through the inbox: a repeat changes nothing)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from prometheus_client import Counter
from sqlalchemy.orm import Session

from doudi.care.v1 import events_pb2
from doudi.common.v1 import types_pb2
from doudi.common.v1.envelope_pb2 import EventEnvelope
from doudi.disbursement.v1 import disbursement_pb2
from doudi_common.masking import mask_bank_account
from doudi_common.period import Period
from doudi_contracts.topics import topic
from doudi_disbursement.domain.provider_fees import (
    ProviderFee,
    UnusableSettlement,
    check_resettlement,
    check_settlement,
)
from doudi_disbursement.store import providers as store
from doudi_runtime.events.consumer import Subscription
from doudi_runtime.events.envelope import unpack

TOPIC_WORK_ORDERS = topic("doudi.care.workorder.v1").name
SETTLED = events_pb2.ProviderFeeSettled.DESCRIPTOR.full_name
log = logging.getLogger(__name__)
FEES_FEN = Counter(
    "doudi_disbursement_provider_fees_owed_fen_total",
    "Care providers' monthly fees recorded as owed (DOMAIN §9.3), in fen.",
)


def _fee(event: events_pb2.ProviderFeeSettled) -> ProviderFee:
    s = event.settlement
    try:
        period = Period.parse(s.period.month)
    except Exception as exc:
        raise UnusableSettlement(f"settlement {s.settlement_id}: {s.period.month!r} is not a month") from exc
    return ProviderFee(
        settlement_id=s.settlement_id,
        provider_id=s.provider_id,
        period=period,
        gross_fen=s.gross.amount_fen,
        deductions_fen=s.deductions.amount_fen,
        payable_fen=s.payable.amount_fen,
    )


def apply_settlement(session: Session, envelope: EventEnvelope, now: datetime) -> None:
    if envelope.event_type != SETTLED:
        return  # completed and missed work orders are care's matter; only the settlement is paid
    fee = _fee(unpack(envelope, events_pb2.ProviderFeeSettled))
    check_settlement(fee)
    owed = store.get_fee(session, fee.idempotency_key)
    if owed is not None:
        if owed.settlement_id != fee.settlement_id:
            check_resettlement(owed, fee)
            log.warning(
                "a second settlement of the same amount for a month already owed; nothing more is owed",
                extra={"provider": fee.provider_id, "period": str(fee.period)},
            )
        return
    store.insert_fee(session, fee, now)
    FEES_FEN.inc(fee.payable_fen)


def settlement_subscription(clock: Callable[[], datetime]) -> Subscription:
    return Subscription(
        TOPIC_WORK_ORDERS, lambda session, envelope: apply_settlement(session, envelope, clock())
    )


def account_to_proto(row: Any) -> disbursement_pb2.ProviderAccount:
    updated = Timestamp()
    updated.FromDatetime(row.updated_at)
    return disbursement_pb2.ProviderAccount(
        provider_id=row.provider_id,
        region=types_pb2.RegionCode(code=row.county),
        account_name=row.account_name,
        masked_account=mask_bank_account(row.account_number),
        registered_by=row.registered_by,
        updated_at=updated,
    )


def fee_to_proto(fee: ProviderFee, payment_id: str) -> disbursement_pb2.ProviderFee:
    return disbursement_pb2.ProviderFee(
        settlement_id=fee.settlement_id,
        period=types_pb2.Period(month=str(fee.period)),
        gross=types_pb2.Money(amount_fen=fee.gross_fen),
        deductions=types_pb2.Money(amount_fen=fee.deductions_fen),
        payable=types_pb2.Money(amount_fen=fee.payable_fen),
        payment_id=payment_id,
        idempotency_key=fee.idempotency_key,
    )
