"""The asset tests of DOMAIN §4.7, each PASS, FAIL or EXEMPT with its reason."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from doudi_common.income_items import Kind
from doudi_verification.domain.income import yuan
from doudi_verification.domain.policy import AssetRules
from doudi_verification.domain.records import Item


class Outcome(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    EXEMPT = "EXEMPT"


@dataclass(frozen=True)
class AssetTest:
    rule: str
    outcome: Outcome
    reason: str


def _financial(items: list[Item], members: int, rules: AssetRules) -> AssetTest:
    total = sum(i.amount_fen for i in items if i.kind is Kind.FINANCIAL_ASSET)
    per_capita = Fraction(total, members)
    limit = rules.financial_per_capita_fen
    outcome = Outcome.PASS if per_capita <= limit else Outcome.FAIL
    relation = "≤" if outcome is Outcome.PASS else ">"
    return AssetTest(
        "dibao.assets.financial_pc",
        outcome,
        f"人均金融资产 {yuan(per_capita)} 元 {relation} 限额 {yuan(limit)} 元",
    )


def _vehicles(items: list[Item], rules: AssetRules) -> AssetTest:
    vehicles = [i for i in items if i.kind is Kind.VEHICLE]
    if not vehicles:
        return AssetTest("dibao.assets.vehicle", Outcome.PASS, "无机动车")
    counted = [v for v in vehicles if v.attribute("type") not in rules.exempt_vehicle_types]
    if not counted:
        return AssetTest("dibao.assets.vehicle", Outcome.EXEMPT, "仅有摩托车、电动车或残疾人专用车")
    exempt_uses = [v for v in counted if v.attribute("use") in rules.exempt_vehicle_uses]
    if len(counted) == 1 and exempt_uses:
        use = exempt_uses[0].attribute("use")
        reason = "家庭唯一的生计用车" if use == "livelihood" else "重病或残疾成员必需用车"
        return AssetTest("dibao.assets.vehicle", Outcome.EXEMPT, reason)
    kinds = "、".join(sorted({v.attribute("type") or "未注明" for v in counted}))
    return AssetTest("dibao.assets.vehicle", Outcome.FAIL, f"拥有不予豁免的机动车（{kinds}）")


def _tenths(value: Fraction) -> str:
    tenths = round(value * 10)
    return f"{tenths // 10}.{tenths % 10}"


def _housing(items: list[Item], members: int, rules: AssetRules) -> AssetTest:
    titles = [i for i in items if i.kind is Kind.PROPERTY_TITLE]
    if len(titles) <= rules.max_properties:
        return AssetTest("dibao.assets.housing", Outcome.PASS, f"住房 {len(titles)} 套")
    area = sum(Fraction(i.attribute("floor_area_m2", "0")) for i in titles)
    per_capita = area / members
    if per_capita < rules.small_floor_area_per_capita_m2:
        return AssetTest(
            "dibao.assets.housing",
            Outcome.EXEMPT,
            f"住房 {len(titles)} 套，但人均面积 {_tenths(per_capita)} m² 低于 "
            f"{rules.small_floor_area_per_capita_m2} m²",
        )
    return AssetTest(
        "dibao.assets.housing", Outcome.FAIL, f"住房 {len(titles)} 套，超过 {rules.max_properties} 套"
    )


def _business(items: list[Item], rules: AssetRules) -> AssetTest:
    registrations = [i for i in items if i.kind is Kind.BUSINESS_REGISTRATION]
    if not registrations:
        return AssetTest("dibao.assets.business", Outcome.PASS, "无工商登记")
    if all(r.attribute("kind") in rules.exempt_business_kinds for r in registrations):
        return AssetTest("dibao.assets.business", Outcome.EXEMPT, "经核实为无雇工的家庭微小摊点")
    return AssetTest("dibao.assets.business", Outcome.FAIL, "有在营的企业或个体工商户登记")


def asset_tests(items: Iterable[Item], counted_members: int, rules: AssetRules) -> tuple[AssetTest, ...]:
    listed = list(items)
    return (
        _financial(listed, counted_members, rules),
        _vehicles(listed, rules),
        _housing(listed, counted_members, rules),
        _business(listed, rules),
    )


def assets_pass(tests: Iterable[AssetTest]) -> bool:
    return all(test.outcome is not Outcome.FAIL for test in tests)
