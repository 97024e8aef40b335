"""Duplicate control at the door (DOMAIN §12.1, §5.8): who is already in another open application.

At intake a duplicate is a warning on the application, never a refusal: the person may be moving
house (a cross-county move follows the transfer procedure), and only the decision may be blocked.
What the flag reveals depends on distance: inside the county the township and the application are
named; another county is named only as that county, so a township never browses another county's files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from doudi_common.region import RegionCode
from doudi_intake.domain.application import Application, DuplicateFlag, DuplicateScope, Programme

#: Programmes a person can hold only one of at a time: one Dibao household (§1.3, §12.1), and one of the
#: mutually exclusive individual entitlements Tekun / orphan / FUC (§5.8). Others conflict only with
#: themselves (a second open application of the same programme).
CONFLICT_GROUPS: tuple[frozenset[Programme], ...] = (
    frozenset({Programme.DIBAO, Programme.SINGLE_PERSON_DIBAO}),
    frozenset({Programme.TEKUN, Programme.ORPHAN_ALLOWANCE, Programme.UNSUPPORTED_CHILD_ALLOWANCE}),
)


def conflicting_programmes(programme: Programme) -> frozenset[Programme]:
    for group in CONFLICT_GROUPS:
        if programme in group:
            return group
    return frozenset({programme})


@dataclass(frozen=True)
class OpenMembership:
    """A counted member of another open application, as the store finds it by ID number."""

    id_number: str
    application_id: str
    programme: Programme
    township: str


def _county_of(code: str) -> str:
    county = RegionCode(code).county
    return county.code if county is not None else code


def duplicate_flags(application: Application, others: Iterable[OpenMembership]) -> tuple[DuplicateFlag, ...]:
    """Flags for every counted member of ``application`` found in another conflicting open application."""
    conflicting = conflicting_programmes(application.programme)
    index_of = {m.id_number: i for i, m in enumerate(application.household.members) if m.counted}
    home_county = _county_of(application.township)
    flags: list[DuplicateFlag] = []
    for other in sorted(others, key=lambda o: (o.id_number, o.application_id)):
        if other.application_id == application.application_id or other.programme not in conflicting:
            continue
        if other.id_number not in index_of:
            continue
        if other.application_id in (application.transferred_from, application.transferred_as):
            continue
        other_county = _county_of(other.township)
        same_county = other_county == home_county
        flags.append(
            DuplicateFlag(
                member_index=index_of[other.id_number],
                id_number=other.id_number,
                programme=other.programme,
                scope=DuplicateScope.SAME_COUNTY if same_county else DuplicateScope.OTHER_COUNTY,
                region=other.township if same_county else other_county,
                other_application_id=other.application_id if same_county else "",
            )
        )
    return tuple(flags)
