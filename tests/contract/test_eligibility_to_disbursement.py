"""Eligibility's entitlement events as disbursement's roster reads them: DOMAIN §13 H01 taken in process from
the accepted application and its verification report through the six steps, then a new urban standard; every
event eligibility wrote to its outbox is applied by disbursement's consumer, and the roster pays what was
decided from the month it was decided for."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.intake.v1 import events_pb2 as intake_events
from doudi.intake.v1 import intake_pb2
from doudi.verification.v1 import events_pb2 as verification_events
from doudi.verification.v1 import verification_pb2
from doudi_common.period import Period
from doudi_disbursement.events.entitlements import apply_entitlement_event
from doudi_disbursement.main import DEFINITION as DISBURSEMENT
from doudi_disbursement.main import DisbursementSettings
from doudi_disbursement.store import payroll as roster_store
from doudi_eligibility.app.common import Actor
from doudi_eligibility.app.parameters import NewVersion
from doudi_eligibility.domain.machines.roles import Role
from doudi_eligibility.main import DEFINITION as ELIGIBILITY
from doudi_eligibility.main import EligibilitySettings, build
from doudi_runtime.events.envelope import decode, new_envelope
from doudi_runtime.service import build_context, migrate

MEMBERS = (("640402198403091139", "李明"), ("640402198607021247", "王芳"), ("640402201105201373", "李小军"))


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def on(self, day: date) -> None:
        self.now = datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)


def _accepted() -> intake_events.ApplicationAccepted:
    application = intake_pb2.Application(
        application_id="app_h01",
        programme=programme_pb2.PROGRAMME_DIBAO,
        township=types_pb2.RegionCode(code="640402100000"),
        household=intake_pb2.Household(
            residence_region=types_pb2.RegionCode(code="640402100201"),
            household_type=intake_pb2.HOUSEHOLD_TYPE_URBAN,
            members=[
                intake_pb2.HouseholdMember(
                    person=types_pb2.Person(id_number=types_pb2.IdNumber(value=number), name=name),
                    counted=True,
                    consent_signed=True,
                )
                for number, name in MEMBERS
            ],
        ),
    )
    application.accepted_at.FromDatetime(datetime(2025, 3, 3, 1, 0, tzinfo=UTC))
    return intake_events.ApplicationAccepted(application_id="app_h01", application=application)


def _verified() -> verification_events.HouseholdVerified:
    outcome = verification_pb2.ASSET_OUTCOME_PASS
    return verification_events.HouseholdVerified(
        report=verification_pb2.Report(
            report_id="rep_h01",
            application_id="app_h01",
            state=verification_pb2.REPORT_STATE_COMPLETE,
            counted_members=3,
            gross_income_fen=2_160_000,
            items=[verification_pb2.SourceItem(member_index=0, item="wage_income", amount_fen=2_160_000)],
            asset_tests=[
                verification_pb2.AssetTest(rule=f"dibao.assets.{rule}", outcome=outcome)
                for rule in ("financial_pc", "housing", "vehicle")
            ],
        )
    )


def test_h01_decided_and_re_determined_in_eligibility_is_paid_so_by_disbursement(tmp_path: Path) -> None:
    settings = EligibilitySettings(
        grpc_port=0,
        metrics_port=0,
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'e.db'}",
        auth_mode="off",
    )
    migrate(ELIGIBILITY, settings)
    eligibility = build_context(ELIGIBILITY, settings)
    clock = Clock()
    app = eligibility.shared("eligibility-app", lambda: build(eligibility, clock=clock))
    for subscription, event, producer in zip(
        ELIGIBILITY.subscriptions(eligibility),
        (_accepted(), _verified()),
        ("intake", "verification"),
        strict=True,
    ):
        with eligibility.persistence().database.transaction() as session:
            subscription.handler(session, new_envelope(event, producer=producer, subject_key="app_h01"))

    township, county = Actor(Role.TOWNSHIP, "township-07"), Actor(Role.COUNTY, "county-03")
    procedure = app.procedure
    procedure.record_home_survey("s", "app_h01", township, ("a", "b"), "入户调查", False, "", "")
    procedure.record_democratic_review("r", "app_h01", Actor(Role.VILLAGE, "village-01"), "评议通过")
    clock.on(date(2025, 3, 11))
    procedure.assess("o", "app_h01", "rep_h01", township)
    clock.on(date(2025, 3, 19))
    procedure.close_due_notices()
    clock.on(date(2025, 3, 31))
    decision, entitlement = procedure.decide("d", "app_h01", True, "经审核确认", county)
    assert entitlement is not None and decision.monthly_amount.amount_fen == 6_000
    clock.on(date(2025, 6, 10))
    app.standards.publish(
        "p",
        NewVersion(
            "GY-2025-07", "640400000000", date(2025, 7, 1), "新标准", {"dibao.std.urban.monthly": "600"}, {}
        ),
        county,
    )

    outbox = eligibility.store.messaging.outbox  # type: ignore[union-attr]
    with eligibility.persistence().database.read() as session:
        envelopes = [
            decode(row.envelope)
            for row in session.execute(select(outbox).order_by(outbox.c.seq))
            if row.topic == "doudi.eligibility.entitlement.v1"
        ]
    assert [e.event_type.rsplit(".", 1)[1] for e in envelopes] == [
        "EntitlementActivated",
        "EntitlementChanged",
    ]

    paying = DisbursementSettings(
        grpc_port=0,
        metrics_port=0,
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'd.db'}",
        auth_mode="off",
    )
    migrate(DISBURSEMENT, paying)
    disbursement = build_context(DISBURSEMENT, paying)
    for envelope in envelopes:
        with disbursement.persistence().database.transaction() as session:
            apply_entitlement_event(session, envelope, clock())
    with disbursement.persistence().database.read() as session:
        entry = roster_store.get_roster_entry(session, entitlement.entitlement_id)
    assert entry is not None
    assert (entry.beneficiary_id, entry.township, entry.payee_name) == ("app_h01", "640402100000", "李明")
    assert entry.amounts_for(Period(2025, 3)) == {}
    assert entry.amounts_for(Period(2025, 4)) == {"BASE": 6_000}
    assert entry.amounts_for(Period(2025, 6)) == {"BASE": 6_000}
    assert entry.amounts_for(Period(2025, 7)) == {"BASE": 18_000}
    eligibility.persistence().database.dispose()
    disbursement.persistence().database.dispose()
