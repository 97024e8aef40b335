"""GetBeneficiaryStatus: a hospital's settlement learns whether a person is a current beneficiary, by
programme, and nothing else; a checked ID number in, no amount nor personal data out."""

from __future__ import annotations

from datetime import date

import grpc
import pytest

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.eligibility.v1 import eligibility_pb2 as pb
from doudi_common.errors import PermissionDenied
from doudi_common.testing import make_resident_id
from doudi_eligibility.api.policy import BENEFICIARY_STATUS_SCOPE, RULES, SERVICE_NAME
from doudi_runtime.authz.policy import ServicePolicy, authorise
from doudi_runtime.authz.principal import principal_from_config
from doudi_runtime.grpc.errors import field_violations_from
from doudi_runtime.testing.authz import metadata

from . import test_authorisation
from .conftest import H01, TOWNSHIP_OFFICER
from .test_authorisation import H, Seeded

#: Two households approved through the six steps, their entitlements active (the table test's fixture).
approved = test_authorisation.seeded


def status(approved: Seeded, id_number: str) -> pb.GetBeneficiaryStatusResponse:
    request = pb.GetBeneficiaryStatusRequest(id_number=types_pb2.IdNumber(value=id_number))
    return approved.e.stub.GetBeneficiaryStatus(request, metadata=metadata(H), timeout=10)


def test_every_counted_member_of_an_approved_household_is_a_current_beneficiary(approved: Seeded) -> None:
    for id_number, _name in H01.members:
        answer = status(approved, id_number)
        assert answer.current_beneficiary
        assert list(answer.programmes) == [programme_pb2.PROGRAMME_DIBAO]


def test_a_person_without_an_entitlement_is_not(approved: Seeded) -> None:
    answer = status(approved, make_resident_id(date(1990, 1, 1), 55))
    assert not answer.current_beneficiary and list(answer.programmes) == []


def test_a_suspended_entitlement_makes_nobody_a_current_beneficiary(approved: Seeded) -> None:
    approved.e.stub.Suspend(
        pb.SuspendRequest(
            request_id="suspend-status",
            entitlement_id=approved.entitlements["A"],
            reason="无法联系",
            actor=TOWNSHIP_OFFICER,
        ),
        metadata=metadata("service"),
    )
    assert not status(approved, H01.members[0][0]).current_beneficiary


@pytest.mark.parametrize("id_number", ["640402198403091138", "64040219840309113", ""])
def test_an_id_number_that_fails_its_check_is_invalid_argument_naming_the_field(
    approved: Seeded, id_number: str
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        status(approved, id_number)
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert [field for field, _ in field_violations_from(raised.value)] == ["id_number"]


def test_the_answer_can_carry_nothing_but_the_status_by_programme() -> None:
    fields = {f.name for f in pb.GetBeneficiaryStatusResponse.DESCRIPTOR.fields}
    assert fields == {"current_beneficiary", "programmes"}


@pytest.mark.parametrize(
    "config",
    [
        {"name": "his", "role": "external_system", "scopes": ["monitoring.report"]},
        {"name": "his", "role": "external_system", "scopes": [BENEFICIARY_STATUS_SCOPE], "region": "640402"},
        {"name": "clerk", "role": "county_bureau", "region": "640402"},
        {"name": "auditor", "role": "auditor"},
    ],
)
def test_no_other_caller_may_ask(config: dict[str, object]) -> None:
    policy = ServicePolicy(SERVICE_NAME, RULES)
    request = pb.GetBeneficiaryStatusRequest(id_number=types_pb2.IdNumber(value=H01.members[0][0]))
    with pytest.raises(PermissionDenied):
        authorise(principal_from_config(config), policy, "GetBeneficiaryStatus", request)


def test_the_scope_opens_exactly_one_rpc() -> None:
    hospital = principal_from_config(
        {"name": "his", "role": "external_system", "scopes": [BENEFICIARY_STATUS_SCOPE]}
    )
    policy = ServicePolicy(SERVICE_NAME, RULES)
    opened = []
    for name in RULES:
        method = pb.DESCRIPTOR.services_by_name["EligibilityService"].methods_by_name[name]
        request = getattr(pb, method.input_type.name)()
        try:
            authorise(hospital, policy, name, request)
        except PermissionDenied:
            continue
        opened.append(name)
    assert opened == ["GetBeneficiaryStatus"]
