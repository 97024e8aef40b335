"""DOMAIN §13 H01 taken in process through eligibility, and eligibility's entitlement events handed to
disbursement's consumer: the pieces every eligibility → disbursement contract test starts from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.intake.v1 import events_pb2 as intake_events
from doudi.intake.v1 import intake_pb2
from doudi.verification.v1 import events_pb2 as verification_events
from doudi.verification.v1 import verification_pb2
from doudi_disbursement.app.overpayments import Overpayments
from doudi_disbursement.events.entitlements import apply_entitlement_event
from doudi_disbursement.main import DEFINITION as DISBURSEMENT
from doudi_disbursement.main import DisbursementSettings
from doudi_eligibility.api.grpc import EligibilityApp
from doudi_eligibility.app.common import Actor
from doudi_eligibility.domain.machines.roles import Role
from doudi_eligibility.main import DEFINITION as ELIGIBILITY
from doudi_eligibility.main import EligibilitySettings, build
from doudi_eligibility.store.records import EntitlementRecord
from doudi_runtime.events.envelope import decode, new_envelope
from doudi_runtime.service import ServiceContext, build_context, migrate

MEMBERS = (("640402198403091139", "李明"), ("640402198607021247", "王芳"), ("640402201105201373", "李小军"))
TOWNSHIP = Actor(Role.TOWNSHIP, "township-07")
COUNTY = Actor(Role.COUNTY, "county-03")
ENTITLEMENT_TOPIC = "doudi.eligibility.entitlement.v1"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def on(self, day: date) -> None:
        self.now = datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)


def accepted() -> intake_events.ApplicationAccepted:
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


def verified() -> verification_events.HouseholdVerified:
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


@dataclass
class Eligibility:
    context: ServiceContext[Any]
    app: EligibilityApp
    clock: Clock

    def entitlement_events(self) -> list[Any]:
        """Every event eligibility wrote to its outbox for the entitlement topic, in order."""
        outbox = self.context.store.messaging.outbox  # type: ignore[union-attr]
        with self.context.persistence().database.read() as session:
            rows = session.execute(select(outbox).order_by(outbox.c.seq))
            return [decode(row.envelope) for row in rows if row.topic == ENTITLEMENT_TOPIC]


def eligibility_in_process(tmp_path: Path) -> Eligibility:
    settings = EligibilitySettings(
        grpc_port=0,
        metrics_port=0,
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'e.db'}",
        auth_mode="off",
    )
    migrate(ELIGIBILITY, settings)
    context = build_context(ELIGIBILITY, settings)
    clock = Clock()
    app = context.shared("eligibility-app", lambda: build(context, clock=clock))
    return Eligibility(context, app, clock)


def decide_h01(e: Eligibility, decided_on: date = date(2025, 3, 31)) -> tuple[Any, EntitlementRecord]:
    """H01 from intake's acceptance and verification's report to the county's approval (on 31 March 2025,
    in time, unless told another day)."""
    subscriptions = {s.topic: s for s in ELIGIBILITY.subscriptions(e.context)}
    for topic_name, event, producer in (
        ("doudi.intake.application.v1", accepted(), "intake"),
        ("doudi.verification.report.v1", verified(), "verification"),
    ):
        with e.context.persistence().database.transaction() as session:
            subscriptions[topic_name].handler(
                session, new_envelope(event, producer=producer, subject_key="app_h01")
            )
    procedure = e.app.procedure
    procedure.record_home_survey("s", "app_h01", TOWNSHIP, ("a", "b"), "入户调查", False, "", "")
    procedure.record_democratic_review("r", "app_h01", Actor(Role.VILLAGE, "village-01"), "评议通过")
    e.clock.on(date(2025, 3, 11))
    procedure.assess("o", "app_h01", "rep_h01", TOWNSHIP)
    e.clock.on(date(2025, 3, 19))
    procedure.close_due_notices()
    e.clock.on(decided_on)
    decision, entitlement = procedure.decide("d", "app_h01", True, "经审核确认", COUNTY)
    assert entitlement is not None
    return decision, entitlement


def disbursement_fed(tmp_path: Path, envelopes: list[Any], now: datetime) -> ServiceContext[Any]:
    """A disbursement store whose consumer has applied ``envelopes`` in order."""
    settings = DisbursementSettings(
        grpc_port=0,
        metrics_port=0,
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'd.db'}",
        auth_mode="off",
    )
    migrate(DISBURSEMENT, settings)
    disbursement = build_context(DISBURSEMENT, settings)
    for envelope in envelopes:
        with disbursement.persistence().database.transaction() as session:
            apply_entitlement_event(session, envelope, now, Overpayments(disbursement))
    return disbursement
