"""Persons named across a rotation of eligibility's lookup keys (DOMAIN §5.7, §5.8): an entitlement announced
before a new key was put first names each person by the old key's digest alone, one announced after by the new
key's and the old key's, consecutive. The two still share the person: the price subsidy is paid for the person
once in the month's run, the electricity subsidy once for the household, and a person named by two digests is
one person."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from doudi.common.v1 import programme_pb2
from doudi.eligibility.v1 import eligibility_pb2
from doudi.eligibility.v1 import events_pb2 as eligibility_events
from doudi_disbursement.events.entitlements import UnusableEntitlement
from doudi_disbursement.store import tables

from .test_derived_payments_api import entitlement
from .test_electricity_once_api import CREDIT, declare_january, electricity_lines, january, recorded
from .test_payroll_api import Payroll, deliver, disbursement
from .test_price_subsidy_once_api import declare_july, july, price_lines

__all__ = ["disbursement"]

#: Each person's digest under the old key (K1) and the new one (K2); opaque to disbursement.
GRANDFATHER = {"K1": "9f2c" * 16, "K2": "0a5e" * 16}
GIRL = {"K1": "41d7" * 16, "K2": "e8b3" * 16}
GRANDMOTHER = {"K1": "7b1e" * 16, "K2": "26fd" * 16}
GRANDSON = {"K1": "c30a" * 16, "K2": "5d94" * 16}

Person = dict[str, str]


def named(
    entitlement: eligibility_pb2.Entitlement, rotated: bool, covered: list[Person], household: list[Person]
) -> None:
    """The persons as eligibility announces them: before the rotation K1's digest alone (an event of then says
    nothing of digests per person); after it K2's and K1's, each person's consecutive."""
    ring = ["K2", "K1"] if rotated else ["K1"]
    entitlement.covered_persons = len(covered)
    entitlement.covered_person_keys.extend(person[key] for person in covered for key in ring)
    entitlement.household_person_keys.extend(person[key] for person in household for key in ring)
    if rotated:
        entitlement.digests_per_person = len(ring)


def yang_dibao(rotated: bool) -> eligibility_pb2.Entitlement:
    dibao = entitlement("yang", 19_700, start="2026-07")
    named(dibao, rotated, [GRANDFATHER, GIRL], [])
    return dibao


def girl_fuc(rotated: bool) -> eligibility_pb2.Entitlement:
    fuc = entitlement("yang_girl", 150_150, start="2026-07")
    fuc.programme = programme_pb2.PROGRAMME_UNSUPPORTED_CHILD_ALLOWANCE
    named(fuc, rotated, [GIRL], [])
    return fuc


def hu_dibao(rotated: bool) -> eligibility_pb2.Entitlement:
    dibao = entitlement("hu", 30_000)
    named(dibao, rotated, [GRANDSON], [GRANDMOTHER, GRANDSON])
    return dibao


def hu_tekun(rotated: bool) -> eligibility_pb2.Entitlement:
    tekun = entitlement("hu_grandmother", 73_700)
    tekun.programme = programme_pb2.PROGRAMME_TEKUN
    named(tekun, rotated, [GRANDMOTHER], [GRANDMOTHER])
    return tekun


def activate(p: Payroll, *entitlements: eligibility_pb2.Entitlement) -> None:
    for e in entitlements:
        deliver(p, eligibility_events.EntitlementActivated(entitlement=e))


@pytest.mark.parametrize("dibao_rotated", [False, True])
@pytest.mark.parametrize("dibao_first", [True, False])
def test_the_girl_named_by_the_old_key_on_one_entitlement_and_by_both_on_the_other_is_paid_for_once(
    disbursement, dibao_rotated: bool, dibao_first: bool
) -> None:  # type: ignore[no-untyped-def]
    """H08 across a rotation: one of the two entitlements was announced before the new key was put first."""
    p = disbursement
    dibao, fuc = yang_dibao(rotated=dibao_rotated), girl_fuc(rotated=not dibao_rotated)
    activate(p, *([dibao, fuc] if dibao_first else [fuc, dibao]))
    declare_july(p)

    run = july(p)
    assert price_lines(p, run.run_id) == [("hh_yang", 2 * 1_200)], "two persons, whatever their digests"
    with p.context.database.read() as session:
        paid = session.execute(select(tables.derived_persons.c.person_key)).scalars().all()
    ring = ["K2", "K1"] if dibao_rotated else ["K1"]
    assert sorted(paid) == sorted(person[key] for person in (GRANDFATHER, GIRL) for key in ring)


def test_a_household_announced_after_the_rotation_alone_is_paid_per_person_not_per_digest(
    disbursement,
) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    activate(p, yang_dibao(rotated=True))
    declare_july(p)
    assert price_lines(p, july(p).run_id) == [("hh_yang", 2 * 1_200)]


@pytest.mark.parametrize("dibao_rotated", [False, True])
@pytest.mark.parametrize("dibao_first", [True, False])
def test_the_household_named_by_the_old_key_on_one_entitlement_and_by_both_on_the_other_is_paid_once(
    disbursement, dibao_rotated: bool, dibao_first: bool
) -> None:  # type: ignore[no-untyped-def]
    """H07 across a rotation: the grandmother's Tekun and the grandson's Dibao, one announced before the new
    key was put first, are one household, paid the electricity subsidy once, in the Dibao line."""
    p = disbursement
    dibao, tekun = hu_dibao(rotated=dibao_rotated), hu_tekun(rotated=not dibao_rotated)
    activate(p, *([dibao, tekun] if dibao_first else [tekun, dibao]))
    declare_january(p)

    run = january(p)
    assert electricity_lines(p, run.run_id) == [("hh_hu", CREDIT)]
    assert run.total_fen == 30_000 + 73_700 + CREDIT
    members = {*dibao.household_person_keys, *tekun.household_person_keys}
    line = "DIBAO:hh_hu:2026-01:ELECTRICITY"
    assert recorded(p) == sorted(("ELECTRICITY", "2026", key, line) for key in members), "every digest named"


def test_the_roster_indexes_one_row_per_entitlement_and_digest(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    activate(p, hu_dibao(rotated=True))
    with p.context.database.read() as session:
        persons = session.execute(select(tables.roster_persons)).all()
        household = session.execute(select(tables.roster_households)).all()
    assert sorted(tuple(row) for row in persons) == sorted([("hu", GRANDSON["K2"]), ("hu", GRANDSON["K1"])])
    assert len(household) == 2 * 2


def test_covered_person_keys_that_do_not_come_digests_per_person_to_a_person_are_refused(
    disbursement,
) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    dibao = yang_dibao(rotated=True)
    dibao.digests_per_person = 3
    with pytest.raises(UnusableEntitlement, match="do not come 3 to a person"):
        activate(p, dibao)
