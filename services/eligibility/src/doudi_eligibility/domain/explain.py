"""Explainable decisions (DOMAIN §7.7 DecisionMade, proto ``Decision``): each condition with its inputs, the
parameter values used and PASS/FAIL/EXEMPT; the amount computed line by line; the parameter version.

A decision is data, so the same object feeds the caseworker's screen, the audit record and the household's
notice (``notice.py``) without any of them re-deriving a reason.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from doudi_common.parameters import ParameterUse


class Programme(StrEnum):
    DIBAO = "DIBAO"
    SINGLE_PERSON_DIBAO = "SINGLE_PERSON_DIBAO"
    TEKUN = "TEKUN"
    TEMPORARY_ASSISTANCE_URGENT = "TEMPORARY_ASSISTANCE_URGENT"
    TEMPORARY_ASSISTANCE_EXPENDITURE = "TEMPORARY_ASSISTANCE_EXPENDITURE"
    DISABILITY_LIVING_SUBSIDY = "DISABILITY_LIVING_SUBSIDY"
    SEVERE_DISABILITY_CARE_SUBSIDY = "SEVERE_DISABILITY_CARE_SUBSIDY"
    ORPHAN_ALLOWANCE = "ORPHAN_ALLOWANCE"
    UNSUPPORTED_CHILD_ALLOWANCE = "UNSUPPORTED_CHILD_ALLOWANCE"


class Outcome(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    #: The condition does not bind here, for a stated reason (e.g. the only livelihood vehicle).
    EXEMPT = "EXEMPT"


class Category(StrEnum):
    A = "A"
    B = "B"
    C = "C"


@dataclass(frozen=True)
class Check:
    """One condition as checked: what, the facts it looked at, the parameters it read, and the verdict.

    ``reason`` is one plain sentence in Chinese for the household's notice.
    """

    code: str
    description: str
    outcome: Outcome
    reason: str
    inputs: tuple[tuple[str, str], ...] = ()
    parameters: tuple[ParameterUse, ...] = ()

    @property
    def holds(self) -> bool:
        return self.outcome is not Outcome.FAIL


def check(
    code: str,
    description: str,
    holds: bool,
    *,
    reason_pass: str,
    reason_fail: str,
    inputs: tuple[tuple[str, str], ...] = (),
    parameters: tuple[ParameterUse, ...] = (),
) -> Check:
    """A PASS or FAIL check whose household-facing reason follows its verdict."""
    return Check(
        code,
        description,
        Outcome.PASS if holds else Outcome.FAIL,
        reason_pass if holds else reason_fail,
        inputs,
        parameters,
    )


@dataclass(frozen=True)
class Decision:
    """The explained result of applying one programme's rules to one household or person."""

    programme: Programme
    subject: str
    approved: bool
    checks: tuple[Check, ...]
    computation: tuple[str, ...]
    parameter_version: str
    #: Monthly amount in fen (0 when refused or when the programme pays once).
    monthly_amount_fen: int = 0
    #: One-off amount in fen (temporary assistance).
    one_off_amount_fen: int = 0
    category: Category | None = None
    review_months: int | None = None
    #: Statuses the assessment establishes besides the decision, e.g. MARGINAL_HOUSEHOLD (§5.6).
    statuses: tuple[str, ...] = ()
    #: The monthly amount by payment component (e.g. Tekun BASE and CARE), when it has more than one.
    components: tuple[tuple[str, int], ...] = ()

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.outcome is Outcome.FAIL)

    def check_for(self, code: str) -> Check:
        for item in self.checks:
            if item.code == code:
                return item
        raise KeyError(code)


def yuan_text(fen: Fraction | int) -> str:
    """An amount in fen as yuan for people: two decimals when exact, else four, half up (display only, never
    logic). Integer arithmetic on the fraction's terms: explanations quote a couple of dozen amounts each,
    mostly the same few (standards, their multiples), so the texts are kept."""
    if isinstance(fen, int):
        return _yuan_text(fen, 1)
    exact = fen if isinstance(fen, Fraction) else Fraction(fen)
    return _yuan_text(exact.numerator, exact.denominator)


@functools.lru_cache(maxsize=4096)
def _yuan_text(numerator: int, denominator: int) -> str:
    if denominator == 1:
        places, digits = 2, abs(numerator)
    else:
        # |fen| / 100 yuan in units of 0.0001 yuan is |fen| × 100; rounded half up.
        places, digits = 4, (200 * abs(numerator) + denominator) // (2 * denominator)
    whole, part = divmod(digits, 10**places)
    sign = "-" if numerator < 0 and digits else ""
    return f"{sign}{whole:,}.{part:0{places}d}"


def ratio_text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"
