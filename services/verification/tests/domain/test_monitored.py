"""The register of households that left Dibao (DOMAIN §8.1, §7.3): from the first month no longer paid to the
last month eligibility says they stay monitored; the same end heard again changes nothing."""

from __future__ import annotations

from doudi_common.period import Period
from doudi_verification.domain.monitored import Exit, register_exit
from doudi_verification.domain.triggers import MonitoredGroup

#: H06: the gradual exit's last frozen month is July 2025; monitored for 12 months from August.
H06_EXIT = Exit("ent_h06", "hh_h06", "app_h06", "640402100000", Period(2025, 7), Period(2026, 7))


def test_the_end_of_a_gradual_exit_registers_the_household_for_its_monitoring_months() -> None:
    entry = register_exit(None, H06_EXIT, "640402100000", ("p1", "p2"))
    assert entry is not None
    assert (entry.group, entry.since, entry.until, entry.persons) == (
        MonitoredGroup.LEFT_DIBAO,
        Period(2025, 8),
        Period(2026, 7),
        ("p1", "p2"),
    )
    assert not entry.monitored_in(Period(2025, 7)), "still paid that month"
    assert entry.monitored_in(Period(2025, 8)) and entry.monitored_in(Period(2026, 7))
    assert not entry.monitored_in(Period(2026, 8))


def test_the_same_end_heard_again_changes_nothing() -> None:
    entry = register_exit(None, H06_EXIT, "640402100000", ("p1", "p2"))
    assert register_exit(entry, H06_EXIT, "640402100000", ("p1", "p2")) is None


def test_an_end_without_monitoring_registers_no_one() -> None:
    voluntary = Exit("ent_v", "hh_v", "app_v", "640402100000", Period(2025, 7), None)
    assert register_exit(None, voluntary, "640402100000", ("p1",)) is None


def test_without_the_application_on_record_the_entitlements_region_is_kept() -> None:
    entry = register_exit(None, H06_EXIT, "", ())
    assert entry is not None and (entry.region, entry.persons) == ("640402100000", ())
