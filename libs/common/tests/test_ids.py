"""Specification of opaque, time-sortable ids."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doudi_common import ids as ids_module
from doudi_common.ids import id_time, is_valid_id, new_event_id, new_id, new_ids, new_request_id

CROCKFORD_ID = re.compile(r"app_[0-9A-HJKMNP-TV-Z]{26}")


def test_shape() -> None:
    value = new_id("app")
    assert CROCKFORD_ID.fullmatch(value)
    assert is_valid_id(value, "app")
    assert not is_valid_id(value, "evt")
    assert new_event_id().startswith("evt_")
    assert new_request_id().startswith("req_")


def test_time_is_encoded() -> None:
    before = datetime.now(UTC) - timedelta(milliseconds=5)
    made = id_time(new_id("app"))
    after = datetime.now(UTC) + timedelta(seconds=1)
    assert before <= made <= after


def test_ids_made_in_sequence_sort_in_sequence_and_are_unique() -> None:
    values = [new_id("app") for _ in range(5000)]
    assert values == sorted(values)
    assert len(set(values)) == len(values)


@pytest.mark.parametrize("prefix", ["", "App", "1app", "a_b", "averyveryverylongprefix"])
def test_bad_prefixes(prefix: str) -> None:
    with pytest.raises(ValueError):
        new_id(prefix)


def test_validity_of_foreign_strings() -> None:
    assert not is_valid_id("app_01JD")
    assert not is_valid_id("app_8ZZZZZZZZZZZZZZZZZZZZZZZZZ")  # beyond 128 bits
    assert not is_valid_id("app_01JDILOU0000000000000000")  # letters outside Crockford base32
    with pytest.raises(ValueError):
        id_time("nope")


@settings(max_examples=50)
@given(st.integers(min_value=1, max_value=3000))
def test_ids_made_at_once_are_those_made_one_by_one(count: int) -> None:
    before = new_id("pay")
    made = new_ids("pay", count)
    after = new_id("pay")
    assert len(made) == count == len(set(made))
    assert all(CROCKFORD_ID.fullmatch(value.replace("pay_", "app_", 1)) for value in made)
    assert [before, *made, after] == sorted([before, *made, after])
    assert len({id_time(value) for value in made}) == 1


def test_ids_made_at_once_across_a_change_of_their_high_digits(monkeypatch: pytest.MonkeyPatch) -> None:
    now_ns = time.time_ns()
    monkeypatch.setattr(ids_module.time, "time_ns", lambda: now_ns)
    monkeypatch.setattr(ids_module, "_last_ms", max(ids_module._last_ms, now_ns // 1_000_000))
    monkeypatch.setattr(ids_module, "_last_random", 2**20 - 3)
    made = new_ids("pay", 6)
    assert made == sorted(made)
    assert [value[-4:] for value in made][2:4] == ["0000", "0001"]
    assert made[2][:-4] != made[1][:-4]
    assert new_ids("pay", 0) == []
    with pytest.raises(ValueError):
        new_ids("Pay", 1)


@given(st.integers(min_value=0, max_value=2**130 - 1))
def test_a_value_is_written_as_its_26_base32_digits_most_significant_first(value: int) -> None:
    digits = [(value >> (5 * place)) % 32 for place in reversed(range(26))]
    assert ids_module._encode(value) == "".join("0123456789ABCDEFGHJKMNPQRSTVWXYZ"[d] for d in digits)
