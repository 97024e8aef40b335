"""Use-cases on response teams and their volunteers (DOMAIN §10.1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from doudi_common.errors import AlreadyExists, NotFound
from doudi_common.ids import new_id
from doudi_common.region import RegionCode
from doudi_dispatch.domain import teams as domain
from doudi_dispatch.domain.geo import GeoPoint
from doudi_dispatch.domain.teams import DutyPhone, NewVolunteer, Team, TeamRegistration, TeamSize, Volunteer
from doudi_dispatch.store import teams as store
from doudi_runtime.commands import AfterCommit, Commands, request_id_check, require_id, validate_together
from doudi_runtime.idempotency import fingerprint_of
from doudi_runtime.paging import Page


@dataclass
class TeamUseCases(Commands):
    size: TeamSize = field(default_factory=TeamSize)

    def _team(self, session: Session, team_id: str, *, for_update: bool = False) -> Team:
        team = store.get_team(session, team_id, for_update=for_update)
        if team is None:
            raise NotFound(f"no team {team_id!r}")
        return team

    def _volunteer(self, session: Session, volunteer_id: str, *, for_update: bool = False) -> Volunteer:
        volunteer = store.get_volunteer(session, volunteer_id, for_update=for_update)
        if volunteer is None:
            raise NotFound(f"no volunteer {volunteer_id!r}")
        return volunteer

    def register(self, request_id: str, registration: TeamRegistration) -> Team:
        """One team per village or community, of the configured size."""
        validate_together(
            request_id_check(request_id), lambda: domain.validate_registration(registration, self.size)
        )

        def perform(session: Session, now: datetime, _after: AfterCommit) -> tuple[str, Team]:
            existing = store.team_id_for_village(session, registration.village)
            if existing is not None:
                raise AlreadyExists(f"village {registration.village} already has team {existing}")
            team = domain.form_team(
                registration,
                team_id=new_id("team"),
                volunteer_ids=tuple(new_id("vol") for _ in registration.members),
                size=self.size,
                now=now,
            )
            store.insert_team(session, team)
            return team.team_id, team

        return self.once(
            "RegisterTeam",
            request_id,
            fingerprint_of(registration),
            perform,
            lambda session, team_id: self._team(session, team_id),
        )

    def get(self, team_id: str) -> Team:
        validate_together(require_id(team_id, "team_id"))
        with self.persistence.database.read() as session:
            return self._team(session, team_id)

    def add_member(self, request_id: str, team_id: str, member: NewVolunteer) -> tuple[Team, Volunteer]:
        validate_together(
            request_id_check(request_id),
            require_id(team_id, "team_id"),
            lambda: domain.validate_new_member(member),
        )

        def perform(
            session: Session, now: datetime, _after: AfterCommit
        ) -> tuple[str, tuple[Team, Volunteer]]:
            team, volunteer = domain.add_member(
                self._team(session, team_id, for_update=True),
                member,
                volunteer_id=new_id("vol"),
                size=self.size,
                now=now,
            )
            store.insert_volunteer(session, volunteer)
            return volunteer.volunteer_id, (team, volunteer)

        def replay(session: Session, volunteer_id: str) -> tuple[Team, Volunteer]:
            volunteer = store.get_volunteer(session, volunteer_id, former=True)
            assert volunteer is not None
            return self._team(session, team_id), volunteer

        return self.once("AddTeamMember", request_id, fingerprint_of(team_id, member), perform, replay)

    def remove_member(self, request_id: str, team_id: str, volunteer_id: str, reason: str) -> Team:
        validate_together(
            request_id_check(request_id),
            require_id(team_id, "team_id"),
            require_id(volunteer_id, "volunteer_id"),
        )

        def perform(session: Session, now: datetime, _after: AfterCommit) -> tuple[str, Team]:
            team = domain.remove_member(
                self._team(session, team_id, for_update=True), volunteer_id, reason, size=self.size
            )
            store.deactivate_volunteer(session, volunteer_id, now)
            return team.team_id, team

        return self.once(
            "RemoveTeamMember",
            request_id,
            fingerprint_of(team_id, volunteer_id, reason),
            perform,
            lambda session, reference: self._team(session, reference),
        )

    def update_status(
        self, request_id: str, volunteer_id: str, available: bool, location: GeoPoint | None
    ) -> Volunteer:
        validate_together(request_id_check(request_id), require_id(volunteer_id, "volunteer_id"))

        def perform(session: Session, now: datetime, _after: AfterCommit) -> tuple[str, Volunteer]:
            volunteer = domain.update_status(
                self._volunteer(session, volunteer_id, for_update=True),
                available=available,
                location=location,
                now=now,
            )
            store.save_volunteer(session, volunteer)
            return volunteer.volunteer_id, volunteer

        def replay(session: Session, reference: str) -> Volunteer:
            volunteer = store.get_volunteer(session, reference, former=True)
            assert volunteer is not None
            return volunteer

        return self.once(
            "UpdateVolunteerStatus",
            request_id,
            fingerprint_of(volunteer_id, available, location),
            perform,
            replay,
        )

    def duty_phones(self, region: str, page: Page) -> list[DutyPhone]:
        """The public phone list of every team inside ``region`` (``page.size + 1`` lines at most)."""
        code = RegionCode.parse(region, field="region")
        with self.persistence.database.read() as session:
            return [domain.duty_phone(team) for team in store.list_teams(session, code, page)]
