"""A declared disaster sends a check on every registered vulnerable person in the area (DOMAIN §8.2 M3),
with the people of DOMAIN §13 H07 (grandmother Hu and her orphaned grandson) and H08 (the FUC girl)."""

from __future__ import annotations

from datetime import date

import grpc
import pytest
from prometheus_client import REGISTRY

from doudi.common.v1 import types_pb2
from doudi.dispatch.v1 import dispatch_pb2
from doudi_common.testing import make_resident_id
from doudi_runtime.grpc.errors import field_violations_from

from .conftest import AUTH, NEIGHBOUR, OTHER_TOWNSHIP_VILLAGE, VILLAGE, Dispatch, north, register_team

HU = make_resident_id(date(1952, 4, 3), 61, female=True)
HU_GRANDSON = make_resident_id(date(2014, 9, 1), 62)
YANG_GRANDDAUGHTER = make_resident_id(date(2018, 5, 20), 63, female=True)
ELSEWHERE = make_resident_id(date(1940, 1, 1), 64)


def register(
    dispatch: Dispatch, request_id: str, id_number: str, name: str, region: str, category: int
) -> dispatch_pb2.VulnerablePerson:
    return dispatch.stub.RegisterVulnerablePerson(
        dispatch_pb2.RegisterVulnerablePersonRequest(
            request_id=request_id,
            person=types_pb2.Person(id_number=types_pb2.IdNumber(value=id_number), name=name),
            region=types_pb2.RegionCode(code=region),
            category=category,
            contact_name="村委会 马主任",
            contact_phone="13909541234",
            location=north(600),
            care_entry_id=f"ledger-{request_id}",
        ),
        metadata=AUTH,
        timeout=10,
    ).person


def declare(dispatch: Dispatch, request_id: str, region: str) -> dispatch_pb2.Disaster:
    return dispatch.stub.DeclareDisaster(
        dispatch_pb2.DeclareDisasterRequest(
            request_id=request_id, region=types_pb2.RegionCode(code=region), description="暴雨引发山洪"
        ),
        metadata=AUTH,
        timeout=10,
    ).disaster


def test_every_registered_person_in_the_area_gets_one_check_on_task(dispatch: Dispatch) -> None:
    register_team(dispatch)
    register(dispatch, "hu", HU, "胡秀兰", VILLAGE, dispatch_pb2.VULNERABLE_CATEGORY_TEKUN_DISPERSED)
    register(
        dispatch, "boy", HU_GRANDSON, "胡小军", VILLAGE, dispatch_pb2.VULNERABLE_CATEGORY_CHILD_IN_DIFFICULTY
    )
    register(
        dispatch,
        "girl",
        YANG_GRANDDAUGHTER,
        "杨丽",
        NEIGHBOUR,
        dispatch_pb2.VULNERABLE_CATEGORY_CHILD_IN_DIFFICULTY,
    )
    register(
        dispatch,
        "far",
        ELSEWHERE,
        "马德",
        OTHER_TOWNSHIP_VILLAGE,
        dispatch_pb2.VULNERABLE_CATEGORY_ELDERLY_LEFT_BEHIND,
    )

    check_ons_before = REGISTRY.get_sample_value("doudi_dispatch_incidents_total", {"kind": "CHECK_ON"}) or 0
    disaster = declare(dispatch, "flood-1", "640402100000")
    assert disaster.check_on_tasks == 3 and disaster.disaster_id.startswith("dis_")
    assert declare(dispatch, "flood-1", "640402100000") == disaster
    assert (
        REGISTRY.get_sample_value("doudi_dispatch_incidents_total", {"kind": "CHECK_ON"})
        == check_ons_before + 3
    )

    assert dispatch.app.incidents.run_due() == 3
    tasks = dispatch.stub.ListIncidents(
        dispatch_pb2.ListIncidentsRequest(
            region=types_pb2.RegionCode(code="640402000000"), disaster_id=disaster.disaster_id
        ),
        metadata=AUTH,
        timeout=10,
    ).incidents
    assert sorted(t.person.value for t in tasks) == sorted([HU, HU_GRANDSON, YANG_GRANDDAUGHTER])
    assert {t.kind for t in tasks} == {dispatch_pb2.INCIDENT_KIND_CHECK_ON}
    assert {t.state for t in tasks} == {dispatch_pb2.INCIDENT_STATE_OFFERED}
    assert {t.source for t in tasks} == {dispatch_pb2.INCIDENT_SOURCE_DISASTER_DECLARATION}

    # A second declaration does not send a second check on someone whose check is still open.
    assert declare(dispatch, "flood-2", "640402100000").check_on_tasks == 0
    kinds = [event for _, _, event in dispatch.outbox()]
    assert kinds.count("doudi.dispatch.v1.DisasterDeclared") == 2
    assert kinds.count("doudi.dispatch.v1.IncidentReported") == 3


def test_a_person_leaves_the_registry_and_is_no_longer_checked_on(dispatch: Dispatch) -> None:
    register(dispatch, "hu", HU, "胡秀兰", VILLAGE, dispatch_pb2.VULNERABLE_CATEGORY_TEKUN_DISPERSED)
    request = dispatch_pb2.UnregisterVulnerablePersonRequest(
        request_id="hu-out", person=types_pb2.IdNumber(value=HU), reason="迁往县城与女儿同住"
    )
    gone = dispatch.stub.UnregisterVulnerablePerson(request, metadata=AUTH, timeout=10).person
    assert gone.person.id_number.value == HU
    assert dispatch.stub.UnregisterVulnerablePerson(request, metadata=AUTH, timeout=10).person == gone
    with pytest.raises(grpc.RpcError) as raised:
        dispatch.stub.UnregisterVulnerablePerson(
            dispatch_pb2.UnregisterVulnerablePersonRequest(
                request_id="hu-out-2", person=types_pb2.IdNumber(value=HU), reason="again"
            ),
            metadata=AUTH,
            timeout=10,
        )
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert declare(dispatch, "flood-3", VILLAGE).check_on_tasks == 0


def test_bad_registrations_and_declarations_name_their_fields(dispatch: Dispatch) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        dispatch.stub.RegisterVulnerablePerson(
            dispatch_pb2.RegisterVulnerablePersonRequest(
                request_id="bad",
                person=types_pb2.Person(id_number=types_pb2.IdNumber(value=HU[:-1] + "Y"), name="胡秀兰"),
                region=types_pb2.RegionCode(code="640402100000"),
                contact_phone="555",
            ),
            metadata=AUTH,
            timeout=10,
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {f for f, _ in field_violations_from(raised.value)} == {
        "person.id_number",
        "region",
        "category",
        "contact_phone",
    }
    with pytest.raises(grpc.RpcError) as raised:
        declare(dispatch, "flood-province", "640000000000")
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations_from(raised.value)] == ["region"]
