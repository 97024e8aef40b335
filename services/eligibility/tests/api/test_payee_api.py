"""The payee of an entitlement (DOMAIN §11.1): the account typed at the window is the one the entitlement
announces; without one the entitlement starts with its payee missing; the township records a new account
with ChangePayeeAccount, announced as EntitlementChanged from next month and audited masked."""

from __future__ import annotations

import json

import grpc
import pytest
from sqlalchemy import select

from doudi.eligibility.v1 import eligibility_pb2 as pb
from doudi.eligibility.v1 import events_pb2
from doudi.intake.v1 import intake_pb2
from doudi_eligibility.store.tables import audit_log
from doudi_runtime.grpc.errors import field_violations_from

from .conftest import AUTH, H01, TOWNSHIP_OFFICER, Eligibility, accepted_event, verified_event
from .test_dibao_dependents_api import terminate
from .test_procedure_api import assess, decide, survey_and_review

CARD = "6222021001123456789"
NEW_CARD = "6217002870001234564"


def approve_h01(e: Eligibility, payee: intake_pb2.PayeeAccount | None) -> pb.Entitlement:
    accepted = accepted_event(H01)
    if payee is not None:
        accepted.application.payee.CopyFrom(payee)
    e.deliver(accepted, H01.application_id, "intake")
    e.deliver(verified_event(H01), H01.application_id, "verification")
    e.clock.on(2025, 3, 6)
    survey_and_review(e, H01)
    e.clock.on(2025, 3, 11)
    assess(e, H01.application_id)
    e.clock.on(2025, 3, 19)
    assert e.app.procedure.close_due_notices() == 1
    e.clock.on(2025, 3, 31)
    decide(e, H01.application_id)
    [activated] = [
        events_pb2.EntitlementActivated.FromString(envelope.payload.value)
        for envelope in e.envelopes("EntitlementActivated")
    ]
    return activated.entitlement


def change(e: Eligibility, entitlement_id: str, payee: pb.Payee, request_id: str = "pay-1") -> pb.Entitlement:
    return e.stub.ChangePayeeAccount(
        pb.ChangePayeeAccountRequest(
            request_id=request_id,
            entitlement_id=entitlement_id,
            payee=payee,
            reason="原卡挂失，换发一卡通",
            actor=TOWNSHIP_OFFICER,
        ),
        metadata=AUTH,
        timeout=10,
    ).entitlement


def test_the_account_given_at_the_window_is_the_entitlements_payee(eligibility) -> None:  # type: ignore[no-untyped-def]
    window = intake_pb2.PayeeAccount(holder_name="李明", account_number=CARD, bank_name="黄河农村商业银行")
    entitlement = approve_h01(eligibility, window)
    assert entitlement.payee == pb.Payee(
        account_name="李明", account_number=CARD, bank_name="黄河农村商业银行", missing=False
    )


def test_a_guardian_managed_account_keeps_the_guardian(eligibility) -> None:  # type: ignore[no-untyped-def]
    window = intake_pb2.PayeeAccount(
        holder_name="李小军", account_number=CARD, bank_name="信用社", guardian_name="王芳"
    )
    payee = approve_h01(eligibility, window).payee
    assert (payee.account_name, payee.account_number, payee.guardian_name) == ("李小军", CARD, "王芳")


def test_without_an_account_the_entitlement_starts_with_its_payee_missing(eligibility) -> None:  # type: ignore[no-untyped-def]
    payee = approve_h01(eligibility, None).payee
    assert payee.missing and payee.account_number == "" and payee.account_name == "李明"


def test_a_new_account_is_announced_from_next_month_and_audited_masked(eligibility) -> None:  # type: ignore[no-untyped-def]
    entitlement = approve_h01(eligibility, None)
    new = pb.Payee(account_name="李明", account_number=NEW_CARD, bank_name="农业银行")
    changed = change(eligibility, entitlement.entitlement_id, new)
    assert (changed.payee.account_name, changed.payee.account_number, changed.payee.missing) == (
        "李明",
        NEW_CARD,
        False,
    )
    again = change(eligibility, entitlement.entitlement_id, new)
    assert again.payee == changed.payee
    [event] = [
        events_pb2.EntitlementChanged.FromString(envelope.payload.value)
        for envelope in eligibility.envelopes("EntitlementChanged")
    ]
    assert event.before.payee.missing and event.after.payee.account_number == NEW_CARD
    assert event.effective_month.month == "2025-04"  # decided on 31 March: from the next month
    assert event.after.monthly_amount == event.before.monthly_amount

    with eligibility.context.database.read() as session:  # type: ignore[union-attr]
        details = (
            session.execute(
                select(audit_log.c.detail).where(audit_log.c.subject_id == entitlement.entitlement_id)
            )
            .scalars()
            .all()
        )
    text = " ".join(details)
    assert NEW_CARD not in text and "***************4564" in text
    trail = eligibility.context.audit_log()
    records = [r for r in trail.page(0, 1000) if r.method.endswith("/ChangePayeeAccount")]
    assert records
    assert NEW_CARD not in json.dumps([vars(r) for r in records], ensure_ascii=False, default=str)


@pytest.mark.parametrize(
    ("payee", "field"),
    [
        (
            pb.Payee(account_name="李明", account_number=NEW_CARD[:-1] + "2", bank_name="农业银行"),
            "payee.account_number",
        ),
        (
            pb.Payee(account_name="李明", account_number="6217 0028 70", bank_name="农业银行"),
            "payee.account_number",
        ),
        (pb.Payee(account_name="张三", account_number=NEW_CARD, bank_name="农业银行"), "payee.account_name"),
        (pb.Payee(account_name="李明", account_number=NEW_CARD), "payee.bank_name"),
    ],
)
def test_a_faulty_account_is_refused_naming_the_field(eligibility, payee, field) -> None:  # type: ignore[no-untyped-def]
    entitlement = approve_h01(eligibility, None)
    with pytest.raises(grpc.RpcError) as raised:
        change(eligibility, entitlement.entitlement_id, payee)
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field in [name for name, _ in field_violations_from(raised.value)]
    assert eligibility.envelopes("EntitlementChanged") == []


def test_a_terminated_entitlement_takes_no_new_account(eligibility) -> None:  # type: ignore[no-untyped-def]
    entitlement = approve_h01(eligibility, None)
    eligibility.clock.on(2025, 5, 1)
    eligibility.app.entitlements.activate_due()
    terminate(eligibility, entitlement.entitlement_id)
    with pytest.raises(grpc.RpcError) as raised:
        change(
            eligibility,
            entitlement.entitlement_id,
            pb.Payee(account_name="李明", account_number=NEW_CARD, bank_name="农业银行"),
        )
    assert raised.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "terminated" in (raised.value.details() or "")
