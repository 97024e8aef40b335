"""Care's provider settlement as disbursement pays it: DOMAIN §13 H14 taken through care's API (Zhou's June,
one service done with satisfaction 2, one missed), care's ProviderFeeSettled from its outbox handed to
disbursement's consumer, the provider's account registered by the county, and the county's next run paying
96 yuan into it at the bank simulator, once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import grpc
import pytest
from kafka.consumer.fetcher import ConsumerRecord
from sqlalchemy import select

from doudi.care.v1 import care_pb2, care_pb2_grpc
from doudi.common.v1 import types_pb2
from doudi_care.main import DEFINITION as CARE
from doudi_care.main import SHARED_APP, CareSettings, build
from doudi_common.testing import EXAMPLE_VILLAGE, make_resident_id
from doudi_disbursement.app.providers import ProviderAccounts
from doudi_disbursement.main import DEFINITION as DISBURSEMENT
from doudi_disbursement.main import payroll
from doudi_runtime.events.consumer import EventConsumer
from doudi_runtime.grpc.server import GrpcServer
from doudi_runtime.service import ServiceContext, build_context, migrate

from .bank import TOKEN, disbursement_with_bank

AUTH = (("authorization", f"Bearer {TOKEN}"),)
COUNTY = "640402000000"
PROVIDER = "provider-anxin"
ZHOU = make_resident_id(date(1945, 3, 8), 31, female=True)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Services:
    care: care_pb2_grpc.CareServiceStub
    care_context: ServiceContext
    disbursement: ServiceContext
    bank: object
    clock: Clock


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    clock = Clock()
    care_settings = CareSettings(
        grpc_port=0,
        metrics_port=0,
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'care.db'}",
        auth_tokens=f'{{"{TOKEN}": "township-civil-affairs"}}',
        shutdown_grace_seconds=0,
    )
    migrate(CARE, care_settings)
    care_context = build_context(CARE, care_settings)
    care_context.shared(SHARED_APP, lambda: build(care_context, clock=clock))
    care_server = GrpcServer(care_settings, list(CARE.grpc_bindings(care_context)))
    care_channel = grpc.insecure_channel(f"127.0.0.1:{care_server.start()}")

    with disbursement_with_bank(tmp_path, "disbursement.db") as banked:
        try:
            yield Services(
                care_pb2_grpc.CareServiceStub(care_channel),
                care_context,
                banked.context,
                banked.bank,
                clock,
            )
        finally:
            care_channel.close()
            care_server.stop(0)
            care_context.database.dispose()


def zhou() -> care_pb2.LedgerRegistration:
    return care_pb2.LedgerRegistration(
        ledger=care_pb2.LEDGER_TEKUN_DISPERSED,
        person=types_pb2.Person(id_number=types_pb2.IdNumber(value=ZHOU), name="周秀兰"),
        region=types_pb2.RegionCode(code=EXAMPLE_VILLAGE),
        provider_id=PROVIDER,
        tekun=care_pb2.TekunDetails(
            carer_name="周丽",
            carer_phone="13909541234",
            entrustment_agreement_signed=True,
            agreement_signed_on=types_pb2.Date(year=2026, month=1, day=5),
            visit_person="马主任",
            self_care=care_pb2.SELF_CARE_COMPLETE_LOSS,
        ),
    )


def care_june(s: Services) -> None:
    """H14's June in care: two orders planned, one done with score 2, the other missed, then settled."""
    s.care.RegisterPerson(
        care_pb2.RegisterPersonRequest(request_id="reg-zhou", registration=zhou()), metadata=AUTH
    )
    app = s.care_context.shared(SHARED_APP, lambda: None)
    app.work_orders.run_monthly()
    first, _second = s.care.ListWorkOrders(
        care_pb2.ListWorkOrdersRequest(provider_id=PROVIDER, period=types_pb2.Period(month="2026-06")),
        metadata=AUTH,
    ).work_orders
    s.clock.now = datetime(2026, 6, 12, 2, 0, tzinfo=UTC)
    s.care.CompleteWorkOrder(
        care_pb2.CompleteWorkOrderRequest(
            request_id="done-1",
            work_order_id=first.work_order_id,
            confirmed=True,
            quality_score=2,
            confirmed_by="周丽（侄女，照料人）",
        ),
        metadata=AUTH,
    )
    s.clock.now = datetime(2026, 7, 2, 2, 0, tzinfo=UTC)
    s.care.SettleProvider(
        care_pb2.SettleProviderRequest(
            request_id="settle-june", provider_id=PROVIDER, period=types_pb2.Period(month="2026-06")
        ),
        metadata=AUTH,
    )


def care_outbox(s: Services) -> list[tuple[str, bytes]]:
    outbox = s.care_context.store.messaging.outbox
    with s.care_context.database.read() as session:
        return [(r.topic, r.envelope) for r in session.execute(select(outbox).order_by(outbox.c.seq)).all()]


def hand_to_disbursement(s: Services, records: list[tuple[str, bytes]]) -> list[str]:
    """Each of care's events given to disbursement's consumer as Kafka would, through its inbox."""
    consumer = EventConsumer(
        s.disbursement.database,
        s.disbursement.store.messaging,
        s.disbursement.settings,
        group_id="doudi-disbursement",
        subscriptions=[x for x in DISBURSEMENT.subscriptions(s.disbursement) if x.topic == records[0][0]],
    )
    outcomes = []
    for offset, (topic, data) in enumerate(records):
        record = ConsumerRecord(
            topic, 0, -1, offset, 0, 0, PROVIDER.encode(), data, [], None, 1, len(data), 0
        )
        outcomes.append(consumer.handle_record(record))
    return outcomes


def test_h14_care_settles_96_for_june_and_the_countys_next_run_pays_it_once(services: Services) -> None:
    s = services
    care_june(s)
    published = care_outbox(s)
    assert {topic for topic, _ in published} == {"doudi.care.workorder.v1"}
    assert hand_to_disbursement(s, published + published) == ["handled"] * 3 + ["duplicate"] * 3

    ProviderAccounts(s.disbursement, s.clock).register(
        "acct-1", PROVIDER, COUNTY, "安心居家养老服务中心", "6228480000000099", "county-clerk"
    )
    use_cases = payroll(s.disbursement)
    use_cases.clock = s.clock
    s.clock.now = datetime(2026, 7, 20, 2, 0, tzinfo=UTC)
    run = use_cases.generate_run("gen-jul", "2026-07", COUNTY, "county-clerk")
    use_cases.generate_shards()
    run, _shards, _by_state = use_cases.get_run(run.run_id)
    assert (run.payment_count, run.total_fen) == (1, 9_600)
    use_cases.approve("approve-jul", run.run_id, "finance-officer", 1, 9_600)
    while use_cases.send_to_bank():
        pass
    use_cases.reconcile()

    (booking,) = s.bank.ledger.bookings(PROVIDER)
    assert (booking.idempotency_key, booking.amount_fen, booking.result) == (
        "TEKUN:provider-anxin:2026-06:PROVIDER_FEE",
        9_600,
        "SETTLED",
    )
    again = use_cases.generate_run("gen-aug", "2026-08", COUNTY, "county-clerk")
    use_cases.generate_shards()
    assert use_cases.get_run(again.run_id)[0].payment_count == 0
