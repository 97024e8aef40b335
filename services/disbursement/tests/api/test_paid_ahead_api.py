"""A change, stop or suspension that takes effect from a month already paid (DOMAIN §11.4, §12.1; H11 "if the
overlap is found late"): what the month was paid beyond what is now due is recorded as an overpayment once,
announced, and recovered by the next runs; through eligibility's events and disbursement's gRPC API, with
the bank simulator over a real socket."""

from __future__ import annotations

from datetime import UTC, datetime

from doudi.common.v1 import types_pb2
from doudi.disbursement.v1 import disbursement_pb2, events_pb2
from doudi.eligibility.v1 import events_pb2 as eligibility_events

from .test_derived_payments_api import (
    BASE,
    RECOVERY,
    announced,
    deliver_at,
    entitlement,
    get_overpayment,
    lines,
    pay,
)
from .test_payroll_api import AS_CLERK, Payroll, all_payments, deliver, disbursement, generate
from .test_ta_post_check import overpayments_of

__all__ = ["disbursement"]

RETURNED_ACCOUNT = "6228480000000000"  # the bank simulator returns accounts ending 0000: "account closed"


def died(entitlement_id: str, amount_fen: int, last: str) -> eligibility_events.EntitlementTerminated:
    return eligibility_events.EntitlementTerminated(
        entitlement=entitlement(entitlement_id, amount_fen),
        reason="死亡",
        last_month=types_pb2.Period(month=last),
    )


def paid_month(p: Payroll, month: str) -> disbursement_pb2.Run:
    run = generate(p, f"gen-{month}", month)
    p.use_cases.generate_shards()
    return pay(p, run)


def test_h11_x_recomputed_from_may_after_may_and_june_were_paid_recovers_570(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, eligibility_events.EntitlementActivated(entitlement=entitlement("gao", 79_500)))
    for month in ("2026-05", "2026-06"):
        assert paid_month(p, month).state == disbursement_pb2.RUN_STATE_CLOSED
    recomputed = eligibility_events.EntitlementChanged(
        after=entitlement("gao", 51_000),
        effective_month=types_pb2.Period(month="2026-05"),
        reason="高某婚后迁入Y县，自5月起按2人重新核定",
    )
    deliver(p, recomputed)
    deliver(p, recomputed)  # heard twice: found once

    (found,) = overpayments_of(p, "hh_gao")
    assert found.amount.amount_fen == 57_000
    assert found.reason == (
        "paid before the change effective 2026-05 (高某婚后迁入Y县，自5月起按2人重新核定) took effect"
        " (DOMAIN §11.4): 2026-05 285.00 yuan, 2026-06 285.00 yuan"
    )
    (detected,) = announced(p, events_pb2.OverpaymentDetected)
    assert (detected.overpayment_id, detected.beneficiary_id, detected.amount_fen) == (
        found.overpayment_id,
        "hh_gao",
        57_000,
    )

    july = generate(p, "gen-2026-07", "2026-07")
    p.use_cases.generate_shards()
    assert lines(all_payments(p, july.run_id)) == [("2026-07", BASE, 51_000), ("2026-07", RECOVERY, -15_300)]
    assert get_overpayment(p, found.overpayment_id).balance.amount_fen == 57_000 - 15_300

    cut_again = eligibility_events.EntitlementChanged(
        after=entitlement("gao", 40_000), effective_month=types_pb2.Period(month="2026-06"), reason="收入增加"
    )
    deliver(p, cut_again)
    assert sorted(o.amount.amount_fen for o in overpayments_of(p, "hh_gao")) == [11_000, 57_000], (
        "June counts again only for what the second change adds"
    )


def test_an_end_counts_the_months_paid_after_it_and_a_run_generated_before_it_once_released(
    disbursement,
) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, eligibility_events.EntitlementActivated(entitlement=entitlement("liu", 60_000)))
    paid_month(p, "2026-05")
    june = generate(p, "gen-2026-06", "2026-06")
    p.use_cases.generate_shards()

    deliver(p, died("liu", 60_000, last="2026-04"))
    (found,) = overpayments_of(p, "hh_liu")
    assert found.amount.amount_fen == 60_000
    assert found.reason.endswith("(DOMAIN §11.4): 2026-05 600.00 yuan"), "June's run is not released yet"

    assert pay(p, june).state == disbursement_pb2.RUN_STATE_CLOSED  # released with the totals approved
    after_june = sorted(
        (o.amount.amount_fen, o.reason.rsplit(": ", 1)[1]) for o in overpayments_of(p, "hh_liu")
    )
    assert after_june == [(60_000, "2026-05 600.00 yuan"), (60_000, "2026-06 600.00 yuan")]
    assert len(announced(p, events_pb2.OverpaymentDetected)) == 2


def test_a_run_cancelled_after_an_end_and_made_again_pays_nothing_to_recover(disbursement) -> None:  # type: ignore[no-untyped-def]
    p = disbursement
    deliver(p, eligibility_events.EntitlementActivated(entitlement=entitlement("sun", 60_000)))
    june = generate(p, "gen-2026-06", "2026-06")
    p.use_cases.generate_shards()
    deliver(p, died("sun", 60_000, last="2026-05"))
    p.stub.CancelRun(
        disbursement_pb2.CancelRunRequest(request_id="c-jun", run_id=june.run_id, reason="名单有误"),
        metadata=AS_CLERK,
        timeout=10,
    )
    again = generate(p, "gen-2026-06-again", "2026-06")
    p.use_cases.generate_shards()
    assert all_payments(p, again.run_id) == []
    assert overpayments_of(p, "hh_sun") == []


def test_a_month_the_bank_returned_was_not_paid_and_a_suspension_counts_the_paid_month_after_it(  # type: ignore[no-untyped-def]
    disbursement,
) -> None:
    p = disbursement
    deliver(
        p,
        eligibility_events.EntitlementActivated(
            entitlement=entitlement("ma", 56_000, account=RETURNED_ACCOUNT)
        ),
    )
    deliver(p, eligibility_events.EntitlementActivated(entitlement=entitlement("zhao", 56_000)))
    may = paid_month(p, "2026-05")
    assert dict(may.payments_by_state) == {"SETTLED": 1, "RETURNED": 1}
    paid_month(p, "2026-06")

    deliver(
        p,
        eligibility_events.EntitlementChanged(
            after=entitlement("ma", 30_000), effective_month=types_pb2.Period(month="2026-05"), reason="核减"
        ),
    )
    assert overpayments_of(p, "hh_ma") == [], "returned months never reached the household"

    deliver_at(
        p,
        eligibility_events.EntitlementSuspended(entitlement=entitlement("zhao", 56_000), reason="联系不上"),
        datetime(2026, 5, 20, 2, 0, tzinfo=UTC),
    )
    (found,) = overpayments_of(p, "hh_zhao")
    assert found.amount.amount_fen == 56_000
    assert found.reason.startswith("paid before the suspension from 2026-06 (联系不上) took effect")
