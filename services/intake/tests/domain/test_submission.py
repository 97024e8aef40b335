"""What a submission at the one window must contain (DOMAIN §7.1, §7.2 rows 1–2, §1.3, §5.1.1)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.errors import InvalidArgument
from doudi_common.testing import EXAMPLE_TOWNSHIP as TOWNSHIP
from doudi_common.testing import EXAMPLE_VILLAGE as VILLAGE
from doudi_common.testing import make_resident_id as resident_id
from doudi_intake.domain.application import (
    ApplicationState,
    Channel,
    HouseholdDeclaration,
    HouseholdType,
    MemberDeclaration,
    Programme,
    Relation,
    Submission,
    submit,
    validate_submission,
)

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
APPLICANT = MemberDeclaration(resident_id(date(1980, 5, 17)), "马建国", Relation.SELF, counted=True)
SPOUSE = MemberDeclaration(
    resident_id(date(1982, 3, 2), female=True), "李秀兰", Relation.SPOUSE, counted=True
)
SON = MemberDeclaration(resident_id(date(2010, 9, 1), 31), "马小龙", Relation.CHILD, counted=True)


def dibao(*members: MemberDeclaration, **changes: object) -> Submission:
    submission = Submission(
        programme=Programme.DIBAO,
        channel=Channel.WINDOW,
        township=TOWNSHIP,
        household=HouseholdDeclaration(
            residence_region=VILLAGE,
            members=members or (APPLICANT, SPOUSE, SON),
            household_type=HouseholdType.URBAN,
        ),
    )
    return replace(submission, **changes)


def fields_at_fault(submission: Submission) -> set[str]:
    with pytest.raises(InvalidArgument) as raised:
        validate_submission(submission, TODAY)
    return {violation.field for violation in raised.value.violations}


def test_a_complete_household_is_submitted() -> None:
    application = submit(dibao(), application_id="app_1", now=NOW)
    assert application.state is ApplicationState.SUBMITTED
    assert application.submitted_at == NOW
    assert len(application.household.members) == 3


def test_every_fault_is_listed_at_once() -> None:
    broken = replace(SON, id_number=SON.id_number[:-1] + ("0" if SON.id_number[-1] != "0" else "1"))
    submission = dibao(APPLICANT, SPOUSE, broken, programme=None, channel=None, township="64040210000")
    assert fields_at_fault(submission) == {
        "programme",
        "channel",
        "township",
        "household.members[2].person.id_number",
    }


def test_the_township_must_be_a_township_code() -> None:
    assert fields_at_fault(dibao(township="640402000000")) == {"township"}


def test_exactly_one_applicant_is_named() -> None:
    assert fields_at_fault(dibao(SPOUSE, SON)) == {"household.members"}
    second_self = replace(SPOUSE, relation=Relation.SELF)
    assert fields_at_fault(dibao(APPLICANT, second_self)) == {"household.members"}


def test_the_applicant_is_a_counted_member() -> None:
    assert fields_at_fault(dibao(replace(APPLICANT, counted=False), SPOUSE)) == {
        "household.members[0].counted"
    }


def test_a_person_cannot_appear_twice_in_one_household() -> None:
    twin = replace(SON, name="马小虎")
    assert fields_at_fault(dibao(APPLICANT, SON, twin)) == {"household.members[2].person.id_number"}


def test_ages_must_fit_the_relations() -> None:
    too_young_parent = MemberDeclaration(
        resident_id(date(1990, 1, 1), 44), "马老汉", Relation.PARENT, counted=True
    )
    older_child = replace(SON, id_number=resident_id(date(1970, 1, 1), 55))
    assert fields_at_fault(dibao(APPLICANT, too_young_parent, older_child)) == {
        "household.members[1].relation_to_applicant",
        "household.members[2].relation_to_applicant",
    }


def test_declared_birth_date_and_sex_must_agree_with_the_id_number() -> None:
    wrong = replace(SPOUSE, birth_date=date(1982, 3, 3), sex="MALE")
    assert fields_at_fault(dibao(APPLICANT, wrong)) == {
        "household.members[1].person.birth_date",
        "household.members[1].person.sex",
    }


def test_a_requested_amount_belongs_to_temporary_assistance_only() -> None:
    assert fields_at_fault(dibao(requested_amount_fen=100_000)) == {"requested_amount"}
    urgent = dibao(programme=Programme.TEMPORARY_ASSISTANCE_URGENT, requested_amount_fen=100_000)
    validate_submission(urgent, TODAY)
    assert fields_at_fault(replace(urgent, requested_amount_fen=-1)) == {"requested_amount"}


def test_time_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        submit(dibao(), application_id="app_1", now=datetime(2026, 11, 24, 10, 0))


def test_an_empty_household_is_refused() -> None:
    submission = Submission(
        Programme.TEKUN, Channel.HOTLINE, TOWNSHIP, HouseholdDeclaration(VILLAGE, (), HouseholdType.RURAL)
    )
    assert fields_at_fault(submission) == {"household.members"}


@given(st.text(max_size=20))
def test_no_arbitrary_text_passes_as_an_id_number(text: str) -> None:
    member = replace(APPLICANT, id_number=text)
    try:
        validate_submission(dibao(member, SPOUSE), TODAY)
    except InvalidArgument as exc:
        assert "household.members[0].person.id_number" in {v.field for v in exc.violations}
    else:
        pytest.fail(f"{text!r} was accepted as an ID number")


def test_the_household_type_is_required_because_it_decides_the_standard() -> None:
    untyped = dibao()
    untyped = replace(untyped, household=replace(untyped.household, household_type=None))
    assert fields_at_fault(untyped) == {"household.household_type"}
