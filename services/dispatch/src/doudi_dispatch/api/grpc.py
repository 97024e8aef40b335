"""The dispatch gRPC API (doudi.dispatch.v1.DispatchService): proto ↔ command, and nothing more."""

from __future__ import annotations

import grpc

from doudi.common.v1 import types_pb2
from doudi.dispatch.v1 import dispatch_pb2, dispatch_pb2_grpc
from doudi_dispatch.api import mapping
from doudi_dispatch.app import DispatchApp
from doudi_dispatch.events.publish import (
    disaster_to_proto,
    duty_phone_to_proto,
    incident_to_proto,
    person_to_proto,
    team_to_proto,
    volunteer_to_proto,
)
from doudi_runtime.paging import next_token, parse_page


class DispatchApi(dispatch_pb2_grpc.DispatchServiceServicer):
    """Teams, incidents, the vulnerable-person registry and disasters."""

    def __init__(self, app: DispatchApp) -> None:
        self._teams = app.teams
        self._incidents = app.incidents
        self._registry = app.registry

    # -- teams ----------------------------------------------------------------------------------

    def RegisterTeam(
        self, request: dispatch_pb2.RegisterTeamRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.RegisterTeamResponse:
        team = self._teams.register(request.request_id, mapping.team_registration(request))
        return dispatch_pb2.RegisterTeamResponse(team=team_to_proto(team))

    def GetTeam(
        self, request: dispatch_pb2.GetTeamRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.GetTeamResponse:
        return dispatch_pb2.GetTeamResponse(team=team_to_proto(self._teams.get(request.team_id)))

    def AddTeamMember(
        self, request: dispatch_pb2.AddTeamMemberRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.AddTeamMemberResponse:
        team, volunteer = self._teams.add_member(
            request.request_id, request.team_id, mapping.new_volunteer(request.member, "member")
        )
        return dispatch_pb2.AddTeamMemberResponse(
            team=team_to_proto(team), volunteer=volunteer_to_proto(volunteer)
        )

    def RemoveTeamMember(
        self, request: dispatch_pb2.RemoveTeamMemberRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.RemoveTeamMemberResponse:
        team = self._teams.remove_member(
            request.request_id, request.team_id, request.volunteer_id, request.reason
        )
        return dispatch_pb2.RemoveTeamMemberResponse(team=team_to_proto(team))

    def UpdateVolunteerStatus(
        self, request: dispatch_pb2.UpdateVolunteerStatusRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.UpdateVolunteerStatusResponse:
        volunteer = self._teams.update_status(
            request.request_id, request.volunteer_id, request.available, mapping.point(request, "location")
        )
        return dispatch_pb2.UpdateVolunteerStatusResponse(volunteer=volunteer_to_proto(volunteer))

    def ListDutyPhones(
        self, request: dispatch_pb2.ListDutyPhonesRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.ListDutyPhonesResponse:
        page = parse_page(request.page.page_size, request.page.page_token)
        lines = self._teams.duty_phones(request.region.code, page)
        return dispatch_pb2.ListDutyPhonesResponse(
            duty_phones=[duty_phone_to_proto(line) for line in lines[: page.size]],
            page=types_pb2.PageResponse(next_page_token=next_token([line.village for line in lines], page)),
        )

    # -- incidents ------------------------------------------------------------------------------

    def ReportIncident(
        self, request: dispatch_pb2.ReportIncidentRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.ReportIncidentResponse:
        mapping.reject_disaster_source(request)
        incident = self._incidents.report(request.request_id, mapping.incident_report(request))
        return dispatch_pb2.ReportIncidentResponse(incident=incident_to_proto(incident))

    def GetIncident(
        self, request: dispatch_pb2.GetIncidentRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.GetIncidentResponse:
        return dispatch_pb2.GetIncidentResponse(
            incident=incident_to_proto(self._incidents.get(request.incident_id))
        )

    def ListIncidents(
        self, request: dispatch_pb2.ListIncidentsRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.ListIncidentsResponse:
        page = parse_page(request.page.page_size, request.page.page_token)
        found = self._incidents.list(
            request.region.code, mapping.incident_state(request.state), request.disaster_id, page
        )
        return dispatch_pb2.ListIncidentsResponse(
            incidents=[incident_to_proto(i) for i in found[: page.size]],
            page=types_pb2.PageResponse(next_page_token=next_token([i.incident_id for i in found], page)),
        )

    def AcceptOffer(
        self, request: dispatch_pb2.AcceptOfferRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.AcceptOfferResponse:
        incident, leading = self._incidents.accept(
            request.request_id, request.incident_id, request.volunteer_id
        )
        return dispatch_pb2.AcceptOfferResponse(incident=incident_to_proto(incident), leading=leading)

    def ArriveOnScene(
        self, request: dispatch_pb2.ArriveOnSceneRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.ArriveOnSceneResponse:
        incident = self._incidents.arrive(
            request.request_id, request.incident_id, request.volunteer_id, mapping.point(request, "location")
        )
        return dispatch_pb2.ArriveOnSceneResponse(incident=incident_to_proto(incident))

    def HandOver(
        self, request: dispatch_pb2.HandOverRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.HandOverResponse:
        incident = self._incidents.hand_over(
            request.request_id, request.incident_id, mapping.hand_over_report(request)
        )
        return dispatch_pb2.HandOverResponse(incident=incident_to_proto(incident))

    def CloseIncident(
        self, request: dispatch_pb2.CloseIncidentRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.CloseIncidentResponse:
        incident = self._incidents.close(request.request_id, request.incident_id, request.reason)
        return dispatch_pb2.CloseIncidentResponse(incident=incident_to_proto(incident))

    # -- registry and disasters -----------------------------------------------------------------

    def RegisterVulnerablePerson(
        self, request: dispatch_pb2.RegisterVulnerablePersonRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.RegisterVulnerablePersonResponse:
        person = self._registry.register_person(request.request_id, mapping.vulnerable_person(request))
        return dispatch_pb2.RegisterVulnerablePersonResponse(person=person_to_proto(person))

    def UnregisterVulnerablePerson(
        self, request: dispatch_pb2.UnregisterVulnerablePersonRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.UnregisterVulnerablePersonResponse:
        person = self._registry.unregister_person(request.request_id, request.person.value, request.reason)
        return dispatch_pb2.UnregisterVulnerablePersonResponse(person=person_to_proto(person))

    def DeclareDisaster(
        self, request: dispatch_pb2.DeclareDisasterRequest, context: grpc.ServicerContext
    ) -> dispatch_pb2.DeclareDisasterResponse:
        disaster = self._registry.declare_disaster(request.request_id, mapping.disaster_declaration(request))
        return dispatch_pb2.DeclareDisasterResponse(disaster=disaster_to_proto(disaster))
