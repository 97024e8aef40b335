"""The persons' keys an entitlement announces (DOMAIN §5.7, §5.8) while the lookup keys rotate: each person's
digest under every key of the ring, the primary key's first, so an entitlement announced after a new key was
put first still shares a key with the same person on an entitlement announced before."""

from __future__ import annotations

import os

from doudi.eligibility.v1 import eligibility_pb2 as pb
from doudi_common.fieldcrypt import LookupHasher
from doudi_eligibility.events.mapping import COVERED_PERSON_CONTEXT, covered_person_keys
from doudi_runtime.store.sealed import FieldCrypto, field_crypto, use_field_crypto

from .test_person_programmes_api import (
    GIRL,
    H08_DIBAO,
    H08_FUC,
    YANG,
    activated,
    case_of,
    run_short,
    run_six_steps,
)

K1, K2 = os.urandom(32), os.urandom(32)
GRANDFATHER_ID, GIRL_ID = YANG[0], GIRL[0]


def under(key_id: str, key: bytes, person: str) -> str:
    """The person's digest under one key alone."""
    return LookupHasher(key_id, {key_id: key}).digest(person, context=COVERED_PERSON_CONTEXT)


def test_two_keys_in_the_ring_give_each_person_two_consecutive_digests_the_primary_keys_first() -> None:
    rotated = LookupHasher("k2", {"k2": K2, "k1": K1})
    keys = covered_person_keys((GRANDFATHER_ID, GIRL_ID, GIRL_ID), rotated)

    persons = sorted(
        [(under("k2", K2, p), under("k1", K1, p)) for p in (GRANDFATHER_ID, GIRL_ID)],
    )
    assert keys == [digest for person in persons for digest in person]
    assert len(keys) == 2 * 2, "two persons (the girl named twice is one), two digests each"


def test_one_key_in_the_ring_gives_each_person_one_digest_the_one_the_key_gave_before_it_rotated() -> None:
    before = covered_person_keys((GIRL_ID, GRANDFATHER_ID), LookupHasher("k1", {"k1": K1}))
    after = covered_person_keys((GIRL_ID, GRANDFATHER_ID), LookupHasher("k2", {"k2": K2, "k1": K1}))

    assert sorted(before) == sorted(under("k1", K1, p) for p in (GIRL_ID, GRANDFATHER_ID))
    assert set(before) < set(after), "every digest announced before is announced after the rotation too"
    assert not set(before) & set(after[0::2]), "the primary key's digests come first: new ones"


def _fuc_findings() -> pb.PersonFindings:
    return pb.PersonFindings(
        member_index=1,
        obligors=[
            pb.Obligor(
                relative_id="grandfather",
                relation=pb.KIN_RELATION_GRANDPARENT,
                age=58,
                duty_condition_met=True,
            )
        ],
        father=pb.ParentSituation(status=pb.PARENT_STATUS_DEPRIVED_OF_LIBERTY, months=60),
        mother=pb.ParentSituation(status=pb.PARENT_STATUS_LOST_CONTACT, months=36),
    )


def test_h08_the_fuc_announced_after_the_keys_rotate_shares_the_girls_key_with_the_dibao_announced_before(
    eligibility,
) -> None:  # type: ignore[no-untyped-def]
    run_six_steps(eligibility, H08_DIBAO, None, stable=True)
    before = field_crypto()
    try:
        new_key = os.urandom(32)
        use_field_crypto(FieldCrypto(before.ring, LookupHasher("k2", {"k2": new_key, **before.hasher.keys})))
        run_short(eligibility, H08_FUC, _fuc_findings())
    finally:
        use_field_crypto(before)

    dibao = activated(eligibility, case_of(eligibility, H08_DIBAO.application_id).entitlement_id)
    fuc = activated(eligibility, case_of(eligibility, H08_FUC.application_id).entitlement_id)
    assert (dibao.digests_per_person, len(dibao.covered_person_keys)) == (1, 2)
    assert (fuc.covered_persons, fuc.digests_per_person) == (1, 2)
    primary, older = fuc.covered_person_keys
    assert primary == under("k2", new_key, GIRL_ID)
    assert primary not in dibao.covered_person_keys and older in dibao.covered_person_keys
    household = list(fuc.household_person_keys)
    assert household[household.index(primary) + 1] == older, "the girl's digests are consecutive"
