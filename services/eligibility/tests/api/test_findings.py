"""The survey's findings about a person or an event, from proto to case-file facts (DOMAIN §5.2–5.5, §5.3):
whatever arrives is either refused with every field at fault named or becomes facts within their ranges."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.eligibility.v1 import eligibility_pb2 as pb
from doudi_common.validation import Violations
from doudi_eligibility.api.findings import event_facts, person_facts
from doudi_eligibility.domain.rules.children import ParentStatus
from doudi_eligibility.domain.rules.tekun import SupportMode

_INTS = st.integers(-5, 200)
_TYPES = st.sampled_from(["", "physical", "VISUAL", "intellectual", "mental", "hearing", "nose"])


def _disability() -> st.SearchStrategy[pb.DisabilityFinding]:
    return st.builds(pb.DisabilityFinding, type=_TYPES, grade=st.integers(-1, 6))


_OBLIGORS = st.builds(
    pb.Obligor,
    relative_id=st.sampled_from(["", "father", "grandson"]),
    relation=st.sampled_from(list(pb.KinRelation.values())),
    age=_INTS,
    disability=_disability(),
    income_below_disposable=st.booleans(),
)
_PARENTS = st.builds(
    pb.ParentSituation,
    status=st.sampled_from(list(pb.ParentStatus.values())),
    months=st.integers(-3, 120),
    disability=_disability(),
)
_PERSONS = st.builds(
    pb.PersonFindings,
    member_index=st.integers(-2, 5),
    self_care_items_lost=st.integers(-2, 9),
    support_mode=st.sampled_from(list(pb.SupportMode.values())),
    obligors=st.lists(_OBLIGORS, max_size=3),
    father=_PARENTS,
    mother=_PARENTS,
    chosen_programme=st.sampled_from(list(programme_pb2.Programme.values())),
)


@settings(max_examples=200, deadline=None)
@given(person=_PERSONS)
def test_person_findings_are_refused_field_by_field_or_become_facts_in_range(
    person: pb.PersonFindings,
) -> None:
    v = Violations()
    facts = person_facts(pb.RecordHomeSurveyRequest(person=person), v)
    assert facts is not None
    fields = {violation.field for violation in v.violations}
    if not fields:
        assert facts.member_index == person.member_index >= 0
        assert 0 <= facts.self_care_items_lost <= 6
        assert len(facts.obligors) == len(person.obligors)
        assert all(0 <= r.age <= 150 and r.relative_id for r in facts.obligors)
        assert facts.support_mode in SupportMode
        assert facts.chosen_programme in ("", "TEKUN", "ORPHAN_ALLOWANCE", "UNSUPPORTED_CHILD_ALLOWANCE")
        for parent, message in ((facts.father, person.father), (facts.mother, person.mother)):
            if message.status == pb.PARENT_STATUS_UNSPECIFIED:
                assert parent is None
            else:
                assert parent is not None and parent.status in ParentStatus and parent.months >= 0
    else:
        assert all(f.startswith("person.") for f in fields)
    if not 0 <= person.self_care_items_lost <= 6:
        assert "person.self_care_items_lost" in fields


def test_no_findings_are_none_and_an_event_needs_its_key() -> None:
    v = Violations()
    assert person_facts(pb.RecordHomeSurveyRequest(), v) is None
    assert event_facts(pb.RecordHomeSurveyRequest(), v) is None
    request = pb.RecordHomeSurveyRequest(
        temporary_assistance=pb.TemporaryAssistanceFindings(
            event_key=" ", out_of_pocket=types_pb2.Money(amount_fen=-1)
        )
    )
    event_facts(request, v)
    assert {violation.field for violation in v.violations} == {
        "temporary_assistance.event_key",
        "temporary_assistance.out_of_pocket",
    }
