"""The one parameter registry (DOMAIN §3, §0.2): catalogue, national floors as named violations, scoped and
effective-dated resolution with the set each value came from, shipped as package data."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doudi_common.parameters import (
    CATALOGUE,
    Kind,
    ParameterError,
    Parameters,
    ParameterSetRejected,
    Registry,
    SourcedSet,
    ViolationCode,
    check_set,
    check_value,
    parse_set,
    read_set,
    shipped_registry,
)

#: A village of the example county (Yuanzhou district, Guyuan): it resolves province + city + county sets.
EX_GY_VILLAGE = "640402100201"


def ex_gy(on: date = date(2025, 3, 3)) -> Parameters:
    return shipped_registry().resolve(EX_GY_VILLAGE, on)


PROVINCE, CITY, COUNTY = "640000000000", "640400000000", "640402000000"


def a_set(set_id: str, region: str, effective: str, values: dict[str, str]) -> str:
    lines = [f'"{key}" = {value}' for key, value in values.items()]
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


def test_the_shipped_ex_gy_sets_validate_and_resolve_province_city_and_county() -> None:
    p = ex_gy()
    assert p.set_ids == ("NX-2024-01", "GY-2024-01", "EX-GY-2024-01")
    assert p.money("dibao.std.urban.monthly") == 56_000
    assert p.money("dibao.std.rural.annual") / 12 == Fraction(95_000, 3)
    assert p.money("ta.base") == 56_000
    assert p.money("fuc.monthly") == p.money("orphan.scattered.monthly") == 160_000
    assert p.ratio("tekun.basic.ratio") == Fraction(13, 10)


def test_the_city_overrides_the_province_and_names_the_set_it_came_from() -> None:
    p = ex_gy()
    assert p.text("democratic_review.mode") == "ALWAYS"
    assert p.origin["democratic_review.mode"] == "GY-2024-01"
    assert p.origin["notice.days"] == "NX-2024-01"
    [use] = p.cite("notice.days")
    assert (use.key, use.value, use.set_id) == ("notice.days", "7", "NX-2024-01")


def test_a_money_reference_is_cited_with_the_value_it_names() -> None:
    uses = ex_gy().cite("fuc.monthly")
    assert [(u.key, u.value) for u in uses] == [
        ("fuc.monthly", "orphan.scattered.monthly"),
        ("orphan.scattered.monthly", "1600"),
    ]


def test_every_shipped_value_carries_a_source_reference() -> None:
    registry = shipped_registry()
    for sourced in registry.sets:
        for key in sourced.parameters.values:
            assert registry.source_of(sourced.set_id, key)
            assert CATALOGUE[key].source


def test_every_catalogued_required_key_is_given_for_the_example_county() -> None:
    p = ex_gy()
    missing = [k for k, d in CATALOGUE.items() if d.required and k not in p.values]
    assert missing == []


def test_a_county_may_not_shorten_the_public_notice_below_seven_days() -> None:
    county = read_set(a_set("BAD", COUNTY, "2025-01-01", {"notice.days": "5"}))
    [violation] = check_set(county)
    assert violation.name == "notice.days:BELOW_FLOOR"
    assert violation.set_id == "BAD"
    assert "7" in violation.message


def test_a_county_may_not_turn_the_strict_income_test_into_at_or_below() -> None:
    county = read_set(a_set("BAD", COUNTY, "2025-01-01", {"dibao.income.comparison": '"<="'}))
    [violation] = check_set(county)
    assert violation.name == "dibao.income.comparison:NOT_ALLOWED"


def test_a_county_may_not_narrow_a_national_disability_definition() -> None:
    county = read_set(a_set("BAD", COUNTY, "2025-01-01", {"single.disability": '"ANY:1"'}))
    [violation] = check_set(county)
    assert violation.code is ViolationCode.NARROWER_THAN_NATIONAL


def test_a_county_may_widen_a_definition_and_lengthen_a_notice() -> None:
    county = read_set(
        a_set(
            "OK",
            COUNTY,
            "2025-01-01",
            {"single.disability": '"ANY:3"', "notice.days": "10", "dcs.eligible": '"ANY:2,INTELLECTUAL:4"'},
        )
    )
    assert check_set(county) == ()


def test_unknown_keys_and_wrong_kinds_are_named() -> None:
    county = read_set(a_set("BAD", COUNTY, "2025-01-01", {"notice.dayz": "7", "dls.amount": "true"}))
    names = {v.name for v in check_set(county)}
    assert names == {"notice.dayz:UNKNOWN_KEY", "dls.amount:WRONG_KIND"}


def test_the_registry_refuses_a_set_that_breaks_a_floor_and_lists_every_violation() -> None:
    bad = read_set(a_set("BAD", COUNTY, "2025-01-01", {"notice.days": "3", "dibao.deadline.wd": "40"}))
    with pytest.raises(ParameterSetRejected) as caught:
        Registry([*shipped_registry().sets, bad])
    assert {v.name for v in caught.value.violations} == {
        "notice.days:BELOW_FLOOR",
        "dibao.deadline.wd:ABOVE_CEILING",
    }


def test_a_resolution_missing_a_required_key_is_refused_with_the_keys_named() -> None:
    lone = read_set(a_set("LONE", "110000000000", "2025-01-01", {"notice.days": "7"}))
    with pytest.raises(ParameterSetRejected) as caught:
        Registry([lone]).resolve("110105000000", date(2025, 6, 1))
    assert "dibao.std.urban.monthly:MISSING" in {v.name for v in caught.value.violations}


def restated(set_id: str, region: str, effective: date, changes: dict[str, Fraction]) -> SourcedSet:
    """A new version of the shipped set for ``region``, with some values changed."""
    old = next(s for s in shipped_registry().sets if s.parameters.region.code == region)
    values = {**old.parameters.values, **changes}
    return SourcedSet(
        replace(old.parameters, set_id=set_id, effective_from=effective, values=values), old.sources
    )


def test_a_newer_county_set_takes_effect_on_its_date() -> None:
    newer = restated("EX-GY-2026", COUNTY, date(2026, 1, 1), {"ta.township_limit": Fraction(3000)})
    registry = Registry([*shipped_registry().sets, newer])
    assert registry.resolve(EX_GY_VILLAGE, date(2025, 12, 31)).money("ta.township_limit") == 200_000
    after = registry.resolve(EX_GY_VILLAGE, date(2026, 1, 1))
    assert after.set_ids[-1] == "EX-GY-2026"
    assert after.money("ta.township_limit") == 300_000


def test_a_newer_set_replaces_its_level_whole_so_it_must_restate_every_value() -> None:
    partial = read_set(a_set("EX-GY-PARTIAL", COUNTY, "2026-01-01", {"ta.township_limit": '"3000"'}))
    registry = Registry([*shipped_registry().sets, partial])
    with pytest.raises(ParameterSetRejected) as caught:
        registry.resolve(EX_GY_VILLAGE, date(2026, 1, 1))
    assert "dls.amount:MISSING" in {v.name for v in caught.value.violations}


def test_a_list_of_one_code_is_read_as_text_though_it_reads_as_a_number() -> None:
    written = a_set("EX-GY-Q", COUNTY, "2026-01-01", {"payment.quarterly.townships": '"640402101000"'})
    assert parse_set(written).values["payment.quarterly.townships"] == Fraction(640402101000)
    assert read_set(written).parameters.values["payment.quarterly.townships"] == "640402101000"
    quarterly = read_set(written).parameters.values
    newer = restated("EX-GY-Q", COUNTY, date(2026, 1, 1), dict(quarterly))  # type: ignore[arg-type]
    resolved = Registry([*shipped_registry().sets, newer]).resolve(EX_GY_VILLAGE, date(2026, 1, 1))
    assert resolved.texts("payment.quarterly.townships") == {"640402101000"}


def test_the_townships_paid_quarterly_are_named_by_township_codes() -> None:
    key = "payment.quarterly.townships"
    assert check_value(key, "640402100000, 640402101000", "S") == ()
    assert {v.name for v in check_value(key, "640402000000", "S")} == {f"{key}:NOT_ALLOWED"}
    assert {v.name for v in check_value(key, "640402100000,64040210", "S")} == {f"{key}:NOT_ALLOWED"}
    assert "640402100201" in check_value(key, "640402100201", "S")[0].message


def test_reading_a_key_outside_the_catalogue_or_of_the_wrong_kind_is_an_error() -> None:
    p = ex_gy()
    with pytest.raises(ParameterError, match="catalogue"):
        p.integer("notice.dayz")
    with pytest.raises(ParameterError, match="MONEY"):
        p.integer("dls.amount")


def test_an_override_is_marked_in_the_version() -> None:
    p = ex_gy().override({"notice.days": Fraction(10)})
    assert p.integer("notice.days") == 10
    assert p.version.endswith("+override")
    assert p.cite("notice.days")[0].set_id == "override"


levels = st.sampled_from([PROVINCE, CITY, COUNTY])


@settings(max_examples=30, deadline=None)
@given(
    layers=st.dictionaries(levels, st.integers(min_value=7, max_value=60), min_size=1),
    day=st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)),
)
def test_the_lowest_scope_in_force_overrides_the_higher_ones(layers: dict[str, int], day: date) -> None:
    changed = date(2025, 6, 1)
    newer = [
        restated(f"T-{region}", region, changed, {"notice.days": Fraction(days)})
        for region, days in layers.items()
    ]
    resolved = Registry([*shipped_registry().sets, *newer]).resolve(EX_GY_VILLAGE, day)
    if day < changed:
        assert resolved.integer("notice.days") == 7
        return
    lowest = [r for r in (PROVINCE, CITY, COUNTY) if r in layers][-1]
    assert resolved.integer("notice.days") == layers[lowest]
    assert resolved.origin["notice.days"] == f"T-{lowest}"


floored = [
    (key, c.floor)
    for key, d in CATALOGUE.items()
    if d.kind is Kind.INTEGER
    for c in d.constraints
    if type(c).__name__ == "AtLeast" and c.floor > 0
]


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_value_below_any_national_floor_is_always_named_with_its_key(data: st.DataObject) -> None:
    key, floor = data.draw(st.sampled_from(floored))
    value = data.draw(st.integers(min_value=-1000, max_value=int(floor) - 1))
    names = {v.name for v in check_value(key, Fraction(value), "S")}
    assert f"{key}:BELOW_FLOOR" in names


def test_the_shipped_sets_are_package_data_and_money_is_exact_in_fen() -> None:
    shipped = shipped_registry().resolve(EX_GY_VILLAGE, date(2026, 11, 24))
    assert shipped.money("dibao.std.urban.monthly") == 56_000
    assert shipped.money("dibao.std.rural.annual") / 12 == Fraction(95_000, 3)
    assert shipped.integer("verification.report.validity_days") == 30


def test_floats_are_refused() -> None:
    with pytest.raises(ParameterError, match="floats"):
        parse_set('[set]\nid="X"\nregion="640000000000"\neffective_from="2025-01-01"\n[values]\nrate = 0.1\n')


def test_a_region_with_no_set_in_force_is_an_error() -> None:
    with pytest.raises(ParameterError):
        shipped_registry().resolve("110105000000", date(2026, 1, 1))
    with pytest.raises(ParameterError):
        shipped_registry().resolve(EX_GY_VILLAGE, date(2023, 12, 31))


@given(st.fractions(min_value=0, max_value=10_000).map(lambda f: f.limit_denominator(1000)))
def test_any_exact_number_round_trips(value: Fraction) -> None:
    parsed = parse_set(a_set("Q", PROVINCE, "2025-01-01", {"dibao.deduct.cap": f'"{value}"'}))
    assert parsed.values["dibao.deduct.cap"] == value
