"""The payee's account from the window to the bank (DOMAIN §11.1): H01's applicant types his card number at
intake; intake's ApplicationAccepted carries it to eligibility, the entitlement eligibility approves names it,
disbursement's roster keeps it, and the bank simulator's order pays into exactly that number. Without an
account the month is held, not sent; once the township records one (ChangePayeeAccount) the held month is
re-issued to it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.intake.v1 import events_pb2 as intake_events
from doudi.intake.v1 import intake_pb2
from doudi_disbursement.app.overpayments import Overpayments
from doudi_disbursement.app.returned import ReturnedPayments
from doudi_disbursement.domain.payments import NO_ACCOUNT_REASON
from doudi_disbursement.events.entitlements import apply_entitlement_event
from doudi_disbursement.main import payroll
from doudi_disbursement.store import payroll as disbursement_store
from doudi_eligibility.app.common import Actor
from doudi_eligibility.domain.case_file import PayeeAccount
from doudi_eligibility.domain.machines.roles import Role
from doudi_eligibility.main import DEFINITION as ELIGIBILITY
from doudi_intake.api.grpc import submission_from_proto
from doudi_intake.app.applications import ApplicationUseCases
from doudi_intake.main import DEFINITION as INTAKE
from doudi_intake.main import IntakeSettings
from doudi_runtime.events.envelope import decode, new_envelope, unpack
from doudi_runtime.service import ServiceContext, build_context, migrate

from .bank import disbursement_with_bank
from .h01 import COUNTY, MEMBERS, TOWNSHIP, Eligibility, eligibility_in_process, verified

CARD = "6222021001123456789"
NEW_CARD = "6217002870001234564"
RELATIONS = (intake_pb2.RELATION_SELF, intake_pb2.RELATION_SPOUSE, intake_pb2.RELATION_CHILD)


@dataclass
class Chain:
    intake: ServiceContext[Any]
    eligibility: Eligibility
    disbursement: ServiceContext[Any]
    bank: Any


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chain]:
    intake_settings = IntakeSettings(
        grpc_port=0,
        metrics_port=0,
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'i.db'}",
        auth_mode="off",
    )
    migrate(INTAKE, intake_settings)
    intake = build_context(INTAKE, intake_settings)
    with disbursement_with_bank(tmp_path) as banked:
        eligibility = eligibility_in_process(tmp_path)
        try:
            yield Chain(intake, eligibility, banked.context, banked.bank)
        finally:
            for context in (intake, eligibility.context):
                context.persistence().database.dispose()


def h01_at_the_window(payee: intake_pb2.PayeeAccount | None) -> intake_pb2.SubmitApplicationRequest:
    request = intake_pb2.SubmitApplicationRequest(
        request_id="window-h01",
        programme=programme_pb2.PROGRAMME_DIBAO,
        channel=programme_pb2.CHANNEL_WINDOW,
        township=types_pb2.RegionCode(code="640402100000"),
        household=intake_pb2.Household(
            residence_region=types_pb2.RegionCode(code="640402100201"),
            household_type=intake_pb2.HOUSEHOLD_TYPE_URBAN,
            members=[
                intake_pb2.HouseholdMember(
                    person=types_pb2.Person(id_number=types_pb2.IdNumber(value=number), name=name),
                    relation_to_applicant=relation,
                    counted=True,
                    consent_signed=True,
                )
                for (number, name), relation in zip(MEMBERS, RELATIONS, strict=True)
            ],
        ),
    )
    if payee is not None:
        request.payee.CopyFrom(payee)
    return request


def outbox_envelopes(context: ServiceContext[Any], topic: str) -> list[Any]:
    outbox = context.store.messaging.outbox  # type: ignore[union-attr]
    with context.persistence().database.read() as session:
        rows = session.execute(select(outbox).order_by(outbox.c.seq)).all()
    return [decode(row.envelope) for row in rows if row.topic == topic]


def accepted_at_intake(c: Chain, payee: intake_pb2.PayeeAccount | None) -> tuple[str, Any]:
    """The window takes H01 (with the account typed there, if any) and accepts it: intake's event."""
    window = ApplicationUseCases(c.intake, clock=lambda: datetime(2025, 3, 3, 1, 0, tzinfo=UTC))
    application = window.submit_application("window-h01", submission_from_proto(h01_at_the_window(payee)))
    window.accept("accept-h01", application.application_id)
    [accepted] = [
        e
        for e in outbox_envelopes(c.intake, "doudi.intake.application.v1")
        if e.event_type.endswith("ApplicationAccepted")
    ]
    return application.application_id, accepted


def decided_in_eligibility(c: Chain, application_id: str, accepted: Any) -> None:
    """H01's six steps in eligibility, from intake's own event and verification's report."""
    e = c.eligibility
    report = verified()
    report.report.application_id = application_id
    subscriptions = {s.topic: s for s in ELIGIBILITY.subscriptions(e.context)}
    for topic_name, envelope in (
        ("doudi.intake.application.v1", accepted),
        (
            "doudi.verification.report.v1",
            new_envelope(report, producer="verification", subject_key=application_id),
        ),
    ):
        with e.context.persistence().database.transaction() as session:
            subscriptions[topic_name].handler(session, envelope)
    procedure = e.app.procedure
    procedure.record_home_survey("s", application_id, TOWNSHIP, ("a", "b"), "入户调查", False, "", "")
    procedure.record_democratic_review("r", application_id, Actor(Role.VILLAGE, "village-01"), "评议通过")
    e.clock.on(date(2025, 3, 11))
    procedure.assess("o", application_id, "rep_h01", TOWNSHIP)
    e.clock.on(date(2025, 3, 19))
    procedure.close_due_notices()
    e.clock.on(date(2025, 3, 31))
    _, entitlement = procedure.decide("d", application_id, True, "经审核确认", COUNTY)
    assert entitlement is not None


def hand_to_disbursement(c: Chain, already: int = 0) -> None:
    for envelope in c.eligibility.entitlement_events()[already:]:
        with c.disbursement.persistence().database.transaction() as session:
            apply_entitlement_event(session, envelope, c.eligibility.clock(), Overpayments(c.disbursement))


def pay_april(c: Chain) -> Any:
    use_cases = payroll(c.disbursement)
    use_cases.clock = lambda: datetime(2025, 4, 20, 2, 0, tzinfo=UTC)
    run = use_cases.generate_run("gen-apr", "2025-04", "640402000000", "county-clerk")
    use_cases.generate_shards()
    run, _shards, _by_state = use_cases.get_run(run.run_id)
    use_cases.approve("approve-apr", run.run_id, "finance-officer", run.payment_count, run.total_fen)
    while use_cases.send_to_bank():
        pass
    use_cases.reconcile()
    return use_cases


def test_the_account_typed_at_the_window_is_the_one_the_bank_is_ordered_to_pay(chain: Chain) -> None:
    typed = intake_pb2.PayeeAccount(
        holder_name="李明", account_number=f"{CARD[:4]} {CARD[4:8]} {CARD[8:]}", bank_name="黄河农村商业银行"
    )
    application_id, accepted = accepted_at_intake(chain, typed)
    decided_in_eligibility(chain, application_id, accepted)
    hand_to_disbursement(chain)
    pay_april(chain)

    (booking,) = chain.bank.ledger.bookings(application_id)
    assert (booking.account_number, booking.amount_fen, booking.result) == (CARD, 6_000, "SETTLED")


def test_without_an_account_the_month_is_held_until_the_township_records_one(chain: Chain) -> None:
    application_id, accepted = accepted_at_intake(chain, None)
    assert unpack(accepted, intake_events.ApplicationAccepted).application.payee_missing
    decided_in_eligibility(chain, application_id, accepted)
    hand_to_disbursement(chain)
    pay_april(chain)
    assert chain.bank.ledger.bookings(application_id) == []
    with chain.disbursement.persistence().database.read() as session:
        [held] = disbursement_store.payments_to_resolve(session, "640402", ["HELD"], None, 10)
    assert (held.state, held.reason, held.payee_account) == ("HELD", NO_ACCOUNT_REASON, "")

    [entitlement] = chain.eligibility.app.entitlements.list(None, None, 10)
    seen = len(chain.eligibility.entitlement_events())
    chain.eligibility.app.entitlements.change_payee(
        "payee-1",
        entitlement.entitlement_id,
        PayeeAccount("李明", NEW_CARD, "农业银行"),
        "申请人李明办理一卡通",
        TOWNSHIP,
    )
    hand_to_disbursement(chain, already=seen)
    ReturnedPayments(chain.disbursement).reissue("again-1", held.payment_id)
    use_cases = payroll(chain.disbursement)
    while use_cases.send_to_bank():
        pass
    use_cases.reconcile()
    (booking,) = chain.bank.ledger.bookings(application_id)
    assert (booking.account_number, booking.amount_fen, booking.result) == (NEW_CARD, 6_000, "SETTLED")
