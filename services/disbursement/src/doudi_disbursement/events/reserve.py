"""Reserve funds and advances ↔ protos, and the events they announce on the payment topic."""

from __future__ import annotations

from typing import Any

from doudi.common.v1 import types_pb2
from doudi.disbursement.v1 import events_pb2, reserve_pb2
from doudi_common.masking import mask_bank_account, mask_id_number
from doudi_disbursement.domain.reserve import Advance, AdvanceState, Fund, Method, beneficiary_of
from doudi_disbursement.events.payroll import TOPIC_PAYMENTS
from doudi_runtime.grpc.convert import money, timestamp

__all__ = ["TOPIC_PAYMENTS"]


def fund_to_proto(fund: Fund) -> reserve_pb2.ReserveFund:
    return reserve_pb2.ReserveFund(
        township=types_pb2.RegionCode(code=fund.township),
        balance=money(fund.balance_fen),
        outstanding=money(fund.outstanding_fen),
        opened_at=timestamp(fund.opened_at),
    )


def advance_to_proto(advance: Advance, *, reveal_person: bool) -> reserve_pb2.Advance:
    """The household's account is always masked; its ID number only outside its caseworkers' answers."""
    person_id = advance.person_id if reveal_person else mask_id_number(advance.person_id)
    message = reserve_pb2.Advance(
        advance_id=advance.advance_id,
        township=types_pb2.RegionCode(code=advance.township),
        person=types_pb2.Person(id_number=types_pb2.IdNumber(value=person_id), name=advance.person_name),
        amount=money(advance.amount_fen),
        method=reserve_pb2.AdvanceMethod.Value(f"ADVANCE_METHOD_{advance.method.value}"),
        reason=advance.reason,
        case_reference=advance.case_reference,
        paid_by=list(advance.paid_by),
        payee_account=mask_bank_account(advance.payee_account) if advance.payee_account else "",
        receipt_reference=advance.receipt_reference,
        photo_reference=advance.photo_reference,
        state=reserve_pb2.AdvanceState.Value(f"ADVANCE_STATE_{advance.state.value}"),
        decision_reference=advance.decision_reference,
    )
    if advance.approved_fen is not None:
        message.approved.CopyFrom(money(advance.approved_fen))
    return message


def advance_from_proto(message: reserve_pb2.Advance) -> Advance:
    method_name = reserve_pb2.AdvanceMethod.Name(message.method).removeprefix("ADVANCE_METHOD_")
    return Advance(
        advance_id="",
        township=message.township.code,
        person_id=message.person.id_number.value,
        person_name=message.person.name,
        amount_fen=message.amount.amount_fen,
        method=Method(method_name) if method_name in Method.__members__ else Method.BANK,
        reason=message.reason,
        case_reference=message.case_reference,
        paid_by=tuple(message.paid_by),
        payee_account=message.payee_account,
        receipt_reference=message.receipt_reference,
        photo_reference=message.photo_reference,
        state=AdvanceState.PENDING_BANK,
    )


def method_is_set(message: reserve_pb2.Advance) -> bool:
    return message.method != reserve_pb2.ADVANCE_METHOD_UNSPECIFIED


def entry_to_proto(row: Any, note: str) -> reserve_pb2.ReserveEntry:
    return reserve_pb2.ReserveEntry(
        sequence=int(row.sequence),
        kind=reserve_pb2.ReserveEntryKind.Value(f"RESERVE_ENTRY_KIND_{row.kind}"),
        amount=money(int(row.amount_fen)),
        balance_after=money(int(row.balance_after_fen)),
        advance_id=row.advance_id,
        note=note,
        recorded_by=row.recorded_by,
        recorded_at=timestamp(row.recorded_at),
    )


def advance_paid(advance: Advance) -> events_pb2.AdvancePaid:
    return events_pb2.AdvancePaid(advance=advance_to_proto(advance, reveal_person=False))


def advance_regularised(advance: Advance, overpaid_fen: int) -> events_pb2.AdvanceRegularised:
    return events_pb2.AdvanceRegularised(
        advance=advance_to_proto(advance, reveal_person=False), overpaid_fen=overpaid_fen
    )


def overpayment(advance: Advance, overpaid_fen: int) -> events_pb2.OverpaymentDetected:
    return events_pb2.OverpaymentDetected(
        beneficiary_id=beneficiary_of(advance),
        amount_fen=overpaid_fen,
        reason=f"temporary-assistance advance {advance.advance_id} above the grant of "
        f"{advance.decision_reference}",
    )
