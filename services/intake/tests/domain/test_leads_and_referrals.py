"""Leads never enrol anyone by themselves (DOMAIN §0.2.5, §7.1); referrals move one step at a time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from doudi_common.calendar import load_cn_calendar
from doudi_common.errors import FailedPrecondition, InvalidArgument
from doudi_common.testing import EXAMPLE_TOWNSHIP as TOWNSHIP
from doudi_common.testing import EXAMPLE_VILLAGE as VILLAGE
from doudi_common.testing import make_resident_id as resident_id
from doudi_intake.domain import leads, referrals
from doudi_intake.domain.application import (
    Channel,
    HouseholdDeclaration,
    HouseholdType,
    MemberDeclaration,
    Programme,
    Relation,
    Submission,
    submit,
)
from doudi_intake.domain.window import WindowTimeLimits

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
LIMITS = WindowTimeLimits(calendar=load_cn_calendar())
WIDOW = resident_id(date(1948, 7, 1), 42, female=True)
REPORT = leads.LeadReport(
    id_number=WIDOW,
    name="王桂英",
    residence_region=VILLAGE,
    found_by="村委会 马主任",
    reason="独居老人，冬季无取暖",
)


def on_behalf(id_number: str = WIDOW, mandate: str = "委托书-2026-118"):  # type: ignore[no-untyped-def]
    household = HouseholdDeclaration(
        VILLAGE,
        (MemberDeclaration(id_number, "王桂英", Relation.SELF, counted=True, consent_signed=True),),
        HouseholdType.RURAL,
    )
    submission = Submission(Programme.DIBAO, Channel.PROACTIVE, TOWNSHIP, household)
    return submit(submission, application_id="app_7", now=NOW, lead_id="lead_1", mandate_reference=mandate)


def test_a_lead_gets_a_contact_deadline_in_working_days() -> None:
    lead = leads.register(REPORT, lead_id="lead_1", now=NOW, limits=LIMITS)
    assert lead.state is leads.LeadState.NEW
    assert lead.contact_due == LIMITS.calendar.add_working_days(date(2026, 11, 24), 3)


def test_a_report_names_every_field_at_fault() -> None:
    wrong_check_digit = WIDOW[:-1] + ("0" if WIDOW[-1] != "0" else "1")
    bad = replace(REPORT, id_number=wrong_check_digit, found_by=" ", residence_region="64")
    with pytest.raises(InvalidArgument) as raised:
        leads.register(bad, lead_id="lead_1", now=NOW, limits=LIMITS)
    assert {v.field for v in raised.value.violations} == {"person.id_number", "found_by", "residence_region"}


def test_conversion_needs_the_households_mandate() -> None:
    lead = leads.register(REPORT, lead_id="lead_1", now=NOW, limits=LIMITS)
    with pytest.raises(InvalidArgument) as raised:
        leads.convert(lead, on_behalf(mandate=""), now=NOW)
    assert raised.value.violations[0].field == "mandate_reference"
    converted = leads.convert(lead, on_behalf(), now=NOW)
    assert (converted.state, converted.application_id) == (leads.LeadState.CONVERTED, "app_7")


def test_the_application_must_be_about_the_person_found() -> None:
    lead = leads.register(REPORT, lead_id="lead_1", now=NOW, limits=LIMITS)
    stranger = resident_id(date(1950, 1, 1), 11)
    with pytest.raises(InvalidArgument):
        leads.convert(lead, on_behalf(stranger), now=NOW)


def test_a_closed_lead_cannot_be_converted_or_contacted() -> None:
    lead = leads.register(REPORT, lead_id="lead_1", now=NOW, limits=LIMITS)
    declined = leads.close(lead, leads.LeadState.DECLINED, "本人表示子女赡养，不需要", now=NOW)
    with pytest.raises(FailedPrecondition):
        leads.convert(declined, on_behalf(), now=NOW)
    with pytest.raises(FailedPrecondition):
        leads.contact(declined, "再次走访", now=NOW)


def test_a_lead_closes_only_as_declined_or_not_needed() -> None:
    lead = leads.register(REPORT, lead_id="lead_1", now=NOW, limits=LIMITS)
    with pytest.raises(InvalidArgument):
        leads.close(lead, leads.LeadState.CONVERTED, "理由", now=NOW)


def test_a_referral_moves_forward_one_step_at_a_time_and_records_the_answer() -> None:
    request = referrals.ReferralRequest(WIDOW, "王桂英", referrals.Department.HOUSING, "危房改造")
    referral = referrals.create(request, referral_id="ref_1", now=NOW, limits=LIMITS)
    assert referral.send_due == LIMITS.calendar.add_working_days(date(2026, 11, 24), 3)
    with pytest.raises(FailedPrecondition):
        referrals.progress(referral, referrals.ReferralState.ACKNOWLEDGED, "", now=NOW)
    for step in (referrals.ReferralState.SENT, referrals.ReferralState.ACKNOWLEDGED):
        referral = referrals.progress(referral, step, "", now=NOW)
    with pytest.raises(InvalidArgument) as raised:
        referrals.progress(referral, referrals.ReferralState.RESULT_RECEIVED, " ", now=NOW)
    assert raised.value.violations[0].field == "result"
    referral = referrals.progress(
        referral, referrals.ReferralState.RESULT_RECEIVED, "已列入2027年改造计划", now=NOW
    )
    referral = referrals.progress(referral, referrals.ReferralState.CLOSED, "", now=NOW)
    assert (referral.state, referral.result) == (referrals.ReferralState.CLOSED, "已列入2027年改造计划")
