"""Specification of 12-digit administrative division codes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.errors import InvalidArgument
from doudi_common.region import PROVINCE_CODES, RegionCode, RegionLevel

# Guyuan (固原市), Yuanzhou district (原州区), a township and one of its villages (DOMAIN §13 example county).
PROVINCE, CITY, COUNTY = "640000000000", "640400000000", "640402000000"
TOWNSHIP, VILLAGE = "640402100000", "640402100201"


def segment(width: int) -> st.SearchStrategy[str]:
    return st.integers(1, 10**width - 1).map(lambda n: f"{n:0{width}d}")


@st.composite
def codes(draw: st.DrawFn) -> RegionCode:
    depth = draw(st.sampled_from(list(RegionLevel)))
    text = draw(st.sampled_from(sorted(PROVINCE_CODES)))
    for width, level in ((2, RegionLevel.CITY), (2, RegionLevel.COUNTY), (3, RegionLevel.TOWNSHIP)):
        if depth.digits >= level.digits:
            text += draw(segment(width))
    if depth is RegionLevel.VILLAGE:
        text += draw(segment(3))
    return RegionCode(text.ljust(12, "0"))


def test_levels() -> None:
    levels = [RegionCode.parse(c).level for c in (PROVINCE, CITY, COUNTY, TOWNSHIP, VILLAGE)]
    assert levels == list(RegionLevel)


def test_ancestors_of_a_village() -> None:
    village = RegionCode.parse(VILLAGE)
    assert village.province == RegionCode(PROVINCE)
    assert village.city == RegionCode(CITY)
    assert village.county == RegionCode(COUNTY)
    assert village.township == RegionCode(TOWNSHIP)
    assert village.parent == RegionCode(TOWNSHIP)


def test_ancestors_above_the_code_are_none() -> None:
    county = RegionCode.parse(COUNTY)
    assert county.township is None
    assert county.county == county
    assert RegionCode.parse(PROVINCE).city is None
    assert RegionCode.parse(PROVINCE).parent is None


def test_containment() -> None:
    county, township, village = RegionCode(COUNTY), RegionCode(TOWNSHIP), RegionCode(VILLAGE)
    assert county.contains(village) and village.is_within(county)
    assert county.contains(county)
    assert not village.contains(township)
    assert not RegionCode("640402200000").contains(village)
    # A neighbouring county whose code shares the first five digits must not be confused with this one.
    assert not RegionCode("640401000000").contains(village)


@pytest.mark.parametrize(
    "text",
    [
        "64040210020",
        "6404021002011",
        "64040210020a",
        "990000000000",
        "000000000000",
        "640001000000",
        "640400001000",
    ],
)
def test_parse_refuses_malformed_codes(text: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        RegionCode.parse(text, field="township")
    assert caught.value.violations[0].field == "township"
    with pytest.raises(ValueError):
        RegionCode(text)


@given(codes())
def test_every_ancestor_contains_the_code(code: RegionCode) -> None:
    chain = [code.ancestor(level) for level in RegionLevel]
    present = [a for a in chain if a is not None]
    assert present[-1] == code
    for ancestor in present:
        assert ancestor.contains(code)
        assert code.is_within(ancestor)
    assert [a.level for a in present] == list(RegionLevel)[: len(present)]
    assert RegionCode.parse(str(code)) == code


@given(codes(), codes())
def test_containment_is_antisymmetric(a: RegionCode, b: RegionCode) -> None:
    if a.contains(b) and b.contains(a):
        assert a == b
