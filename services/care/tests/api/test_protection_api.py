"""Children's protection over gRPC: a mandatory report opens an emergency case with deadlines, makes the
child high risk with a visit due today, and every step late goes to the county."""

from __future__ import annotations

from datetime import timedelta

import grpc
import pytest

from doudi.care.v1 import care_pb2
from doudi.common.v1 import types_pb2
from doudi_runtime.grpc.errors import field_violations_from

from .conftest import AUTH, VILLAGE, YANG_GIRL, ZHOU, Care, person, register


def yang_girl(care: Care) -> care_pb2.LedgerEntry:
    """H08: the FUC granddaughter, 8, on the children's ledger with her grandfather as guardian."""
    return register(
        care,
        care_pb2.LedgerRegistration(
            ledger=care_pb2.LEDGER_CHILD_IN_DIFFICULTY,
            person=person(YANG_GIRL, "杨小花"),
            region=types_pb2.RegionCode(code=VILLAGE),
            child=care_pb2.ChildDetails(
                category=care_pb2.CHILD_CATEGORY_UNSUPPORTED,
                guardian_name="杨德胜",
                guardian_phone="13995401234",
                child_director="马丽",
            ),
        ),
        "reg-yang",
    )


def test_a_mandatory_report_opens_a_case_with_deadlines_and_escalates_late_steps(care: Care) -> None:
    entry = yang_girl(care)
    case = care.stub.ReportChildProtection(
        care_pb2.ReportChildProtectionRequest(
            request_id="report-1",
            entry_id=entry.entry_id,
            description="学校报告：孩子身上多处淤青，祖父醉酒",
            reporter="河川小学 班主任",
        ),
        metadata=AUTH,
    ).protection_case
    reported = case.reported_at.ToDatetime()
    assert case.dispatch_due_at.ToDatetime() - reported == timedelta(hours=2)
    assert case.assessment_due_at.ToDatetime() - reported == timedelta(days=3)
    assert case.intervention_due_at.ToDatetime() - reported == timedelta(days=15)
    assert case.child.id_number.value == YANG_GIRL and case.contact_phone == "13995401234"
    [opened] = care.events("ProtectionCaseOpened")
    assert opened.protection_case.case_id == case.case_id
    got = care.stub.GetLedgerEntry(
        care_pb2.GetLedgerEntryRequest(entry_id=entry.entry_id), metadata=AUTH
    ).entry
    assert got.risk_level == care_pb2.RISK_LEVEL_HIGH
    assert got.visit_stage == care_pb2.VISIT_STAGE_DUE

    care.clock.advance(hours=3)
    assert care.app.protection.sweep() == 1
    assert care.app.protection.sweep() == 0
    [late] = care.events("ProtectionStepOverdue")
    assert (
        late.step == care_pb2.PROTECTION_STEP_DISPATCH
        and late.escalated_to == care_pb2.ESCALATION_LEVEL_COUNTY
    )

    step = care_pb2.RecordProtectionStepRequest(
        request_id="step-1",
        case_id=case.case_id,
        step=care_pb2.PROTECTION_STEP_DISPATCH,
        note="儿童主任已到场",
    )
    after = care.stub.RecordProtectionStep(step, metadata=AUTH).protection_case
    assert after.dispatched_at.seconds and list(after.overdue_steps) == [care_pb2.PROTECTION_STEP_DISPATCH]
    with pytest.raises(grpc.RpcError) as error:
        care.stub.RecordProtectionStep(
            care_pb2.RecordProtectionStepRequest(
                request_id="step-3",
                case_id=case.case_id,
                step=care_pb2.PROTECTION_STEP_GUARDIANSHIP_INTERVENTION,
                note="x",
            ),
            metadata=AUTH,
        )
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION  # assessment first
    assert [e for _, k, e in care.outbox() if k == entry.entry_id][:2] == [
        "ProtectionCaseOpened",
        "RiskLevelChanged",
    ]


def test_a_report_about_a_child_not_on_a_ledger_needs_who_and_where(care: Care) -> None:
    with pytest.raises(grpc.RpcError) as error:
        care.stub.ReportChildProtection(
            care_pb2.ReportChildProtectionRequest(request_id="r", child=person(ZHOU, "")), metadata=AUTH
        )
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(dict(field_violations_from(error.value))) == {
        "child.id_number",
        "child.name",
        "region",
        "description",
        "reporter",
    }
    case = care.stub.ReportChildProtection(
        care_pb2.ReportChildProtectionRequest(
            request_id="r2",
            child=person(YANG_GIRL, "杨小花"),
            region=types_pb2.RegionCode(code=VILLAGE),
            description="邻居报告无人照看",
            reporter="邻居",
        ),
        metadata=AUTH,
    ).protection_case
    fetched = care.stub.GetProtectionCase(
        care_pb2.GetProtectionCaseRequest(case_id=case.case_id), metadata=AUTH
    )
    assert fetched.protection_case == case
