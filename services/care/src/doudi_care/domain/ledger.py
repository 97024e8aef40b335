"""Ledgers (台账) of DOMAIN §9.1: who is on which ledger, with which fields, how a registration is checked."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from doudi_common.calendar import china_date
from doudi_common.errors import InvalidArgument
from doudi_common.idcard import age_on
from doudi_common.phone import parse_phone
from doudi_common.region import RegionCode, RegionLevel
from doudi_common.validation import Violations

MAX_NAME_LENGTH = 50
MAX_TEXT_LENGTH = 2000
MAX_ID_LENGTH = 64


class Ledger(StrEnum):
    ELDERLY_LEFT_BEHIND = "ELDERLY_LEFT_BEHIND"
    CHILD_LEFT_BEHIND = "CHILD_LEFT_BEHIND"
    CHILD_IN_DIFFICULTY = "CHILD_IN_DIFFICULTY"
    DISABLED = "DISABLED"
    TEKUN_DISPERSED = "TEKUN_DISPERSED"

    @property
    def label(self) -> str:
        """The metrics label the chart's rules and dashboards group by (never a person)."""
        return LEDGER_LABELS[self]

    @property
    def is_children(self) -> bool:
        return self in (Ledger.CHILD_LEFT_BEHIND, Ledger.CHILD_IN_DIFFICULTY)


LEDGER_LABELS = {
    Ledger.ELDERLY_LEFT_BEHIND: "elderly",
    Ledger.CHILD_LEFT_BEHIND: "children",
    Ledger.CHILD_IN_DIFFICULTY: "children",
    Ledger.DISABLED: "disabled",
    Ledger.TEKUN_DISPERSED: "tekun",
}


class RiskLevel(StrEnum):
    """The tiers of DOMAIN §9.2 (Inner Mongolia [L, S66]): general, key, high."""

    GENERAL = "GENERAL"
    KEY = "KEY"
    HIGH = "HIGH"

    @property
    def rank(self) -> int:
        return _RISK_ORDER.index(self)

    def raised(self) -> RiskLevel:
        """One tier up (high stays high)."""
        return _RISK_ORDER[min(self.rank + 1, len(_RISK_ORDER) - 1)]


_RISK_ORDER = (RiskLevel.GENERAL, RiskLevel.KEY, RiskLevel.HIGH)


class EntrySource(StrEnum):
    REGISTRATION = "REGISTRATION"
    IMPORT = "IMPORT"
    ENTITLEMENT = "ENTITLEMENT"


class EntryStatus(StrEnum):
    ACTIVE = "ACTIVE"
    #: Opened by an entitlement, which names the subject but not the person's identity number.
    PENDING_DETAILS = "PENDING_DETAILS"
    CLOSED = "CLOSED"
    #: Rests while every entitlement that keeps it is suspended: no visit plan, no work orders.
    SUSPENDED = "SUSPENDED"


class ChildCategory(StrEnum):
    LEFT_BEHIND = "LEFT_BEHIND"
    ORPHAN = "ORPHAN"
    UNSUPPORTED = "UNSUPPORTED"
    DISABLED_OR_ILL = "DISABLED_OR_ILL"
    IN_DIFFICULTY = "IN_DIFFICULTY"


class LivingArrangement(StrEnum):
    ALONE = "ALONE"
    COUPLE_ONLY = "COUPLE_ONLY"
    WITH_GRANDCHILDREN = "WITH_GRANDCHILDREN"


class SelfCare(StrEnum):
    ABLE = "ABLE"
    PARTIAL_LOSS = "PARTIAL_LOSS"
    COMPLETE_LOSS = "COMPLETE_LOSS"


class DisabilityType(StrEnum):
    VISUAL = "VISUAL"
    HEARING = "HEARING"
    SPEECH = "SPEECH"
    PHYSICAL = "PHYSICAL"
    INTELLECTUAL = "INTELLECTUAL"
    MENTAL = "MENTAL"
    MULTIPLE = "MULTIPLE"


@dataclass(frozen=True)
class ElderlyDetails:
    contact_name: str = ""
    contact_phone: str = ""
    support_agreement_signed: bool = False
    living_arrangement: LivingArrangement | None = None
    self_care: SelfCare | None = None


@dataclass(frozen=True)
class ChildDetails:
    category: ChildCategory | None = None
    guardian_name: str = ""
    guardian_phone: str = ""
    child_director: str = ""
    school: str = ""


@dataclass(frozen=True)
class DisabilityDetails:
    certificate_type: DisabilityType | None = None
    grade: int = 0
    certificate_number: str = ""
    valid_until: date | None = None


@dataclass(frozen=True)
class TekunDetails:
    carer_name: str = ""
    carer_phone: str = ""
    entrustment_agreement_signed: bool = False
    agreement_signed_on: date | None = None
    visit_person: str = ""
    self_care: SelfCare | None = None


Details = ElderlyDetails | ChildDetails | DisabilityDetails | TekunDetails

DETAILS_OF: dict[Ledger, type] = {
    Ledger.ELDERLY_LEFT_BEHIND: ElderlyDetails,
    Ledger.CHILD_LEFT_BEHIND: ChildDetails,
    Ledger.CHILD_IN_DIFFICULTY: ChildDetails,
    Ledger.DISABLED: DisabilityDetails,
    Ledger.TEKUN_DISPERSED: TekunDetails,
}
DETAILS_FIELD = {
    ElderlyDetails: "elderly",
    ChildDetails: "child",
    DisabilityDetails: "disability",
    TekunDetails: "tekun",
}


@dataclass(frozen=True)
class Registration:
    """What a township records to enter a person (a registration or one row of an import)."""

    ledger: Ledger | None
    id_number: str
    name: str
    region: str
    phone: str = ""
    risk_level: RiskLevel | None = None
    subject_id: str = ""
    provider_id: str = ""
    rural_class1_dibao: bool = False
    details: Details | None = None
    #: Set by the API when the caller sent a birth date, so it can be checked against the ID number.
    birth_date: date | None = None


@dataclass(frozen=True)
class LedgerRules:
    """The ledger's entry conditions (DOMAIN §9.1) and whether class-1 Dibao gets care work orders."""

    elderly_min_age: int = 60
    child_max_age: int = 17
    class1_dibao_care: bool = False


@dataclass(frozen=True)
class ValidRegistration:
    ledger: Ledger
    id_number: str
    name: str
    region: RegionCode
    phone: str
    risk_level: RiskLevel
    subject_id: str
    provider_id: str
    rural_class1_dibao: bool
    details: Details


def _text(v: Violations, value: str, name: str, limit: int, *, required: bool) -> str:
    if required and not value.strip():
        v.add(name, "is required")
        return ""
    if len(value) > limit:
        v.add(name, f"must be at most {limit} characters")
        return ""
    return value.strip()


def _phone(v: Violations, value: str, name: str, *, required: bool = False) -> str:
    if not value.strip():
        if required:
            v.add(name, "is required")
        return ""
    try:
        return parse_phone(value, field=v.path(name))
    except InvalidArgument as error:
        v.absorb(error)
        return ""


def _past_date(v: Violations, value: date | None, name: str, today: date) -> None:
    if value is not None and value > today:
        v.add(name, "must not be in the future")


def _check_details(v: Violations, ledger: Ledger, details: Details | None, today: date) -> Details:
    expected = DETAILS_OF[ledger]
    if details is None:
        details = expected()
    elif not isinstance(details, expected):
        v.add(DETAILS_FIELD[type(details)], f"does not belong to the {ledger.value} ledger")
        return expected()
    with v.nested(DETAILS_FIELD[expected]):
        if isinstance(details, ElderlyDetails):
            # 联系人登记: the ledger exists so someone can be called (SEED-4).
            _text(v, details.contact_name, "contact_name", MAX_NAME_LENGTH, required=True)
            phone = _phone(v, details.contact_phone, "contact_phone", required=True)
            return replace(details, contact_phone=phone)
        if isinstance(details, ChildDetails):
            _text(v, details.guardian_name, "guardian_name", MAX_NAME_LENGTH, required=True)
            _text(v, details.child_director, "child_director", MAX_NAME_LENGTH, required=False)
            _text(v, details.school, "school", MAX_NAME_LENGTH * 2, required=False)
            phone = _phone(v, details.guardian_phone, "guardian_phone")
            category = details.category
            if ledger is Ledger.CHILD_LEFT_BEHIND:
                if category not in (None, ChildCategory.LEFT_BEHIND):
                    v.add("category", "must be LEFT_BEHIND on the left-behind children's ledger")
                category = ChildCategory.LEFT_BEHIND
            elif category in (None, ChildCategory.LEFT_BEHIND):
                v.add(
                    "category", "must name the child's difficulty (orphan, unsupported, disabled or ill, …)"
                )
            return replace(details, guardian_phone=phone, category=category)
        if isinstance(details, DisabilityDetails):
            if details.certificate_type is None:
                v.add("certificate_type", "is required")
            if not 1 <= details.grade <= 4:
                v.add("grade", "must be a disability grade from 1 to 4")
            _text(v, details.certificate_number, "certificate_number", MAX_NAME_LENGTH, required=False)
            if details.valid_until is not None and details.valid_until < today:
                v.add("valid_until", "has passed: the certificate has expired")
            return details
        assert isinstance(details, TekunDetails)
        _text(v, details.carer_name, "carer_name", MAX_NAME_LENGTH, required=True)
        _text(v, details.visit_person, "visit_person", MAX_NAME_LENGTH, required=False)
        phone = _phone(v, details.carer_phone, "carer_phone")
        _past_date(v, details.agreement_signed_on, "agreement_signed_on", today)
        if details.agreement_signed_on is not None and not details.entrustment_agreement_signed:
            v.add("entrustment_agreement_signed", "must be true when the agreement has a signing day")
        return replace(details, carer_phone=phone)


def validate_registration(
    registration: Registration, today: date, rules: LedgerRules, v: Violations
) -> ValidRegistration | None:
    """Every fault of one registration, recorded in ``v``; the cleaned registration when it has none."""
    before = len(v)
    ledger = registration.ledger
    if ledger is None:
        v.add("ledger", "is required")
    with v.nested("person"):
        resident = v.require_id_number(registration.id_number, "id_number", today=today)
        name = _text(v, registration.name, "name", MAX_NAME_LENGTH, required=True)
        phone = _phone(v, registration.phone, "phone")
        if resident is not None and registration.birth_date is not None:
            v.check(
                registration.birth_date == resident.birth_date,
                "birth_date",
                "does not agree with the identity number",
            )
    if resident is not None and ledger is not None:
        age = age_on(resident, today)
        if ledger is Ledger.ELDERLY_LEFT_BEHIND and age < rules.elderly_min_age:
            v.add(
                "person.id_number", f"is of a person aged {age}; the ledger is for {rules.elderly_min_age}+"
            )
        if ledger.is_children and age > rules.child_max_age:
            v.add("person.id_number", f"is of a person aged {age}; the children's ledgers are for minors")
    region = v.require_region(registration.region, "region", level=RegionLevel.VILLAGE)
    _text(v, registration.subject_id, "subject_id", MAX_ID_LENGTH, required=False)
    _text(v, registration.provider_id, "provider_id", MAX_ID_LENGTH, required=False)
    details = _check_details(v, ledger, registration.details, today) if ledger is not None else None
    if len(v) > before or ledger is None or resident is None or region is None or details is None:
        return None
    return ValidRegistration(
        ledger=ledger,
        id_number=resident.value,
        name=name,
        region=region,
        phone=phone,
        risk_level=registration.risk_level or RiskLevel.GENERAL,
        subject_id=registration.subject_id.strip(),
        provider_id=registration.provider_id.strip(),
        rural_class1_dibao=registration.rural_class1_dibao,
        details=details,
    )


def township_of(region: RegionCode) -> str:
    """The township a region belongs to (itself above township level: a county-paid entitlement)."""
    township = region.ancestor(RegionLevel.TOWNSHIP)
    return (township or region).code


def gets_care_services(ledger: Ledger, rural_class1_dibao: bool, rules: LedgerRules) -> bool:
    """DOMAIN §9.3: dispersed Tekun get care work orders; rural class-1 Dibao where the county extends it."""
    return ledger is Ledger.TEKUN_DISPERSED or (rural_class1_dibao and rules.class1_dibao_care)


@dataclass(frozen=True)
class LedgerEntry:
    entry_id: str
    ledger: Ledger
    id_number: str
    name: str
    phone: str
    region: str
    township: str
    risk_level: RiskLevel
    status: EntryStatus
    source: EntrySource
    details: Details
    next_due: date
    #: The last stage of the current due day already announced (VisitDue / VisitOverdue).
    announced_stage: str
    registered_at: datetime
    updated_at: datetime
    subject_id: str = ""
    provider_id: str = ""
    care_services: bool = False
    rural_class1_dibao: bool = False
    last_visited_on: date | None = None
    #: The entitlements that keep the entry open (an entitlement-opened entry closes when all end).
    entitlement_ids: tuple[str, ...] = field(default_factory=tuple)
    #: Entitlements now suspended: those of ``entitlement_ids``, or a household's Dibao that pays for
    #: class-1 care services.
    suspended_entitlement_ids: tuple[str, ...] = field(default_factory=tuple)

    @property
    def plan_base(self) -> date:
        """The day the visit plan counts from: the last visit, or the day the entry was opened."""
        return self.last_visited_on or china_date(self.registered_at)

    @property
    def child_category(self) -> ChildCategory | None:
        return self.details.category if isinstance(self.details, ChildDetails) else None

    @property
    def contact(self) -> str:
        """The contact person, guardian or carer as one line."""
        d = self.details
        if isinstance(d, ElderlyDetails):
            return " ".join(x for x in (d.contact_name, d.contact_phone) if x)
        if isinstance(d, ChildDetails):
            return " ".join(x for x in (d.guardian_name, d.guardian_phone) if x)
        if isinstance(d, TekunDetails):
            return " ".join(x for x in (d.carer_name, d.carer_phone) if x)
        return ""

    @property
    def contact_phone(self) -> str:
        d = self.details
        if isinstance(d, ElderlyDetails):
            return d.contact_phone
        if isinstance(d, ChildDetails):
            return d.guardian_phone
        if isinstance(d, TekunDetails):
            return d.carer_phone
        return self.phone

    @property
    def is_open(self) -> bool:
        return self.status is not EntryStatus.CLOSED

    @property
    def is_worked(self) -> bool:
        """Visited by plan and served by work orders: open and not resting."""
        return self.status in (EntryStatus.ACTIVE, EntryStatus.PENDING_DETAILS)


@dataclass(frozen=True)
class PlannedVisit:
    """What the daily sweep reads of an entry: who is due a visit, where, since when, announced how far."""

    entry_id: str
    ledger: Ledger
    id_number: str
    region: str
    township: str
    risk_level: RiskLevel
    next_due: date
    announced_stage: str
