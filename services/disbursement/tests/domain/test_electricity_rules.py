"""The electricity subsidy once per household and year (DOMAIN §5.7, §5.8): a Dibao household with a Tekun
member not counted in it holds two entitlements receiving the subsidy, and is paid it once, by the household's
Dibao line when that pays, in whatever order the lines are generated, however the generation is split into
pages and runs, when a run is made again, and when the county declares it a second time in the year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from doudi_common.period import Period
from doudi_disbursement.domain import roster
from doudi_disbursement.domain.derived import Declaration, DerivedKind, derived_line, paid_within
from doudi_disbursement.domain.electricity import households, households_to_pay
from doudi_disbursement.domain.price_subsidy import line_key, precedence, receives

JAN = Period(2026, 1)
CREDIT = 6_000


def entry(
    entitlement_id: str, programme: str, members: tuple[str, ...], start: Period = JAN
) -> roster.RosterEntry:
    return roster.activated(
        entitlement_id=entitlement_id,
        beneficiary_id=f"ben_{entitlement_id}",
        programme=programme,
        township="640402100000",
        payee_name="胡",
        payee_account="6228480000000013",
        start=start,
        components={"BASE": 41_200},
        existing=None,
        household_keys=members,
    )


def electricity(period: Period = JAN) -> Declaration:
    return Declaration(
        f"dcl_{period}",
        DerivedKind.ELECTRICITY,
        "640402000000",
        period,
        {"DIBAO": CREDIT, "TEKUN": CREDIT},
        "120 kWh",
        "county",
        datetime(2025, 12, 31, tzinfo=UTC),
    )


@dataclass
class Ledger:
    """What the store keeps: the lines made (line key → amount) and, for the year, the household member
    recorded → the line that paid the household."""

    lines: dict[str, int]
    paid: dict[str, str]


def generate(
    order: list[roster.RosterEntry],
    known: list[roster.RosterEntry],
    declaration: Declaration,
    ledger: Ledger | None = None,
) -> Ledger:
    """Generate the lines of ``order`` one page of one entry at a time, as the shards of runs do, with the
    roster knowing ``known``; each line sees what earlier lines recorded."""
    ledger = ledger or Ledger({}, {})
    for current in order:
        key = line_key(current, declaration)
        if key in ledger.lines or not current.household_keys or not receives(current, declaration):
            continue
        members = households_to_pay(known, declaration, ledger.paid, set(ledger.lines)).get(
            current.entitlement_id
        )
        line = derived_line(current, declaration) if members else None
        if line is None or members is None:
            continue
        ledger.lines[line.idempotency_key] = line.amount_fen
        for member in members:
            assert member not in ledger.paid, "a household's member is recorded as paid twice"
            ledger.paid[member] = line.idempotency_key
    return ledger


@dataclass(frozen=True)
class Household:
    members: tuple[str, ...]
    entries: tuple[roster.RosterEntry, ...]


@st.composite
def a_household(draw: st.DrawFn, index: int, partial: bool = True) -> Household:
    """A household's members and its entitlements: maybe a Dibao naming every member (counted or not), and
    Tekun members with their own entitlement naming themselves and the members their application declared
    (with ``partial``, only some of them when a Dibao of the household pays in January and so links them;
    otherwise all of them, so the household stays one); an orphan allowance names them too but receives no
    electricity subsidy. Any may start after January."""
    members = tuple(f"h{index}m{m}" for m in range(draw(st.integers(min_value=1, max_value=4))))
    entries = []
    dibao_pays = False
    if draw(st.booleans()):
        start = draw(st.sampled_from([JAN, JAN.next()]))
        dibao_pays = start == JAN
        entries.append(entry(f"ent_{index}_dibao", "DIBAO", members, start))
    for m, member in enumerate(members):
        if draw(st.booleans()):
            declared = members
            if dibao_pays and partial:
                others = draw(st.lists(st.sampled_from(members), unique=True, max_size=len(members)))
                declared = tuple(sorted({member, *others}))
            start = draw(st.sampled_from([JAN, JAN, JAN.next()]))
            entries.append(entry(f"ent_{index}_tekun{m}", "TEKUN", declared, start))
    if draw(st.booleans()):
        entries.append(entry(f"ent_{index}_orphan", "ORPHAN_ALLOWANCE", members))
    return Household(members, tuple(entries))


HOUSEHOLDS = st.integers(min_value=1, max_value=4).flatmap(
    lambda n: st.tuples(*(a_household(i) for i in range(n)))
)
#: Households whose every application declares all its members: a run that does not know the Dibao linking
#: two Tekun members who declared only themselves would take them for two households, so the runs that know
#: only part of the roster are checked on these.
HOUSEHOLDS_DECLARING_ALL = st.integers(min_value=1, max_value=4).flatmap(
    lambda n: st.tuples(*(a_household(i, partial=False) for i in range(n)))
)


def roster_of(homes: tuple[Household, ...]) -> list[roster.RosterEntry]:
    return [e for home in homes for e in home.entries]


def lines_per_household(
    homes: tuple[Household, ...], ledger: Ledger, *declarations: Declaration
) -> list[int]:
    made = [line_key(e, d) for home in homes for e in home.entries for d in declarations or (electricity(),)]
    assert len(made) == len(set(made))
    return [
        sum(
            1
            for e in home.entries
            for d in declarations or (electricity(),)
            if line_key(e, d) in ledger.lines
        )
        for home in homes
    ]


def paying_in_january(home: Household) -> list[roster.RosterEntry]:
    return [e for e in home.entries if receives(e, electricity())]


def test_a_dibao_household_with_a_tekun_grandmother_is_paid_once_by_the_dibao_whichever_comes_first() -> None:
    """H07 as a Dibao household: the grandmother is Tekun and not counted in the grandson's Dibao."""
    dibao = entry("ent_dibao", "DIBAO", ("grandmother", "grandson"))
    tekun = entry("ent_tekun", "TEKUN", ("grandmother",))
    for order in ([dibao, tekun], [tekun, dibao]):
        ledger = generate(order, [dibao, tekun], electricity())
        assert ledger.lines == {line_key(dibao, electricity()): CREDIT}
        assert ledger.paid == dict.fromkeys(("grandmother", "grandson"), line_key(dibao, electricity()))


def test_a_tekun_line_paid_before_the_dibao_was_known_is_the_households_for_the_year() -> None:
    dibao = entry("ent_dibao", "DIBAO", ("grandmother", "grandson"))
    tekun = entry("ent_tekun", "TEKUN", ("grandmother",))
    ledger = generate([tekun], [tekun], electricity())
    assert ledger.lines == {line_key(tekun, electricity()): CREDIT}
    generate([dibao, tekun], [dibao, tekun], electricity(), ledger)
    assert ledger.lines == {line_key(tekun, electricity()): CREDIT}, "the household was paid already"
    july = electricity(Period(2026, 7))
    generate([dibao, tekun], [dibao, tekun], july, ledger)
    assert ledger.lines == {line_key(tekun, electricity()): CREDIT}, "once a year, however often declared"
    assert paid_within(DerivedKind.ELECTRICITY, JAN) == paid_within(DerivedKind.ELECTRICITY, Period(2026, 12))


def test_households_meet_through_a_shared_member_and_entries_naming_none_are_not_decided() -> None:
    a = entry("ent_a", "DIBAO", ("x", "y"))
    b = entry("ent_b", "TEKUN", ("y", "z"))
    c = entry("ent_c", "TEKUN", ("z",))
    d = entry("ent_d", "TEKUN", ("w",))
    unnamed = entry("ent_e", "TEKUN", ())
    grouped = households([c, d, unnamed, b, a])
    assert sorted([e.entitlement_id for e in home] for home in grouped) == [
        ["ent_a", "ent_b", "ent_c"],
        ["ent_d"],
    ]
    paying = households_to_pay([c, d, unnamed, b, a], electricity(), {}, set())
    assert paying == {"ent_a": ("x", "y", "z"), "ent_d": ("w",)}


def test_only_the_electricity_subsidy_is_decided_by_household() -> None:
    dibao = entry("ent_dibao", "DIBAO", ("a", "b"))
    one_off = Declaration(
        "dcl_one_off",
        DerivedKind.ONE_OFF,
        "640402000000",
        JAN,
        {"DIBAO": 10_000},
        "一次性生活补贴",
        "county",
        datetime(2025, 12, 31, tzinfo=UTC),
    )
    assert households_to_pay([dibao], one_off, {}, set()) == {}


@given(HOUSEHOLDS, st.randoms(use_true_random=False))
def test_no_household_is_paid_the_electricity_subsidy_twice_in_a_year(homes, shuffle) -> None:  # type: ignore[no-untyped-def]
    known = roster_of(homes)
    order = list(known)
    shuffle.shuffle(order)
    ledger = generate(order, known, electricity())
    july = electricity(Period(2026, 7))
    generate(order, known, july, ledger)  # declared again in July
    counts = lines_per_household(homes, ledger, electricity(), july)
    assert all(count <= 1 for count in counts)
    assert len(ledger.lines) == sum(counts)


@given(HOUSEHOLDS, st.randoms(use_true_random=False))
def test_each_household_with_a_dibao_or_tekun_entitlement_is_paid_exactly_once(homes, shuffle) -> None:  # type: ignore[no-untyped-def]
    """...by the first of its paying entitlements in precedence (its Dibao when that pays), whatever the
    order of generation."""
    known = roster_of(homes)
    order = list(known)
    shuffle.shuffle(order)
    ledger = generate(order, known, electricity())
    for home, count in zip(homes, lines_per_household(homes, ledger), strict=True):
        paying = paying_in_january(home)
        assert count == (1 if paying else 0)
        if paying:
            first = min(paying, key=precedence)
            assert line_key(first, electricity()) in ledger.lines
            assert {ledger.paid[m] for m in first.household_keys} == {line_key(first, electricity())}


@given(HOUSEHOLDS_DECLARING_ALL, st.randoms(use_true_random=False), st.integers(min_value=0, max_value=12))
def test_split_across_runs_with_the_roster_growing_each_household_is_paid_exactly_once(
    homes, shuffle, cut: int
) -> None:  # type: ignore[no-untyped-def]
    """A run knowing only some entitlements (the others' events arrive later), then a later run paying the
    declaration for the rest, each page in any order."""
    known = roster_of(homes)
    order = list(known)
    shuffle.shuffle(order)
    ledger = generate(order[:cut], order[:cut], electricity())
    later = list(known)
    shuffle.shuffle(later)
    generate(later, known, electricity(), ledger)
    for home, count in zip(homes, lines_per_household(homes, ledger), strict=True):
        assert count == (1 if paying_in_january(home) else 0)


@given(HOUSEHOLDS, st.randoms(use_true_random=False), st.integers(min_value=0, max_value=12))
def test_a_run_made_again_after_cancel_pays_each_household_once_by_its_first_entitlement(
    homes, shuffle, cut: int
) -> None:  # type: ignore[no-untyped-def]
    """The cancelled run's lines are withdrawn with what they recorded; the run made again with the whole
    roster pays as if the first had never been made."""
    known = roster_of(homes)
    order = list(known)
    shuffle.shuffle(order)
    generate(order[:cut], order[:cut], electricity())  # cancelled: its ledger is dropped
    again = list(known)
    shuffle.shuffle(again)
    ledger = generate(again, known, electricity())
    expected = {
        line_key(min(paying, key=precedence), electricity())
        for home in homes
        if (paying := paying_in_january(home))
    }
    assert set(ledger.lines) == expected
