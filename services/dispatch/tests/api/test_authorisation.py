"""Who may call which dispatch RPC in which region: the role × RPC × region table."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from itertools import count
from pathlib import Path

import grpc
import pytest

from doudi.common.v1 import types_pb2
from doudi.dispatch.v1 import dispatch_pb2
from doudi_common.testing import make_resident_id
from doudi_dispatch.api.policy import RULES
from doudi_runtime.testing.authz import (
    PRINCIPALS,
    TOWNSHIP_A,
    TOWNSHIP_B,
    VILLAGE_A,
    VILLAGE_B,
    auth_tokens,
    metadata,
    mismatches,
    missing_rules,
)

from .conftest import Dispatch, fire_request, running_dispatch, team_request

VILLAGE = {"A": VILLAGE_A, "B": VILLAGE_B}
TOWNSHIP = {"A": TOWNSHIP_A, "B": TOWNSHIP_B}
PEOPLE = count(1)

S, T, C, V, VOL = "service", "township_a", "county", "village_a", "volunteer"
LOCAL_A = {S, T, C, V}
COUNTY_WIDE = {S, C}
TABLE: dict[str, tuple[set[str], set[str]]] = {
    "RegisterTeam": (LOCAL_A, COUNTY_WIDE),
    "GetTeam": (LOCAL_A, COUNTY_WIDE),
    "AddTeamMember": (LOCAL_A, COUNTY_WIDE),
    "RemoveTeamMember": (LOCAL_A, COUNTY_WIDE),
    "UpdateVolunteerStatus": (LOCAL_A | {VOL}, COUNTY_WIDE),
    "ListDutyPhones": (LOCAL_A, COUNTY_WIDE),
    "ReportIncident": (LOCAL_A, COUNTY_WIDE),
    "GetIncident": (LOCAL_A, COUNTY_WIDE),
    "ListIncidents": (LOCAL_A, COUNTY_WIDE),
    "AcceptOffer": ({S, T, C, VOL}, COUNTY_WIDE),
    "ArriveOnScene": ({S, T, C, VOL}, COUNTY_WIDE),
    "HandOver": ({S, T, C, VOL}, COUNTY_WIDE),
    "CloseIncident": ({S, T, C}, COUNTY_WIDE),
    "RegisterVulnerablePerson": (LOCAL_A, COUNTY_WIDE),
    "UnregisterVulnerablePerson": (LOCAL_A, COUNTY_WIDE),
    "DeclareDisaster": (COUNTY_WIDE, COUNTY_WIDE),
}


@dataclass
class Records:
    teams: dict[str, str]
    volunteers: dict[str, str]
    spare_members: dict[str, str]
    incidents: dict[str, str]
    persons: dict[str, str]


def vulnerable(target: str, request_id: str, id_number: str) -> dispatch_pb2.RegisterVulnerablePersonRequest:
    return dispatch_pb2.RegisterVulnerablePersonRequest(
        request_id=request_id,
        person=types_pb2.Person(id_number=types_pb2.IdNumber(value=id_number), name="独居老人"),
        region=types_pb2.RegionCode(code=VILLAGE[target]),
        category=dispatch_pb2.VULNERABLE_CATEGORY_ELDERLY_LEFT_BEHIND,
        contact_name="村医",
        contact_phone="13909541234",
    )


def new_person() -> str:
    number = next(PEOPLE)
    return make_resident_id(date(1940, 1, 1 + number % 28), number % 100)


def seed(dispatch: Dispatch) -> Records:
    service = metadata("service")
    records = Records({}, {}, {}, {}, {})
    for index, target in enumerate("AB"):
        team = dispatch.stub.RegisterTeam(
            team_request(f"seed-team-{target}", village=VILLAGE[target], phones=f"139095{index}"),
            metadata=service,
        ).team
        records.teams[target] = team.team_id
        records.volunteers[target] = team.members[0].volunteer_id
        records.spare_members[target] = team.members[-1].volunteer_id
        incident = dispatch.stub.ReportIncident(
            fire_request(f"seed-fire-{target}", region=types_pb2.RegionCode(code=VILLAGE[target])),
            metadata=service,
        ).incident
        records.incidents[target] = incident.incident_id
        id_number = new_person()
        dispatch.stub.RegisterVulnerablePerson(
            vulnerable(target, f"seed-person-{target}", id_number), metadata=service
        )
        records.persons[target] = id_number
    return records


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[Dispatch, Records]]:
    with running_dispatch(database_url, tmp_path, auth_tokens=auth_tokens()) as first:
        records = seed(first)
    # The volunteer caller is the first member of township A's team (known only once it exists).
    volunteer = {**PRINCIPALS["volunteer"], "subject": records.volunteers["A"]}  # type: ignore[dict-item]
    with running_dispatch(
        database_url, tmp_path, auth_tokens=auth_tokens({"volunteer": volunteer})
    ) as second:
        yield second, records


def build(records: Records, rpc: str, target: str, request_id: str) -> object:
    team, volunteer, incident = records.teams[target], records.volunteers[target], records.incidents[target]
    region = types_pb2.RegionCode
    here = dispatch_pb2.GeoPoint(latitude_e6=36_000_000, longitude_e6=106_280_000)
    requests = {
        "RegisterTeam": lambda: team_request(request_id, village=VILLAGE[target]),
        "GetTeam": lambda: dispatch_pb2.GetTeamRequest(team_id=team),
        "AddTeamMember": lambda: dispatch_pb2.AddTeamMemberRequest(
            request_id=request_id,
            team_id=team,
            member=dispatch_pb2.NewVolunteer(
                name="新队员", phone="13909549999", skills=[dispatch_pb2.SKILL_FIRST_AID], location=here
            ),
        ),
        "RemoveTeamMember": lambda: dispatch_pb2.RemoveTeamMemberRequest(
            request_id=request_id, team_id=team, volunteer_id=records.spare_members[target], reason="外出务工"
        ),
        "UpdateVolunteerStatus": lambda: dispatch_pb2.UpdateVolunteerStatusRequest(
            request_id=request_id, volunteer_id=volunteer, available=True, location=here
        ),
        "ListDutyPhones": lambda: dispatch_pb2.ListDutyPhonesRequest(region=region(code=VILLAGE[target])),
        "ReportIncident": lambda: fire_request(request_id, region=region(code=VILLAGE[target])),
        "GetIncident": lambda: dispatch_pb2.GetIncidentRequest(incident_id=incident),
        "ListIncidents": lambda: dispatch_pb2.ListIncidentsRequest(region=region(code=VILLAGE[target])),
        "AcceptOffer": lambda: dispatch_pb2.AcceptOfferRequest(
            request_id=request_id, incident_id=incident, volunteer_id=volunteer
        ),
        "ArriveOnScene": lambda: dispatch_pb2.ArriveOnSceneRequest(
            request_id=request_id, incident_id=incident, volunteer_id=volunteer, location=here
        ),
        "HandOver": lambda: dispatch_pb2.HandOverRequest(
            request_id=request_id, incident_id=incident, volunteer_id=volunteer, summary="已安置"
        ),
        "CloseIncident": lambda: dispatch_pb2.CloseIncidentRequest(
            request_id=request_id, incident_id=incident, reason="已处置"
        ),
        "RegisterVulnerablePerson": lambda: vulnerable(target, request_id, new_person()),
        "UnregisterVulnerablePerson": lambda: dispatch_pb2.UnregisterVulnerablePersonRequest(
            request_id=request_id, person=types_pb2.IdNumber(value=records.persons[target]), reason="已迁出"
        ),
        "DeclareDisaster": lambda: dispatch_pb2.DeclareDisasterRequest(
            request_id=request_id, region=region(code=TOWNSHIP[target]), description="暴雨"
        ),
    }
    return requests[rpc]()


def test_every_rpc_has_a_rule_and_a_row_in_the_table() -> None:
    service = dispatch_pb2.DESCRIPTOR.services_by_name["DispatchService"]
    assert missing_rules(service, RULES) == []
    assert sorted(TABLE) == sorted(method.name for method in service.methods)


def test_each_role_may_call_each_rpc_in_its_region_only(served) -> None:  # type: ignore[no-untyped-def]
    dispatch, records = served
    found = mismatches(dispatch.stub, TABLE, lambda rpc, target, rid: build(records, rpc, target, rid))
    assert found == [], "\n".join(found)


def test_a_volunteer_acts_only_as_themself(served) -> None:  # type: ignore[no-untyped-def]
    dispatch, records = served
    request = build(records, "UpdateVolunteerStatus", "A", "as-someone-else")
    request.volunteer_id = records.spare_members["A"]  # type: ignore[attr-defined]
    with pytest.raises(grpc.RpcError) as raised:
        dispatch.stub.UpdateVolunteerStatus(request, metadata=metadata("volunteer"), timeout=10)
    assert raised.value.code() is grpc.StatusCode.PERMISSION_DENIED
