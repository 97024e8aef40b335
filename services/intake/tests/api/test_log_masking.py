"""A scenario through intake's gRPC API with real ID numbers: no log line carries one unmasked."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from doudi.common.v1 import types_pb2
from doudi.intake.v1 import intake_pb2
from doudi_common.idcard import is_valid_id_number
from doudi_common.testing import EXAMPLE_TOWNSHIP, EXAMPLE_VILLAGE, make_resident_id
from doudi_runtime.logging import configure_logging

from .conftest import AUTH, submission

#: Any 18-character token shaped like a resident ID number, outside a longer run of digits.
CANDIDATE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
PHONE = "13909541234"
CARD = "6222021234567890128"  # passes the Luhn check, as real bank cards do


@pytest.fixture
def captured(intake: Any) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    _, context = intake
    handler = configure_logging(context.settings.model_copy(update={"log_level": "DEBUG"}), stream=stream)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_no_log_line_of_a_full_intake_scenario_holds_an_unmasked_id_number(
    intake, captured, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    stub, _ = intake
    request = submission("mask-1")
    ids = [member.person.id_number.value for member in request.household.members]
    application = stub.SubmitApplication(request, metadata=AUTH, timeout=10).application
    stub.GetApplication(
        intake_pb2.GetApplicationRequest(application_id=application.application_id), metadata=AUTH, timeout=10
    )
    stub.ListApplications(
        intake_pb2.ListApplicationsRequest(township=types_pb2.RegionCode(code=EXAMPLE_TOWNSHIP)),
        metadata=AUTH,
        timeout=10,
    )
    stub.RequestCorrection(
        intake_pb2.RequestCorrectionRequest(
            request_id="mask-2", application_id=application.application_id, missing_items=["授权书"]
        ),
        metadata=AUTH,
        timeout=10,
    )
    lead_person = make_resident_id(date(1944, 8, 8), 77, female=True)
    ids.append(lead_person)
    stub.RegisterLead(
        intake_pb2.RegisterLeadRequest(
            request_id="mask-3",
            person=types_pb2.Person(
                id_number=types_pb2.IdNumber(value=lead_person), name="独居老人", phone=PHONE
            ),
            residence_region=types_pb2.RegionCode(code=EXAMPLE_VILLAGE),
            found_by="村委会",
            reason=f"身份证 {lead_person}，电话 {PHONE}，卡号 {CARD}",
        ),
        metadata=AUTH,
        timeout=10,
    )
    # A second application of the same household (flagged as a duplicate) and a malformed one.
    stub.SubmitApplication(submission("mask-4"), metadata=AUTH, timeout=10)
    bad = submission("mask-5")
    bad.household.members[0].person.id_number.value = ids[0][:-1] + "0"
    with pytest.raises(Exception):  # noqa: B017 - any refusal will do; the logs are what is checked
        stub.SubmitApplication(bad, metadata=AUTH, timeout=10)

    # A bug that puts personal data into an exception: the traceback is logged, masked.
    def crash(*_args: object, **_kwargs: object) -> None:
        logging.getLogger("doudi_intake.app").warning(
            "about to fail for %s",
            ids[0],
            extra={"id_number": ids[1], "account_number": CARD, "phone": PHONE},
        )
        raise RuntimeError(f"could not load household of {ids[0]} (card {CARD}, phone {PHONE})")

    monkeypatch.setattr("doudi_intake.app.applications.ApplicationUseCases.get_application", crash)
    with pytest.raises(Exception):  # noqa: B017
        stub.GetApplication(
            intake_pb2.GetApplicationRequest(application_id=application.application_id),
            metadata=AUTH,
            timeout=10,
        )

    lines = captured.getvalue().splitlines()
    assert len(lines) >= 8
    leaks = [line for line in lines for found in CANDIDATE.findall(line) if is_valid_id_number(found.upper())]
    assert leaks == []
    assert not any(identity in line for line in lines for identity in ids)
    assert not any(PHONE in line or CARD in line for line in lines)
    # The crash was logged, with the numbers masked rather than dropped.
    assert any(f"{ids[0][:6]}********{ids[0][-4:]}" in line for line in lines)
    assert any("***************0128" in line for line in lines)
