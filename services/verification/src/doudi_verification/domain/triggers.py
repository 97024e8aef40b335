"""Which monitoring events open an alert, and how soon it must be verified (DOMAIN §8.1, §8.2, §3 alert.sla).

A reported event is validated, then judged by its trigger's rule against the thresholds (EX values of
§8.2, parameters here). Money is integer fen and shares are compared in integers, never floats.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from doudi_common.calendar import china_date
from doudi_common.money import format_yuan
from doudi_common.region import RegionLevel
from doudi_common.validation import Violations

MAX_TEXT = 2000
MAX_REFERENCE = 200
MAX_HOUSEHOLD_ID = 64
#: A report of an event more than this far in the future is a clock or data error, not a forecast.
FUTURE_TOLERANCE = timedelta(minutes=10)


class Trigger(StrEnum):
    """The triggers of DOMAIN §8.2; ``code`` is the table's M-number (also the metrics label)."""

    LARGE_MEDICAL_EXPENSE = "LARGE_MEDICAL_EXPENSE"
    SERIOUS_ILLNESS = "SERIOUS_ILLNESS"
    DISASTER = "DISASTER"
    ACCIDENT = "ACCIDENT"
    DEATH = "DEATH"
    INCOME_DROP = "INCOME_DROP"
    INCOME_RISE = "INCOME_RISE"
    COMPOSITION_CHANGE = "COMPOSITION_CHANGE"
    DISABILITY = "DISABILITY"
    AGE_MILESTONE = "AGE_MILESTONE"
    LEFT_BEHIND = "LEFT_BEHIND"
    EDUCATION = "EDUCATION"
    DUPLICATE = "DUPLICATE"
    OVERDUE_CARE = "OVERDUE_CARE"

    @property
    def code(self) -> str:
        return f"M{list(Trigger).index(self) + 1}"


class Urgency(StrEnum):
    """The classes of the ``alert.sla`` parameter (DOMAIN §3)."""

    ROUTINE = "ROUTINE"
    DISASTER = "DISASTER"
    EMERGENCY = "EMERGENCY"


class MonitoredGroup(StrEnum):
    """The monitored population of DOMAIN §8.1."""

    DIBAO = "DIBAO"
    TEKUN = "TEKUN"
    MARGINAL = "MARGINAL"
    RIGID_EXPENDITURE = "RIGID_EXPENDITURE"
    ANTI_POVERTY = "ANTI_POVERTY"
    LEFT_DIBAO = "LEFT_DIBAO"
    TA_RECIPIENT = "TA_RECIPIENT"
    LOCAL = "LOCAL"


#: Beneficiaries, whose income or asset rise (M7) puts their entitlement under review (DOMAIN §7.3).
BENEFICIARIES = frozenset({MonitoredGroup.DIBAO, MonitoredGroup.TEKUN})


class DisabilityType(StrEnum):
    VISUAL = "VISUAL"
    HEARING = "HEARING"
    SPEECH = "SPEECH"
    PHYSICAL = "PHYSICAL"
    INTELLECTUAL = "INTELLECTUAL"
    MENTAL = "MENTAL"
    MULTIPLE = "MULTIPLE"


@dataclass(frozen=True)
class Facts:
    """Trigger-specific facts of a report; each rule reads only its own."""

    household_annual_income_fen: int | None = None
    previous_amount_fen: int | None = None
    earned_income_stopped: bool = False
    on_serious_illness_list: bool = False
    house_damaged: bool = False
    crop_loss_percent: int = 0
    disability_grade: int = 0
    disability_type: DisabilityType | None = None
    milestone_age: int = 0
    overdue_days: int = 0


@dataclass(frozen=True)
class MonitoringEvent:
    """One reported fact about one person, as the reporting system described it."""

    trigger: Trigger | None
    person_id: str
    region: str
    source: str
    source_reference: str
    occurred_at: datetime | None
    amount_fen: int | None = None
    household_id: str = ""
    groups: frozenset[MonitoredGroup] = frozenset()
    facts: Facts = Facts()
    description: str = ""


def _default_urgencies() -> Mapping[Trigger, Urgency]:
    # DOMAIN §8.2: M4 (accident, fire) needs aid within 24 h; M3 (disaster) within 3 days.
    return MappingProxyType({Trigger.ACCIDENT: Urgency.EMERGENCY, Trigger.DISASTER: Urgency.DISASTER})


@dataclass(frozen=True)
class Thresholds:
    """The EX thresholds of DOMAIN §8.2 (a county may set its own; §14 item 9 says to tune them)."""

    #: M1: 12-month out-of-pocket medical cost that opens an alert on its own (EX 20,000 yuan).
    medical_out_of_pocket_fen: int = 2_000_000
    #: M1: ... or this share of the household's counted annual income, when known (EX 50%).
    medical_income_share_percent: int = 50
    #: M6: per-capita income drop (EX 30%).
    income_drop_percent: int = 30
    #: M3: crops lost (EX 50%), unless the house was damaged.
    crop_loss_percent: int = 50
    #: M9: grades that always count, and the types for which grade 3 counts too.
    disability_grades: frozenset[int] = frozenset({1, 2})
    disability_grade3_types: frozenset[DisabilityType] = frozenset(
        {DisabilityType.INTELLECTUAL, DisabilityType.MENTAL}
    )
    #: M10: the ages that matter (Tekun labour capacity, child allowances, elderly visit tiers).
    milestone_ages: frozenset[int] = frozenset({16, 18, 60, 70, 80})
    #: M14: days a visit or care service may be overdue before it becomes an alert (EX > 7).
    overdue_care_days: int = 7


@dataclass(frozen=True)
class SlaPolicy:
    """Parameter ``alert.sla`` (DOMAIN §3, EX): how long each urgency class has to be verified."""

    emergency: timedelta = timedelta(hours=24)
    disaster: timedelta = timedelta(days=3)
    routine: timedelta = timedelta(days=7)
    urgencies: Mapping[Trigger, Urgency] = field(default_factory=_default_urgencies)

    def urgency_of(self, trigger: Trigger) -> Urgency:
        return self.urgencies.get(trigger, Urgency.ROUTINE)

    def window(self, urgency: Urgency) -> timedelta:
        return {Urgency.EMERGENCY: self.emergency, Urgency.DISASTER: self.disaster}.get(urgency, self.routine)

    def due(self, trigger: Trigger, raised_at: datetime) -> datetime:
        return raised_at + self.window(self.urgency_of(trigger))


@dataclass(frozen=True)
class Verdict:
    """Whether a rule opens an alert, and why (the reason is kept on the alert or given to the reporter)."""

    opens: bool
    reason: str


# -- validation --------------------------------------------------------------------------------------


def _text(v: Violations, value: str, name: str, limit: int, *, required: bool = False) -> None:
    if required and not value.strip():
        v.add(name, "is required")
    elif len(value) > limit:
        v.add(name, f"must be at most {limit} characters")
    elif value and not value.isprintable() and name != "description":
        v.add(name, "must be printable text")


def _facts(v: Violations, facts: Facts) -> None:
    with v.nested("facts"):
        if facts.household_annual_income_fen is not None:
            v.require_fen(facts.household_annual_income_fen, "household_annual_income")
        if facts.previous_amount_fen is not None:
            v.require_fen(facts.previous_amount_fen, "previous_amount")
        v.check(0 <= facts.crop_loss_percent <= 100, "crop_loss_percent", "must be between 0 and 100")
        v.check(0 <= facts.disability_grade <= 4, "disability_grade", "must be a grade from 1 to 4")
        v.check(0 <= facts.milestone_age <= 150, "milestone_age", "must be an age in years")
        v.check(0 <= facts.overdue_days <= 3660, "overdue_days", "must be between 0 and 3660")


def _trigger_needs(v: Violations, event: MonitoringEvent) -> None:
    """The facts without which a trigger's rule cannot be judged at all (INVALID_ARGUMENT, not 'no alert')."""
    facts = event.facts
    if event.trigger is Trigger.LARGE_MEDICAL_EXPENSE and event.amount_fen is None:
        v.add("amount", "is required for M1: the 12-month out-of-pocket medical cost")
    if event.trigger is Trigger.INCOME_DROP and not facts.earned_income_stopped:
        if event.amount_fen is None:
            v.add("amount", "is required for M6 unless earned income stopped: the income after the drop")
        if facts.previous_amount_fen is None:
            v.add("facts.previous_amount", "is required for M6 unless earned income stopped")
    if event.trigger is Trigger.DISABILITY:
        v.check(facts.disability_grade > 0, "facts.disability_grade", "is required for M9")
        v.check(facts.disability_type is not None, "facts.disability_type", "is required for M9")
    if event.trigger is Trigger.AGE_MILESTONE:
        v.check(facts.milestone_age > 0, "facts.milestone_age", "is required for M10")


def validate_event(event: MonitoringEvent, now: datetime) -> None:
    """Every field at fault, in one InvalidArgument (ID checksum, region level, money, enums, texts)."""
    v = Violations()
    if event.trigger is None:
        v.add("trigger", "is required: one of M1–M14")
    v.require_id_number(event.person_id, "person", today=china_date(now))
    region = v.require_region(event.region, "region")
    if region is not None and region.level not in (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE):
        v.add("region", "must be the code of the township or village where the person lives")
    if event.amount_fen is not None:
        v.require_fen(event.amount_fen, "amount")
    _text(v, event.source, "source", MAX_REFERENCE, required=True)
    _text(v, event.source_reference, "source_reference", MAX_REFERENCE, required=True)
    _text(v, event.household_id, "household_id", MAX_HOUSEHOLD_ID)
    _text(v, event.description, "description", MAX_TEXT)
    if event.occurred_at is None:
        v.add("occurred_at", "is required")
    elif event.occurred_at.tzinfo is None:
        v.add("occurred_at", "must carry a time zone")
    elif event.occurred_at > now + FUTURE_TOLERANCE:
        v.add("occurred_at", "must not be in the future")
    _facts(v, event.facts)
    _trigger_needs(v, event)
    v.raise_if_any()


# -- the rules ---------------------------------------------------------------------------------------


def _yuan(fen: int) -> str:
    return f"{format_yuan(fen)} yuan"


def _medical(event: MonitoringEvent, t: Thresholds) -> Verdict:
    cost = event.amount_fen or 0
    if cost >= t.medical_out_of_pocket_fen:
        return Verdict(True, f"12-month out-of-pocket {_yuan(cost)} ≥ {_yuan(t.medical_out_of_pocket_fen)}")
    income = event.facts.household_annual_income_fen
    # cost / income ≥ share / 100, kept in integers; a cost of nothing is never a share of anything.
    if income is not None and cost > 0 and cost * 100 >= income * t.medical_income_share_percent:
        return Verdict(
            True,
            f"12-month out-of-pocket {_yuan(cost)} ≥ {t.medical_income_share_percent}% of the household's "
            f"counted annual income {_yuan(income)}",
        )
    return Verdict(False, f"12-month out-of-pocket {_yuan(cost)} is below the M1 thresholds")


def _serious_illness(event: MonitoringEvent, t: Thresholds) -> Verdict:
    if not event.facts.on_serious_illness_list:
        return Verdict(False, "the diagnosis is not on the local serious-illness list")
    if not event.groups:
        return Verdict(False, "M2 concerns marginal or monitored households; the person is in neither")
    return Verdict(True, "a diagnosis on the serious-illness list in a monitored household")


def _disaster(event: MonitoringEvent, t: Thresholds) -> Verdict:
    if event.facts.house_damaged:
        return Verdict(True, "the house was damaged")
    if event.facts.crop_loss_percent >= t.crop_loss_percent:
        return Verdict(True, f"crops lost {event.facts.crop_loss_percent}% ≥ {t.crop_loss_percent}%")
    return Verdict(False, "neither house damage nor enough crop loss")


def _income_drop(event: MonitoringEvent, t: Thresholds) -> Verdict:
    if event.facts.earned_income_stopped:
        return Verdict(True, "a member's earned income stopped")
    before = event.facts.previous_amount_fen or 0
    after = event.amount_fen or 0
    # (before − after) / before ≥ percent / 100, in integers.
    if before > 0 and (before - after) * 100 >= before * t.income_drop_percent:
        return Verdict(True, f"per-capita income fell from {_yuan(before)} to {_yuan(after)}")
    return Verdict(False, f"per-capita income fell less than {t.income_drop_percent}%")


def _income_rise(event: MonitoringEvent, t: Thresholds) -> Verdict:
    if event.groups & BENEFICIARIES:
        return Verdict(True, "income or assets rose for a beneficiary")
    return Verdict(False, "M7 concerns Dibao and Tekun beneficiaries only")


def _disability(event: MonitoringEvent, t: Thresholds) -> Verdict:
    grade, kind = event.facts.disability_grade, event.facts.disability_type
    if grade in t.disability_grades or (grade == 3 and kind in t.disability_grade3_types):
        return Verdict(True, f"disability grade {grade} ({kind.value.lower() if kind else 'unknown'})")
    return Verdict(False, f"disability grade {grade} is below the M9 threshold")


def _milestone(event: MonitoringEvent, t: Thresholds) -> Verdict:
    age = event.facts.milestone_age
    if age in t.milestone_ages:
        return Verdict(True, f"turning {age}")
    return Verdict(False, f"age {age} is not a milestone")


def _overdue_care(event: MonitoringEvent, t: Thresholds) -> Verdict:
    days = event.facts.overdue_days
    if days > t.overdue_care_days:
        return Verdict(True, f"visit or care overdue by {days} days")
    return Verdict(False, f"overdue by {days} days, not more than {t.overdue_care_days}")


Rule = Callable[[MonitoringEvent, Thresholds], Verdict]


def _always(reason: str) -> Rule:
    return lambda event, t: Verdict(True, reason)


_RULES: Mapping[Trigger, Rule] = {
    Trigger.LARGE_MEDICAL_EXPENSE: _medical,
    Trigger.SERIOUS_ILLNESS: _serious_illness,
    Trigger.DISASTER: _disaster,
    Trigger.ACCIDENT: _always("an accident or fire"),
    Trigger.DEATH: _always("a member of the household died"),
    Trigger.INCOME_DROP: _income_drop,
    Trigger.INCOME_RISE: _income_rise,
    Trigger.COMPOSITION_CHANGE: _always("the household's composition changed"),
    Trigger.DISABILITY: _disability,
    Trigger.AGE_MILESTONE: _milestone,
    Trigger.LEFT_BEHIND: _always("left-behind status"),
    Trigger.EDUCATION: _always("an education shock"),
    Trigger.DUPLICATE: _always("a duplicate or conflicting record"),
    Trigger.OVERDUE_CARE: _overdue_care,
}


def evaluate(event: MonitoringEvent, thresholds: Thresholds) -> Verdict:
    """DOMAIN §8.2: whether the event's trigger opens an alert (the event is already validated)."""
    if event.trigger is None:
        raise ValueError("a validated event has a trigger")
    return _RULES[event.trigger](event, thresholds)
