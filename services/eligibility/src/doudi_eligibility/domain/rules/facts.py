"""Facts the programme rules share: persons, counted income, asset outcomes, households (DOMAIN §1.3, §4).

Facts arrive verified: income is what the verification report counted (§4.3 minus the exclusions of §4.4),
asset outcomes are the report's PASS/FAIL/EXEMPT per rule (§4.7). The rules here never re-classify a
source; they apply the programme conditions to what was verified.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from doudi_common.disability import Disability
from doudi_eligibility.domain.explain import Category, Outcome


class HouseholdType(StrEnum):
    URBAN = "URBAN"
    RURAL = "RURAL"


def _non_negative(**amounts: int) -> None:
    for name, amount in amounts.items():
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise TypeError(f"{name} must be an int number of fen")
        if amount < 0:
            raise ValueError(f"{name} must not be negative")


@dataclass(frozen=True)
class Income:
    """One person's counted income over the reference period (``dibao.income.period_months``), in fen.

    ``wage_fen`` is the part of ``gross_fen`` that is wage or employment income (the base of the
    employment-cost deduction); ``rigid_expenditure_fen`` is medical out-of-pocket after insurance and
    assistance plus education costs in the period (§4.5).
    """

    gross_fen: int = 0
    wage_fen: int = 0
    rigid_expenditure_fen: int = 0

    def __post_init__(self) -> None:
        _non_negative(gross=self.gross_fen, wage=self.wage_fen, rigid=self.rigid_expenditure_fen)
        if self.wage_fen > self.gross_fen:
            raise ValueError("wage income is part of gross income and cannot exceed it")


@dataclass(frozen=True)
class Person:
    person_id: str
    age: int
    disability: Disability | None = None
    #: On the local serious-illness list, or major-disease assistance in the last 12 months (§5.1.3 U2b).
    seriously_ill: bool = False
    #: Certified loss of labour capacity from serious illness (§5.1.5, §5.2.1 K1).
    lost_labour_capacity: bool = False
    in_school: bool = False
    #: Years lived in a religious venue away from the family (§5.1.3 U2c).
    clergy_years_away: int = 0
    #: County-defined groups this person belongs to (§5.1.3 U2d), matched against ``single.other_groups``.
    groups: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not 0 <= self.age <= 150:
            raise ValueError(f"age must be 0 to 150, got {self.age}")


@dataclass(frozen=True)
class AssetTest:
    """One asset rule's outcome from the verification report (§4.7), e.g. ``vehicle`` EXEMPT."""

    rule: str
    outcome: Outcome
    reason: str = ""


@dataclass(frozen=True)
class Member:
    person: Person
    income: Income = field(default_factory=Income)
    #: Whether the person counts in the household (§1.3); a Tekun person or an orphan does not (§5.8).
    counted: bool = True
    not_counted_reason: str = ""
    #: The id of another active Dibao entitlement that counts this person (§12.1), if any.
    active_dibao_elsewhere: str | None = None
    #: A transfer out of that entitlement has been requested (§5.1.2 E5, §13 H11).
    transfer_pending: bool = False


@dataclass(frozen=True)
class CategoryOverride:
    """An officer's audited override of the computed category (§5.1.5)."""

    category: Category
    reason: str


@dataclass(frozen=True)
class Household:
    """A Dibao household at its assessment date: co-resident members, survey findings, report outcomes."""

    household_id: str
    type: HouseholdType
    members: tuple[Member, ...]
    #: Recorded at the home survey (§5.1.5 guidance on stable income).
    income_stable: bool
    assets: tuple[AssetTest, ...] = ()
    #: E1: the application is admissible in this jurisdiction (§5.1.1), as intake found it.
    admissible: bool = True
    #: E2: every counted member consented to verification (§4.1).
    consents_complete: bool = True
    #: E6: a local disqualifier that applies, e.g. a proven false declaration in the look-back period.
    local_disqualifier: str | None = None
    #: E7: grounds of occupation or identity someone raised against the household; never decisive.
    identity_grounds_raised: tuple[str, ...] = ()
    category_override: CategoryOverride | None = None

    @property
    def counted(self) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.counted)

    def member(self, person_id: str) -> Member:
        for member in self.members:
            if member.person.person_id == person_id:
                return member
        raise KeyError(person_id)
