"""The plain-language notice in Chinese that tells a household what was decided (DOMAIN §5.1.6, §6, §7.6).

Keys read: ``dibao.payment.day``, ``appeal.reconsideration.days``, ``appeal.litigation.months``.

It states the decision, each reason, the amount and how it was computed, the first month paid (and, for an
approval decided after its deadline where the policy pays for the delay, the months and amount owed), how
often the case is reviewed and the household's duty to report changes, and how and by when to object or
appeal: administrative reconsideration within 60 days and litigation within 6 months of receiving the
notice, with the calendar dates written out so nobody has to count. Refusals and reductions always carry
their reasons.
"""

from __future__ import annotations

import calendar as month_lengths
from dataclasses import dataclass
from datetime import date, timedelta

from doudi_common.parameters import Parameters
from doudi_common.period import Period
from doudi_eligibility.domain.explain import Decision, Programme, yuan_text
from doudi_eligibility.domain.rules.delay_arrears import DelayArrears
from doudi_eligibility.domain.rules.dibao import MARGINAL_HOUSEHOLD

PROGRAMME_ZH = {
    Programme.DIBAO: "最低生活保障",
    Programme.SINGLE_PERSON_DIBAO: "最低生活保障（单人保）",
    Programme.TEKUN: "特困人员救助供养",
    Programme.TEMPORARY_ASSISTANCE_URGENT: "临时救助（急难型）",
    Programme.TEMPORARY_ASSISTANCE_EXPENDITURE: "临时救助（支出型）",
    Programme.DISABILITY_LIVING_SUBSIDY: "困难残疾人生活补贴",
    Programme.SEVERE_DISABILITY_CARE_SUBSIDY: "重度残疾人护理补贴",
    Programme.ORPHAN_ALLOWANCE: "孤儿基本生活保障",
    Programme.UNSUPPORTED_CHILD_ALLOWANCE: "事实无人抚养儿童基本生活补贴",
}

_CADENCE_ZH = {12: "每年", 6: "每半年", 3: "每季度", 1: "每月"}


@dataclass(frozen=True)
class NoticeContext:
    addressee: str
    #: The authority that decided, named as the household knows it (e.g. 原州区民政局).
    authority: str
    decided_on: date
    #: The day the household receives the notice; the appeal windows run from it.
    delivered_on: date
    #: The first month paid; by default the month after the decision (§6 first payment).
    start_month: Period | None = None
    #: What an approval decided after its deadline owes for the delay (§11.4), where the policy is on.
    delay_arrears: DelayArrears | None = None


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it has no such day."""
    target = Period.of(day).plus(months)
    last = month_lengths.monthrange(target.year, target.month)[1]
    return date(target.year, target.month, min(day.day, last))


def _date_zh(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _reasons(decision: Decision) -> list[str]:
    chosen = decision.failed if not decision.approved else decision.checks
    top = [c for c in chosen if "." not in c.code and c.code != "AMOUNT"]
    return [f"{i}. {c.reason}" for i, c in enumerate(top, start=1)]


def _amount(decision: Decision) -> list[str]:
    lines: list[str] = []
    if decision.monthly_amount_fen:
        lines.append(f"保障金额：每月{yuan_text(decision.monthly_amount_fen)}元。")
    if decision.one_off_amount_fen:
        lines.append(f"救助金额：一次性{yuan_text(decision.one_off_amount_fen)}元。")
    for item in decision.checks:
        if item.code in ("AMOUNT", "APPROVAL"):
            lines.append(f"计算与审批：{item.reason}")
    return lines


def _payment(decision: Decision, context: NoticeContext, params: Parameters) -> list[str]:
    if not decision.monthly_amount_fen:
        return []
    start = context.start_month or Period.of(context.decided_on).next()
    day = params.integer("dibao.payment.day")
    lines = [f"发放时间：自{start.year}年{start.month}月起，每月{day}日前通过您的银行（信用社）账户发放。"]
    if decision.approved and context.delay_arrears is not None and context.delay_arrears.owed:
        lines.append(context.delay_arrears.notice_line())
    return lines


def _review(decision: Decision) -> list[str]:
    lines: list[str] = []
    if decision.review_months:
        cadence = _CADENCE_ZH.get(decision.review_months, f"每{decision.review_months}个月")
        category = f"您家为{decision.category.value}类保障对象，" if decision.category else ""
        lines.append(f"复核：{category}{cadence}复核一次。")
    if decision.monthly_amount_fen:
        lines.append("家庭人口、收入、财产状况发生变化的，请及时告知乡镇人民政府（街道办事处）。")
    return lines


def _referrals(decision: Decision) -> list[str]:
    if decision.approved:
        return []
    lines = ["如遇突发困难、基本生活难以维持，可以向乡镇人民政府（街道办事处）申请临时救助。"]
    if MARGINAL_HOUSEHOLD in decision.statuses:
        lines.insert(0, "您家属于低保边缘家庭，已纳入低收入人口动态监测范围，可按规定申请相关专项救助。")
    return lines


def _appeal(context: NoticeContext, params: Parameters) -> list[str]:
    days = params.integer("appeal.reconsideration.days")
    months = params.integer("appeal.litigation.months")
    reconsider_by = context.delivered_on + timedelta(days=days)
    sue_by = add_months(context.delivered_on, months)
    return [
        "如有异议：可以向乡镇人民政府（街道办事处）或县级民政部门提出，也可以拨打社会救助服务热线反映。",
        f"如对本决定不服，可以自收到本告知书之日起{days}日内（{_date_zh(reconsider_by)}前）依法申请行政复议，"
        f"或者自收到本告知书之日起{months}个月内（{_date_zh(sue_by)}前）依法向人民法院提起行政诉讼。",
    ]


def decision_notice(decision: Decision, context: NoticeContext, params: Parameters) -> str:
    """The notice text for one decision, ready to print or send."""
    name = PROGRAMME_ZH[decision.programme]
    verdict = "予以批准" if decision.approved else "不予批准"
    parts = [
        f"{name}审核确认结果告知书",
        f"{context.addressee}：",
        f"您申请的{name}，经{context.authority}审核确认，决定{verdict}。",
        "理由：",
        *_reasons(decision),
        *_amount(decision),
        *_payment(decision, context, params),
        *_review(decision),
        *_referrals(decision),
        *_appeal(context, params),
        f"{context.authority}",
        _date_zh(context.decided_on),
        f"（依据参数版本：{decision.parameter_version}）",
    ]
    return "\n".join(parts)
