"""The household's notice in Chinese: decision, reasons, amount, start month, review, objection and appeal."""

from __future__ import annotations

from datetime import date

from doudi_common.period import Period
from doudi_eligibility.domain.notice import NoticeContext, add_months, decision_notice
from doudi_eligibility.domain.rules.dibao import assess_dibao
from doudi_eligibility.domain.rules.facts import HouseholdType, Income

from .builders import ex_gy, fen, household, member, wages

P = ex_gy()
CONTEXT = NoticeContext("李某", "原州区民政局", date(2025, 3, 31), date(2025, 4, 2))


def h01_notice() -> str:
    li = household(
        "H01",
        HouseholdType.URBAN,
        member("li", 42, wages(1800)),
        member("wife", 40),
        member("son", 15),
        stable=False,
    )
    return decision_notice(assess_dibao(li, P).decision, CONTEXT, P)


def test_h01_the_approval_notice_gives_amount_start_month_review_cadence_and_appeal_dates() -> None:
    text = h01_notice()
    assert "决定予以批准" in text
    assert "每月60.00元" in text
    assert "月人均收入540.00元" in text
    assert "自2025年4月起，每月10日前" in text
    assert "C类保障对象，每季度复核一次" in text
    assert "60日内（2025年6月1日前）" in text
    assert "6个月内（2025年10月2日前）" in text
    assert "NX-2024-01+GY-2024-01+EX-GY-2024-01" in text


def test_h02_the_refusal_notice_states_the_reason_the_marginal_status_and_appeal_rights() -> None:
    wang = household(
        "H02", HouseholdType.URBAN, member("wang", 58, Income(fen(13440))), member("wife", 57), stable=True
    )
    text = decision_notice(assess_dibao(wang, P).decision, CONTEXT, P)
    assert "决定不予批准" in text
    assert "家庭月人均收入560.00元，不低于当地低保标准560.00元" in text
    assert "低保边缘家庭" in text
    assert "临时救助" in text
    assert "行政复议" in text and "行政诉讼" in text
    assert "每月" not in text.split("理由：")[1].split("如遇")[0]


def test_a_start_month_given_by_the_caller_is_used() -> None:
    context = NoticeContext(
        "李某", "原州区民政局", date(2025, 3, 31), date(2025, 4, 2), start_month=Period(2025, 3)
    )
    li = household("x", HouseholdType.URBAN, member("li", 42, wages(500)), stable=False)
    assert "自2025年3月起" in decision_notice(assess_dibao(li, P).decision, context, P)


def test_six_months_after_the_last_day_of_a_long_month_is_the_last_day_of_the_short_one() -> None:
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
