"""Named people whose records are fixed (DOMAIN §13's households), read from data/worked_examples.toml."""

from __future__ import annotations

import functools
import tomllib
from decimal import Decimal
from importlib import resources

from doudi_common.idcard import parse_id_number
from doudi_sim.population import Item


@functools.cache
def worked_examples() -> dict[str, dict[str, tuple[tuple[Item, bool], ...]]]:
    """ID number → source → (item, is a monthly flow) for every listed person."""
    text = resources.files("doudi_sim").joinpath("data", "worked_examples.toml").read_text(encoding="utf-8")
    people: dict[str, dict[str, list[tuple[Item, bool]]]] = {}
    for id_number, person in tomllib.loads(text)["people"].items():
        parse_id_number(id_number, field=f"people.{id_number}")
        by_source = people.setdefault(id_number, {})
        for entry in person["items"]:
            monthly = "monthly_yuan" in entry
            yuan = Decimal(entry["monthly_yuan"] if monthly else entry.get("amount_yuan", "0"))
            fen = yuan * 100
            if fen != fen.to_integral_value():
                raise ValueError(f"people.{id_number}: {entry['item']} is not a whole number of fen")
            item = Item(entry["item"], int(fen), dict(entry.get("attributes", {})))
            by_source.setdefault(entry["source"], []).append((item, monthly))
    return {person: {s: tuple(items) for s, items in sources.items()} for person, sources in people.items()}


def fixed_records(id_number: str, source: str, months: int) -> list[Item] | None:
    """The listed person's items from one source over ``months`` months; None if the person is not listed."""
    person = worked_examples().get(id_number)
    if person is None:
        return None
    return [
        Item(item.item, item.amount_fen * months if monthly else item.amount_fen, item.attributes)
        for item, monthly in person.get(source, ())
    ]


@functools.cache
def example_households() -> dict[str, tuple[str, ...]]:
    """DOMAIN §13 example name → the ID numbers of its listed members, applicant first."""
    text = resources.files("doudi_sim").joinpath("data", "worked_examples.toml").read_text(encoding="utf-8")
    households: dict[str, list[str]] = {}
    for id_number, person in tomllib.loads(text)["people"].items():
        households.setdefault(person["example"], []).append(id_number)
    return {name: tuple(members) for name, members in households.items()}
