"""Temporary assistance from the county's decision to the money at the bank and back (DOMAIN §7.4, §11.2,
§11.3; worked example H09 of §13).

The night of the fire the township pays the Chen household advance aid of 1,120 from its reserve fund through
the bank, and disbursement announces it (AdvancePaid). Eligibility counts it toward the event: the county
approves the event total of 3,360 and the 2,240 that remains is announced as a one-month entitlement for the
April run. Disbursement's April run pays it through the bank with the month's Dibao; when the bank settles it,
disbursement announces that one payment (PaymentSettled on doudi.disbursement.payment.v1) — the Dibao month
settles silently, counted in its batch — and that news, delivered to eligibility, makes the case TA_PAID.
Delivered again it changes nothing.

When the bank returns the money (the account is closed), disbursement announces PaymentReturned and no
PaymentSettled; eligibility keeps the case granted, not paid, with the bank's reason as its payment problem.

Every service runs in process on its own SQLite store through its own use-cases and consumers; the bank
simulator answers over real gRPC."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.disbursement.v1 import disbursement_pb2
from doudi.disbursement.v1 import events_pb2 as disbursement_events
from doudi.eligibility.v1 import eligibility_pb2 as pb
from doudi.intake.v1 import events_pb2 as intake_events
from doudi.intake.v1 import intake_pb2
from doudi.verification.v1 import events_pb2 as verification_events
from doudi.verification.v1 import verification_pb2
from doudi_disbursement.app.overpayments import Overpayments
from doudi_disbursement.domain.reserve import Advance, Method
from doudi_disbursement.events.entitlements import apply_entitlement_event
from doudi_disbursement.main import payroll, reserve_funds
from doudi_eligibility.app.common import Actor
from doudi_eligibility.app.temporary_assistance import TemporaryAssistanceUseCases
from doudi_eligibility.domain.case_file import EventFacts
from doudi_eligibility.domain.machines.roles import Role
from doudi_eligibility.domain.rules.temporary_assistance import Severity
from doudi_eligibility.events import mapping
from doudi_eligibility.main import DEFINITION as ELIGIBILITY
from doudi_runtime.events.envelope import decode, new_envelope, unpack
from doudi_runtime.service import ServiceContext

from .bank import disbursement_with_bank
from .h01 import COUNTY, TOWNSHIP, Eligibility, eligibility_in_process, verified
from .h01 import accepted as h01_accepted

PAYMENTS_TOPIC = "doudi.disbursement.payment.v1"
PAYROLL_TOPIC = "doudi.disbursement.payroll.v1"
TOWNSHIP_CODE, VILLAGE_CODE, COUNTY_CODE = "640402100000", "640402100201", "640402000000"
H09 = "app_h09"
FIRE = "inc_h09_fire"
CHEN = (
    ("640402198503033139", "陈志强"),
    ("640402198704043245", "林秀梅"),
    ("640402201005053158", "陈小明"),
    ("640402201406063269", "陈小丽"),
)
CHEN_WIFE = CHEN[1]
WIFE_CARD = "6222021001987654321"
CLOSED_CARD = "6228480000000000"  # the simulator returns what is paid into an account ending 0000
LI_CARD = "6222021001123456789"
SETTLED = disbursement_events.PaymentSettled.DESCRIPTOR.full_name
RETURNED = disbursement_events.PaymentReturned.DESCRIPTOR.full_name
ADVANCE_PAID = disbursement_events.AdvancePaid.DESCRIPTOR.full_name
RECONCILED = disbursement_events.BankBatchReconciled.DESCRIPTOR.full_name


@dataclass
class Chain:
    eligibility: Eligibility
    disbursement: ServiceContext[Any]
    bank: Any

    def temporary_assistance(self, reference: str) -> pb.TemporaryAssistance:
        """The case as GetTemporaryAssistance answers it."""
        app = self.eligibility.app
        use_cases = TemporaryAssistanceUseCases(app.procedure.commands, app.procedure.book)
        return mapping.ta_pb(use_cases.get(reference))

    def payment_news(self, *event_types: str, topic: str = PAYMENTS_TOPIC) -> list[Any]:
        """Disbursement's envelopes on ``topic`` of the given types, in the order written."""
        outbox = self.disbursement.store.messaging.outbox  # type: ignore[union-attr]
        with self.disbursement.persistence().database.read() as session:
            rows = session.execute(select(outbox).order_by(outbox.c.seq)).all()
        envelopes = [decode(row.envelope) for row in rows if row.topic == topic]
        return [e for e in envelopes if e.event_type in event_types]

    def to_eligibility(self, envelope: Any) -> None:
        """One envelope handed to eligibility's consumer of its topic, as the broker would hand it."""
        e = self.eligibility
        [subscription] = [s for s in ELIGIBILITY.subscriptions(e.context) if s.topic == PAYMENTS_TOPIC]
        with e.context.persistence().database.transaction() as session:
            subscription.handler(session, envelope)

    def to_disbursement(self) -> None:
        """Every entitlement event eligibility wrote, in order, applied by disbursement's consumer."""
        for envelope in self.eligibility.entitlement_events():
            with self.disbursement.persistence().database.transaction() as session:
                apply_entitlement_event(
                    session, envelope, self.eligibility.clock(), Overpayments(self.disbursement)
                )


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chain]:
    with disbursement_with_bank(tmp_path) as banked:
        eligibility = eligibility_in_process(tmp_path)
        try:
            yield Chain(eligibility, banked.context, banked.bank)
        finally:
            eligibility.context.persistence().database.dispose()


# -- H09 in eligibility ------------------------------------------------------------------------------------


def h09_accepted(card: str) -> intake_events.ApplicationAccepted:
    """The Chen household's urgent TA application as intake accepts it, the wife's card as payee."""
    application = intake_pb2.Application(
        application_id=H09,
        programme=programme_pb2.PROGRAMME_TEMPORARY_ASSISTANCE_URGENT,
        township=types_pb2.RegionCode(code=TOWNSHIP_CODE),
        household=intake_pb2.Household(
            residence_region=types_pb2.RegionCode(code=VILLAGE_CODE),
            household_type=intake_pb2.HOUSEHOLD_TYPE_RURAL,
            members=[
                intake_pb2.HouseholdMember(
                    person=types_pb2.Person(id_number=types_pb2.IdNumber(value=number), name=name),
                    counted=True,
                    consent_signed=True,
                )
                for number, name in CHEN
            ],
        ),
        payee=intake_pb2.PayeeAccount(
            holder_name=CHEN_WIFE[1], account_number=card, bank_name="黄河农村商业银行"
        ),
        state=intake_pb2.APPLICATION_STATE_ACCEPTED,
    )
    application.accepted_at.FromDatetime(datetime(2025, 3, 7, 1, 0, tzinfo=UTC))
    return intake_events.ApplicationAccepted(application_id=H09, application=application)


def h09_verified() -> verification_events.HouseholdVerified:
    """y ≈ 600 for four: wages 28,800 a year; assets within the rules."""
    passed = verification_pb2.ASSET_OUTCOME_PASS
    return verification_events.HouseholdVerified(
        report=verification_pb2.Report(
            report_id="rep_h09",
            application_id=H09,
            state=verification_pb2.REPORT_STATE_COMPLETE,
            counted_members=len(CHEN),
            gross_income_fen=2_880_000,
            items=[verification_pb2.SourceItem(member_index=0, item="wage_income", amount_fen=2_880_000)],
            asset_tests=[
                verification_pb2.AssetTest(rule=f"dibao.assets.{rule}", outcome=passed)
                for rule in ("financial_pc", "housing", "vehicle")
            ],
        )
    )


def opened(c: Chain, subject: str, *events: tuple[str, Any, str]) -> None:
    """Intake's and verification's events handed to eligibility's consumers."""
    e = c.eligibility
    subscriptions = {s.topic: s for s in ELIGIBILITY.subscriptions(e.context)}
    for topic_name, event, producer in events:
        with e.context.persistence().database.transaction() as session:
            subscriptions[topic_name].handler(
                session, new_envelope(event, producer=producer, subject_key=subject)
            )


def advance_from_the_reserve_fund(c: Chain) -> None:
    """+10 h: the township pays 1,120 from its reserve fund to the wife's card; disbursement's AdvancePaid
    reaches eligibility before any application exists."""
    reserve = reserve_funds(c.disbursement)
    reserve.clock = lambda: datetime(2025, 3, 3, 4, 0, tzinfo=UTC)
    reserve.open_fund("fund-open", TOWNSHIP_CODE, 5_000_000, "township-07")
    advance = Advance(
        advance_id="",
        township=TOWNSHIP_CODE,
        person_id=CHEN_WIFE[0],
        person_name=CHEN_WIFE[1],
        amount_fen=112_000,
        method=Method.BANK,
        reason="房屋失火，丈夫烧伤住院",
        case_reference=FIRE,
        paid_by=("township-07",),
        payee_account=WIFE_CARD,
    )
    reserve.pay_advance("advance-h09", advance, "township-07")
    reserve.send_advances()
    [paid] = c.payment_news(ADVANCE_PAID)
    c.to_eligibility(paid)


def h09_granted(c: Chain, card: str) -> pb.TemporaryAssistance:
    """The fire, the advance, the application within five working days, the township's survey and opinion,
    and the county's approval of the event total on 10 March 2025."""
    e = c.eligibility
    advance_from_the_reserve_fund(c)
    e.clock.on(date(2025, 3, 7))
    opened(
        c,
        H09,
        ("doudi.intake.application.v1", h09_accepted(card), "intake"),
        ("doudi.verification.report.v1", h09_verified(), "verification"),
    )
    procedure = e.app.procedure
    fire = EventFacts(
        FIRE, Severity(dwelling_uninhabitable=True, breadwinner_incapacitated_over_a_month=True)
    )
    procedure.record_home_survey(
        "survey-h09",
        H09,
        TOWNSHIP,
        ("township-07", "village-01"),
        "入户核实：火灾证明、家庭情况",
        False,
        "",
        "",
        event=fire,
    )
    proposed = procedure.assess("assess-h09", H09, "rep_h09", TOWNSHIP)
    assert (proposed.approver, proposed.one_off_amount.amount_fen) == ("COUNTY", 336_000)
    e.clock.on(date(2025, 3, 10))
    decision, entitlement = procedure.decide("decide-h09", H09, True, "经审批", COUNTY)
    assert entitlement is not None
    assert (decision.advance_paid.amount_fen, decision.remaining.amount_fen) == (112_000, 224_000)
    granted = c.temporary_assistance(H09)
    assert (granted.state, granted.payment_month.month) == (pb.TA_STATE_APPROVED, "2025-04")
    return granted


def h01_approved(c: Chain) -> None:
    """H01's Dibao, approved on 31 March 2025 with Li's card: its first month is in the same April run."""
    event = h01_accepted()
    event.application.payee.CopyFrom(
        intake_pb2.PayeeAccount(holder_name="李明", account_number=LI_CARD, bank_name="黄河农村商业银行")
    )
    opened(
        c,
        "app_h01",
        ("doudi.intake.application.v1", event, "intake"),
        ("doudi.verification.report.v1", verified(), "verification"),
    )
    e = c.eligibility
    procedure = e.app.procedure
    procedure.record_home_survey("s", "app_h01", TOWNSHIP, ("a", "b"), "入户调查", False, "", "")
    procedure.record_democratic_review("r", "app_h01", Actor(Role.VILLAGE, "village-01"), "评议通过")
    e.clock.on(date(2025, 3, 11))
    procedure.assess("o", "app_h01", "rep_h01", TOWNSHIP)
    e.clock.on(date(2025, 3, 19))
    procedure.close_due_notices()
    e.clock.on(date(2025, 3, 31))
    _, entitlement = procedure.decide("d", "app_h01", True, "经审核确认", COUNTY)
    assert entitlement is not None


# -- April in disbursement ---------------------------------------------------------------------------------


def pay_april(c: Chain) -> disbursement_pb2.Run:
    use_cases = payroll(c.disbursement)
    use_cases.clock = lambda: datetime(2025, 4, 20, 2, 0, tzinfo=UTC)
    run = use_cases.generate_run("gen-apr", "2025-04", COUNTY_CODE, "county-clerk")
    use_cases.generate_shards()
    run, _shards, _by_state = use_cases.get_run(run.run_id)
    use_cases.approve("approve-apr", run.run_id, "finance-officer", run.payment_count, run.total_fen)
    while use_cases.send_to_bank():
        pass
    use_cases.reconcile()
    return run


def test_h09_the_rest_settled_at_the_bank_is_announced_and_pays_the_case_once(chain: Chain) -> None:
    granted = h09_granted(chain, WIFE_CARD)
    h01_approved(chain)
    chain.to_disbursement()
    pay_april(chain)

    bookings = {(b.account_number, b.amount_fen, b.result) for b in chain.bank.ledger.bookings()}
    assert bookings == {
        (WIFE_CARD, 112_000, "SETTLED"),  # the advance, the night of the fire
        (WIFE_CARD, 224_000, "SETTLED"),  # the rest, in the April run
        (LI_CARD, 6_000, "SETTLED"),  # H01's first Dibao month, same run
    }

    [envelope] = chain.payment_news(SETTLED)
    payment = unpack(envelope, disbursement_events.PaymentSettled).payment
    assert payment.programme == programme_pb2.PROGRAMME_TEMPORARY_ASSISTANCE_URGENT
    assert (payment.entitlement_id, payment.amount.amount_fen, payment.period.month) == (
        granted.entitlement_id,
        224_000,
        "2025-04",
    )
    assert payment.state == disbursement_pb2.PAYMENT_STATE_SETTLED
    [batch] = chain.payment_news(RECONCILED, topic=PAYROLL_TOPIC)
    reconciled = unpack(batch, disbursement_events.BankBatchReconciled)
    assert (reconciled.settled_count, reconciled.settled_fen) == (2, 230_000), (
        "the Dibao month is counted there"
    )

    chain.to_eligibility(envelope)
    paid = chain.temporary_assistance(H09)
    assert paid.state == pb.TA_STATE_PAID and paid.HasField("paid_on")
    assert (paid.remaining.amount_fen, paid.payment_problem) == (224_000, "")

    chain.to_eligibility(envelope)  # the broker delivers it again
    assert chain.temporary_assistance(H09) == paid


def test_h09_the_rest_returned_by_the_bank_keeps_the_case_granted_with_the_reason(chain: Chain) -> None:
    granted = h09_granted(chain, CLOSED_CARD)
    chain.to_disbursement()
    pay_april(chain)

    [(account, amount, result)] = [
        (b.account_number, b.amount_fen, b.result)
        for b in chain.bank.ledger.bookings()
        if b.account_number == CLOSED_CARD
    ]
    assert (account, amount, result) == (CLOSED_CARD, 224_000, "RETURNED")
    assert chain.payment_news(SETTLED) == [], "nothing settled, nothing announced as settled"

    [envelope] = chain.payment_news(RETURNED)
    returned = unpack(envelope, disbursement_events.PaymentReturned).payment
    assert (returned.entitlement_id, returned.amount.amount_fen) == (granted.entitlement_id, 224_000)
    assert returned.reason

    chain.to_eligibility(envelope)
    chain.to_eligibility(envelope)
    held = chain.temporary_assistance(H09)
    assert (held.state, held.payment_problem) == (pb.TA_STATE_APPROVED, returned.reason)
    assert not held.HasField("paid_on")
