"""Changes to a running Dibao entitlement: review outcome, gradual exit (渐退), voluntary exit bonus,
work-refusal sanction, termination reasons, and the arrears or overpayment a change implies (DOMAIN §5.1.6,
§7.3, §11.4).

Keys read: ``dibao.gradual_exit.months``, ``dibao.gradual_exit.income_cap``,
``dibao.gradual_exit.monitoring_months``,
``dibao.gradual_exit.min_months_on_dibao`` (also the months before a voluntary exit, SEED-4),
``dibao.voluntary_exit.bonus_months``,
``dibao.work_refusal.count``, ``dibao.work_refusal.share_cut``, ``dibao.rounding``, ``margin.multiplier``
and the labour-capacity keys.

Every change takes effect the month after its decision (§5.1.6). Choices where DOMAIN is silent, made in the
household's favour:
- 渐退 needs no minimum time on Dibao in EX-GY (§13 H06 enrols in January and exits gradually from August);
  the minimum is a parameter.
- The voluntary-exit bonus defaults to the maximum months unless the decision grants fewer.
- Only an unjustified refusal of suitable work counts toward the sanction; any other referral outcome
  (accepted, refused with good reason, found unsuitable) breaks the run of consecutive refusals (H13).
- The reduced household amount after a sanction is rounded by ``dibao.rounding`` like any payable amount.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction

from doudi_common.parameters import Parameters
from doudi_common.period import Period, months_between
from doudi_eligibility.domain.explain import Check, Outcome, check, ratio_text, yuan_text
from doudi_eligibility.domain.rules.dibao import DibaoAssessment
from doudi_eligibility.domain.rules.facts import Person
from doudi_eligibility.domain.rules.labour import has_labour_capacity
from doudi_eligibility.domain.rules.standard import round_payable


class TerminationReason(StrEnum):
    INCOME_ABOVE_STD = "INCOME_ABOVE_STD"
    ASSETS_EXCEED = "ASSETS_EXCEED"
    MOVED_OUT = "MOVED_OUT"
    DEATH_SOLE_MEMBER = "DEATH_SOLE_MEMBER"
    VOLUNTARY = "VOLUNTARY"
    NON_COOPERATION = "NON_COOPERATION"
    FRAUD = "FRAUD"
    TRANSFERRED_TO_TEKUN = "TRANSFERRED_TO_TEKUN"
    TRANSFERRED_TO_ORPHAN = "TRANSFERRED_TO_ORPHAN"
    #: A disability living subsidy ends with the Dibao it rests on (§5.4, §7.5).
    DIBAO_ENDED = "DIBAO_ENDED"


#: The reason as the household's notice states it.
TERMINATION_TEXT = {
    TerminationReason.INCOME_ABOVE_STD: "家庭月人均收入已不低于当地最低生活保障标准",
    TerminationReason.ASSETS_EXCEED: "家庭财产状况已超过当地规定",
    TerminationReason.MOVED_OUT: "已迁出本地或不再共同生活",
    TerminationReason.DEATH_SOLE_MEMBER: "唯一的保障对象已去世",
    TerminationReason.VOLUNTARY: "本人（家庭）自愿申请退出",
    TerminationReason.NON_COOPERATION: "暂停后仍不配合复核",
    TerminationReason.FRAUD: "以虚报、隐瞒、伪造等手段骗取保障金",
    TerminationReason.TRANSFERRED_TO_TEKUN: "已转为特困人员救助供养",
    TerminationReason.TRANSFERRED_TO_ORPHAN: "已转为孤儿基本生活保障",
    TerminationReason.DIBAO_ENDED: "所在家庭已不再享受最低生活保障",
}


#: Which failed condition names the termination reason, first match wins. A local disqualifier (E6) has no
#: reason code of its own: the officer states it, since it may or may not be fraud.
_REASON_BY_CONDITION = (
    ("E3", TerminationReason.INCOME_ABOVE_STD),
    ("E4", TerminationReason.ASSETS_EXCEED),
    ("E1", TerminationReason.MOVED_OUT),
    ("E5", TerminationReason.MOVED_OUT),
    ("E2", TerminationReason.NON_COOPERATION),
)


class ReviewResult(StrEnum):
    INCREASE = "INCREASE"
    REDUCE = "REDUCE"
    UNCHANGED = "UNCHANGED"
    GRADUAL_EXIT = "GRADUAL_EXIT"
    TERMINATE = "TERMINATE"


@dataclass(frozen=True)
class ReviewOutcome:
    result: ReviewResult
    effective_month: Period
    #: The amount paid from ``effective_month`` (frozen during 渐退; 0 when terminated).
    monthly_amount_fen: int
    checks: tuple[Check, ...]
    termination_reason: TerminationReason | None = None
    #: 渐退: the last month paid at the frozen amount; termination follows the month after.
    gradual_exit_last_month: Period | None = None
    #: Reductions and stops must be notified with reasons (§5.1.6).
    written_notice_required: bool = False


def review(
    current_amount_fen: int,
    reassessment: DibaoAssessment,
    *,
    rise_due_to_employment: bool,
    months_on_dibao: int,
    decided_on: date,
    params: Parameters,
) -> ReviewOutcome:
    """The effect of a periodic or event-triggered review (§5.1.6, §7.3 UNDER_REVIEW)."""
    effective = Period.of(decided_on).next()
    decision = reassessment.decision
    if decision.approved:
        new = decision.monthly_amount_fen
        result = (
            ReviewResult.INCREASE
            if new > current_amount_fen
            else ReviewResult.REDUCE
            if new < current_amount_fen
            else ReviewResult.UNCHANGED
        )
        return ReviewOutcome(
            result, effective, new, decision.checks, written_notice_required=new < current_amount_fen
        )
    e3 = decision.check_for("E3")
    income_only = e3.outcome is Outcome.FAIL and all(c.holds for c in decision.checks if c.code != "E3")
    cap = params.ratio("dibao.gradual_exit.income_cap")
    y = reassessment.income.per_capita_monthly_fen
    within_cap = cap == 0 or y < cap * reassessment.standard_fen
    minimum = params.integer("dibao.gradual_exit.min_months_on_dibao")
    gradual = check(
        "GRADUAL_EXIT",
        "Income rose above S through work; 渐退 conditions hold (§5.1.6)",
        income_only and rise_due_to_employment and within_cap and months_on_dibao >= minimum,
        reason_pass="家庭因就业收入增加超过保障标准，给予渐退期，保障金按原标准继续发放。",
        reason_fail="不符合渐退条件。",
        inputs=(
            ("income is the only failed condition", str(income_only)),
            ("rise due to employment", str(rise_due_to_employment)),
            ("y", yuan_text(y)),
            ("months on Dibao", str(months_on_dibao)),
        ),
        parameters=params.cite(
            "dibao.gradual_exit.months",
            "dibao.gradual_exit.income_cap",
            "dibao.gradual_exit.min_months_on_dibao",
        ),
    )
    if gradual.holds:
        months = params.integer("dibao.gradual_exit.months")
        return ReviewOutcome(
            ReviewResult.GRADUAL_EXIT,
            effective,
            current_amount_fen,
            (*decision.checks, gradual),
            gradual_exit_last_month=effective.plus(months - 1),
            written_notice_required=True,
        )
    failed = {c.code for c in decision.failed}
    reason = next((r for code, r in _REASON_BY_CONDITION if code in failed), None)
    return ReviewOutcome(
        ReviewResult.TERMINATE,
        effective,
        0,
        (*decision.checks, gradual),
        termination_reason=reason,
        written_notice_required=True,
    )


def monitored_until(terminated_from: Period, params: Parameters) -> Period | None:
    """The last month a household whose gradual exit ended stays in the low-income monitoring population:
    ``dibao.gradual_exit.monitoring_months`` from the first month no longer paid (§7.3 "12-month monitoring
    flag", §8.1 "households that left Dibao in the last 12 months"); None when the locality sets 0."""
    months = params.integer("dibao.gradual_exit.monitoring_months")
    return terminated_from.plus(months - 1) if months > 0 else None


@dataclass(frozen=True)
class VoluntaryExit:
    bonus_fen: int
    months: int
    termination_month: Period


def voluntary_exit(
    current_amount_fen: int, decided_on: date, params: Parameters, *, months_granted: int | None = None
) -> VoluntaryExit:
    """The one-off bonus of at most ``bonus_months`` × the current amount (SEED-4); exit from next month."""
    maximum = params.integer("dibao.voluntary_exit.bonus_months")
    months = maximum if months_granted is None else months_granted
    if not 0 <= months <= maximum:
        raise ValueError(f"the voluntary-exit bonus is 0 to {maximum} months, got {months}")
    return VoluntaryExit(months * current_amount_fen, months, Period.of(decided_on).next())


def months_on_dibao(start_month: Period, decided_on: date) -> int:
    """The months paid by the time of a decision, the decision's own month included (§5.1.6)."""
    return max(0, months_between(start_month, Period.of(decided_on).next()))


def voluntary_exit_allowed(start_month: Period, decided_on: date, params: Parameters) -> Check:
    """SEED-4: exit (with its bonus) after at least ``dibao.gradual_exit.min_months_on_dibao`` months on
    Dibao; EX-GY sets no minimum (§13 H06 (b) exits in its seventh month)."""
    months = months_on_dibao(start_month, decided_on)
    minimum = params.integer("dibao.gradual_exit.min_months_on_dibao")
    return check(
        "VOLUNTARY_EXIT",
        "The household has been on Dibao long enough to exit with a bonus (§5.1.6, SEED-4)",
        months >= minimum,
        reason_pass="家庭自愿申请退出低保，给予一次性奖励。",
        reason_fail=f"享受低保未满{minimum}个月，不符合自愿退出奖励条件。",
        inputs=(("first month paid", str(start_month)), ("months on Dibao", str(months))),
        parameters=params.cite("dibao.gradual_exit.min_months_on_dibao", "dibao.voluntary_exit.bonus_months"),
    )


class ReferralOutcome(StrEnum):
    ACCEPTED = "ACCEPTED"
    REFUSED_WITHOUT_GOOD_REASON = "REFUSED_WITHOUT_GOOD_REASON"
    REFUSED_WITH_GOOD_REASON = "REFUSED_WITH_GOOD_REASON"
    #: The work was found unsuitable (health, care duties): not a refusal of suitable work.
    UNSUITABLE = "UNSUITABLE"


@dataclass(frozen=True)
class Sanction:
    applies: bool
    consecutive_refusals: int
    member_share_fen: Fraction
    monthly_amount_fen: int
    effective_month: Period
    check: Check


def consecutive_refusals(referrals: Sequence[ReferralOutcome]) -> int:
    """Unjustified refusals of suitable work at the end of the referral history, in order."""
    count = 0
    for outcome in reversed(referrals):
        if outcome is not ReferralOutcome.REFUSED_WITHOUT_GOOD_REASON:
            break
        count += 1
    return count


def work_refusal_sanction(
    household_amount_fen: int,
    counted_members: int,
    member: Person,
    referrals: Sequence[ReferralOutcome],
    decided_on: date,
    params: Parameters,
) -> Sanction:
    """Stop (or reduce) the refusing member's share = household payment ÷ n (§5.1.6, H13)."""
    needed = params.integer("dibao.work_refusal.count")
    refusals = consecutive_refusals(referrals)
    able = has_labour_capacity(member, params)
    cut = params.ratio("dibao.work_refusal.share_cut")
    share = Fraction(household_amount_fen, counted_members)
    applies = able and refusals >= needed
    amount = round_payable(household_amount_fen - cut * share, params) if applies else household_amount_fen
    result = check(
        "WORK_REFUSAL",
        "A member with labour capacity refused suitable work consecutively (§5.1.6)",
        not applies,
        reason_pass="未发现无正当理由连续拒绝推荐就业的情形。",
        reason_fail=f"家庭成员无正当理由连续{refusals}次拒绝介绍的适合工作，停发其本人份额。",
        inputs=(
            ("member", member.person_id),
            ("labour capacity", str(able)),
            ("consecutive refusals", str(refusals)),
            ("member share", f"{yuan_text(household_amount_fen)} / {counted_members} = {yuan_text(share)}"),
            ("share stopped", f"{ratio_text(cut)} × {yuan_text(share)}"),
        ),
        parameters=params.cite("dibao.work_refusal.count", "dibao.work_refusal.share_cut", "dibao.rounding"),
    )
    return Sanction(applies, refusals, share, amount, Period.of(decided_on).next(), result)


def arrears(months: Sequence[Period], due_fen: int, paid_fen: int) -> int:
    """What is owed when ``paid_fen`` was paid instead of ``due_fen`` for each month (§7.3, §7.6; H13)."""
    return max(0, due_fen - paid_fen) * len(set(months))


def overpayment(months: Sequence[Period], due_fen: int, paid_fen: int) -> int:
    """What was paid beyond ``due_fen`` in the months given (§11.4; H11)."""
    return max(0, paid_fen - due_fen) * len(set(months))
