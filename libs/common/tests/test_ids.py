"""Specification of opaque, time-sortable ids."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from doudi_common.ids import id_time, is_valid_id, new_event_id, new_id, new_request_id

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
