"""What the departments said about each counted member, classified for the check (DOMAIN §4.2–4.5).

Department items arrive as (item name, amount over the reference period, attributes). The table
below says what each item is to the household economic check; an item nobody classified is never
guessed at: it is reported as a gap for the caseworker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from doudi_common.income_items import ITEM_KINDS, Kind


@dataclass(frozen=True)
class Item:
    """One fact a source holds about one member; amounts in fen over the reference period."""

    member_index: int
    source: str
    item: str
    amount_fen: int = 0
    attributes: tuple[tuple[str, str], ...] = ()
    as_of: date | None = None
    #: Set when a home survey replaced the department's value (DOMAIN §4.6: data beats declarations,
    #: but a documented survey may override it).
    overridden_by: str = ""

    @property
    def kind(self) -> Kind | None:
        return ITEM_KINDS.get(self.item)

    def attribute(self, name: str, default: str = "") -> str:
        return dict(self.attributes).get(name, default)


@dataclass(frozen=True)
class SourceOutcome:
    """Whether one source answered for one member."""

    member_index: int
    source: str
    answered: bool
    error: str = ""
    items: tuple[Item, ...] = field(default=())
