"""Field encryption and lookup hashes: round trips, binding to a context, tampering, rotation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.fieldcrypt import FieldCryptoError, KeyRing, LookupHasher, new_key_text

OLD, NEW = new_key_text("k1"), new_key_text("k2")
CONTEXT = "intake.applications.id_number"
ID_NUMBER = "11010519491231002X"


def test_a_sealed_value_opens_in_its_context_only() -> None:
    ring = KeyRing.parse(OLD)
    sealed = ring.seal(ID_NUMBER, context=CONTEXT)
    assert sealed.startswith("v1.k1.") and ID_NUMBER not in sealed
    assert ring.open(sealed, context=CONTEXT) == ID_NUMBER
    with pytest.raises(FieldCryptoError):
        ring.open(sealed, context="dispatch.vulnerable_persons.id_number")


def test_sealing_twice_gives_different_values() -> None:
    ring = KeyRing.parse(OLD)
    assert ring.seal(ID_NUMBER, context=CONTEXT) != ring.seal(ID_NUMBER, context=CONTEXT)


@given(st.text(max_size=200))
def test_any_text_round_trips(value: str) -> None:
    ring = KeyRing.parse(OLD)
    assert ring.open(ring.seal(value, context=CONTEXT), context=CONTEXT) == value


def test_a_tampered_or_truncated_value_does_not_open() -> None:
    ring = KeyRing.parse(OLD)
    sealed = ring.seal(ID_NUMBER, context=CONTEXT)
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    for broken in (flipped, sealed[:-6], "v1.k1.", "plain text", "v2" + sealed[2:]):
        with pytest.raises(FieldCryptoError):
            ring.open(broken, context=CONTEXT)


@given(st.lists(st.one_of(st.just(""), st.text(max_size=60)), max_size=20), st.booleans())
def test_opening_many_values_at_once_opens_each_as_alone(values: list[str], rotated: bool) -> None:
    old = KeyRing.parse(OLD)
    ring = KeyRing.parse(f"{NEW},{OLD}") if rotated else old
    tokens = [
        value and (old if index % 2 else ring).seal(value, context=CONTEXT)
        for index, value in enumerate(values)
    ]
    assert ring.open_many(tokens, context=CONTEXT) == [
        ring.open(t, context=CONTEXT) if t else t for t in tokens
    ]
    assert ring.open_many(tokens, context=CONTEXT) == values


def test_opening_many_refuses_a_bad_value_among_good_ones_as_opening_it_alone_does() -> None:
    ring = KeyRing.parse(OLD)
    sealed = ring.seal(ID_NUMBER, context=CONTEXT)
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    other_key = KeyRing.parse(NEW).seal(ID_NUMBER, context=CONTEXT)
    for broken in (flipped, sealed[:-6], "v1.k1.", "plain text", "v2" + sealed[2:], "v1.k1.a.b", other_key):
        with pytest.raises(FieldCryptoError):
            ring.open_many([sealed, broken, sealed], context=CONTEXT)
    with pytest.raises(FieldCryptoError):
        ring.open_many([sealed], context="dispatch.vulnerable_persons.id_number")


def test_rotation_seals_new_values_with_the_new_key_and_still_opens_old_ones() -> None:
    before = KeyRing.parse(OLD)
    old_value = before.seal(ID_NUMBER, context=CONTEXT)
    after = KeyRing.parse(f"{NEW},{OLD}")
    assert after.open(old_value, context=CONTEXT) == ID_NUMBER
    assert after.needs_reseal(old_value)
    resealed = after.reseal(old_value, context=CONTEXT)
    assert after.key_of(resealed) == "k2" and not after.needs_reseal(resealed)
    assert after.reseal(resealed, context=CONTEXT) == resealed
    with pytest.raises(FieldCryptoError, match="not in the ring"):
        KeyRing.parse(NEW).open(old_value, context=CONTEXT)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("k1", "<id>:<base64"),
        ("k1:c2hvcnQ", "32 bytes"),
        (f"{OLD},{OLD}", "twice"),
        ("k 1:AAAA", "<id>:<base64"),
    ],
    ids=["empty", "no-key", "short-key", "key-twice", "space-in-id"],
)
def test_malformed_key_rings_are_refused(text: str, problem: str) -> None:
    with pytest.raises(FieldCryptoError, match=problem):
        KeyRing.parse(text)


def test_lookup_digests_are_stable_keyed_and_bound_to_their_context() -> None:
    hasher = LookupHasher.parse(OLD)
    digest = hasher.digest(ID_NUMBER, context=CONTEXT)
    assert digest == hasher.digest(ID_NUMBER, context=CONTEXT) and ID_NUMBER not in digest
    assert digest != hasher.digest(ID_NUMBER, context="care.ledgers.id_number")
    assert digest != LookupHasher.parse(NEW).digest(ID_NUMBER, context=CONTEXT)


def test_during_a_hash_key_rotation_a_lookup_finds_rows_hashed_under_either_key() -> None:
    stored_before = LookupHasher.parse(OLD).digest(ID_NUMBER, context=CONTEXT)
    rotating = LookupHasher.parse(f"{NEW},{OLD}")
    candidates = rotating.digests(ID_NUMBER, context=CONTEXT)
    assert candidates[0] == rotating.digest(ID_NUMBER, context=CONTEXT)
    assert stored_before in candidates
