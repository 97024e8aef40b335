"""The entitlement lifecycle: from approval to termination, with reviews, 渐退, suspension and appeals
(DOMAIN §7.3, §5.1.6, §5.2.5, §7.6).

Keys read: ``entitlement.suspension.max_months``, ``tekun.termination.notice_days``,
``dibao.confirm.authority``.

    PENDING_START → ACTIVE ⇄ UNDER_REVIEW → ACTIVE | GRADUAL_EXIT | TERMINATION_PENDING
    ACTIVE/UNDER_REVIEW → SUSPENDED → ACTIVE (arrears for the held months) | TERMINATION_PENDING
    GRADUAL_EXIT → ACTIVE (income falls back, no new application) | TERMINATED (end month passed)
    TERMINATION_PENDING → TERMINATED (Dibao: written notice; Tekun: after the notice with no objection)
    any → TERMINATED on confirmed fraud; any → the state before a decision an appeal reverses

Every change of amount or state takes effect from the month after its decision. Suspension holds
payments without cancelling them, so resuming owes every held month.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from doudi_common.parameters import Parameters
from doudi_common.period import Period, months_between
from doudi_eligibility.domain.explain import Programme
from doudi_eligibility.domain.machines.procedure import confirming_roles
from doudi_eligibility.domain.machines.roles import IllegalTransition, Role, require_role
from doudi_eligibility.domain.rules.dibao_changes import ReviewOutcome, ReviewResult, TerminationReason


class State(StrEnum):
    PENDING_START = "PENDING_START"
    ACTIVE = "ACTIVE"
    UNDER_REVIEW = "UNDER_REVIEW"
    GRADUAL_EXIT = "GRADUAL_EXIT"
    SUSPENDED = "SUSPENDED"
    TERMINATION_PENDING = "TERMINATION_PENDING"
    TERMINATED = "TERMINATED"


_LOCAL = frozenset({Role.TOWNSHIP, Role.SYSTEM})


@dataclass(frozen=True)
class Entitlement:
    entitlement_id: str
    programme: Programme
    state: State
    monthly_amount_fen: int
    start_month: Period
    gradual_exit_last_month: Period | None = None
    suspended_from: Period | None = None
    termination_reason: TerminationReason | None = None
    termination_notice_start: date | None = None
    #: The first month no longer paid.
    terminated_from: Period | None = None
    #: The first month the last change of amount or state applies to (arrears run from it on reversal).
    changed_from: Period | None = None
    #: The state before the last decision, to which an appeal that reverses it returns.
    previous: Entitlement | None = None
    #: The first month no longer paid of the Dibao whose end put this entitlement under review (§5.4 where
    #: the DLS extends to marginal households), while that review is open.
    reviewed_with_dibao: Period | None = None

    @classmethod
    def approved(
        cls, entitlement_id: str, programme: Programme, amount_fen: int, decided_on: date
    ) -> Entitlement:
        """Row 22 of §7.2: the entitlement waits for its first month, the month after the decision."""
        return cls(entitlement_id, programme, State.PENDING_START, amount_fen, Period.of(decided_on).next())

    def _expect(self, step: str, *allowed: State) -> None:
        if self.state not in allowed:
            raise IllegalTransition(f"entitlement {self.entitlement_id}", self.state.value, step)

    def _move(self, **changes: object) -> Entitlement:
        return replace(self, previous=self, **changes)  # type: ignore[arg-type]

    def activate(self, month: Period, actor: Role) -> Entitlement:
        self._expect("activate", State.PENDING_START)
        require_role(actor, "activate", frozenset({Role.SYSTEM}))
        if month < self.start_month:
            raise IllegalTransition(
                f"entitlement {self.entitlement_id}", self.state.value, f"activate before {self.start_month}"
            )
        return self._move(state=State.ACTIVE)

    def register_near_relative(self, actor: Role) -> None:
        """§12.2, an existing beneficiary: the household is registered as a near relative of staff while its
        entitlement runs (in any state but TERMINATED); the staff member then recuses from its reviews and
        decisions. The entitlement itself does not move."""
        self._expect("register a near relative", *(s for s in State if s is not State.TERMINATED))
        require_role(actor, "register a near relative", frozenset({Role.TOWNSHIP, Role.COUNTY}))

    def start_review(self, actor: Role) -> Entitlement:
        """A periodic review, a monitoring trigger or a reported change; payments continue."""
        self._expect("start a review", State.ACTIVE)
        require_role(actor, "start a review", _LOCAL | {Role.COUNTY})
        return self._move(state=State.UNDER_REVIEW)

    def apply_review(self, outcome: ReviewOutcome, actor: Role, params: Parameters) -> Entitlement:
        self._expect("apply a review", State.UNDER_REVIEW)
        require_role(actor, "apply a review", confirming_roles(params))
        if outcome.result is ReviewResult.GRADUAL_EXIT:
            return self._move(
                state=State.GRADUAL_EXIT,
                gradual_exit_last_month=outcome.gradual_exit_last_month,
                reviewed_with_dibao=None,
            )
        if outcome.result is ReviewResult.TERMINATE:
            return self._move(
                state=State.TERMINATION_PENDING,
                termination_reason=outcome.termination_reason,
                reviewed_with_dibao=None,
            )
        return self._move(
            state=State.ACTIVE, monthly_amount_fen=outcome.monthly_amount_fen, reviewed_with_dibao=None
        )

    def return_from_gradual_exit(
        self, amount_fen: int, decided_in: Period, actor: Role, params: Parameters
    ) -> Entitlement:
        """Income fell back below S during 渐退 (any review): the recomputed amount from the month after the
        decision, no new application (H06a). Once the last frozen month has passed the exit has run its
        course, even before the sweep records it: re-entry is a new application (§7.3 ``TERMINATED``)."""
        self._expect("return from gradual exit", State.GRADUAL_EXIT)
        require_role(actor, "return from gradual exit", confirming_roles(params))
        if amount_fen <= 0:
            raise ValueError("an entitlement that returns to ACTIVE pays a positive amount")
        assert self.gradual_exit_last_month is not None
        if decided_in > self.gradual_exit_last_month:
            step = f"return from a gradual exit that ended after {self.gradual_exit_last_month}"
            raise IllegalTransition(f"entitlement {self.entitlement_id}", self.state.value, step)
        return self._move(
            state=State.ACTIVE,
            monthly_amount_fen=amount_fen,
            gradual_exit_last_month=None,
            changed_from=decided_in.next(),
        )

    def end_gradual_exit(self, month: Period, actor: Role) -> Entitlement:
        """After the last frozen month the entitlement ends for income above the standard."""
        self._expect("end the gradual exit", State.GRADUAL_EXIT)
        require_role(actor, "end the gradual exit", frozenset({Role.SYSTEM}))
        assert self.gradual_exit_last_month is not None
        if month <= self.gradual_exit_last_month:
            step = f"end the gradual exit before {self.gradual_exit_last_month.next()}"
            raise IllegalTransition(f"entitlement {self.entitlement_id}", self.state.value, step)
        return self._move(
            state=State.TERMINATED,
            termination_reason=TerminationReason.INCOME_ABOVE_STD,
            terminated_from=self.gradual_exit_last_month.next(),
        )

    def exit_voluntarily(self, decided_on: date, actor: Role) -> Entitlement:
        """The household's own request (§7.3), made by it or recorded for it by the township or county."""
        self._expect("exit voluntarily", State.ACTIVE, State.GRADUAL_EXIT)
        require_role(actor, "exit voluntarily", frozenset({Role.APPLICANT, Role.TOWNSHIP, Role.COUNTY}))
        return self._move(
            state=State.TERMINATED,
            termination_reason=TerminationReason.VOLUNTARY,
            terminated_from=Period.of(decided_on).next(),
        )

    def sanction(self, amount_fen: int, actor: Role) -> Entitlement:
        """Work refusal ×3: the county stops the member's share; the entitlement stays active."""
        self._expect("apply a work-refusal sanction", State.ACTIVE)
        require_role(actor, "apply a work-refusal sanction", frozenset({Role.COUNTY}))
        return self._move(monthly_amount_fen=amount_fen)

    def suspend(self, from_month: Period, actor: Role) -> Entitlement:
        self._expect("suspend", State.ACTIVE, State.UNDER_REVIEW)
        require_role(actor, "suspend", frozenset({Role.TOWNSHIP, Role.COUNTY}))
        return self._move(state=State.SUSPENDED, suspended_from=from_month)

    def resume(self, month: Period, actor: Role) -> tuple[Entitlement, int]:
        """Resolved in the household's favour: payments resume and every held month is owed."""
        self._expect("resume", State.SUSPENDED)
        require_role(actor, "resume", frozenset({Role.TOWNSHIP, Role.COUNTY}))
        assert self.suspended_from is not None
        held = max(0, months_between(self.suspended_from, month))
        resumed = self._move(state=State.ACTIVE, suspended_from=None, reviewed_with_dibao=None)
        return resumed, held * self.monthly_amount_fen

    def escalate_suspension(
        self, month: Period, actor: Role, params: Parameters, *, fraud: bool = False
    ) -> Entitlement:
        self._expect("escalate a suspension", State.SUSPENDED)
        require_role(actor, "escalate a suspension", frozenset({Role.COUNTY}))
        assert self.suspended_from is not None
        limit = params.integer("entitlement.suspension.max_months")
        if not fraud and months_between(self.suspended_from, month) < limit:
            step = f"escalate before {limit} months of suspension"
            raise IllegalTransition(f"entitlement {self.entitlement_id}", self.state.value, step)
        reason = TerminationReason.FRAUD if fraud else TerminationReason.NON_COOPERATION
        return self._move(state=State.TERMINATION_PENDING, termination_reason=reason)

    def post_termination_notice(self, on: date, actor: Role) -> Entitlement:
        """Tekun (§5.2.5): the county posts a notice before terminating."""
        self._expect("post a termination notice", State.TERMINATION_PENDING)
        require_role(actor, "post a termination notice", frozenset({Role.COUNTY}))
        return replace(self, termination_notice_start=on)

    def terminate(self, decided_on: date, actor: Role, params: Parameters) -> Entitlement:
        """Stop from the month after; Tekun only once its notice ran without objection."""
        self._expect("terminate", State.TERMINATION_PENDING)
        require_role(actor, "terminate", confirming_roles(params))
        if self.programme is Programme.TEKUN:
            start = self.termination_notice_start
            days = params.integer("tekun.termination.notice_days")
            if start is None or decided_on < start + timedelta(days=days):
                step = "terminate before its termination notice has run"
                raise IllegalTransition(f"entitlement {self.entitlement_id}", self.state.value, step)
        return self._move(state=State.TERMINATED, terminated_from=Period.of(decided_on).next())

    def terminate_for_fraud(self, decided_on: date, actor: Role) -> Entitlement:
        if self.state is State.TERMINATED:
            raise IllegalTransition(
                f"entitlement {self.entitlement_id}", self.state.value, "terminate for fraud"
            )
        require_role(actor, "terminate for fraud", frozenset({Role.COUNTY}))
        return self._move(
            state=State.TERMINATED,
            termination_reason=TerminationReason.FRAUD,
            terminated_from=Period.of(decided_on).next(),
        )

    def end_with_dibao(self, terminated_from: Period, actor: Role) -> Entitlement:
        """§5.4, §7.5: a disability living subsidy stops when the Dibao it rests on stops, from the same
        month (never before its own first month)."""
        if self.state is State.TERMINATED:
            raise IllegalTransition(
                f"entitlement {self.entitlement_id}", self.state.value, "end with the Dibao"
            )
        require_role(actor, "end with the Dibao", frozenset({Role.SYSTEM}))
        return self._move(
            state=State.TERMINATED,
            termination_reason=TerminationReason.DIBAO_ENDED,
            terminated_from=max(terminated_from, self.start_month),
        )

    def ended_with_dibao(self, dibao_terminated_from: Period) -> bool:
        """Whether this entitlement is one ``end_with_dibao`` ended with a Dibao stopping from that month."""
        return (
            self.state is State.TERMINATED
            and self.termination_reason is TerminationReason.DIBAO_ENDED
            and self.terminated_from == max(dibao_terminated_from, self.start_month)
            and self.previous is not None
        )

    def review_with_dibao(self, dibao_terminated_from: Period, actor: Role) -> Entitlement:
        """§5.4 where the locality extends the DLS to marginal households: the end of the Dibao (stopping from
        ``dibao_terminated_from``) puts the subsidy under review, payments continuing; the review remembers
        that end, so that an appeal reversing it can close the review again."""
        self._expect("go under review with the Dibao", State.ACTIVE)
        require_role(actor, "go under review with the Dibao", frozenset({Role.SYSTEM}))
        return self._move(state=State.UNDER_REVIEW, reviewed_with_dibao=dibao_terminated_from)

    def under_review_with_dibao(self, dibao_terminated_from: Period) -> bool:
        """Whether this entitlement is still in the review the end of a Dibao stopping from that month opened
        (suspended during it included; a review concluded, or an entitlement ended since, is not)."""
        return (
            self.state in (State.UNDER_REVIEW, State.SUSPENDED)
            and self.reviewed_with_dibao == dibao_terminated_from
        )

    def restore_with_dibao(self, actor: Role) -> Entitlement:
        """§7.6 with §5.4: the appeal that reverses the end of the Dibao reverses what followed from it, so a
        disability living subsidy ended with the Dibao returns to the state before that end, and one put
        under review by that end (suspended during it or not) returns ACTIVE at its amount."""
        require_role(actor, "restore with the Dibao", frozenset({Role.SYSTEM}))
        if self.reviewed_with_dibao is not None and self.state in (State.UNDER_REVIEW, State.SUSPENDED):
            return self._move(state=State.ACTIVE, suspended_from=None, reviewed_with_dibao=None)
        if self.state is not State.TERMINATED or self.termination_reason is not TerminationReason.DIBAO_ENDED:
            raise IllegalTransition(
                f"entitlement {self.entitlement_id}", self.state.value, "be restored with the Dibao"
            )
        assert self.previous is not None
        return self.previous

    def redetermine(self, amount_fen: int, effective: Period, actor: Role) -> Entitlement:
        """A new standard (a new parameter version) re-determines the amount from ``effective`` (§3, §5.1.6).

        A 渐退 amount stays frozen and an ending entitlement is not re-determined.
        """
        self._expect(
            "re-determine the amount", State.PENDING_START, State.ACTIVE, State.UNDER_REVIEW, State.SUSPENDED
        )
        require_role(actor, "re-determine the amount", frozenset({Role.SYSTEM}))
        return self._move(monthly_amount_fen=amount_fen, changed_from=effective)

    def reverse_on_appeal(self, actor: Role) -> Entitlement:
        """An appeal that revokes the last decision restores the state before it (§7.6); arrears follow.

        A revoked termination pays again. Its notice step (TERMINATION_PENDING) belongs to the decision that
        was revoked, so the entitlement returns ACTIVE at the amount it had, not to a pending end that the
        authority could complete again without a new review.
        """
        require_role(actor, "reverse a decision on appeal", frozenset({Role.REVIEWING_BODY}))
        if self.previous is None:
            raise IllegalTransition(
                f"entitlement {self.entitlement_id}", self.state.value, "reverse on appeal"
            )
        if self.state is State.TERMINATED and self.previous.state is State.TERMINATION_PENDING:
            return replace(
                self.previous,
                state=State.ACTIVE,
                termination_reason=None,
                termination_notice_start=None,
                terminated_from=None,
            )
        return self.previous


def restored_with_dibao(
    entitlement: Entitlement, dibao_terminated_from: Period, restore_from: Period
) -> tuple[Entitlement, int] | None:
    """§7.6 with §5.4, §11.4: what an appeal reversing the end of a Dibao that stopped from
    ``dibao_terminated_from``, paying again from ``restore_from``, does to an entitlement of one of its
    persons. One that ended with it returns to the state before, owed every month it was not paid; one that
    the end put under review returns ACTIVE, owed nothing for the months the review paid and every month a
    suspension during it held. The restored state pays from ``restore_from``; an appeal cannot reverse it
    again. None for an entitlement that did not follow that end."""
    if not (
        entitlement.ended_with_dibao(dibao_terminated_from)
        or entitlement.under_review_with_dibao(dibao_terminated_from)
    ):
        return None
    restored = entitlement.restore_with_dibao(Role.SYSTEM)
    arrears = arrears_after_reversal(entitlement, restored, restore_from)
    return replace(restored, changed_from=restore_from, previous=None), arrears


def arrears_after_reversal(reversed_: Entitlement, restored: Entitlement, restore_from: Period) -> int:
    """What a revoked decision withheld, in fen: for every month from the decision's effect until the restored
    state pays again, the restored amount less what was paid (nothing while suspended or terminated).

    H13: 870 cut to 580 from April, revoked with payments restored from June → 2 × 290 = 580.
    """
    if reversed_.state is State.SUSPENDED:
        start, paid = reversed_.suspended_from, 0
    elif reversed_.state is State.TERMINATED:
        start, paid = reversed_.terminated_from, 0
    else:
        start, paid = reversed_.changed_from, reversed_.monthly_amount_fen
    if start is None:
        return 0
    months = max(0, months_between(start, restore_from))
    return max(0, restored.monthly_amount_fen - paid) * months
