"""The catalogue of every parameter an eligibility rule reads (DOMAIN §3): key, kind, unit, limits, source.

A key that is not here cannot be set in a parameter file nor read by a rule, so a typo fails loudly instead
of silently falling back. Money is written in yuan in the files, as DOMAIN §3 quotes it, and rules read it as
exact fen. A money value may instead name another money key (``ta.base = "dibao.std.urban.monthly"``) when a
local rule pegs one amount to another, so the two can never drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType

from doudi_common.parameters.constraints import AtLeast, AtMost, Constraint, CoversGrades, OneOf, Townships


class Kind(StrEnum):
    MONEY = "MONEY"
    RATIO = "RATIO"
    INTEGER = "INTEGER"
    TEXT = "TEXT"
    TEXT_LIST = "TEXT_LIST"
    FLAG = "FLAG"
    GRADES = "GRADES"


@dataclass(frozen=True)
class Definition:
    key: str
    kind: Kind
    unit: str
    meaning: str
    source: str
    constraints: tuple[Constraint, ...] = ()
    #: False for keys only some jurisdictions need (e.g. an institutional orphan standard).
    required: bool = True


def _n(value: int | str) -> Fraction:
    return Fraction(value)


_NON_NEGATIVE = AtLeast(_n(0), "an amount, share or count cannot be negative")
_SHARE = (_NON_NEGATIVE, AtMost(_n(1), "a share of income or of a payment is at most the whole"))
_SEVERE = "ANY:2,INTELLECTUAL:3,MENTAL:3"

_DEFINITIONS: tuple[Definition, ...] = (
    # Dibao standards and the income test (§3, §4.6, §5.1.2)
    Definition(
        "dibao.std.urban.monthly",
        Kind.MONEY,
        "yuan/person/month",
        "Urban Dibao standard S_u",
        "[N] set locally; EX-GY SEED-5",
        (AtLeast(_n("0.01"), "a standard must be positive"),),
    ),
    Definition(
        "dibao.std.rural.annual",
        Kind.MONEY,
        "yuan/person/year",
        "Rural Dibao standard (S_r = annual/12)",
        "[N] set locally; EX-GY SEED-5",
        (AtLeast(_n("0.01"), "a standard must be positive"),),
    ),
    Definition(
        "dibao.income.comparison",
        Kind.TEXT,
        "operator",
        "How y is compared with S",
        "[N, S1] 低于: strictly below",
        (OneOf(frozenset({"<"}), "the national test is strictly below"),),
    ),
    Definition(
        "dibao.income.period_months",
        Kind.INTEGER,
        "months",
        "Income reference period P",
        "[N*] set by the province; EX 12",
        (AtLeast(_n(1), "a period has at least one month"),),
    ),
    Definition(
        "dibao.deduct.employment",
        Kind.RATIO,
        "share of wage income",
        "Employment-cost deduction",
        "[N*, S16] Xing'an League 10%",
        _SHARE,
    ),
    Definition(
        "dibao.deduct.cap",
        Kind.RATIO,
        "share of counted gross income",
        "Cap on total deductions",
        "[EX] illustrative 50%",
        _SHARE,
    ),
    Definition(
        "dibao.min_benefit.ratio",
        Kind.RATIO,
        "share of S per person",
        "Floor on the per-person gap (0: none)",
        "[L, S24]; EX none",
        _SHARE,
    ),
    Definition(
        "dibao.rounding",
        Kind.TEXT,
        "rule",
        "Rounding of the household monthly payment",
        "[D] §5.1.4 whole yuan half up",
        (OneOf(frozenset({"yuan_half_up", "fen_half_up"}), "payable amounts are rounded half up"),),
    ),
    Definition(
        "margin.multiplier",
        Kind.RATIO,
        "× S",
        "Marginal-household income ceiling",
        "[N*, S3] 1.5 S; Shandong up to 2 S [L]",
        (
            AtLeast(_n("1.5"), "the national marginal ceiling is 1.5 × S"),
            AtMost(_n(2), "no source allows more than 2 × S"),
        ),
    ),
    # Assets and the verification report (§4.7, §4.8), read by the household economic check
    Definition(
        "dibao.assets.financial_pc.months_of_standard",
        Kind.INTEGER,
        "months of the monthly standard",
        "Per-capita financial assets limit, as months of S",
        "[N*] set by the province; Ningxia 36 × S [L, S17]",
        (_NON_NEGATIVE,),
    ),
    Definition(
        "dibao.assets.housing.max_properties",
        Kind.INTEGER,
        "properties",
        "Residential properties a household may own",
        "Ningxia [L, S17]",
        (_NON_NEGATIVE,),
    ),
    Definition(
        "dibao.assets.housing.small_area_pc_m2",
        Kind.RATIO,
        "m² per person",
        "Per-capita floor area below which more properties are allowed",
        "Ningxia [L, S17] 15 m²",
        (_NON_NEGATIVE,),
    ),
    Definition(
        "dibao.assets.vehicle.exempt_types",
        Kind.TEXT_LIST,
        "vehicle types",
        "Vehicle types the vehicle rule ignores",
        "Ningxia 2025 [L, S18]",
    ),
    Definition(
        "dibao.assets.vehicle.exempt_uses",
        Kind.TEXT_LIST,
        "vehicle uses",
        "Uses that exempt a household's only vehicle",
        "Ningxia 2025 [L, S18]",
    ),
    Definition(
        "dibao.assets.business.exempt_kinds",
        Kind.TEXT_LIST,
        "business kinds",
        "Registered businesses the business rule allows",
        "Jieyang [L, S19]",
    ),
    Definition(
        "verification.report.validity_days",
        Kind.INTEGER,
        "days",
        "How long a verification report may be relied on",
        "[D] §4.8, §7.3 fast path 30 days",
        (AtLeast(_n(1), "a report is valid at least on its day"),),
    ),
    Definition(
        "verification.dispute.recheck_wd",
        Kind.INTEGER,
        "working days",
        "Re-check of a disputed report item",
        "[D] §4.8 EX 2",
        (AtLeast(_n(1), "a re-check takes at least a day"),),
    ),
    # Labour capacity (§5.1.5, §5.2.1 K1)
    Definition(
        "labour.no_capacity.age_from",
        Kind.INTEGER,
        "years",
        "From this age a person has no labour capacity",
        "[N, S4] aged 60 or over",
        (AtMost(_n(60), "the national age is 60; a county may not raise it"),),
    ),
    Definition(
        "labour.no_capacity.age_below",
        Kind.INTEGER,
        "years",
        "Below this age a person has no labour capacity",
        "[N, S4] under 16",
        (AtLeast(_n(16), "the national age is 16; a county may not lower it"),),
    ),
    Definition(
        "labour.no_capacity.disability",
        Kind.GRADES,
        "grade threshold",
        "Disabilities that mean no labour capacity",
        "[N, S4] K1",
        (CoversGrades("INTELLECTUAL:3,MENTAL:3,PHYSICAL:2,VISUAL:1", "K1 is national"),),
    ),
    Definition(
        "child.adult_age",
        Kind.INTEGER,
        "years",
        "Age of majority",
        "[N] Civil Code",
        (AtLeast(_n(18), "minors are under 18"), AtMost(_n(18), "minors are under 18")),
    ),
    # Categories (§5.1.5)
    Definition(
        "dibao.category.severe_disability",
        Kind.GRADES,
        "grade threshold",
        "Severe disability (重残) for category A",
        "[L, S22] Xianyang; [D] grade 1–2",
        (CoversGrades("ANY:2", "grade 1–2 is severe everywhere"),),
    ),
    Definition(
        "dibao.category.uplift.A",
        Kind.RATIO,
        "× S per person",
        "Category A uplift",
        "[EX] illustrative",
        (_NON_NEGATIVE,),
    ),
    Definition(
        "dibao.category.uplift.B",
        Kind.RATIO,
        "× S per person",
        "Category B uplift",
        "[EX] illustrative",
        (_NON_NEGATIVE,),
    ),
    Definition(
        "dibao.category.uplift.C",
        Kind.RATIO,
        "× S per person",
        "Category C uplift",
        "[EX] illustrative",
        (_NON_NEGATIVE,),
    ),
    Definition(
        "dibao.category.review_months.A",
        Kind.INTEGER,
        "months",
        "Review cadence, category A",
        "[N*, S22] stable: yearly",
        (AtLeast(_n(1), "a cadence"), AtMost(_n(12), "reviewed at least yearly")),
    ),
    Definition(
        "dibao.category.review_months.B",
        Kind.INTEGER,
        "months",
        "Review cadence, category B",
        "[N*, S22] stable: yearly",
        (AtLeast(_n(1), "a cadence"), AtMost(_n(12), "reviewed at least yearly")),
    ),
    Definition(
        "dibao.category.review_months.C.urban",
        Kind.INTEGER,
        "months",
        "Review cadence, urban category C",
        "[N*, S22] half-yearly; EX quarterly",
        (AtLeast(_n(1), "a cadence"), AtMost(_n(6), "unstable households are reviewed half-yearly")),
    ),
    Definition(
        "dibao.category.review_months.C.rural",
        Kind.INTEGER,
        "months",
        "Review cadence, rural category C",
        "[N*, S22] half-yearly",
        (AtLeast(_n(1), "a cadence"), AtMost(_n(6), "unstable households are reviewed half-yearly")),
    ),
    # Single-person Dibao (§5.1.3)
    Definition(
        "single.disability",
        Kind.GRADES,
        "grade threshold",
        "Disabilities that qualify for 单人保 (U2a)",
        "[N*, S3]",
        (CoversGrades(_SEVERE, "U2a is national"),),
    ),
    Definition(
        "single.clergy_years",
        Kind.INTEGER,
        "years",
        "Years away in a religious venue (U2c)",
        "[N*, S3]",
        (AtMost(_n(3), "the national period is 3 years"),),
    ),
    Definition(
        "single.other_groups", Kind.TEXT_LIST, "group codes", "County additions to U2 (U2d)", "[L, S44, S18]"
    ),
    Definition("single.min_ratio", Kind.RATIO, "× S", "单人保 payment floor", "[L, S21] Qingdao 60%", _SHARE),
    # Changes, gradual exit, sanctions (§5.1.6)
    Definition(
        "dibao.gradual_exit.months",
        Kind.INTEGER,
        "months",
        "渐退 period, amount frozen",
        "[N*]; SEED-4 12, SEED-3 12–18",
        (_NON_NEGATIVE,),
    ),
    Definition(
        "dibao.gradual_exit.monitoring_months",
        Kind.INTEGER,
        "months",
        "Monitoring after a gradual exit ends (low-income dynamic monitoring)",
        "[D] DOMAIN §7.3 (12-month monitoring flag), §8.1",
        (_NON_NEGATIVE,),
    ),
    Definition(
        "dibao.gradual_exit.income_cap",
        Kind.RATIO,
        "× S (0: no cap)",
        "Income above which 渐退 is refused",
        "[L] 1.5 or 2 S in some places; EX none",
        (_NON_NEGATIVE,),
    ),
    Definition(
        "dibao.gradual_exit.min_months_on_dibao",
        Kind.INTEGER,
        "months",
        "Months on Dibao before 渐退 is allowed",
        "SEED-4 (read in §13 H06 as no minimum)",
        (_NON_NEGATIVE,),
    ),
    Definition(
        "dibao.voluntary_exit.bonus_months",
        Kind.INTEGER,
        "months",
        "Bonus on voluntary exit, at most",
        "SEED-4 1–3",
        (_NON_NEGATIVE,),
    ),
    Definition(
        "dibao.work_refusal.count",
        Kind.INTEGER,
        "refusals",
        "Consecutive refusals before a sanction",
        "[N*] 3 consecutive refusals",
        (AtLeast(_n(3), "the national rule needs 3 consecutive refusals"),),
    ),
    Definition(
        "dibao.work_refusal.share_cut",
        Kind.RATIO,
        "share of the member's share",
        "Part of the refusing member's share stopped",
        "[N*] reduce or stop; EX stop",
        _SHARE,
    ),
    # Procedure and time limits (§6, §7.2)
    Definition(
        "notice.days",
        Kind.INTEGER,
        "days",
        "Public notice length",
        "[N*, S13, S14]",
        (AtLeast(_n(7), "the national public notice lasts 7 days"),),
    ),
    Definition(
        "notice.day_kind",
        Kind.TEXT,
        "calendar|working",
        "Whether notice days are calendar or working days",
        "[N*]; some localities working days [L]",
        (OneOf(frozenset({"calendar", "working"}), "days are calendar or working days"),),
    ),
    Definition(
        "dibao.deadline.wd",
        Kind.INTEGER,
        "working days",
        "Acceptance to decision",
        "[N*, S13]",
        (AtMost(_n(30), "the national limit is 30 working days"),),
    ),
    Definition(
        "dibao.deadline.ext_wd",
        Kind.INTEGER,
        "working days",
        "Acceptance to decision, extended",
        "[N*, S13]",
        (AtMost(_n(45), "the national limit is 45 working days"),),
    ),
    Definition(
        "dibao.deadline.delay_arrears",
        Kind.FLAG,
        "flag",
        "An approval decided after its deadline pays arrears from the month after the deadline",
        "[D] DOMAIN §11.4 policy choice; national default off",
        # Absent (a version published before the key existed) reads as off.
        required=False,
    ),
    Definition(
        "dibao.refusal_letter.wd",
        Kind.INTEGER,
        "working days",
        "Written reasons after a refusal",
        "[N*, S13]",
        (AtMost(_n(3), "reasons are given within 3 working days"),),
    ),
    Definition(
        "dibao.confirm.authority",
        Kind.TEXT,
        "COUNTY|TOWNSHIP",
        "Who confirms",
        "[N*]; SEED-2 delegation",
        (OneOf(frozenset({"COUNTY", "TOWNSHIP"}), "the county or the township it delegates to"),),
    ),
    Definition(
        "dibao.county_survey.sample_ratio",
        Kind.RATIO,
        "share of cases",
        "Cases the county home-surveys by sampling before confirming",
        "[N*, S13] by sampling; the rate is local (DOMAIN §14 item 10)",
        _SHARE,
        required=False,
    ),
    Definition(
        "democratic_review.mode",
        Kind.TEXT,
        "ALWAYS|ON_OBJECTION",
        "When democratic review runs",
        "[N*, S13, S14] on objection; SEED-5 always",
        (OneOf(frozenset({"ALWAYS", "ON_OBJECTION"}), "the two modes DOMAIN §5.1.7 knows"),),
    ),
    Definition(
        "dibao.payment.day",
        Kind.INTEGER,
        "day of month",
        "Monthly payment by this day",
        "[L/N*, S63, S64]",
        (AtLeast(_n(1), "a day of the month"), AtMost(_n(28), "a day every month has")),
    ),
    Definition(
        "appeal.reconsideration.days",
        Kind.INTEGER,
        "days",
        "Administrative reconsideration window",
        "[N] 行政复议法 60 days",
        (AtLeast(_n(60), "the statutory window is 60 days"),),
    ),
    Definition(
        "appeal.litigation.months",
        Kind.INTEGER,
        "months",
        "Administrative litigation window",
        "[N] 行政诉讼法 6 months",
        (AtLeast(_n(6), "the statutory window is 6 months"),),
    ),
    Definition(
        "entitlement.suspension.max_months",
        Kind.INTEGER,
        "months",
        "Suspension unresolved this long goes to termination",
        "[EX] §7.3 3 months",
        (AtLeast(_n(1), "a suspension lasts at least a month before termination"),),
    ),
    # Tekun (§5.2)
    Definition(
        "tekun.obligor.dibao_age",
        Kind.INTEGER,
        "years",
        "A Dibao obligor this old cannot perform (K3.2)",
        "[N, S4]",
        (AtMost(_n(60), "the national age is 60"),),
    ),
    Definition(
        "tekun.obligor.elderly_age",
        Kind.INTEGER,
        "years",
        "An obligor this old may be unable (K3.3)",
        "[N, S4]",
        (AtMost(_n(70), "the national age is 70"),),
    ),
    Definition(
        "tekun.obligor.disability",
        Kind.GRADES,
        "grade threshold",
        "Obligor disabilities of K3.4",
        "[N, S4]",
        (CoversGrades(_SEVERE, "K3.4 is national"),),
    ),
    Definition(
        "tekun.selfcare.partial_from",
        Kind.INTEGER,
        "items not achieved",
        "Partial loss of self-care from",
        "[N*, S51]",
        (AtMost(_n(1), "one item lost is partial loss"), _NON_NEGATIVE),
    ),
    Definition(
        "tekun.selfcare.complete_from",
        Kind.INTEGER,
        "items not achieved",
        "Complete loss of self-care from",
        "[N*, S51]",
        (AtMost(_n(4), "four items lost is complete loss"), AtLeast(_n(2), "above partial")),
    ),
    Definition(
        "tekun.basic.ratio",
        Kind.RATIO,
        "× S",
        "Tekun basic-living standard",
        "[L, S23, S29] commonly 1.3; [D] floor 1 so Tekun never pays less than Dibao's standard",
        (AtLeast(_n(1), "Tekun precedence must not leave a person below the Dibao standard"),),
    ),
    Definition(
        "tekun.rounding",
        Kind.TEXT,
        "rule",
        "Rounding of the basic-living standard",
        "[D] §3 411.67 → 412",
        (OneOf(frozenset({"yuan_half_up", "fen_half_up"}), "published standards are rounded half up"),),
    ),
    Definition(
        "tekun.care.full",
        Kind.MONEY,
        "yuan/month",
        "Care allowance, complete loss",
        "[L, S30] EX 650",
        (_NON_NEGATIVE,),
    ),
    Definition(
        "tekun.care.partial",
        Kind.MONEY,
        "yuan/month",
        "Care allowance, partial loss",
        "[L, S30] EX 325",
        (_NON_NEGATIVE,),
    ),
    Definition(
        "tekun.care.self",
        Kind.MONEY,
        "yuan/month",
        "Care allowance, self-care",
        "[L, S30] EX 195",
        (_NON_NEGATIVE,),
    ),
    Definition(
        "tekun.termination.notice_days",
        Kind.INTEGER,
        "days",
        "Notice before a Tekun termination",
        "[N, S49]",
        (AtLeast(_n(7), "the national notice lasts 7 days"),),
    ),
    Definition(
        "tekun.termination.objection_wd",
        Kind.INTEGER,
        "working days",
        "Decision on a termination objection",
        "[N, S49]",
        (AtMost(_n(15), "the national limit is 15 working days"),),
    ),
    # Temporary assistance (§5.3)
    Definition(
        "ta.base", Kind.MONEY, "yuan", "TA base amount", "[L, S31] urban monthly standard", (_NON_NEGATIVE,)
    ),
    Definition("ta.urgent.t1", Kind.RATIO, "× base", "Urgent tier T1", "[L, S32] ≥ 2×", (_NON_NEGATIVE,)),
    Definition("ta.urgent.t2", Kind.RATIO, "× base", "Urgent tier T2", "[EX]", (_NON_NEGATIVE,)),
    Definition("ta.urgent.t3", Kind.RATIO, "× base", "Urgent tier T3", "[L, S31] 6×", (_NON_NEGATIVE,)),
    Definition(
        "ta.cap", Kind.RATIO, "× base", "Per-event cap before 一事一议", "[L, S33] 10×", (_NON_NEGATIVE,)
    ),
    Definition(
        "ta.township_limit",
        Kind.MONEY,
        "yuan/event",
        "Township approval limit",
        "SEED-4 (EX 2,000)",
        (_NON_NEGATIVE,),
    ),
    Definition(
        "ta.expense.bands",
        Kind.TEXT,
        "yuan:tier,…",
        "Expenditure-TA tiers by 12-month out-of-pocket",
        "[EX] illustrative",
    ),
    Definition(
        "ta.expense.income_ceiling",
        Kind.MONEY,
        "yuan/person/month",
        "Expenditure-TA income ceiling",
        "[N*, S34] previous-year disposable income; EX 2,000",
        (_NON_NEGATIVE,),
    ),
    Definition(
        "ta.advance.hours", Kind.INTEGER, "hours", "Advance aid paid within", "[L, S35]", (_NON_NEGATIVE,)
    ),
    Definition(
        "ta.advance.paperwork_wd",
        Kind.INTEGER,
        "working days",
        "Paperwork after advance aid",
        "[L, S35] (Ningguo 20 [L, S36])",
        (_NON_NEGATIVE,),
    ),
    Definition(
        "ta.same_event.window_months",
        Kind.INTEGER,
        "months",
        "One application per event per window",
        "[L, S31]",
        (_NON_NEGATIVE,),
    ),
    # Two disability subsidies (§5.4)
    Definition(
        "dls.amount",
        Kind.MONEY,
        "yuan/month",
        "Disability living subsidy",
        "[L, S37] Gansu floor",
        (_NON_NEGATIVE,),
    ),
    Definition(
        "dls.extend_to_marginal", Kind.FLAG, "flag", "DLS also for marginal households", "[N] may extend"
    ),
    Definition(
        "dcs.eligible",
        Kind.GRADES,
        "grade threshold",
        "Who gets the care subsidy",
        "[N, S7] grade 1–2",
        (CoversGrades("ANY:2", "grade 1–2 is national"),),
    ),
    Definition(
        "dcs.high_grades", Kind.GRADES, "grade threshold", "Who gets the higher care amount", "[L, S37]"
    ),
    Definition(
        "dcs.amount.high",
        Kind.MONEY,
        "yuan/month",
        "Care subsidy, higher amount",
        "[L, S37] Gansu",
        (_NON_NEGATIVE,),
    ),
    Definition(
        "dcs.amount.low",
        Kind.MONEY,
        "yuan/month",
        "Care subsidy, other grade 2",
        "[L, S37] Gansu",
        (_NON_NEGATIVE,),
    ),
    Definition(
        "stacking.tekun_with_dls",
        Kind.FLAG,
        "flag",
        "Tekun persons may also get the DLS",
        "[L, S42] no; configurable (§5.8)",
    ),
    Definition(
        "stacking.tekun_with_dcs",
        Kind.FLAG,
        "flag",
        "Tekun persons may also get the DCS",
        "[L, S42] no; some provinces pay it (§5.8)",
    ),
    # Children (§5.5)
    Definition(
        "orphan.scattered.monthly",
        Kind.MONEY,
        "yuan/month",
        "Scattered-orphan standard",
        "[EX] illustrative 1,600",
        (_NON_NEGATIVE,),
    ),
    Definition(
        "orphan.institutional.monthly",
        Kind.MONEY,
        "yuan/month",
        "Institutional-orphan standard",
        "[L] set locally; not in EX-GY",
        (_NON_NEGATIVE,),
        required=False,
    ),
    Definition(
        "orphan.school_continuation",
        Kind.FLAG,
        "flag",
        "Allowance continues after 18 while in school",
        "[L, S56]",
    ),
    Definition(
        "fuc.monthly",
        Kind.MONEY,
        "yuan/month",
        "FUC allowance",
        "SEED-3: the scattered-orphan standard",
        (_NON_NEGATIVE,),
    ),
    Definition(
        "fuc.parent.absence_months",
        Kind.INTEGER,
        "months",
        "Deprivation of liberty or lost contact",
        "[N*, S20, S57] 6 months",
        (AtMost(_n(6), "the national period is 6 months"),),
    ),
    Definition(
        "fuc.parent.disability",
        Kind.GRADES,
        "grade threshold",
        "A parent's severe disability",
        "[N*, S58]",
        (CoversGrades("ANY:2,INTELLECTUAL:4,MENTAL:4", "the national definition"),),
    ),
    Definition(
        "fuc.local_conditions",
        Kind.TEXT_LIST,
        "condition codes",
        "Parent conditions a province adds",
        "[L, S57] Guangdong",
    ),
    # Disbursement (§11.1); read by the disbursement service: a township named pays a quarter at a time
    Definition(
        "payment.quarterly.townships",
        Kind.TEXT_LIST,
        "township codes",
        "Rural townships paid quarterly, by the 10th of the quarter's first month",
        "[L/N*, S63, S64] DOMAIN §11.1",
        (Townships("the townships paid quarterly are named by their 12-digit codes"),),
        required=False,
    ),
    # Disbursement (§11.4); read by the disbursement service, which refuses to offset without it
    Definition(
        "recovery.offset.max_share",
        Kind.RATIO,
        "× a month's payment",
        "Most of a month's payment an overpayment offset may take",
        "[D] DOMAIN §11.4; EX 30%",
        _SHARE,
        required=False,
    ),
)

CATALOGUE: Mapping[str, Definition] = MappingProxyType({d.key: d for d in _DEFINITIONS})
