"""A temporary-assistance case as the TA rules see it: the event from the case file, the advance aid already
paid and an earlier application for the same event (DOMAIN §5.3, §7.4).

Keys read: ``dibao.income.period_months`` (the report's reference period), and those of
``rules.temporary_assistance``.

The expenditure test reads the verification report: per-capita monthly income is the report's counted gross
over its reference period and the counted members, and the assets hold when no asset rule failed. The
urgent kind has no income test. Choices where DOMAIN is silent, in the household's favour:
- Per-capita income is rounded down to the fen before it is compared with the ceiling.
- Only an approved earlier application for the same event locks the window; a refused one does not.
- Approval authority follows the event total (tier + what a county meeting adds), the advance included.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from fractions import Fraction

from doudi_common.errors import FailedPrecondition
from doudi_common.parameters import Parameters
from doudi_common.period import Period
from doudi_eligibility.domain.case_file import ApplicationFacts, EventFacts, ReportFacts, SurveyFacts
from doudi_eligibility.domain.explain import Check, Decision, Outcome, Programme, yuan_text
from doudi_eligibility.domain.rules.temporary_assistance import (
    Approver,
    Event,
    Kind,
    TaAssessment,
    advance_limit,
    assess_temporary_assistance,
)

TA_PROGRAMMES = frozenset({Programme.TEMPORARY_ASSISTANCE_URGENT, Programme.TEMPORARY_ASSISTANCE_EXPENDITURE})


def ta_event_of(
    application: ApplicationFacts,
    report: ReportFacts | None,
    survey: SurveyFacts | None,
    event: EventFacts | None,
    *,
    on: date,
    advance_paid_fen: int,
    previous: Period | None,
    meeting_addition_fen: int,
    params: Parameters,
) -> Event:
    if report is None or survey is None or event is None:
        raise FailedPrecondition(
            f"case {application.application_id} needs its report and a home survey with the event's findings"
        )
    counted = max(1, sum(1 for m in application.members if m.counted))
    months = params.integer("dibao.income.period_months")
    per_capita = Fraction(report.gross_income_fen, months * counted)
    urgent = application.programme == Programme.TEMPORARY_ASSISTANCE_URGENT.value
    return Event(
        household_id=application.application_id,
        event_id=event.event_key,
        kind=Kind.URGENT if urgent else Kind.EXPENDITURE,
        applied_in=Period.of(on),
        severity=event.severity,
        out_of_pocket_fen=event.out_of_pocket_fen,
        per_capita_income_fen=int(per_capita),
        assets_hold=all(Outcome(outcome) is not Outcome.FAIL for _, outcome, _ in report.assets),
        previous_application=previous,
        meeting_addition_fen=meeting_addition_fen,
        advance_paid_fen=advance_paid_fen,
    )


@dataclass(frozen=True)
class TaCase:
    """The assessment of the event and the advance aid it counts."""

    assessment: TaAssessment
    advance_paid_fen: int

    @property
    def decision(self) -> Decision:
        return self.assessment.decision

    @property
    def approver(self) -> Approver | None:
        return self.assessment.approver

    @property
    def total_fen(self) -> int:
        return self.assessment.total_fen

    @property
    def remaining_fen(self) -> int:
        """Never below zero: an advance above the grant is an overpayment the reserve fund's regularisation
        names, not a negative payment."""
        return max(0, self.assessment.remaining_fen)


def assess_ta_case(event: Event, params: Parameters) -> TaAssessment:
    """The rule's assessment and, where advance aid was paid, whether it stayed within the township's
    advance limit min(township limit, T1): an advance above it was paid, so it is never held against the
    household (EXEMPT, not FAIL) but the decision says so for the county's supervision."""
    result = assess_temporary_assistance(event, params)
    if not event.advance_paid_fen:
        return result
    limit = advance_limit(params)
    within = event.advance_paid_fen <= limit
    advance = Check(
        "ADVANCE",
        "Advance aid within min(township limit, T1) (§5.3.2, §7.4)",
        Outcome.PASS if within else Outcome.EXEMPT,
        f"已先行救助{yuan_text(event.advance_paid_fen)}元，计入本次救助总额。"
        if within
        else f"已先行救助{yuan_text(event.advance_paid_fen)}元，超过乡镇先行救助限额{yuan_text(limit)}元，"
        "计入本次救助总额并报县级民政部门备查。",
        (("advance paid", yuan_text(event.advance_paid_fen)), ("advance limit", yuan_text(limit))),
        params.cite("ta.township_limit", "ta.urgent.t1", "ta.base"),
    )
    return replace(result, decision=replace(result.decision, checks=(*result.decision.checks, advance)))


__all__ = ["TA_PROGRAMMES", "Approver", "EventFacts", "TaCase", "assess_ta_case", "ta_event_of"]
