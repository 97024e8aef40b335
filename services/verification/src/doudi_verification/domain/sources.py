"""Which department sources a check asks, per programme (DOMAIN §4.2's "used for" column)."""

from __future__ import annotations

ALL_SOURCES: tuple[str, ...] = (
    "CIVIL_AFFAIRS",
    "HUMAN_RESOURCES",
    "HOUSING",
    "PUBLIC_SECURITY",
    "MARKET_REGULATION",
    "FINANCIAL",
    "TAX",
    "MEDICAL_INSURANCE",
    "DISABLED_FEDERATION",
    "EDUCATION",
    "PROVIDENT_FUND",
    "AGRICULTURE",
    "EMERGENCY_MANAGEMENT",
    "JUSTICE",
)

#: Programmes decided on income and assets: every source is relevant.
MEANS_TESTED = frozenset(
    {
        "DIBAO",
        "SINGLE_PERSON_DIBAO",
        "TEKUN",
        "TEMPORARY_ASSISTANCE_EXPENDITURE",
        "TEMPORARY_ASSISTANCE_URGENT",
    }
)

_STATUS_SOURCES: dict[str, tuple[str, ...]] = {
    "DISABILITY_LIVING_SUBSIDY": ("CIVIL_AFFAIRS", "PUBLIC_SECURITY", "DISABLED_FEDERATION"),
    "SEVERE_DISABILITY_CARE_SUBSIDY": ("CIVIL_AFFAIRS", "PUBLIC_SECURITY", "DISABLED_FEDERATION"),
    "ORPHAN_ALLOWANCE": ("CIVIL_AFFAIRS", "PUBLIC_SECURITY", "JUSTICE", "EDUCATION"),
    "UNSUPPORTED_CHILD_ALLOWANCE": ("CIVIL_AFFAIRS", "PUBLIC_SECURITY", "JUSTICE", "EDUCATION"),
}


def sources_for(programme: str) -> tuple[str, ...]:
    if programme in MEANS_TESTED:
        return ALL_SOURCES
    return _STATUS_SOURCES.get(programme, ALL_SOURCES)


def is_means_tested(programme: str) -> bool:
    return programme in MEANS_TESTED
