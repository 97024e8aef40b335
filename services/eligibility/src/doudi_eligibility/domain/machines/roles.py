"""Who acts, and the errors a machine raises when the wrong one acts or a step is taken out of turn."""

from __future__ import annotations

from enum import StrEnum

from doudi_common.errors import FailedPrecondition, PermissionDenied


class Role(StrEnum):
    APPLICANT = "APPLICANT"
    #: Anyone may object during a public notice.
    PUBLIC = "PUBLIC"
    VILLAGE = "VILLAGE"
    TOWNSHIP = "TOWNSHIP"
    COUNTY = "COUNTY"
    VERIFICATION_CENTRE = "VERIFICATION_CENTRE"
    SYSTEM = "SYSTEM"
    REVIEWING_BODY = "REVIEWING_BODY"
    #: The disabled persons' federation (残联), which reviews the two disability subsidies (§7.5).
    FEDERATION = "FEDERATION"


class IllegalTransition(FailedPrecondition):
    """A step asked of a case or entitlement in a state that does not allow it; names the state."""

    def __init__(self, what: str, state: str, step: str) -> None:
        super().__init__(f"{what} in state {state} cannot {step}")
        self.state = state
        self.step = step


class ActorNotAllowed(PermissionDenied):
    """A role that may not take this step (e.g. a township confirming where the county confirms)."""

    def __init__(self, role: Role, step: str, allowed: frozenset[Role]) -> None:
        names = ", ".join(sorted(r.value for r in allowed))
        super().__init__(f"{role.value} may not {step}; allowed: {names}")
        self.role = role
        self.step = step


def require_role(role: Role, step: str, allowed: frozenset[Role]) -> None:
    if role not in allowed:
        raise ActorNotAllowed(role, step, allowed)
