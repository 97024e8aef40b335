"""Matching through the store's nearby search (DOMAIN §10.3): whether the first look around the incident
is wide or narrow, the incident is offered to the same nearest skilled volunteers on duty, and nobody off
duty or without the skill, however near."""

from __future__ import annotations

from pathlib import Path

import pytest

from doudi.dispatch.v1 import dispatch_pb2

from .conftest import AUTH, by_name, fire_request, member, register_team, running_dispatch, team_request


@pytest.mark.parametrize(
    "area",
    [
        {},  # the defaults: 2 km first, everyone found at once
        {"match_first_radius_m": 250, "match_widening": 2, "match_max_radius_m": 1000},  # then the township
        {"match_first_radius_m": 100, "match_widening": 3, "match_max_radius_m": 100_000},
    ],
)
def test_the_fire_is_offered_to_the_nearest_first_aiders_however_wide_the_first_look(
    tmp_path: Path, database_url: str, area: dict[str, int]
) -> None:
    with running_dispatch(database_url, tmp_path, offer_wave_size=3, **area) as dispatch:
        ids = by_name(register_team(dispatch))
        incident = dispatch.stub.ReportIncident(fire_request(), metadata=AUTH, timeout=10).incident
        # 100 m north of the base: 马文斌 200 m, 李秀英 700 m, 王建国 1.4 km; 张玉兰 has no first aid.
        assert [o.volunteer_id for o in incident.offers] == [ids["马文斌"], ids["李秀英"], ids["王建国"]]

        dispatch.clock.advance(minutes=16)
        assert dispatch.app.incidents.run_due() == 1
        again = dispatch.stub.GetIncident(
            dispatch_pb2.GetIncidentRequest(incident_id=incident.incident_id), metadata=AUTH
        ).incident
        assert [o.volunteer_id for o in again.offers][3:] == [ids["杨志强"]]  # 3.9 km: the next wave


def test_off_duty_and_unskilled_volunteers_right_beside_the_incident_are_not_offered_it(
    tmp_path: Path, database_url: str
) -> None:
    request = team_request()
    del request.members[:]
    request.members.extend(
        [
            member("赵医生", "13909540011", 100, dispatch_pb2.SKILL_MEDICAL),
            member("钱大姐", "13909540012", 100, dispatch_pb2.SKILL_FIRST_AID, available=False),
            member("孙师傅", "13909540013", 5000, dispatch_pb2.SKILL_FIRST_AID),
            member("李护士", "13909540014", 6000, dispatch_pb2.SKILL_MEDICAL, dispatch_pb2.SKILL_FIRST_AID),
            member("周司机", "13909540015", 100, dispatch_pb2.SKILL_TRANSPORT),
        ]
    )
    with running_dispatch(database_url, tmp_path) as dispatch:
        ids = by_name(dispatch.stub.RegisterTeam(request, metadata=AUTH, timeout=10).team)
        incident = dispatch.stub.ReportIncident(fire_request(), metadata=AUTH, timeout=10).incident
        assert [o.volunteer_id for o in incident.offers] == [ids["孙师傅"], ids["李护士"]]
