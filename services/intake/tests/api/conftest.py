"""Shared fixtures of intake's API tests: a real gRPC server over a socket on a real store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import grpc
import pytest

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.intake.v1 import intake_pb2, intake_pb2_grpc
from doudi_common.testing import EXAMPLE_TOWNSHIP, EXAMPLE_VILLAGE, make_resident_id
from doudi_intake.main import DEFINITION, IntakeSettings
from doudi_runtime.grpc.server import GrpcServer
from doudi_runtime.service import ServiceContext, build_context, migrate

TOKEN = "intake-test-token"
AUTH = (("authorization", f"Bearer {TOKEN}"),)


@pytest.fixture
def intake(
    database_url: str, tmp_path: Path
) -> Iterator[tuple[intake_pb2_grpc.IntakeServiceStub, ServiceContext]]:
    settings = IntakeSettings(
        grpc_port=0,
        metrics_port=0,
        data_dir=tmp_path,
        database_url=database_url,
        auth_tokens=f'{{"{TOKEN}": "window-clerk"}}',
        client_token=TOKEN,
        shutdown_grace_seconds=0,
    )
    migrate(DEFINITION, settings)
    context = build_context(DEFINITION, settings)
    server = GrpcServer(settings, list(DEFINITION.grpc_bindings(context)))
    port = server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield intake_pb2_grpc.IntakeServiceStub(channel), context
    finally:
        channel.close()
        server.stop(0)
        assert context.database is not None
        context.database.dispose()


def person(birth: date, name: str, sequence: int = 12, female: bool = False) -> types_pb2.Person:
    return types_pb2.Person(
        id_number=types_pb2.IdNumber(value=make_resident_id(birth, sequence, female=female)), name=name
    )


def submission(request_id: str = "req-1", **overrides: object) -> intake_pb2.SubmitApplicationRequest:
    request = intake_pb2.SubmitApplicationRequest(
        request_id=request_id,
        programme=programme_pb2.PROGRAMME_DIBAO,
        channel=programme_pb2.CHANNEL_WINDOW,
        township=types_pb2.RegionCode(code=EXAMPLE_TOWNSHIP),
        household=intake_pb2.Household(
            household_type=intake_pb2.HOUSEHOLD_TYPE_RURAL,
            residence_region=types_pb2.RegionCode(code=EXAMPLE_VILLAGE),
            members=[
                intake_pb2.HouseholdMember(
                    person=person(date(1980, 5, 17), "马建国"),
                    relation_to_applicant=intake_pb2.RELATION_SELF,
                    counted=True,
                    consent_signed=True,
                ),
                intake_pb2.HouseholdMember(
                    person=person(date(2012, 2, 29), "马小花", 31, female=True),
                    relation_to_applicant=intake_pb2.RELATION_CHILD,
                    counted=True,
                ),
            ],
        ),
        statement="丈夫因病去世，家中无稳定收入。",
    )
    for name, value in overrides.items():
        setattr(request, name, value)
    return request
