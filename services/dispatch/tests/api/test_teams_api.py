"""Dispatch's team API: registration within the configured size, the public phone list, member changes."""

from __future__ import annotations

import grpc
import pytest

from doudi.common.v1 import types_pb2
from doudi.dispatch.v1 import dispatch_pb2
from doudi_runtime.grpc.errors import field_violations_from

from .conftest import AUTH, NEIGHBOUR, VILLAGE, Dispatch, by_name, member, north, register_team, team_request


def test_a_team_is_registered_once_and_read_back(dispatch: Dispatch) -> None:
    team = register_team(dispatch)
    assert team.team_id.startswith("team_") and len(team.members) == 5
    assert team.duty_phone == "09542051234"
    again = dispatch.stub.RegisterTeam(team_request(), metadata=AUTH, timeout=10).team
    assert again == team
    fetched = dispatch.stub.GetTeam(
        dispatch_pb2.GetTeamRequest(team_id=team.team_id), metadata=AUTH, timeout=10
    )
    assert fetched.team == team
    with pytest.raises(grpc.RpcError) as raised:
        dispatch.stub.RegisterTeam(team_request("team-again"), metadata=AUTH, timeout=10)
    assert raised.value.code() == grpc.StatusCode.ALREADY_EXISTS


def test_a_team_outside_the_size_bounds_or_with_bad_fields_is_refused(dispatch: Dispatch) -> None:
    request = team_request("team-small")
    del request.members[4]
    request.duty_phone = "12345"
    request.members[0].phone = "not a phone"
    request.village.code = "640402100000"
    with pytest.raises(grpc.RpcError) as raised:
        dispatch.stub.RegisterTeam(request, metadata=AUTH, timeout=10)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {field for field, _ in field_violations_from(raised.value)} == {
        "members",
        "duty_phone",
        "members[0].phone",
        "village",
    }


def test_the_public_phone_list_shows_duty_phones_and_masks_members(dispatch: Dispatch) -> None:
    register_team(dispatch)
    register_team(dispatch, request_id="team-2", village=NEIGHBOUR, phones="1370954")
    first = dispatch.stub.ListDutyPhones(
        dispatch_pb2.ListDutyPhonesRequest(
            region=types_pb2.RegionCode(code="640402100000"), page=types_pb2.PageRequest(page_size=1)
        ),
        metadata=AUTH,
        timeout=10,
    )
    (line,) = first.duty_phones
    assert line.village.code == VILLAGE and line.duty_phone == "09542051234"
    assert [m.masked_phone for m in line.members][:2] == ["139****0001", "139****0002"]
    second = dispatch.stub.ListDutyPhones(
        dispatch_pb2.ListDutyPhonesRequest(
            region=types_pb2.RegionCode(code="640402100000"),
            page=types_pb2.PageRequest(page_size=1, page_token=first.page.next_page_token),
        ),
        metadata=AUTH,
        timeout=10,
    )
    assert [line.village.code for line in second.duty_phones] == [NEIGHBOUR]
    assert second.page.next_page_token == ""


def test_members_come_and_go_within_the_bounds_and_report_their_status(dispatch: Dispatch) -> None:
    team = register_team(dispatch)
    ids = by_name(team)
    with pytest.raises(grpc.RpcError) as raised:
        dispatch.stub.RemoveTeamMember(
            dispatch_pb2.RemoveTeamMemberRequest(
                request_id="remove-1", team_id=team.team_id, volunteer_id=ids["杨志强"], reason="外出务工"
            ),
            metadata=AUTH,
            timeout=10,
        )
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    added = dispatch.stub.AddTeamMember(
        dispatch_pb2.AddTeamMemberRequest(
            request_id="add-1", team_id=team.team_id, member=member("赵红梅", "13909540099", 600)
        ),
        metadata=AUTH,
        timeout=10,
    )
    assert len(added.team.members) == 6
    removed = dispatch.stub.RemoveTeamMember(
        dispatch_pb2.RemoveTeamMemberRequest(
            request_id="remove-2", team_id=team.team_id, volunteer_id=ids["杨志强"], reason="外出务工"
        ),
        metadata=AUTH,
        timeout=10,
    ).team
    assert ids["杨志强"] not in {m.volunteer_id for m in removed.members}

    status = dispatch.stub.UpdateVolunteerStatus(
        dispatch_pb2.UpdateVolunteerStatusRequest(
            request_id="status-1", volunteer_id=ids["马文斌"], available=False, location=north(50)
        ),
        metadata=AUTH,
        timeout=10,
    ).volunteer
    assert not status.available and status.location == north(50)
    with pytest.raises(grpc.RpcError) as raised:
        dispatch.stub.UpdateVolunteerStatus(
            dispatch_pb2.UpdateVolunteerStatusRequest(
                request_id="status-2", volunteer_id=ids["杨志强"], available=True
            ),
            metadata=AUTH,
            timeout=10,
        )
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
