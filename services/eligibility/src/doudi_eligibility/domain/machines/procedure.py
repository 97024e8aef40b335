"""The Dibao/Tekun application procedure from acceptance to decision (DOMAIN §5.1.7, §6, §7.2 rows 9–25).

Keys read: ``democratic_review.mode``, ``dibao.confirm.authority``, ``notice.days``, ``notice.day_kind``,
``dibao.deadline.wd``, ``dibao.deadline.ext_wd``, ``dibao.refusal_letter.wd``,
``dibao.county_survey.sample_ratio`` (optional).

    ACCEPTED → INVESTIGATING (verification report ∥ home survey; both must finish)
      → DEMOCRATIC_REVIEW (mode ALWAYS) → INITIAL_OPINION
      → PUBLIC_NOTICE ─objection→ OBJECTION_INVESTIGATION
          → (DEMOCRATIC_REVIEW when ON_OBJECTION) → INITIAL_OPINION
      → CONFIRMATION_REVIEW (a negative opinion goes here directly) → APPROVED | REJECTED
    any non-final state → WITHDRAWN

Each step names the roles allowed to take it; confirmation belongs to the county, or to the township where
``dibao.confirm.authority`` delegates it. Deadlines are working days on the official calendar, counted from
the day after the trigger (§6 clock rules). A notice posted on day d runs d … d + days − 1 (H01: 12–18 March);
in working-day mode, its days are the first ``notice.days`` working days from d. A county home survey is
mandatory before the decision (to confirm or to refuse) when a near relative of staff is registered
(§12.2) or a complaint was received (an objection during a notice), or when the case falls in the county's
sample (row 21); a complaint received after a county survey needs a new one. The staff member a
registration names recuses from the case's steps (``require_not_recused``), and from the reviews of the
entitlement an approved case made, where an existing beneficiary is registered too. The deciding authority may
return the file for more investigation (row 20): it goes back to the initial opinion, the township may
survey the household again, and a new positive opinion is posted again; the clock keeps running. The
county alone extends the time limit, once, to the longer limit for a complex case, with a reason (§6,
row 24).

The disability subsidies and the child allowances follow the shorter procedure of §7.5 (``short``): the
township checks and gives its opinion, the county decides; there is no democratic review and no public
notice. For the two disability subsidies the disabled persons' federation (残联) reviews the file between
the township and the county (``federation_review_required``): the county approves only after that review
and never against a review that does not confirm; it may refuse without waiting for it. A positive
opinion that must not be posted (a Tekun minor, row 15) also goes straight to confirmation.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from fractions import Fraction

from doudi_common.calendar import WorkingDayCalendar
from doudi_common.parameters import Parameters
from doudi_common.period import Period
from doudi_eligibility.domain.machines.roles import IllegalTransition, Role, require_role
from doudi_eligibility.domain.near_relative import require_not_recused


class Step(StrEnum):
    ACCEPTED = "ACCEPTED"
    INVESTIGATING = "INVESTIGATING"
    DEMOCRATIC_REVIEW = "DEMOCRATIC_REVIEW"
    INITIAL_OPINION = "INITIAL_OPINION"
    PUBLIC_NOTICE = "PUBLIC_NOTICE"
    OBJECTION_INVESTIGATION = "OBJECTION_INVESTIGATION"
    CONFIRMATION_REVIEW = "CONFIRMATION_REVIEW"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"


FINAL = frozenset({Step.APPROVED, Step.REJECTED, Step.WITHDRAWN})
_TOWNSHIP = frozenset({Role.TOWNSHIP})
_REVIEWERS = frozenset({Role.TOWNSHIP, Role.VILLAGE})
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Case:
    case_id: str
    step: Step
    accepted_on: date
    report_done: bool = False
    survey_done: bool = False
    positive_opinion: bool | None = None
    notice_start: date | None = None
    notice_end: date | None = None
    objections: int = 0
    #: Row 21: the county surveys before the decision (sampled, or mandatory below).
    county_survey_required: bool = False
    county_survey_done: bool = False
    #: Row 21, §12.2: mandatory, because a near relative of staff is registered or a complaint was received.
    county_survey_mandatory: bool = False
    #: §12.2: the staff user ids registered as near relatives of the household; they recuse from the case.
    recused: tuple[str, ...] = ()
    extension_reason: str | None = None
    decided_on: date | None = None
    #: The shorter procedure of §7.5: no democratic review, no public notice.
    short: bool = False
    #: How many times the deciding authority returned the file for more investigation (row 20).
    returns: int = 0
    #: §7.5: the disability subsidies are reviewed by the disabled persons' federation before the decision.
    federation_review_required: bool = False
    #: The federation's review: True confirms, False does not, None while it has not reviewed.
    federation_confirmed: bool | None = None

    @classmethod
    def accepted(
        cls,
        case_id: str,
        on: date,
        *,
        county_survey_required: bool = False,
        short: bool = False,
        federation_review_required: bool = False,
    ) -> Case:
        return cls(
            case_id,
            Step.ACCEPTED,
            on,
            county_survey_required=county_survey_required,
            short=short,
            federation_review_required=federation_review_required,
        )

    def _expect(self, step_name: str, *allowed: Step) -> None:
        if self.step not in allowed:
            raise IllegalTransition(f"case {self.case_id}", self.step.value, step_name)

    def start_investigation(self, actor: Role) -> Case:
        """Row 9: the verification request and the survey task go out together."""
        self._expect("start investigation", Step.ACCEPTED)
        require_role(actor, "start investigation", frozenset({Role.SYSTEM, Role.TOWNSHIP}))
        return replace(self, step=Step.INVESTIGATING)

    def _after_investigation(self, params: Parameters) -> Case:
        if not (self.report_done and self.survey_done):
            return self
        always = params.text("democratic_review.mode") == "ALWAYS" and not self.short
        return replace(self, step=Step.DEMOCRATIC_REVIEW if always else Step.INITIAL_OPINION)

    def record_report(self, actor: Role, params: Parameters) -> Case:
        self._expect("record the verification report", Step.INVESTIGATING)
        require_role(actor, "record the verification report", frozenset({Role.VERIFICATION_CENTRE}))
        return replace(self, report_done=True)._after_investigation(params)

    def record_home_survey(self, actor: Role, params: Parameters) -> Case:
        """Row 11; and again at the initial opinion of a file returned for more investigation (row 20)."""
        if self.step is Step.INITIAL_OPINION and self.returns:
            require_role(actor, "record the home survey", _TOWNSHIP)
            return self
        self._expect("record the home survey", Step.INVESTIGATING)
        require_role(actor, "record the home survey", _TOWNSHIP)
        return replace(self, survey_done=True)._after_investigation(params)

    def record_democratic_review(self, actor: Role) -> Case:
        self._expect("record the democratic review", Step.DEMOCRATIC_REVIEW)
        require_role(actor, "record the democratic review", _REVIEWERS)
        return replace(self, step=Step.INITIAL_OPINION)

    def give_opinion(
        self,
        positive: bool,
        on: date,
        actor: Role,
        params: Parameters,
        calendar: WorkingDayCalendar,
        *,
        post: bool = True,
    ) -> Case:
        """Rows 14–16: a positive opinion is posted from the next day; a negative one goes to confirmation,
        and so does a positive one that is not posted (``post`` false, or the short procedure)."""
        self._expect("give an initial opinion", Step.INITIAL_OPINION)
        require_role(actor, "give an initial opinion", _TOWNSHIP)
        if not positive:
            return replace(self, step=Step.CONFIRMATION_REVIEW, positive_opinion=False)
        if self.short or not post:
            return replace(self, step=Step.CONFIRMATION_REVIEW, positive_opinion=True)
        start = on + _DAY
        return replace(
            self,
            step=Step.PUBLIC_NOTICE,
            positive_opinion=True,
            notice_start=start,
            notice_end=notice_end(start, params, calendar),
        )

    def raise_objection(self, on: date, actor: Role) -> Case:
        """Row 17: an objection during the notice sends the case back to investigation."""
        self._expect("receive an objection", Step.PUBLIC_NOTICE)
        require_role(
            actor, "raise an objection", frozenset({Role.PUBLIC, Role.VILLAGE, Role.TOWNSHIP, Role.COUNTY})
        )
        assert self.notice_start is not None and self.notice_end is not None
        if not self.notice_start <= on <= self.notice_end:
            raise IllegalTransition(f"case {self.case_id}", self.step.value, f"receive an objection on {on}")
        # Row 21: a complaint makes the county's survey mandatory; one made before it did not look into it.
        return replace(
            self,
            step=Step.OBJECTION_INVESTIGATION,
            objections=self.objections + 1,
            county_survey_required=True,
            county_survey_mandatory=True,
            county_survey_done=False,
        )

    def register_near_relative(self, staff_user_id: str, actor: Role) -> Case:
        """§12.2: the household is a near relative of staff; the county must survey it before the decision
        (row 21) and the staff member recuses. A county survey already recorded stays valid: it was the
        county's own. Registering the same staff member again changes nothing.

        An approved case is an existing beneficiary's: the staff member is listed and recuses from its
        entitlement's reviews (which must still run: ``Entitlement.register_near_relative``); its county
        survey flags stay as they were when it was decided. A refused or withdrawn case is not registered."""
        if self.step in FINAL - {Step.APPROVED}:
            raise IllegalTransition(f"case {self.case_id}", self.step.value, "register a near relative")
        require_role(actor, "register a near relative", frozenset({Role.TOWNSHIP, Role.COUNTY}))
        staff = staff_user_id.strip()
        if not staff:
            raise ValueError("a near-relative registration names the staff member")
        recused = tuple(sorted({*self.recused, staff}))
        if self.step is Step.APPROVED:
            return replace(self, recused=recused)
        return replace(self, county_survey_required=True, county_survey_mandatory=True, recused=recused)

    @property
    def near_relative_registered(self) -> bool:
        return bool(self.recused)

    def require_not_recused(self, step: str, *staff: str) -> None:
        """§12.2: refuses ``step`` when any of ``staff`` (who acts, who surveys) is a registered relative."""
        require_not_recused(self.case_id, self.recused, staff, step)

    def conclude_objection(self, actor: Role, params: Parameters) -> Case:
        """Row 18, or democratic review first where it runs only on objection (§5.1.7)."""
        self._expect("conclude the objection investigation", Step.OBJECTION_INVESTIGATION)
        require_role(actor, "conclude the objection investigation", _TOWNSHIP)
        on_objection = params.text("democratic_review.mode") == "ON_OBJECTION"
        return replace(self, step=Step.DEMOCRATIC_REVIEW if on_objection else Step.INITIAL_OPINION)

    def close_notice(self, today: date, actor: Role) -> Case:
        """Row 19: the notice ran its full length without objection; the file goes to confirmation."""
        self._expect("close the public notice", Step.PUBLIC_NOTICE)
        require_role(actor, "close the public notice", frozenset({Role.SYSTEM, Role.TOWNSHIP}))
        assert self.notice_end is not None
        if today <= self.notice_end:
            raise IllegalTransition(
                f"case {self.case_id}", self.step.value, f"close the notice before {self.notice_end}"
            )
        return replace(self, step=Step.CONFIRMATION_REVIEW)

    def record_county_survey(self, actor: Role) -> Case:
        self._expect("record a county home survey", Step.CONFIRMATION_REVIEW)
        require_role(actor, "record a county home survey", frozenset({Role.COUNTY}))
        return replace(self, county_survey_done=True)

    def return_for_investigation(self, actor: Role, params: Parameters) -> Case:
        """Row 20: the confirming authority sends the file back; the clock keeps running."""
        self._expect("return the file", Step.CONFIRMATION_REVIEW)
        require_role(actor, "return the file", confirming_roles(params))
        # A new opinion goes to the federation again.
        return replace(self, step=Step.INITIAL_OPINION, returns=self.returns + 1, federation_confirmed=None)

    def record_federation_review(self, confirmed: bool, actor: Role) -> Case:
        """§7.5 DS_TOWNSHIP_REVIEWED → DS_CDPF_REVIEWED: the federation's review of the township's file,
        relayed by its system or entered by the county from the federation's written review."""
        self._expect("record the federation's review", Step.CONFIRMATION_REVIEW)
        require_role(actor, "record the federation's review", frozenset({Role.FEDERATION, Role.COUNTY}))
        if not self.federation_review_required:
            raise IllegalTransition(
                f"case {self.case_id}", self.step.value, "record a federation review its programme has not"
            )
        if self.federation_confirmed is not None:
            raise IllegalTransition(
                f"case {self.case_id}", self.step.value, "record the federation's review again"
            )
        return replace(self, federation_confirmed=confirmed)

    def decide(
        self,
        eligible: bool,
        on: date,
        actor: Role,
        params: Parameters,
        *,
        roles: frozenset[Role] | None = None,
    ) -> Case:
        """Rows 22–23: confirm or refuse. ``roles`` replaces the confirming authority where the programme
        sets its own (temporary assistance: by the event total, §7.4)."""
        self._expect("decide", Step.CONFIRMATION_REVIEW)
        require_role(actor, "decide", roles if roles is not None else confirming_roles(params))
        if self.county_survey_required and not self.county_survey_done:
            raise IllegalTransition(
                f"case {self.case_id}", self.step.value, "decide before the mandatory county survey"
            )
        # §7.5: the federation reviews what is to be approved; a refusal on other grounds need not wait.
        if eligible and self.federation_review_required and self.federation_confirmed is None:
            raise IllegalTransition(
                f"case {self.case_id}",
                self.step.value,
                "approve before the disabled persons' federation's review",
            )
        if eligible and self.federation_confirmed is False:
            raise IllegalTransition(
                f"case {self.case_id}", self.step.value, "approve what the federation did not confirm"
            )
        approve = eligible and bool(self.positive_opinion)
        return replace(self, step=Step.APPROVED if approve else Step.REJECTED, decided_on=on)

    def withdraw(self, actor: Role) -> Case:
        if self.step in FINAL:
            raise IllegalTransition(f"case {self.case_id}", self.step.value, "withdraw")
        require_role(actor, "withdraw", frozenset({Role.APPLICANT, Role.TOWNSHIP}))
        return replace(self, step=Step.WITHDRAWN)

    def extend(self, reason: str, actor: Role) -> Case:
        """Row 24: an extension to the longer deadline needs a recorded reason and the county; there is
        one longer limit, so a case is extended once."""
        if self.step in FINAL:
            raise IllegalTransition(f"case {self.case_id}", self.step.value, "extend the deadline")
        require_role(actor, "extend the deadline", frozenset({Role.COUNTY}))
        if self.extension_reason:
            raise IllegalTransition(f"case {self.case_id}", self.step.value, "extend the deadline again")
        if not reason.strip():
            raise ValueError("an extension needs a reason")
        return replace(self, extension_reason=reason.strip())

    def deadline(self, params: Parameters, calendar: WorkingDayCalendar) -> date:
        key = "dibao.deadline.ext_wd" if self.extension_reason else "dibao.deadline.wd"
        return calendar.add_working_days(self.accepted_on, params.integer(key))

    def is_overdue(self, today: date, params: Parameters, calendar: WorkingDayCalendar) -> bool:
        return self.step not in FINAL and today > self.deadline(params, calendar)

    @property
    def first_month(self) -> Period | None:
        """The first benefit month: the month after approval (§6)."""
        if self.step is not Step.APPROVED or self.decided_on is None:
            return None
        return Period.of(self.decided_on).next()

    def refusal_letter_due(self, params: Parameters, calendar: WorkingDayCalendar) -> date | None:
        if self.step is not Step.REJECTED or self.decided_on is None:
            return None
        return calendar.add_working_days(self.decided_on, params.integer("dibao.refusal_letter.wd"))


def confirming_roles(params: Parameters) -> frozenset[Role]:
    """The county confirms; where it delegates, the township does (and the county keeps its supervision)."""
    if params.text("dibao.confirm.authority") == "TOWNSHIP":
        return frozenset({Role.TOWNSHIP, Role.COUNTY})
    return frozenset({Role.COUNTY})


def in_county_sample(case_id: str, params: Parameters) -> bool:
    """Row 21: whether the county surveys this case by sampling. The draw is a stable hash of the case id
    against ``dibao.county_survey.sample_ratio`` (none without the key), so it cannot be steered by
    choosing when to ask and every replica draws the same."""
    key = "dibao.county_survey.sample_ratio"
    ratio = params.ratio(key) if params.has(key) else Fraction(0)
    return sample_draw(case_id) < ratio


def sample_draw(case_id: str) -> Fraction:
    """A case's fixed draw in [0, 1)."""
    digest = hashlib.sha256(case_id.encode()).digest()
    return Fraction(int.from_bytes(digest[:8], "big"), 1 << 64)


def notice_end(start: date, params: Parameters, calendar: WorkingDayCalendar) -> date:
    """The last day of a notice posted on ``start``."""
    days = params.integer("notice.days")
    if params.text("notice.day_kind") == "working":
        return calendar.add_working_days(start - _DAY, days)
    return start + timedelta(days=days - 1)
