"""The price subsidy once per person and month (DOMAIN §5.7, §5.8): whichever entitlements count a person, in
whatever order their lines are generated and however the generation is split into pages and runs, the person
is paid for once; the household's Dibao pays for its counted members (H08: the girl with her FUC top-up is
paid the price subsidy in her grandfather's Dibao line only)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from doudi_common.period import Period
from doudi_disbursement.domain import roster
from doudi_disbursement.domain.derived import Declaration, DerivedKind, derived_line
from doudi_disbursement.domain.price_subsidy import PRECEDENCE, line_key, persons_to_pay, precedence

JUL = Period(2026, 7)
PER_PERSON = 1_200
PROGRAMMES = PRECEDENCE


def entry(
    entitlement_id: str, programme: str, keys: tuple[str, ...], start: Period = JUL
) -> roster.RosterEntry:
    return roster.activated(
        entitlement_id=entitlement_id,
        beneficiary_id=f"ben_{entitlement_id}",
        programme=programme,
        township="640402100000",
        payee_name="杨",
        payee_account="6228480000000013",
        start=start,
        components={"BASE": 19_700},
        existing=None,
        persons=len(keys),
        person_keys=keys,
    )


def price(amounts: dict[str, int] | None = None) -> Declaration:
    return Declaration(
        "dcl_price",
        DerivedKind.PRICE_SUBSIDY,
        "640402000000",
        JUL,
        amounts if amounts is not None else dict.fromkeys(PROGRAMMES, PER_PERSON),
        "CPI 3.8%",
        "county",
        datetime(2026, 8, 1, tzinfo=UTC),
    )


def generate(
    entries: list[roster.RosterEntry], declaration: Declaration, paid: dict[str, str] | None = None
) -> tuple[dict[str, int], dict[str, str]]:
    """Generate the lines of ``entries`` one at a time, in the order given, as the pages of runs do: each
    line sees the persons earlier lines paid for and the entries whose line is still to come.
    Returns line key → amount, and person key → the line that paid for the person."""
    paid = dict(paid or {})
    amounts: dict[str, int] = {}
    for index, current in enumerate(entries):
        if line_key(current, declaration) in amounts:
            continue
        waiting = entries[index + 1 :]
        paid_for = persons_to_pay(current, declaration, waiting, paid)
        line = derived_line(current, declaration, paid_for)
        if line is None:
            continue
        amounts[line.idempotency_key] = line.amount_fen
        for key in paid_for:
            assert key not in paid, "a person is paid for twice"
            paid[key] = line.idempotency_key
    return amounts, paid


# A small pool of persons, so that entitlements share persons often.
PERSONS = st.sampled_from([f"p{i}" for i in range(6)])
ENTRIES = st.lists(
    st.tuples(st.sampled_from(PROGRAMMES), st.lists(PERSONS, min_size=1, max_size=4, unique=True)),
    min_size=1,
    max_size=6,
).map(lambda specs: [entry(f"ent_{i}", programme, tuple(keys)) for i, (programme, keys) in enumerate(specs)])


def test_h08_the_girl_is_paid_in_the_dibao_line_only_whichever_is_generated_first() -> None:
    dibao = entry("ent_dibao", "DIBAO", ("grandfather", "girl"))
    fuc = entry("ent_fuc", "UNSUPPORTED_CHILD_ALLOWANCE", ("girl",))
    for order in ([dibao, fuc], [fuc, dibao]):
        amounts, paid = generate(order, price())
        assert amounts == {line_key(dibao, price()): 2 * PER_PERSON}
        assert paid == {"grandfather": line_key(dibao, price()), "girl": line_key(dibao, price())}


def test_a_fuc_line_paid_before_the_dibao_was_known_leaves_the_dibao_its_other_members() -> None:
    dibao = entry("ent_dibao", "DIBAO", ("grandfather", "girl"))
    fuc = entry("ent_fuc", "UNSUPPORTED_CHILD_ALLOWANCE", ("girl",))
    first, paid = generate([fuc], price())
    later, paid = generate([dibao], price(), paid)
    assert first == {line_key(fuc, price()): PER_PERSON}
    assert later == {line_key(dibao, price()): PER_PERSON}, "the girl was paid already: only her grandfather"


def test_a_rival_that_does_not_receive_the_declaration_leaves_the_person_to_the_line_that_does() -> None:
    dibao = entry("ent_dibao", "DIBAO", ("grandfather", "girl"), start=JUL.next())
    fuc = entry("ent_fuc", "UNSUPPORTED_CHILD_ALLOWANCE", ("girl",))
    amounts, _ = generate([fuc, dibao], price())
    assert amounts == {line_key(fuc, price()): PER_PERSON}, "the Dibao pays nothing in July"
    amounts, _ = generate(
        [fuc, entry("ent_d", "DIBAO", ("girl",))], price({"UNSUPPORTED_CHILD_ALLOWANCE": 900})
    )
    assert amounts == {line_key(fuc, price()): 900}, "a Dibao the county did not list pays no price subsidy"


@given(ENTRIES, st.randoms(use_true_random=False))
def test_no_person_is_paid_the_price_subsidy_twice_and_the_total_is_persons_covered_times_the_amount(
    entries: list[roster.RosterEntry], shuffle
) -> None:  # type: ignore[no-untyped-def]
    order = list(entries)
    shuffle.shuffle(order)
    amounts, paid = generate(order, price())
    covered = {key for e in entries for key in e.person_keys}
    assert set(paid) == covered, "every person covered is paid for"
    assert sum(amounts.values()) == len(covered) * PER_PERSON


@given(ENTRIES, st.randoms(use_true_random=False))
def test_when_every_entitlement_is_known_the_one_first_in_precedence_pays_whatever_the_order(
    entries: list[roster.RosterEntry], shuffle
) -> None:  # type: ignore[no-untyped-def]
    order = list(entries)
    shuffle.shuffle(order)
    _, paid = generate(order, price())
    keys = {line_key(e, price()): e for e in entries}
    for person, key in paid.items():
        first = min((e for e in entries if person in e.person_keys), key=precedence)
        assert keys[key] is first


@given(ENTRIES, st.randoms(use_true_random=False), st.integers(min_value=0, max_value=6))
def test_split_across_runs_in_any_order_no_person_is_paid_twice(
    entries: list[roster.RosterEntry], shuffle, cut: int
) -> None:  # type: ignore[no-untyped-def]
    """A run that knows only some entitlements (the others' events arrive later) and a later run paying the
    declaration for the rest: each person is still paid once, and nobody covered is left out."""
    order = list(entries)
    shuffle.shuffle(order)
    first, paid = generate(order[:cut], price())
    later, paid = generate(order[cut:], price(), paid)
    assert not set(first) & set(later)
    covered = {key for e in entries for key in e.person_keys}
    assert set(paid) == covered
    assert sum(first.values()) + sum(later.values()) == len(covered) * PER_PERSON
