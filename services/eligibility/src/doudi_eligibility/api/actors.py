"""Who a step is taken by, when the caller is a person: the role their principal holds, never another.

A request's ``actor`` names the role the procedure's machines check (DOMAIN §1.2, §7.2). doudi's services
relay it as given (the gateway passes on an applicant's appeal or a member of the public's objection). A
person acts only in their own office's role, under their own name: a village committee as VILLAGE, a
township office as TOWNSHIP, a county bureau as COUNTY. A request that claims another role is refused, so
a clerk learns at once that the step is not theirs; the user id is always the principal's, whatever the
request says, so the audit trail and the records name who really acted.
"""

from __future__ import annotations

from doudi.eligibility.v1 import eligibility_pb2
from doudi_common.errors import PermissionDenied
from doudi_runtime.authz.principal import Principal, Role
from doudi_runtime.grpc.authz import caller_of

#: The one actor role each kind of person may take steps in.
OWN_ROLE: dict[Role, int] = {
    Role.VILLAGE_COMMITTEE: eligibility_pb2.ACTOR_ROLE_VILLAGE,
    Role.TOWNSHIP_OFFICE: eligibility_pb2.ACTOR_ROLE_TOWNSHIP,
    Role.COUNTY_BUREAU: eligibility_pb2.ACTOR_ROLE_COUNTY,
}


def bind_actor(claimed: eligibility_pb2.Actor, caller: Principal | None) -> eligibility_pb2.Actor:
    """The actor a step is taken as: ``claimed`` for a service, a person's own role and name for them."""
    if caller is None or caller.is_service:
        return claimed
    own = OWN_ROLE.get(caller.role)
    if own is None:
        raise PermissionDenied(f"a {caller.role.value} takes no step of the procedure")
    if claimed.role not in (eligibility_pb2.ACTOR_ROLE_UNSPECIFIED, own):
        raise PermissionDenied(
            f"a {caller.role.value} acts as {eligibility_pb2.ActorRole.Name(own)} only, "
            f"not as {eligibility_pb2.ActorRole.Name(claimed.role)}"
        )
    bound = eligibility_pb2.Actor()
    bound.CopyFrom(claimed)
    bound.role = own
    bound.user_id = caller_of(caller)
    return bound
