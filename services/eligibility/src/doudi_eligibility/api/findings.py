"""A survey's findings about the person (``PersonFindings``, DOMAIN §5.2–5.5) or the temporary-assistance
event (``TemporaryAssistanceFindings``, §5.3) → case-file facts, with every field at fault named."""

from __future__ import annotations

from doudi.common.v1 import programme_pb2
from doudi.eligibility.v1 import eligibility_pb2
from doudi_common.disability import Disability, DisabilityType
from doudi_common.validation import Violations
from doudi_eligibility.domain.case_file import EventFacts, PersonFacts
from doudi_eligibility.domain.rules.children import Parent, ParentStatus
from doudi_eligibility.domain.rules.tekun import Relation, Relative, SupportMode
from doudi_eligibility.domain.rules.temporary_assistance import Severity

_CHOICES = {
    programme_pb2.PROGRAMME_UNSPECIFIED: "",
    programme_pb2.PROGRAMME_TEKUN: "TEKUN",
    programme_pb2.PROGRAMME_ORPHAN_ALLOWANCE: "ORPHAN_ALLOWANCE",
    programme_pb2.PROGRAMME_UNSUPPORTED_CHILD_ALLOWANCE: "UNSUPPORTED_CHILD_ALLOWANCE",
}


def _disability(message: eligibility_pb2.DisabilityFinding, field: str, v: Violations) -> Disability | None:
    if not message.type and not message.grade:
        return None
    kind = message.type.strip().upper()
    v.check(kind in DisabilityType.__members__, f"{field}.type", "is not a disability type")
    v.check(1 <= message.grade <= 4, f"{field}.grade", "must be 1 to 4")
    if kind not in DisabilityType.__members__ or not 1 <= message.grade <= 4:
        return None
    return Disability(DisabilityType[kind], message.grade)


def _relative(message: eligibility_pb2.Obligor, field: str, v: Violations) -> Relative | None:
    relation = eligibility_pb2.KinRelation.Name(message.relation).removeprefix("KIN_RELATION_")
    v.check(relation in Relation.__members__, f"{field}.relation", "is required")
    v.check(0 <= message.age <= 150, f"{field}.age", "must be 0 to 150")
    v.check(bool(message.relative_id.strip()), f"{field}.relative_id", "is required")
    disability = _disability(message.disability, f"{field}.disability", v)
    if relation not in Relation.__members__:
        return None
    return Relative(
        relative_id=message.relative_id.strip(),
        relation=Relation(relation),
        age=message.age,
        duty_condition_met=message.duty_condition_met,
        older=message.older,
        is_tekun=message.is_tekun,
        on_dibao=message.on_dibao,
        income_below_disposable=message.income_below_disposable,
        assets_within_limits=message.assets_within_limits,
        disability=disability,
        no_civil_capacity=message.no_civil_capacity,
        declared_missing=message.declared_missing,
        imprisoned=message.imprisoned,
    )


def _parent(message: eligibility_pb2.ParentSituation, field: str, v: Violations) -> Parent | None:
    if message.status == eligibility_pb2.PARENT_STATUS_UNSPECIFIED:
        return None
    v.check(message.months >= 0, f"{field}.months", "must not be negative")
    disability = _disability(message.disability, f"{field}.disability", v)
    status = ParentStatus(eligibility_pb2.ParentStatus.Name(message.status).removeprefix("PARENT_STATUS_"))
    return Parent(status, max(0, message.months), disability)


def person_facts(request: eligibility_pb2.RecordHomeSurveyRequest, v: Violations) -> PersonFacts | None:
    """The findings about the person, or None when the survey carries none (a household case)."""
    if not request.HasField("person"):
        return None
    message = request.person
    v.check(message.member_index >= 0, "person.member_index", "must not be negative")
    v.check(
        0 <= message.self_care_items_lost <= 6, "person.self_care_items_lost", "must be 0 to 6 (six items)"
    )
    v.check(
        message.chosen_programme in _CHOICES,
        "person.chosen_programme",
        "must be TEKUN, ORPHAN_ALLOWANCE or UNSUPPORTED_CHILD_ALLOWANCE when set",
    )
    relatives = [_relative(o, f"person.obligors[{i}]", v) for i, o in enumerate(message.obligors)]
    father = _parent(message.father, "person.father", v)
    mother = _parent(message.mother, "person.mother", v)
    mode = (
        SupportMode.CENTRALISED
        if message.support_mode == eligibility_pb2.SUPPORT_MODE_CENTRALISED
        else SupportMode.DISPERSED
    )
    return PersonFacts(
        member_index=max(0, message.member_index),
        self_care_items_lost=min(6, max(0, message.self_care_items_lost)),
        support_mode=mode,
        obligors=tuple(r for r in relatives if r is not None),
        father=father,
        mother=mother,
        institutional=message.institutional,
        in_school=message.in_school,
        needs_long_term_care=message.needs_long_term_care,
        work_injury_care_allowance=message.work_injury_care_allowance,
        chosen_programme=_CHOICES.get(message.chosen_programme, ""),
        lost_labour_capacity=message.lost_labour_capacity,
        seriously_ill=message.seriously_ill,
    )


def event_facts(request: eligibility_pb2.RecordHomeSurveyRequest, v: Violations) -> EventFacts | None:
    """The event of a temporary-assistance case, or None when the survey carries none."""
    if not request.HasField("temporary_assistance"):
        return None
    message = request.temporary_assistance
    key = message.event_key.strip()
    v.check(
        bool(key) and len(key) <= 64, "temporary_assistance.event_key", "is required, at most 64 characters"
    )
    v.check(
        message.out_of_pocket.amount_fen >= 0, "temporary_assistance.out_of_pocket", "must not be negative"
    )
    return EventFacts(
        key,
        Severity(
            partial_property_loss=message.partial_property_loss,
            short_hospitalisation=message.short_hospitalisation,
            dwelling_uninhabitable=message.dwelling_uninhabitable,
            breadwinner_incapacitated_over_a_month=message.breadwinner_incapacitated_over_a_month,
            death_in_household=message.death_in_household,
        ),
        max(0, message.out_of_pocket.amount_fen),
    )
