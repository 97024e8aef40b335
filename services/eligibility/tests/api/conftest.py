"""Shared fixtures of eligibility's API tests: the gRPC front over a real socket on a real store (SQLite and
PostgreSQL), intake's and verification's events handed to the consumers' handlers, a clock moved by hand."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from sqlalchemy import select

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.eligibility.v1 import eligibility_pb2, eligibility_pb2_grpc
from doudi.intake.v1 import events_pb2 as intake_events
from doudi.intake.v1 import intake_pb2
from doudi.verification.v1 import events_pb2 as verification_events
from doudi.verification.v1 import verification_pb2
from doudi_common.income_items import INCOME_KINDS, ITEM_KINDS
from doudi_eligibility.api.grpc import EligibilityApp
from doudi_eligibility.main import DEFINITION, SHARED_APP, EligibilitySettings, build
from doudi_runtime.events.envelope import decode, new_envelope
from doudi_runtime.grpc.server import GrpcServer
from doudi_runtime.service import ServiceContext, build_context, migrate

TOKEN = "eligibility-test-token"
AUTH = (("authorization", f"Bearer {TOKEN}"),)
TOWNSHIP, VILLAGE = "640402100000", "640402100201"

VILLAGE_CADRE = eligibility_pb2.Actor(role=eligibility_pb2.ACTOR_ROLE_VILLAGE, user_id="village-01")
TOWNSHIP_OFFICER = eligibility_pb2.Actor(role=eligibility_pb2.ACTOR_ROLE_TOWNSHIP, user_id="township-07")
COUNTY_OFFICER = eligibility_pb2.Actor(role=eligibility_pb2.ACTOR_ROLE_COUNTY, user_id="county-03")
APPLICANT = eligibility_pb2.Actor(role=eligibility_pb2.ACTOR_ROLE_APPLICANT, user_id="applicant")
NEIGHBOUR = eligibility_pb2.Actor(role=eligibility_pb2.ACTOR_ROLE_PUBLIC, user_id="")
REVIEWING_BODY = eligibility_pb2.Actor(
    role=eligibility_pb2.ACTOR_ROLE_REVIEWING_BODY, user_id="reconsideration-1"
)


class FakeClock:
    """China time 09:00 on the day the test says."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def on(self, year: int, month: int, day: int) -> None:
        with self._lock:
            self.now = datetime(year, month, day, 1, 0, tzinfo=UTC)

    def advance(self, **delta: float) -> None:
        with self._lock:
            self.now += timedelta(**delta)


@dataclass
class Eligibility:
    stub: eligibility_pb2_grpc.EligibilityServiceStub
    context: ServiceContext
    app: EligibilityApp
    clock: FakeClock

    def deliver(self, event: object, subject: str, producer: str) -> None:
        for subscription in DEFINITION.subscriptions(self.context):
            envelope = new_envelope(event, producer=producer, subject_key=subject)  # type: ignore[arg-type]
            if envelope.event_type.split(".")[1] != subscription.topic.split(".")[1]:
                continue
            with self.context.database.transaction() as session:  # type: ignore[union-attr]
                subscription.handler(session, envelope)

    def outbox(self) -> list[tuple[str, str, str]]:
        """(topic, key, event type) of every event written, in order."""
        outbox = self.context.store.messaging.outbox  # type: ignore[union-attr]
        with self.context.database.read() as session:  # type: ignore[union-attr]
            rows = session.execute(select(outbox).order_by(outbox.c.seq)).all()
        return [
            (row.topic, row.message_key, decode(row.envelope).event_type.rsplit(".", 1)[1]) for row in rows
        ]

    def outbox_envelopes(self) -> list[object]:
        """Every event written, in order."""
        outbox = self.context.store.messaging.outbox  # type: ignore[union-attr]
        with self.context.database.read() as session:  # type: ignore[union-attr]
            rows = session.execute(select(outbox).order_by(outbox.c.seq)).all()
        return [decode(r.envelope) for r in rows]

    def envelopes(self, kind: str) -> list[object]:
        outbox = self.context.store.messaging.outbox  # type: ignore[union-attr]
        with self.context.database.read() as session:  # type: ignore[union-attr]
            rows = session.execute(select(outbox).order_by(outbox.c.seq)).all()
        return [decode(r.envelope) for r in rows if decode(r.envelope).event_type.endswith(kind)]


@pytest.fixture
def eligibility(database_url: str, tmp_path: Path) -> Iterator[Eligibility]:
    settings = EligibilitySettings(
        grpc_port=0,
        metrics_port=0,
        data_dir=tmp_path,
        database_url=database_url,
        auth_tokens=f'{{"{TOKEN}": "eligibility-clerk"}}',
        client_token=TOKEN,
        shutdown_grace_seconds=0,
    )
    migrate(DEFINITION, settings)
    context = build_context(DEFINITION, settings)
    clock = FakeClock()
    app = context.shared(SHARED_APP, lambda: build(context, clock=clock))
    server = GrpcServer(settings, list(DEFINITION.grpc_bindings(context)))
    port = server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield Eligibility(eligibility_pb2_grpc.EligibilityServiceStub(channel), context, app, clock)
    finally:
        channel.close()
        server.stop(0)
        assert context.database is not None
        context.database.dispose()


# -- DOMAIN §13 households as intake accepts them and verification reports them ----------------------------


@dataclass(frozen=True)
class Example:
    application_id: str
    household_type: int
    #: (ID number, name) per counted member, applicant first.
    members: tuple[tuple[str, str], ...]
    #: (member index, item, amount in fen over 12 months, attributes).
    items: tuple[tuple[int, str, int, dict[str, str]], ...]
    assets: tuple[tuple[str, int], ...]
    programme: int = programme_pb2.PROGRAMME_DIBAO


PASS, EXEMPT = verification_pb2.ASSET_OUTCOME_PASS, verification_pb2.ASSET_OUTCOME_EXEMPT
ASSETS_PASS = (
    ("dibao.assets.financial_pc", PASS),
    ("dibao.assets.housing", PASS),
    ("dibao.assets.vehicle", PASS),
)

#: H01: Li (42, casual wages 1,800/month), his wife (40) and son (15); deposits 15,000; an e-bike.
H01 = Example(
    "app_h01",
    intake_pb2.HOUSEHOLD_TYPE_URBAN,
    (("640402198403091139", "李明"), ("640402198607021247", "王芳"), ("640402201105201373", "李小军")),
    (
        (0, "wage_income", 2_160_000, {}),
        (0, "deposits", 1_500_000, {}),
        (0, "vehicle", 0, {"type": "e-bike"}),
    ),
    (("dibao.assets.financial_pc", PASS), ("dibao.assets.housing", PASS), ("dibao.assets.vehicle", EXEMPT)),
)
#: H02: Wang (58, enterprise pension 1,120/month) and his wife (57): y = 560, exactly the standard.
H02 = Example(
    "app_h02",
    intake_pb2.HOUSEHOLD_TYPE_URBAN,
    (("640402196802142133", "王建国"), ("640402196908302246", "刘秀兰")),
    ((0, "pension", 1_344_000, {}),),
    ASSETS_PASS,
)
#: H03: Zhang (72, grade 2 physical disability) and his wife (68), rural: land rent and the son's support.
H03 = Example(
    "app_h03",
    intake_pb2.HOUSEHOLD_TYPE_RURAL,
    (("640402195404043135", "张德福"), ("640402195810013249", "马桂英")),
    (
        (0, "land_rent", 120_000, {}),
        (0, "maintenance_received", 120_000, {}),
        (0, "residents_basic_pension", 201_600, {}),
        (0, "disability_certificate", 0, {"type": "physical", "grade": "2"}),
        (1, "residents_basic_pension", 201_600, {}),
    ),
    ASSETS_PASS,
)


def accepted_event(
    example: Example, accepted_at: datetime | None = None
) -> intake_events.ApplicationAccepted:
    application = intake_pb2.Application(
        application_id=example.application_id,
        programme=example.programme,
        township=types_pb2.RegionCode(code=TOWNSHIP),
        household=intake_pb2.Household(
            residence_region=types_pb2.RegionCode(code=VILLAGE),
            household_type=example.household_type,
            members=[
                intake_pb2.HouseholdMember(
                    person=types_pb2.Person(id_number=types_pb2.IdNumber(value=id_number), name=name),
                    counted=True,
                    consent_signed=True,
                )
                for id_number, name in example.members
            ],
        ),
        state=intake_pb2.APPLICATION_STATE_ACCEPTED,
    )
    application.accepted_at.FromDatetime(accepted_at or datetime(2025, 3, 3, 1, 0, tzinfo=UTC))
    return intake_events.ApplicationAccepted(application_id=example.application_id, application=application)


def verified_event(example: Example, report_id: str = "rep_1") -> verification_events.HouseholdVerified:
    gross = sum(amount for _, item, amount, _ in example.items if ITEM_KINDS.get(item) in INCOME_KINDS)
    return verification_events.HouseholdVerified(
        report=verification_pb2.Report(
            report_id=report_id,
            application_id=example.application_id,
            state=verification_pb2.REPORT_STATE_COMPLETE,
            policy_version="NX-2024-01+GY-2024-01+EX-GY-2024-01",
            counted_members=len(example.members),
            gross_income_fen=gross,
            asset_tests=[
                verification_pb2.AssetTest(rule=rule, outcome=outcome) for rule, outcome in example.assets
            ],
            items=[
                verification_pb2.SourceItem(
                    member_index=index, source="DEPT", item=item, amount_fen=amount, attributes=attrs
                )
                for index, item, amount, attrs in example.items
            ],
        )
    )


def open_case(e: Eligibility, example: Example) -> None:
    e.deliver(accepted_event(example), example.application_id, "intake")
    e.deliver(verified_event(example), example.application_id, "verification")
