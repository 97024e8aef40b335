"""Applications at the one window: what a submission must contain, and the state it starts in.

DOMAIN §7.1 (channels), §7.2 rows 1–2 (submit: identity valid), §1.3 (co-resident members) and
§5.1.1 (the applicant is one counted member of the household). Acceptance, correction, transfer
and withdrawal (§7.2 rows 3–8) build on this.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from doudi_common.bank_account import PayeeAccount, PayeeParties, cleaned, payee_violations
from doudi_common.calendar import china_date
from doudi_common.errors import FieldViolation, InvalidArgument
from doudi_common.idcard import ResidentId, parse_id_number
from doudi_common.region import RegionCode

MAX_MEMBERS = 30
MAX_NAME_LENGTH = 50
MAX_STATEMENT_LENGTH = 4000


class Programme(StrEnum):
    DIBAO = "DIBAO"
    SINGLE_PERSON_DIBAO = "SINGLE_PERSON_DIBAO"
    TEKUN = "TEKUN"
    TEMPORARY_ASSISTANCE_URGENT = "TEMPORARY_ASSISTANCE_URGENT"
    TEMPORARY_ASSISTANCE_EXPENDITURE = "TEMPORARY_ASSISTANCE_EXPENDITURE"
    DISABILITY_LIVING_SUBSIDY = "DISABILITY_LIVING_SUBSIDY"
    SEVERE_DISABILITY_CARE_SUBSIDY = "SEVERE_DISABILITY_CARE_SUBSIDY"
    ORPHAN_ALLOWANCE = "ORPHAN_ALLOWANCE"
    UNSUPPORTED_CHILD_ALLOWANCE = "UNSUPPORTED_CHILD_ALLOWANCE"

    @property
    def is_temporary_assistance(self) -> bool:
        return self in (Programme.TEMPORARY_ASSISTANCE_URGENT, Programme.TEMPORARY_ASSISTANCE_EXPENDITURE)


class Channel(StrEnum):
    WINDOW = "WINDOW"
    ONLINE = "ONLINE"
    QR = "QR"
    HOTLINE = "HOTLINE"
    PROACTIVE = "PROACTIVE"
    AGENT = "AGENT"


class Relation(StrEnum):
    SELF = "SELF"
    SPOUSE = "SPOUSE"
    CHILD = "CHILD"
    PARENT = "PARENT"
    GRANDCHILD = "GRANDCHILD"
    GRANDPARENT = "GRANDPARENT"
    SIBLING = "SIBLING"
    OTHER = "OTHER"


class HouseholdType(StrEnum):
    URBAN = "URBAN"
    RURAL = "RURAL"


class ApplicationState(StrEnum):
    SUBMITTED = "SUBMITTED"
    NEEDS_CORRECTION = "NEEDS_CORRECTION"
    NOT_ACCEPTED = "NOT_ACCEPTED"
    TRANSFERRED = "TRANSFERRED"
    ACCEPTED = "ACCEPTED"
    WITHDRAWN = "WITHDRAWN"


#: Relations whose member must be born before the applicant, and those born after.
OLDER_THAN_APPLICANT = frozenset({Relation.PARENT, Relation.GRANDPARENT})
YOUNGER_THAN_APPLICANT = frozenset({Relation.CHILD, Relation.GRANDCHILD})


@dataclass(frozen=True)
class MemberDeclaration:
    """One person the household declares, as submitted (not yet checked against records)."""

    id_number: str
    name: str
    relation: Relation | None
    counted: bool
    birth_date: date | None = None
    sex: str | None = None
    hukou_region: str = ""
    phone: str = ""
    membership_reason: str = ""
    consent_signed: bool = False


@dataclass(frozen=True)
class HouseholdDeclaration:
    residence_region: str
    members: tuple[MemberDeclaration, ...]
    household_type: HouseholdType | None = None


@dataclass(frozen=True)
class Submission:
    programme: Programme | None
    channel: Channel | None
    township: str
    household: HouseholdDeclaration
    statement: str = ""
    requested_amount_fen: int = 0
    #: The account benefits are paid into (DOMAIN §11.1); None when the applicant gave none.
    payee: PayeeAccount | None = None


class DuplicateScope(StrEnum):
    SAME_COUNTY = "SAME_COUNTY"
    OTHER_COUNTY = "OTHER_COUNTY"


@dataclass(frozen=True)
class DuplicateFlag:
    """A member who is also in another open application of a conflicting programme (DOMAIN §12.1)."""

    member_index: int
    id_number: str
    programme: Programme
    scope: DuplicateScope
    region: str
    other_application_id: str


@dataclass(frozen=True)
class Application:
    application_id: str
    programme: Programme
    channel: Channel
    township: str
    household: HouseholdDeclaration
    state: ApplicationState
    submitted_at: datetime
    statement: str
    requested_amount_fen: int
    updated_at: datetime | None = None
    missing_items: tuple[str, ...] = ()
    correction_due: date | None = None
    accepted_at: datetime | None = None
    decision_due: date | None = None
    state_reason: str = ""
    transferred_to: str = ""
    transferred_from: str = ""
    transferred_as: str = ""
    lead_id: str = ""
    mandate_reference: str = ""
    duplicates: tuple[DuplicateFlag, ...] = ()
    payee: PayeeAccount | None = None

    @property
    def payee_missing(self) -> bool:
        """No account was given: the application goes on, its payments wait for one (DOMAIN §11.1)."""
        return self.payee is None

    @property
    def counted_members(self) -> tuple[MemberDeclaration, ...]:
        return tuple(m for m in self.household.members if m.counted)


def _region_violation(value: str, field: str, *, must_be_township: bool = False) -> FieldViolation | None:
    try:
        region = RegionCode.parse(value, field=field)
    except InvalidArgument as exc:
        return exc.violations[0]
    if must_be_township and region.level.name != "TOWNSHIP":
        return FieldViolation(field, "must be the 12-digit code of a township or street office")
    return None


def _member_violations(
    member: MemberDeclaration, prefix: str, today: date
) -> tuple[list[FieldViolation], ResidentId | None]:
    violations: list[FieldViolation] = []
    resident: ResidentId | None = None
    try:
        resident = parse_id_number(member.id_number, field=f"{prefix}.person.id_number", today=today)
    except InvalidArgument as exc:
        violations.extend(exc.violations)
    if not member.name.strip():
        violations.append(FieldViolation(f"{prefix}.person.name", "is required"))
    elif len(member.name) > MAX_NAME_LENGTH:
        violations.append(
            FieldViolation(f"{prefix}.person.name", f"must be at most {MAX_NAME_LENGTH} characters")
        )
    if member.relation is None:
        violations.append(FieldViolation(f"{prefix}.relation_to_applicant", "is required"))
    if resident is not None:
        if member.birth_date is not None and member.birth_date != resident.birth_date:
            violations.append(FieldViolation(f"{prefix}.person.birth_date", "does not match the ID number"))
        if member.sex is not None and member.sex != resident.sex.name:
            violations.append(FieldViolation(f"{prefix}.person.sex", "does not match the ID number"))
    if member.hukou_region:
        violation = _region_violation(member.hukou_region, f"{prefix}.person.hukou_region")
        if violation:
            violations.append(violation)
    return violations, resident


def validate_submission(submission: Submission, today: date) -> None:
    """Every field at fault in a submission, all at once (DOMAIN §6: one-time notice of what is missing)."""
    violations: list[FieldViolation] = []
    if submission.programme is None:
        violations.append(FieldViolation("programme", "is required"))
    if submission.channel is None:
        violations.append(FieldViolation("channel", "is required"))
    township = _region_violation(submission.township, "township", must_be_township=True)
    if township:
        violations.append(township)
    residence = _region_violation(submission.household.residence_region, "household.residence_region")
    if residence:
        violations.append(residence)
    if submission.household.household_type is None:
        violations.append(FieldViolation("household.household_type", "is required: URBAN or RURAL"))
    if len(submission.statement) > MAX_STATEMENT_LENGTH:
        violations.append(FieldViolation("statement", f"must be at most {MAX_STATEMENT_LENGTH} characters"))
    if submission.requested_amount_fen < 0:
        violations.append(FieldViolation("requested_amount", "must not be negative"))
    elif (
        submission.requested_amount_fen
        and submission.programme is not None
        and not submission.programme.is_temporary_assistance
    ):
        violations.append(FieldViolation("requested_amount", "applies to temporary assistance only"))

    members = submission.household.members
    if not members:
        violations.append(FieldViolation("household.members", "must list at least the applicant"))
    elif len(members) > MAX_MEMBERS:
        violations.append(FieldViolation("household.members", f"must list at most {MAX_MEMBERS} members"))
    else:
        violations.extend(_household_violations(members, today))
    if submission.payee is not None:
        violations.extend(payee_violations(submission.payee, payee_parties(submission)))
    if violations:
        raise InvalidArgument(violations)


def payee_parties(submission: Submission) -> PayeeParties:
    """Who the account may belong to under DOMAIN §11.1, as far as the window knows.

    The window does not know which member a Tekun, 单人保, subsidy or child-allowance application is for
    (the township's survey names the person), so any declared member may hold such an account here; nor
    does it know whether Tekun support will be centralised, so an institution's account is not taken at
    the window (it is recorded on the entitlement once centralised support is found).
    """
    members = submission.household.members
    applicants = [m.name for m in members if m.relation is Relation.SELF]
    programme = submission.programme.value if submission.programme is not None else ""
    return PayeeParties.of(
        programme, applicants[0] if len(applicants) == 1 else "", (m.name for m in members)
    )


def _household_violations(members: tuple[MemberDeclaration, ...], today: date) -> list[FieldViolation]:
    violations: list[FieldViolation] = []
    residents: list[ResidentId | None] = []
    first_index_of: dict[str, int] = {}
    for index, member in enumerate(members):
        prefix = f"household.members[{index}]"
        member_violations, resident = _member_violations(member, prefix, today)
        violations.extend(member_violations)
        residents.append(resident)
        if resident is not None:
            if resident.value in first_index_of:
                violations.append(
                    FieldViolation(
                        f"{prefix}.person.id_number",
                        f"appears twice in the household (also members[{first_index_of[resident.value]}])",
                    )
                )
            else:
                first_index_of[resident.value] = index

    applicants = [i for i, m in enumerate(members) if m.relation is Relation.SELF]
    if len(applicants) != 1:
        violations.append(
            FieldViolation(
                "household.members", "must name exactly one applicant (relation_to_applicant SELF)"
            )
        )
        return violations
    applicant_index = applicants[0]
    if not members[applicant_index].counted:
        violations.append(
            FieldViolation(
                f"household.members[{applicant_index}].counted",
                "the applicant must be a counted household member",
            )
        )
    applicant = residents[applicant_index]
    if applicant is None:
        return violations
    for index, (member, resident) in enumerate(zip(members, residents, strict=True)):
        if resident is None or member.relation is None:
            continue
        if member.relation in OLDER_THAN_APPLICANT and resident.birth_date >= applicant.birth_date:
            violations.append(
                FieldViolation(
                    f"household.members[{index}].relation_to_applicant",
                    f"a {member.relation.value.lower()} must be older than the applicant",
                )
            )
        if member.relation in YOUNGER_THAN_APPLICANT and resident.birth_date <= applicant.birth_date:
            violations.append(
                FieldViolation(
                    f"household.members[{index}].relation_to_applicant",
                    f"a {member.relation.value.lower()} must be younger than the applicant",
                )
            )
    return violations


def local_date(moment: datetime) -> date:
    """The calendar day in China standard time; deadlines and birth dates are counted in it."""
    return china_date(moment)


def submit(
    submission: Submission,
    *,
    application_id: str,
    now: datetime,
    lead_id: str = "",
    mandate_reference: str = "",
) -> Application:
    """A valid submission becomes an application in SUBMITTED (DOMAIN §7.2 row 2)."""
    validate_submission(submission, local_date(now))
    assert submission.programme is not None and submission.channel is not None
    return Application(
        application_id=application_id,
        programme=submission.programme,
        channel=submission.channel,
        township=submission.township,
        household=submission.household,
        state=ApplicationState.SUBMITTED,
        submitted_at=now,
        statement=submission.statement,
        requested_amount_fen=submission.requested_amount_fen,
        updated_at=now,
        lead_id=lead_id,
        mandate_reference=mandate_reference,
        payee=cleaned(submission.payee) if submission.payee is not None else None,
    )
