"""Duplicate control at the door (DOMAIN §12.1, §5.8): warn, say where, reveal no more than needed."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from doudi_common.testing import EXAMPLE_TOWNSHIP as TOWNSHIP
from doudi_common.testing import EXAMPLE_VILLAGE as VILLAGE
from doudi_common.testing import make_resident_id as resident_id
from doudi_intake.domain.application import (
    Channel,
    DuplicateScope,
    HouseholdDeclaration,
    HouseholdType,
    MemberDeclaration,
    Programme,
    Relation,
    Submission,
    submit,
)
from doudi_intake.domain.duplicates import OpenMembership, conflicting_programmes, duplicate_flags

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
WIFE_ID = resident_id(date(1996, 4, 8), 22, female=True)
HUSBAND_ID = resident_id(date(1994, 1, 3))
NEIGHBOUR_TOWNSHIP = "640402101000"
OTHER_COUNTY_TOWNSHIP = "640522100000"


def application(programme: Programme = Programme.DIBAO, lodger_counted: bool = True):  # type: ignore[no-untyped-def]
    members = (
        MemberDeclaration(HUSBAND_ID, "杨军", Relation.SELF, counted=True),
        MemberDeclaration(WIFE_ID, "马兰", Relation.SPOUSE, counted=lodger_counted),
    )
    submission = Submission(
        programme, Channel.WINDOW, TOWNSHIP, HouseholdDeclaration(VILLAGE, members, HouseholdType.RURAL)
    )
    return submit(submission, application_id="app_new", now=NOW)


def test_a_member_in_a_dibao_application_of_the_same_county_is_named_with_its_township() -> None:
    others = [OpenMembership(WIFE_ID, "app_old", Programme.DIBAO, NEIGHBOUR_TOWNSHIP)]
    (flag,) = duplicate_flags(application(), others)
    assert (flag.member_index, flag.scope, flag.region, flag.other_application_id) == (
        1,
        DuplicateScope.SAME_COUNTY,
        NEIGHBOUR_TOWNSHIP,
        "app_old",
    )


def test_another_county_is_named_only_as_that_county() -> None:
    """H11: after marriage the wife is still on her parents' Dibao in another county."""
    others = [OpenMembership(WIFE_ID, "app_parents", Programme.DIBAO, OTHER_COUNTY_TOWNSHIP)]
    (flag,) = duplicate_flags(application(), others)
    assert flag.scope is DuplicateScope.OTHER_COUNTY
    assert flag.region == "640522000000"
    assert flag.other_application_id == ""


def test_single_person_dibao_conflicts_with_household_dibao() -> None:
    others = [OpenMembership(HUSBAND_ID, "app_x", Programme.SINGLE_PERSON_DIBAO, TOWNSHIP)]
    assert len(duplicate_flags(application(), others)) == 1


def test_tekun_orphan_and_unsupported_child_exclude_each_other_but_not_dibao() -> None:
    assert conflicting_programmes(Programme.ORPHAN_ALLOWANCE) == {
        Programme.TEKUN,
        Programme.ORPHAN_ALLOWANCE,
        Programme.UNSUPPORTED_CHILD_ALLOWANCE,
    }
    others = [OpenMembership(HUSBAND_ID, "app_x", Programme.TEKUN, TOWNSHIP)]
    assert duplicate_flags(application(Programme.DIBAO), others) == ()
    assert len(duplicate_flags(application(Programme.ORPHAN_ALLOWANCE), others)) == 1


def test_uncounted_members_and_the_application_itself_are_not_duplicates() -> None:
    others = [
        OpenMembership(WIFE_ID, "app_old", Programme.DIBAO, TOWNSHIP),
        OpenMembership(HUSBAND_ID, "app_new", Programme.DIBAO, TOWNSHIP),
    ]
    assert duplicate_flags(application(lodger_counted=False), others) == ()


@given(st.sampled_from(list(Programme)), st.sampled_from(list(Programme)))
def test_conflict_is_symmetric(a: Programme, b: Programme) -> None:
    assert (b in conflicting_programmes(a)) == (a in conflicting_programmes(b))
