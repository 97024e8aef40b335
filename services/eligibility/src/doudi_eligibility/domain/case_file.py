"""The facts a case gathers before its opinion, and how they become the household the rules assess
(DOMAIN §1.3, §4.8, §5.1.2, §5.1.5, §7.2 rows 8–11).

A case file holds what intake accepted (members, consents, household type), what the latest verification
report found (per member: counted income, wages, rigid expenditure, a disability certificate; the asset
outcomes) and what the township's home survey recorded (whether income is stable, an audited category
override). Ages are computed from the resident ID numbers on the assessment day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from doudi_common.bank_account import PayeeAccount
from doudi_common.disability import Disability, DisabilityType
from doudi_common.errors import FailedPrecondition
from doudi_common.idcard import age_on, parse_id_number
from doudi_eligibility.domain.explain import Category, Outcome, Programme
from doudi_eligibility.domain.rules.children import Parent
from doudi_eligibility.domain.rules.facts import (
    AssetTest,
    CategoryOverride,
    Household,
    HouseholdType,
    Income,
    Member,
    Person,
)
from doudi_eligibility.domain.rules.tekun import Relative, SupportMode
from doudi_eligibility.domain.rules.temporary_assistance import Severity


@dataclass(frozen=True)
class Applicant:
    """One member of the household as intake accepted it (index = position in the application)."""

    index: int
    id_number: str
    name: str
    counted: bool
    consent_signed: bool


@dataclass(frozen=True)
class ApplicationFacts:
    application_id: str
    programme: str
    township: str
    region: str
    household_type: HouseholdType
    members: tuple[Applicant, ...]
    accepted_at: datetime
    #: None when the application gave no account: approval goes on, payments wait for one.
    payee: PayeeAccount | None = None

    @property
    def applicant(self) -> Applicant:
        return self.members[0]


@dataclass(frozen=True)
class MemberFindings:
    """What the report counted for one member over the reference period, in fen."""

    index: int
    gross_fen: int = 0
    wage_fen: int = 0
    rigid_fen: int = 0
    disability_type: str = ""
    disability_grade: int = 0


@dataclass(frozen=True)
class ReportFacts:
    report_id: str
    policy_version: str
    gross_income_fen: int
    members: tuple[MemberFindings, ...]
    assets: tuple[tuple[str, str, str], ...]

    def findings(self, index: int) -> MemberFindings:
        for member in self.members:
            if member.index == index:
                return member
        return MemberFindings(index)


@dataclass(frozen=True)
class Holding:
    """An entitlement (not terminated) that pays for a person, as the §5.8 matrix and E5 read it."""

    entitlement_id: str
    programme: Programme
    monthly_amount_fen: int
    #: How many persons the entitlement pays for (a Dibao household's counted members).
    persons: int = 1


#: Benefits that take a person out of the Dibao count (§5.2.2, §5.5, §5.8).
_NOT_COUNTED = {
    Programme.TEKUN: "TEKUN_PERSON",
    Programme.ORPHAN_ALLOWANCE: "ORPHAN",
}
_DIBAO = frozenset({Programme.DIBAO, Programme.SINGLE_PERSON_DIBAO})


@dataclass(frozen=True)
class PersonFacts:
    """What the township found about the one person a Tekun, subsidy or child-allowance case is for."""

    member_index: int = 0
    self_care_items_lost: int = 0
    support_mode: SupportMode = SupportMode.DISPERSED
    obligors: tuple[Relative, ...] = ()
    father: Parent | None = None
    mother: Parent | None = None
    institutional: bool = False
    in_school: bool = False
    needs_long_term_care: bool = False
    work_injury_care_allowance: bool = False
    #: K4: the programme chosen where a child meets both Tekun and a child allowance ("" if none).
    chosen_programme: str = ""
    lost_labour_capacity: bool = False
    seriously_ill: bool = False


@dataclass(frozen=True)
class EventFacts:
    """What the township found about a temporary-assistance event (§5.3.2 severity guide, §5.3.1)."""

    event_key: str
    severity: Severity = field(default_factory=Severity)
    out_of_pocket_fen: int = 0


@dataclass(frozen=True)
class SurveyFacts:
    survey_id: str
    surveyors: tuple[str, ...]
    findings: str
    income_stable: bool
    category_override: str = ""
    override_reason: str = ""
    person: PersonFacts | None = None
    temporary_assistance: EventFacts | None = None


def member_disability(findings: MemberFindings) -> Disability | None:
    if not findings.disability_type or findings.disability_grade == 0:
        return None
    try:
        return Disability(DisabilityType(findings.disability_type.upper()), findings.disability_grade)
    except ValueError:
        return None


def household_of(
    application: ApplicationFacts,
    report: ReportFacts | None,
    survey: SurveyFacts | None,
    on: date,
    holdings: Mapping[str, tuple[Holding, ...]] | None = None,
) -> Household:
    """The household as the rules see it on ``on``; both the report and the survey must be in.

    ``holdings`` gives, by ID number, the members' entitlements other than this case's own: a Tekun person
    or an orphan leaves the count (§5.8), and a member counted in another Dibao entitlement is what E5 checks.
    """
    if report is None or survey is None:
        raise FailedPrecondition(
            f"case {application.application_id} needs its verification report and home survey first"
        )
    members = []
    for applicant in application.members:
        found = report.findings(applicant.index)
        birth_day = parse_id_number(applicant.id_number, today=on)
        person = Person(
            person_id=applicant.id_number,
            age=age_on(birth_day, on),
            disability=member_disability(found),
        )
        held = (holdings or {}).get(applicant.id_number, ())
        leaves = next((_NOT_COUNTED[h.programme] for h in held if h.programme in _NOT_COUNTED), "")
        dibao = next((h.entitlement_id for h in held if h.programme in _DIBAO), None)
        members.append(
            Member(
                person,
                Income(found.gross_fen, min(found.wage_fen, found.gross_fen), found.rigid_fen),
                counted=applicant.counted and not leaves,
                not_counted_reason=leaves,
                active_dibao_elsewhere=dibao if applicant.counted and not leaves else None,
            )
        )
    override = (
        CategoryOverride(Category(survey.category_override), survey.override_reason)
        if survey.category_override
        else None
    )
    return Household(
        household_id=application.application_id,
        type=application.household_type,
        members=tuple(members),
        income_stable=survey.income_stable,
        assets=tuple(AssetTest(rule, Outcome(outcome), reason) for rule, outcome, reason in report.assets),
        consents_complete=all(m.consent_signed for m in application.members if m.counted),
        category_override=override,
    )
