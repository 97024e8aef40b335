"""A person takes a step in their own office's role and under their own name; a service relays the actor."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi.eligibility.v1 import eligibility_pb2 as pb
from doudi_common.errors import PermissionDenied
from doudi_eligibility.api.actors import OWN_ROLE, bind_actor
from doudi_runtime.authz.principal import PEOPLE_AND_SYSTEMS, Principal, Role, service_principal

ACTOR_ROLES = st.sampled_from(list(pb.ActorRole.values()))
USER_IDS = st.text(max_size=20)
PEOPLE = st.sampled_from(sorted(PEOPLE_AND_SYSTEMS))
VIA = st.sampled_from(["", "gateway"])


def person(role: Role, via: str = "") -> Principal:
    return Principal(name="clerk.a", role=role, org="A乡社会救助服务窗口", via=via)


@given(role=ACTOR_ROLES, user_id=USER_IDS)
def test_a_service_relays_the_actor_it_names(role: int, user_id: str) -> None:
    claimed = pb.Actor(role=role, user_id=user_id)
    assert bind_actor(claimed, service_principal("gateway")) == claimed
    assert bind_actor(claimed, None) == claimed


@given(caller=PEOPLE, role=ACTOR_ROLES, user_id=USER_IDS, via=VIA)
def test_a_person_acts_in_their_own_role_under_their_own_name_or_not_at_all(
    caller: Role, role: int, user_id: str, via: str
) -> None:
    claimed = pb.Actor(role=role, user_id=user_id)
    own = OWN_ROLE.get(caller)
    if own is None or role not in (pb.ACTOR_ROLE_UNSPECIFIED, own):
        with pytest.raises(PermissionDenied):
            bind_actor(claimed, person(caller, via))
        return
    bound = bind_actor(claimed, person(caller, via))
    assert bound.role == own
    assert bound.user_id == ("clerk.a via gateway" if via else "clerk.a")


def test_the_offices_take_steps_as_village_township_and_county() -> None:
    assert OWN_ROLE == {
        Role.VILLAGE_COMMITTEE: pb.ACTOR_ROLE_VILLAGE,
        Role.TOWNSHIP_OFFICE: pb.ACTOR_ROLE_TOWNSHIP,
        Role.COUNTY_BUREAU: pb.ACTOR_ROLE_COUNTY,
    }
