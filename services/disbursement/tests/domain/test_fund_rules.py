"""A month's payments sum by fund source and township into where they stand; the publication list shows a
Dibao household's masked name, persons and amount, a person's only for months they are an adult throughout,
and nobody who may be a minor."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from doudi_common.period import Period
from doudi_disbursement.domain import roster
from doudi_disbursement.domain.funds import Amounts, fund_lines, published, total

NOV = Period(2026, 11)
STATES = ("PENDING", "SUBMITTED", "SETTLED", "RETURNED", "FAILED", "HELD", "CANCELLED")


def test_states_fall_into_settled_with_the_bank_returned_and_held() -> None:
    (line,) = fund_lines(
        [
            ("DIBAO", "640402100000", "SETTLED", 2, 93_000),
            ("DIBAO", "640402100000", "SUBMITTED", 1, 10_000),
            ("DIBAO", "640402100000", "PENDING", 1, 5_000),
            ("DIBAO", "640402100000", "RETURNED", 1, 56_000),
            ("DIBAO", "640402100000", "FAILED", 1, 1_000),
            ("DIBAO", "640402100000", "HELD", 1, 7_000),
            ("DIBAO", "640402100000", "CANCELLED", 4, 99_000),
        ]
    )
    assert line.amounts == Amounts(93_000, 2, 15_000, 2, 57_000, 2, 7_000, 1)


counts = st.lists(
    st.tuples(
        st.sampled_from(["DIBAO", "TEKUN"]),
        st.sampled_from(["640402100000", "640402101000"]),
        st.sampled_from(STATES),
        st.integers(1, 50),
        st.integers(-10_000, 1_000_000),
    )
)


@given(counts)
def test_the_lines_sum_to_every_payment_that_is_money_once(
    rows: list[tuple[str, str, str, int, int]],
) -> None:
    lines = fund_lines(rows)
    summed = total(lines)
    money = [r for r in rows if r[2] != "CANCELLED"]
    assert summed.settled_count + summed.with_bank_count + summed.returned_count + summed.held_count == sum(
        r[3] for r in money
    )
    assert summed.settled_fen + summed.with_bank_fen + summed.returned_fen + summed.held_fen == sum(
        r[4] for r in money
    )
    expected = sorted({(r[1], r[0]) for r in rows})
    assert [(line.township, line.programme) for line in lines] == expected, "one per township and programme"


ADULT_AGE = 18


def entry(
    programme: str, name: str = "欧阳修远", persons: int = 3, born: Period | None = None
) -> roster.RosterEntry:
    activated = roster.activated(
        entitlement_id="ent_1",
        beneficiary_id="hh_1",
        programme=programme,
        township="640402100000",
        payee_name=name,
        payee_account="6228480000000001",
        start=Period(2026, 10),
        components={"BASE": 41_200, "CARE": 19_500} if programme == "TEKUN" else {"BASE": 87_000},
        existing=None,
        persons=persons,
    )
    return roster.with_birth_month(activated, born)


def test_a_dibao_household_is_published_with_its_name_masked_persons_and_amount() -> None:
    shown = published(entry("DIBAO"), NOV, ADULT_AGE)
    assert shown is not None
    assert (shown.masked_name, shown.persons, shown.monthly_amount_fen) == ("欧阳**", 3, 87_000)


def test_an_adult_tekun_person_is_published_with_the_basic_and_care_amount() -> None:
    shown = published(entry("TEKUN", persons=1, born=Period(1957, 5)), NOV, ADULT_AGE)
    assert shown is not None
    assert (shown.programme, shown.persons, shown.monthly_amount_fen) == ("TEKUN", 1, 60_700)


def test_a_person_is_published_from_the_month_after_the_one_they_come_of_age_in() -> None:
    """Born in November 2008: 18 on some day of November 2026, an adult throughout from December."""
    tekun = entry("TEKUN", persons=1, born=Period(2008, 11))
    assert published(tekun, NOV, ADULT_AGE) is None
    assert published(tekun, Period(2026, 12), ADULT_AGE) is not None
    assert published(tekun, Period(2026, 12), 19) is None, "the age is the parameter's"


def test_a_person_whose_birth_month_is_not_known_is_not_published() -> None:
    for programme in ("TEKUN", "SINGLE_PERSON_DIBAO"):
        assert published(entry(programme, persons=1), NOV, ADULT_AGE) is None


def test_childrens_programmes_are_never_published_whatever_the_age() -> None:
    for programme in ("ORPHAN_ALLOWANCE", "UNSUPPORTED_CHILD_ALLOWANCE", "DISABILITY_LIVING_SUBSIDY"):
        assert published(entry(programme, persons=1, born=Period(1990, 1)), NOV, ADULT_AGE) is None


@given(
    st.integers(min_value=1990, max_value=2026),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=16, max_value=21),
)
def test_nobody_is_published_for_a_month_any_day_of_which_they_are_a_minor(
    year: int, month: int, adult_age: int
) -> None:
    born = Period(year, month)
    shown = published(entry("SINGLE_PERSON_DIBAO", persons=1, born=born), NOV, adult_age)
    # Born on the birth month's last day at the latest: of age for certain from the next month's first day.
    month_after = born.next().first_day
    certainly_of_age = month_after.replace(year=month_after.year + adult_age)
    assert (shown is not None) == (certainly_of_age <= NOV.first_day)


def test_an_event_naming_no_birth_month_keeps_the_one_on_record() -> None:
    known = entry("TEKUN", persons=1, born=Period(1957, 5))
    assert roster.with_birth_month(known, None).birth_month == Period(1957, 5)
    assert roster.with_birth_month(known, Period(1957, 6)).birth_month == Period(1957, 6)


def test_a_month_with_nothing_due_is_not_published() -> None:
    assert published(entry("DIBAO"), Period(2026, 9), ADULT_AGE) is None
