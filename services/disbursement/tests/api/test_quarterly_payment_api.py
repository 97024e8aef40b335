"""Townships paid quarterly (DOMAIN §11.1: rural areas with poor banking, by the 10th of the quarter's first
month), named by the county's ``payment.quarterly.townships``: the quarter's run pays the quarter ahead,
later runs pay only what it did not, nobody is paid a month twice, and a month paid ahead that a later
change makes due for less is found overpaid. Through eligibility's events and disbursement's gRPC API."""

from __future__ import annotations

from importlib import resources

from doudi.common.v1 import types_pb2
from doudi.eligibility.v1 import events_pb2 as eligibility_events
from doudi_common.parameters import read_set, shipped_registry

from .test_derived_payments_api import ARREARS, BASE, entitlement, lines, pay
from .test_paid_ahead_api import died
from .test_payroll_api import TOWNSHIPS, Payroll, all_payments, deliver, disbursement, generate
from .test_ta_post_check import overpayments_of

__all__ = ["disbursement"]

MONTHLY, QUARTERLY = TOWNSHIPS


def paying_quarterly(p: Payroll, township: str) -> None:
    """The county's parameter set restated from 2026 with ``township`` paid quarterly."""
    shipped = resources.files("doudi_common").joinpath("data/parameters/640402-ex-gy-2024.toml").read_text()
    restated = (
        shipped.replace('id = "EX-GY-2024-01"', 'id = "EX-GY-2026-01"')
        .replace('effective_from = "2024-01-01"', 'effective_from = "2026-01-01"')
        .replace("[values]\n", f'[values]\n"payment.quarterly.townships" = "{township}"\n')
    )
    registry = shipped_registry().with_sets([read_set(restated)])
    p.use_cases.parameters = lambda region, day: registry.resolve(region, day)


def in_township(entitlement_id: str, amount_fen: int, township: str, start: str = "2026-01"):  # type: ignore[no-untyped-def]
    granted = entitlement(entitlement_id, amount_fen, start=start)
    granted.region.code = township
    return eligibility_events.EntitlementActivated(entitlement=granted)


def month_of(p: Payroll, month: str) -> list[tuple[str, str, int, int]]:
    run = generate(p, f"gen-{month}", month)
    p.use_cases.generate_shards()
    paid = sorted((x.beneficiary_id, *line) for x in all_payments(p, run.run_id) for line in lines([x]))
    pay(p, run)
    return paid


def test_a_quarterly_township_is_paid_the_quarter_ahead_and_never_a_month_twice(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    paying_quarterly(p, QUARTERLY)
    deliver(p, in_township("town", 60_000, MONTHLY))
    deliver(p, in_township("farm", 50_000, QUARTERLY))

    assert month_of(p, "2026-01") == [
        ("hh_farm", "2026-01", BASE, 50_000),
        ("hh_farm", "2026-02", BASE, 50_000),
        ("hh_farm", "2026-03", BASE, 50_000),
        ("hh_town", "2026-01", BASE, 60_000),
    ]
    deliver(p, in_township("late", 40_000, QUARTERLY, start="2026-02"))
    assert month_of(p, "2026-02") == [
        ("hh_late", "2026-02", BASE, 40_000),
        ("hh_late", "2026-03", BASE, 40_000),
        ("hh_town", "2026-02", BASE, 60_000),
    ], "February pays the quarter's rest to an entitlement started since, and no month paid ahead"

    deliver(p, died("farm", 50_000, last="2026-01"))
    (found,) = overpayments_of(p, "hh_farm")
    assert found.amount.amount_fen == 100_000
    assert found.reason.endswith(": 2026-02 500.00 yuan, 2026-03 500.00 yuan")

    assert month_of(p, "2026-03") == [("hh_town", "2026-03", BASE, 60_000)]
    assert month_of(p, "2026-04") == [
        ("hh_late", "2026-04", BASE, 40_000),
        ("hh_late", "2026-05", BASE, 40_000),
        ("hh_late", "2026-06", BASE, 40_000),
        ("hh_town", "2026-04", BASE, 60_000),
    ]
    assert p.bank.ledger.paid_count() == 12  # type: ignore[attr-defined]


def test_without_the_parameter_every_township_is_paid_monthly(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, in_township("farm", 50_000, QUARTERLY))
    assert month_of(p, "2026-01") == [("hh_farm", "2026-01", BASE, 50_000)]


def test_a_rise_in_months_paid_ahead_is_paid_as_each_month_s_arrears_once(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    paying_quarterly(p, QUARTERLY)
    deliver(p, in_township("farm", 50_000, QUARTERLY))
    month_of(p, "2026-01")
    rise = eligibility_events.EntitlementChanged(
        after=entitlement("farm", 56_000),
        effective_month=types_pb2.Period(month="2026-02"),
        reason="标准提高",
    )
    rise.after.region.code = QUARTERLY
    deliver(p, rise)
    deliver(p, rise)  # heard twice: owed once

    assert month_of(p, "2026-02") == [("hh_farm", "2026-02", ARREARS, 6_000)]
    assert month_of(p, "2026-03") == [("hh_farm", "2026-03", ARREARS, 6_000)]
    assert month_of(p, "2026-04") == [
        ("hh_farm", "2026-04", BASE, 56_000),
        ("hh_farm", "2026-05", BASE, 56_000),
        ("hh_farm", "2026-06", BASE, 56_000),
    ]
    assert overpayments_of(p, "hh_farm") == []
