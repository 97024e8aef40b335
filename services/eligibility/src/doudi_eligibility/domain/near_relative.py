"""Near-relative registration (近亲属备案, DOMAIN §12.2): an applicant household that is a near relative of
Dibao staff (county or township staff who handle acceptance, investigation or approval) or of a
village-committee member is registered separately, kept in a separate archive, surveyed by the county
(§7.2 row 21) and handled without the related staff member, who recuses from the survey, the democratic
review, the opinion, the decision and the reviews.

An applicant is registered while the case is open: the county's survey becomes mandatory before the
decision. An existing beneficiary is registered on its approved case while the entitlement still runs (in
any state but TERMINATED): the case is already decided, so its county survey flags are no longer relevant
and stay as they were; the staff member recuses from the entitlement's reviews and decisions (start and
complete a review, suspend, resume, terminate, a work-refusal sanction, a voluntary exit's bonus, a new
payee account). The entitlement made from a registered case is under the same recusal. A refused or
withdrawn case, an approved one whose entitlement has ended, is not registered.

Pure rules: what a registration holds, how it is validated, and the recusal check.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from doudi_common.errors import FieldViolation, InvalidArgument, PermissionDenied

#: Longest staff user id, organisation and note accepted (what the store's columns hold).
MAX_STAFF_ID = 200
MAX_ORGANISATION = 200
MAX_NOTE = 4000


class NearRelation(StrEnum):
    """The near relatives of §12.2 (Guyuan S15), as the applicant stands to the staff member."""

    SPOUSE = "SPOUSE"
    PARENT = "PARENT"
    SPOUSE_PARENT = "SPOUSE_PARENT"
    SIBLING = "SIBLING"
    SPOUSE_SIBLING = "SPOUSE_SIBLING"
    CHILD = "CHILD"
    CHILD_SPOUSE = "CHILD_SPOUSE"
    GRANDPARENT = "GRANDPARENT"
    GRANDCHILD = "GRANDCHILD"
    PARENT_SIBLING = "PARENT_SIBLING"
    #: Adoptive and step relations with a support relationship (有抚养、赡养关系的).
    ADOPTIVE_OR_STEP_WITH_SUPPORT = "ADOPTIVE_OR_STEP_WITH_SUPPORT"


class StaffPosition(StrEnum):
    """Whose near relative the household is (§12.2 "Who")."""

    COUNTY_STAFF = "COUNTY_STAFF"
    TOWNSHIP_STAFF = "TOWNSHIP_STAFF"
    VILLAGE_COMMITTEE_MEMBER = "VILLAGE_COMMITTEE_MEMBER"


@dataclass(frozen=True)
class StaffRelation:
    """The related staff member and how the household is related to them."""

    staff_user_id: str
    position: StaffPosition
    organisation: str
    relation: NearRelation
    note: str


@dataclass(frozen=True)
class NearRelativeRegistration:
    """One registration in the separate archive."""

    registration_id: str
    application_id: str
    region: str
    staff: StaffRelation
    registered_by: str
    registered_role: str
    registered_at: datetime


def staff_relation(
    staff_user_id: str,
    position: StaffPosition | None,
    organisation: str,
    relation: NearRelation | None,
    note: str,
) -> StaffRelation:
    """The registration's facts, trimmed; every field at fault is named at once."""
    violations: list[FieldViolation] = []
    staff = staff_user_id.strip()
    if not staff or len(staff) > MAX_STAFF_ID:
        violations.append(FieldViolation("staff_user_id", f"is required, at most {MAX_STAFF_ID} characters"))
    if position is None:
        violations.append(
            FieldViolation(
                "staff_position", "is required: COUNTY_STAFF, TOWNSHIP_STAFF or VILLAGE_COMMITTEE_MEMBER"
            )
        )
    office = organisation.strip()
    if not office or len(office) > MAX_ORGANISATION:
        violations.append(
            FieldViolation("organisation", f"is required, at most {MAX_ORGANISATION} characters")
        )
    if relation is None:
        violations.append(FieldViolation("relation", "is required: one of the near relatives of §12.2"))
    text = note.strip()
    if len(text) > MAX_NOTE:
        violations.append(FieldViolation("note", f"must be at most {MAX_NOTE} characters"))
    if violations:
        raise InvalidArgument(violations)
    assert position is not None and relation is not None
    return StaffRelation(staff, position, office, relation, text)


class Recused(PermissionDenied):
    """A staff member registered as a near relative of the household takes a step of its case."""

    def __init__(self, case_id: str, staff_user_id: str, step: str) -> None:
        super().__init__(
            f"{staff_user_id} is registered as a near relative of the household of case {case_id} "
            f"(§12.2) and recuses from it: may not {step}"
        )
        self.staff_user_id = staff_user_id
        self.step = step


def require_not_recused(case_id: str, recused: Iterable[str], staff: Iterable[str], step: str) -> None:
    """Refuses a step taken or staffed by any of ``staff`` who is among the ``recused``."""
    barred = frozenset(recused)
    for person in staff:
        if person.strip() in barred:
            raise Recused(case_id, person.strip(), step)
