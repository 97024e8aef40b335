"""Persons named across a rotation of eligibility's lookup keys (DOMAIN §5.7, §5.8): an entitlement announced
before the rotation names a person by the old key's digest, one announced after by the new key's and the old
key's. Entitlements share a person when any of their digests meet: the price subsidy is paid once per person
(not once per digest) and the electricity subsidy once per household, whichever were announced when."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from doudi_disbursement.domain import roster
from doudi_disbursement.domain.derived import DerivedKind, persons_paid
from doudi_disbursement.domain.electricity import households

from .test_electricity_rules import JAN
from .test_price_subsidy_rules import JUL, PER_PERSON, PROGRAMMES, generate, price


def digests(person: str, rotated: bool) -> tuple[str, ...]:
    """The person's digests as eligibility announces them: the new key's first once it is primary."""
    return (f"k2:{person}", f"k1:{person}") if rotated else (f"k1:{person}",)


def entry(
    entitlement_id: str,
    programme: str,
    persons: tuple[str, ...],
    rotated: bool,
    household: tuple[str, ...] = (),
) -> roster.RosterEntry:
    return roster.activated(
        entitlement_id=entitlement_id,
        beneficiary_id=f"ben_{entitlement_id}",
        programme=programme,
        township="640402100000",
        payee_name="杨",
        payee_account="6228480000000013",
        start=JUL if not household else JAN,
        components={"BASE": 19_700},
        existing=None,
        persons=len(persons),
        person_keys=tuple(key for person in persons for key in digests(person, rotated)),
        household_keys=tuple(key for person in household for key in digests(person, rotated)),
        digests_per_person=2 if rotated else 1,
    )


def person_of(key: str) -> str:
    return key.split(":", 1)[1]


PERSONS = st.sampled_from([f"p{i}" for i in range(6)])
ENTRIES = st.lists(
    st.tuples(
        st.sampled_from(PROGRAMMES), st.lists(PERSONS, min_size=1, max_size=4, unique=True), st.booleans()
    ),
    min_size=1,
    max_size=6,
).map(
    lambda specs: [
        entry(f"ent_{i}", programme, tuple(persons), rotated)
        for i, (programme, persons, rotated) in enumerate(specs)
    ]
)


def test_an_entry_announced_after_the_rotation_counts_each_person_once_and_keeps_their_digests_together() -> (
    None
):
    dibao = entry("ent_dibao", "DIBAO", ("girl", "grandfather", "girl"), rotated=True)
    assert dibao.covered() == (("k2:girl", "k1:girl"), ("k2:grandfather", "k1:grandfather"))
    assert persons_paid(dibao, DerivedKind.PRICE_SUBSIDY) == 2


def test_h08_the_girl_named_by_the_old_key_on_her_allowance_is_paid_for_in_the_dibao_line_only() -> None:
    dibao = entry("ent_dibao", "DIBAO", ("grandfather", "girl"), rotated=True)
    fuc = entry("ent_fuc", "UNSUPPORTED_CHILD_ALLOWANCE", ("girl",), rotated=False)
    for order in ([dibao, fuc], [fuc, dibao]):
        amounts, _ = generate(order, price())
        assert sum(amounts.values()) == 2 * PER_PERSON
        assert set(amounts) == {f"DIBAO:ben_ent_dibao:{JUL}:PRICE_SUBSIDY"}


@given(ENTRIES, st.randoms(use_true_random=False), st.integers(min_value=0, max_value=6))
def test_whichever_entitlements_were_announced_after_the_rotation_each_person_is_paid_for_once(
    entries: list[roster.RosterEntry], shuffle, cut: int
) -> None:  # type: ignore[no-untyped-def]
    """In any order, split across two runs at any point: every person covered is paid for by one line, and the
    total is the persons covered (not their digests) times the amount."""
    order = list(entries)
    shuffle.shuffle(order)
    first, paid = generate(order[:cut], price())
    later, paid = generate(order[cut:], price(), paid)
    covered = {person_of(key) for e in entries for key in e.person_keys}
    lines_per_person = {person: {paid[key] for key in paid if person_of(key) == person} for person in covered}
    assert all(len(lines) == 1 for lines in lines_per_person.values()), lines_per_person
    assert sum(first.values()) + sum(later.values()) == len(covered) * PER_PERSON


def test_a_tekun_announced_before_the_rotation_and_the_dibao_after_are_one_household() -> None:
    dibao = entry("ent_dibao", "DIBAO", ("grandson",), True, household=("grandmother", "grandson"))
    tekun = entry("ent_tekun", "TEKUN", ("grandmother",), False, household=("grandmother",))
    other = entry("ent_other", "TEKUN", ("neighbour",), True, household=("neighbour",))
    assert households([tekun, other, dibao]) == [[dibao, tekun], [other]]
