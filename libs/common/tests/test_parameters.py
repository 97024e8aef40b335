"""The parameter registry: lower scopes override higher ones, the newest set in force wins, values exact."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.parameters import ParameterError, ParameterRegistry, load_shipped_registry, parse_set


def a_set(set_id: str, region: str, effective: str, **values: str) -> str:
    lines = [f'"{key.replace("_", ".")}" = "{value}"' for key, value in values.items()]
    return "\n".join(
        [
            "[set]",
            f'id = "{set_id}"',
            f'region = "{region}"',
            f'effective_from = "{effective}"',
            "[values]",
            *lines,
        ]
    )


PROVINCE = parse_set(a_set("P1", "640000000000", "2025-01-01", std="500", margin="1.5"))
PROVINCE_LATER = parse_set(a_set("P2", "640000000000", "2026-01-01", std="520", margin="1.5"))
COUNTY = parse_set(a_set("C1", "640402000000", "2025-07-01", std="560.00"))
REGISTRY = ParameterRegistry([PROVINCE, PROVINCE_LATER, COUNTY])


def test_the_county_overrides_the_province_from_its_effective_date() -> None:
    before = REGISTRY.resolve("640402100201", date(2025, 6, 30))
    after = REGISTRY.resolve("640402100201", date(2025, 7, 1))
    assert (before.number("std"), before.version) == (500, "P1")
    assert (after.number("std"), after.version) == (560, "P1+C1")
    assert after.number("margin") == Fraction(3, 2)


def test_the_newest_set_in_force_at_each_level_is_used() -> None:
    other_county = REGISTRY.resolve("640522100000", date(2026, 3, 1))
    assert (other_county.number("std"), other_county.version) == (520, "P2")


def test_money_is_exact_in_fen() -> None:
    shipped = load_shipped_registry().resolve("640402100201", date(2026, 11, 24))
    assert shipped.yuan_as_fen("dibao.std.urban.monthly") == 56_000
    assert shipped.yuan_as_fen("dibao.std.rural.annual") / 12 == Fraction(95_000, 3)


def test_floats_are_refused_and_missing_keys_are_named() -> None:
    with pytest.raises(ParameterError, match="floats"):
        parse_set('[set]\nid="X"\nregion="640000000000"\neffective_from="2025-01-01"\n[values]\nrate = 0.1\n')
    with pytest.raises(ParameterError, match=r"dibao\.nothing"):
        REGISTRY.resolve("640402100201", date(2026, 1, 1)).number("dibao.nothing")


def test_a_region_with_no_set_in_force_is_an_error() -> None:
    with pytest.raises(ParameterError):
        REGISTRY.resolve("110105000000", date(2026, 1, 1))
    with pytest.raises(ParameterError):
        REGISTRY.resolve("640402100201", date(2024, 12, 31))


@given(st.fractions(min_value=0, max_value=10_000).map(lambda f: f.limit_denominator(1000)))
def test_any_exact_number_round_trips(value: Fraction) -> None:
    parsed = parse_set(a_set("Q", "640000000000", "2025-01-01", rate=str(value)))
    assert parsed.values["rate"] == value
