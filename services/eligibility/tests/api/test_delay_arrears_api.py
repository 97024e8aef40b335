"""Arrears for an administrative delay through eligibility's gRPC API (DOMAIN §11.4, §6, §7.2 rows 22, 24):
H01, accepted on 3 March 2025 with a deadline of 15 April, is confirmed on 16 June. Where the county has
published ``dibao.deadline.delay_arrears`` on, the entitlement still starts in July and its activation owes
May and June at 60 yuan as arrears, which the decision's computation, its notice and the audit line state;
with the policy off (the example county's choice) nothing is owed, and the audit line still shows the
decision came after its deadline."""

from __future__ import annotations

from datetime import date
from typing import Any

from doudi.eligibility.v1 import eligibility_pb2 as pb
from doudi.eligibility.v1 import events_pb2
from doudi_eligibility.store import records as store
from doudi_runtime.events.envelope import unpack

from .conftest import H01, Eligibility, open_case
from .test_parameters_api import COUNTY, publish
from .test_procedure_api import assess, case_of, decide, survey_and_review

DELAY_ARREARS = "dibao.deadline.delay_arrears"


def decided_h01_on(e: Eligibility, year: int, month: int, day: int) -> pb.Decision:
    """H01's steps to the end of its notice on 18 March, then the county's confirmation on the day given."""
    open_case(e, H01)
    e.clock.on(2025, 3, 6)
    survey_and_review(e, H01)
    e.clock.on(2025, 3, 11)
    assess(e, H01.application_id)
    e.clock.on(2025, 3, 19)
    assert e.app.procedure.close_due_notices() == 1
    e.clock.on(year, month, day)
    return decide(e, H01.application_id)


def activation(e: Eligibility) -> events_pb2.EntitlementActivated:
    [envelope] = e.envelopes("EntitlementActivated")
    return unpack(envelope, events_pb2.EntitlementActivated)  # type: ignore[arg-type]


def decided_audit(e: Eligibility) -> dict[str, Any]:
    with e.context.database.read() as session:  # type: ignore[union-attr]
        detail = store.last_audit_detail(session, H01.application_id, "decided")
    assert detail is not None
    return detail


def test_with_the_policy_on_a_june_confirmation_owes_may_and_june_on_the_activation(eligibility) -> None:  # type: ignore[no-untyped-def]
    published = publish(eligibility, "EX-GY-2025-DELAY", COUNTY, date(2025, 1, 1), {DELAY_ARREARS: "true"})
    assert published.version.values[DELAY_ARREARS] == "true"

    decision = decided_h01_on(eligibility, 2025, 6, 16)

    case = case_of(eligibility, H01.application_id)
    assert (case.deadline.month, case.deadline.day) == (4, 15)
    assert decision.outcome == pb.DECISION_OUTCOME_APPROVED
    assert (decision.start_month.month, decision.monthly_amount.amount_fen) == ("2025-07", 6_000)
    assert decision.parameter_version.endswith("EX-GY-2025-DELAY")
    assert any("2025-05..2025-06 = 2 month(s) × 60.00 = 120.00" in line for line in decision.computation)
    assert "自2025年7月起" in decision.notice_text
    assert "补发2025年5月至2025年6月共2个月的保障金，每月60.00元，合计120.00元" in decision.notice_text

    activated = activation(eligibility)
    assert activated.entitlement.start_month.month == "2025-07", "the entitlement starts in its normal month"
    assert (activated.arrears.amount_fen, activated.arrears_from.month) == (12_000, "2025-05")

    detail = decided_audit(eligibility)
    assert detail["deadline"] == "2025-04-15" and detail["after_deadline"] is True
    assert (detail["delay_arrears_months"], detail["delay_arrears_fen"]) == (["2025-05", "2025-06"], 12_000)


def test_with_the_policy_on_a_confirmation_in_time_owes_nothing(eligibility) -> None:  # type: ignore[no-untyped-def]
    publish(eligibility, "EX-GY-2025-DELAY", COUNTY, date(2025, 1, 1), {DELAY_ARREARS: "true"})

    decision = decided_h01_on(eligibility, 2025, 3, 31)

    assert decision.start_month.month == "2025-04"
    assert "补发" not in decision.notice_text
    assert not any("Delay arrears" in line for line in decision.computation)
    activated = activation(eligibility)
    assert (activated.arrears.amount_fen, activated.HasField("arrears_from")) == (0, False)
    detail = decided_audit(eligibility)
    assert detail["after_deadline"] is False and "delay_arrears_fen" not in detail


def test_with_the_example_countys_policy_off_a_late_confirmation_owes_nothing(eligibility) -> None:  # type: ignore[no-untyped-def]
    decision = decided_h01_on(eligibility, 2025, 6, 16)

    assert decision.parameter_version == "NX-2024-01+GY-2024-01+EX-GY-2024-01"
    assert decision.start_month.month == "2025-07"
    assert "补发" not in decision.notice_text
    assert not any("Delay arrears" in line for line in decision.computation)
    activated = activation(eligibility)
    assert (activated.arrears.amount_fen, activated.HasField("arrears_from")) == (0, False)
    detail = decided_audit(eligibility)
    assert detail["deadline"] == "2025-04-15" and detail["after_deadline"] is True
    assert "delay_arrears_fen" not in detail
