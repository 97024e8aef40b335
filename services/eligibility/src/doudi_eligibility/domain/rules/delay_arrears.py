"""Arrears for an administrative delay (DOMAIN §11.4, third bullet; §6; §7.2 rows 22 and 24).

Keys read: ``dibao.deadline.delay_arrears`` (optional: absent reads as off).

A case must be decided by its deadline: ``dibao.deadline.wd`` working days after acceptance, or
``dibao.deadline.ext_wd`` once the county recorded an extension (row 24). An approval always starts in its
normal month, the month after the decision (row 22, §11.2, no pro-rating). Where the policy flag is on, an
approval decided after its deadline also owes the months it would have paid had it been decided on the
deadline's last day: from the month after that day up to the month of the actual decision, the month before
the normal first month. Each is owed at the approved monthly amount. A decision in time, a decision still
in the deadline's month, or the flag off owes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from doudi_common.parameters import Parameters, ParameterUse
from doudi_common.period import Period, periods
from doudi_eligibility.domain.explain import yuan_text

DELAY_ARREARS = "dibao.deadline.delay_arrears"


@dataclass(frozen=True)
class DecisionTiming:
    """When a case was accepted, the last day it should have been decided by, and when it was decided."""

    accepted_on: date
    #: The deadline in force: the standard one, or the extended one where the county recorded an extension.
    deadline: date
    decided_on: date

    def __post_init__(self) -> None:
        if self.deadline < self.accepted_on:
            raise ValueError("a deadline cannot fall before the acceptance it counts from")
        if self.decided_on < self.accepted_on:
            raise ValueError("a case cannot be decided before it was accepted")

    @property
    def late(self) -> bool:
        return self.decided_on > self.deadline

    @property
    def normal_first_month(self) -> Period:
        """The first month an approval pays: the month after the decision (§6, §11.2)."""
        return Period.of(self.decided_on).next()


@dataclass(frozen=True)
class DelayArrears:
    """What an approval decided after its deadline owes for the delay: every month at the monthly amount."""

    timing: DecisionTiming
    months: tuple[Period, ...]
    monthly_amount_fen: int
    parameters: tuple[ParameterUse, ...] = ()

    @property
    def total_fen(self) -> int:
        return self.monthly_amount_fen * len(self.months)

    @property
    def owed(self) -> bool:
        return self.total_fen > 0

    @property
    def first_month(self) -> Period | None:
        return self.months[0] if self.months else None

    def computation(self) -> str:
        """The explanation line of the decision (empty when nothing is owed)."""
        if not self.owed:
            return ""
        first, last = self.months[0], self.months[-1]
        return (
            f"Delay arrears (§11.4): decided {self.timing.decided_on.isoformat()}, after the deadline "
            f"{self.timing.deadline.isoformat()}; {first}..{last} = {len(self.months)} month(s) × "
            f"{yuan_text(self.monthly_amount_fen)} = {yuan_text(self.total_fen)}"
        )

    def notice_line(self) -> str:
        """The sentence of the household's notice (empty when nothing is owed)."""
        if not self.owed:
            return ""
        first, last = self.months[0], self.months[-1]
        deadline = self.timing.deadline
        return (
            f"逾期补发：本申请应于{deadline.year}年{deadline.month}月{deadline.day}日前作出决定，"
            f"因审核确认超过规定时限，补发{first.year}年{first.month}月至{last.year}年{last.month}月"
            f"共{len(self.months)}个月的保障金，每月{yuan_text(self.monthly_amount_fen)}元，"
            f"合计{yuan_text(self.total_fen)}元，随首次发放一并支付。"
        )


def policy_on(params: Parameters) -> bool:
    return params.has(DELAY_ARREARS) and params.flag(DELAY_ARREARS)


def delay_months(timing: DecisionTiming, params: Parameters) -> tuple[Period, ...]:
    """The months owed for the delay: from the month after the deadline's month to the decision's month,
    both included; none when decided in time or when the policy is off."""
    if not policy_on(params) or not timing.late:
        return ()
    first = Period.of(timing.deadline).next()
    return tuple(periods(first, timing.normal_first_month.previous()))


def delay_arrears(timing: DecisionTiming, monthly_amount_fen: int, params: Parameters) -> DelayArrears:
    """The delay arrears of an approval paying ``monthly_amount_fen`` a month from its normal first month."""
    if monthly_amount_fen < 0:
        raise ValueError("a monthly amount cannot be negative")
    cited = params.cite(DELAY_ARREARS) if params.has(DELAY_ARREARS) else ()
    return DelayArrears(timing, delay_months(timing, params), monthly_amount_fen, cited)
