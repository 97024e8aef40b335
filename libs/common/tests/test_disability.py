"""Grade thresholds read as the parameter texts write them: "ANY:2,INTELLECTUAL:3" covers grades 1–2 of any
type and grade 3 of an intellectual disability; a certificate no longer valid is covered by none."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.disability import Disability, DisabilityType, GradeThreshold

kinds = st.sampled_from(list(DisabilityType))
grades = st.integers(1, 4)
thresholds = st.dictionaries(st.sampled_from(["ANY", *DisabilityType.__members__]), grades, max_size=4).map(
    lambda limits: GradeThreshold.parse(",".join(f"{name}:{grade}" for name, grade in limits.items()))
)


def test_any_covers_every_type_and_a_named_type_widens_it_for_that_type_only() -> None:
    threshold = GradeThreshold.parse("ANY:2, intellectual:3")
    assert threshold.covers(Disability(DisabilityType.PHYSICAL, 2))
    assert not threshold.covers(Disability(DisabilityType.PHYSICAL, 3))
    assert threshold.covers(Disability(DisabilityType.INTELLECTUAL, 3))
    assert not threshold.covers(Disability(DisabilityType.INTELLECTUAL, 4))
    assert not threshold.covers(Disability(DisabilityType.INTELLECTUAL, 1, certificate_valid=False))
    assert not threshold.covers(None)
    assert str(threshold) == "ANY:2,INTELLECTUAL:3"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("HEARTBURN:2", "unknown disability type"),
        ("ANY:5", "grades are 1 to 4"),
        ("ANY:0", "grades are 1 to 4"),
    ],
)
def test_a_text_naming_an_unknown_type_or_grade_is_refused_every_time_it_is_read(
    text: str, message: str
) -> None:
    for _ in range(2):
        with pytest.raises(ValueError, match=message):
            GradeThreshold.parse(text)


@given(thresholds, kinds, grades)
def test_a_threshold_read_back_from_its_text_covers_the_same_certificates(
    threshold: GradeThreshold, kind: DisabilityType, grade: int
) -> None:
    again = GradeThreshold.parse(str(threshold))
    assert again == threshold
    assert again.covers(Disability(kind, grade)) == threshold.covers(Disability(kind, grade))


@given(thresholds, thresholds, kinds, grades)
def test_a_wider_threshold_covers_every_certificate_the_narrower_one_does(
    wide: GradeThreshold, narrow: GradeThreshold, kind: DisabilityType, grade: int
) -> None:
    if wide.is_at_least_as_wide_as(narrow) and narrow.covers(Disability(kind, grade)):
        assert wide.covers(Disability(kind, grade))
