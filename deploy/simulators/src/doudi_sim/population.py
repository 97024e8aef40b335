"""A seeded, deterministic synthetic population: what each department holds about a resident ID.

Every answer is a pure function of (seed, ID number, source, period), so tests and benchmarks can
rely on it, and any process computes the same records without loading anything.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from doudi_common.period import Period, months_between

MONTHLY_WAGE_RANGE_FEN = (80_000, 450_000)


@dataclass(frozen=True)
class Item:
    item: str
    amount_fen: int = 0
    attributes: dict[str, str] = field(default_factory=dict)


def _rng(seed: int, id_number: str, source: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}\x1f{id_number}\x1f{source}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def records_for(seed: int, id_number: str, source: str, first: Period, last: Period) -> list[Item]:
    """The items one source holds about one person over the months first..last."""
    months = months_between(first, last) + 1
    rng = _rng(seed, id_number, source)
    if source == "HUMAN_RESOURCES":
        items = []
        if rng.random() < 0.55:
            items.append(Item("wage_income", rng.randint(*MONTHLY_WAGE_RANGE_FEN) * months))
        if rng.random() < 0.2:
            items.append(Item("pension", rng.randint(15_000, 300_000) * months))
        return items
    if source == "PUBLIC_SECURITY":
        items = [Item("hukou", attributes={"region": id_number[:6] + "000000"})]
        if rng.random() < 0.15:
            use = rng.choice(["private", "livelihood", "disability"])
            items.append(
                Item("vehicle", attributes={"type": rng.choice(["car", "van", "motorcycle"]), "use": use})
            )
        return items
    if source == "HOUSING":
        return [
            Item("property_title", attributes={"floor_area_m2": str(rng.randint(20, 140))})
        ] * rng.randint(0, 2)
    if source == "FINANCIAL":
        return [Item("deposits", rng.randint(0, 6_000_000))]
    if source == "MEDICAL_INSURANCE" and rng.random() < 0.3:
        return [Item("out_of_pocket", rng.randint(50_000, 8_000_000))]
    if source == "DISABLED_FEDERATION" and rng.random() < 0.08:
        kind = rng.choice(["physical", "visual", "hearing", "intellectual", "mental"])
        return [Item("disability_certificate", attributes={"type": kind, "grade": str(rng.randint(1, 4))})]
    if source == "MARKET_REGULATION" and rng.random() < 0.07:
        return [Item("business_registration", attributes={"kind": rng.choice(["individual", "micro_stall"])})]
    if source == "TAX" and rng.random() < 0.1:
        return [Item("taxable_income", rng.randint(0, 10_000_000))]
    return []
