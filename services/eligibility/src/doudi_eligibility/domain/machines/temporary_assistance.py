"""The temporary-assistance case from the report of an incident to the township's follow-up (DOMAIN §7.4).

Keys read: ``ta.same_event.window_months``.

    TA_REPORTED ─triage→ TA_URGENT | TA_EXPENDITURE | TA_REFERRED_OUT (emergency management, relief station)
    TA_URGENT ─advance paid→ TA_ADVANCE_PAID ─paperwork→ TA_ASSESSED
    TA_EXPENDITURE ─verified→ TA_ASSESSED
    TA_ASSESSED → TA_APPROVED | TA_PARTIAL (county meeting, minutes attached) | TA_REFUSED
    TA_APPROVED / TA_PARTIAL ─disbursement pays (granted − advance)→ TA_PAID ─follow-up→ TA_CLOSED

After advance aid the post-check may find the facts misrepresented (everything paid is recovered and the
case goes the fraud path) or the aid given in good faith (nothing is recovered). Choices where DOMAIN is
silent:
- An urgent case may be assessed without an advance (the township did not pay one); its paperwork is the
  same as the expenditure kind's.
- A grant with nothing left to pay after the advance is paid at the decision.
- The county meeting's outcome is partial when it grants less than was asked of it.
- What is recovered after misrepresentation is what was paid: the advance, and the rest once paid.
- A misrepresentation is a finding of the county (the fraud path is the county's, §7.3); the township may
  record good faith.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from doudi_common.parameters import Parameters
from doudi_common.period import Period
from doudi_eligibility.domain.machines.roles import IllegalTransition, Role, require_role


class TaState(StrEnum):
    REPORTED = "TA_REPORTED"
    URGENT = "TA_URGENT"
    EXPENDITURE = "TA_EXPENDITURE"
    REFERRED_OUT = "TA_REFERRED_OUT"
    ADVANCE_PAID = "TA_ADVANCE_PAID"
    ASSESSED = "TA_ASSESSED"
    APPROVED = "TA_APPROVED"
    PARTIAL = "TA_PARTIAL"
    REFUSED = "TA_REFUSED"
    PAID = "TA_PAID"
    CLOSED = "TA_CLOSED"


class Triage(StrEnum):
    URGENT = "URGENT"
    EXPENDITURE = "EXPENDITURE"
    REFERRED_OUT = "REFERRED_OUT"


class ReceivingBody(StrEnum):
    """Where triage sends an incident TA does not handle: disasters, vagrants (§7.4)."""

    EMERGENCY_MANAGEMENT = "EMERGENCY_MANAGEMENT"
    RELIEF_STATION = "RELIEF_STATION"


class PostCheck(StrEnum):
    MISREPRESENTED = "MISREPRESENTED"
    GOOD_FAITH = "GOOD_FAITH"


#: Every edge of the machine, for the tests' invariants and the API's documentation.
TRANSITIONS: frozenset[tuple[TaState, TaState]] = frozenset(
    {
        (TaState.REPORTED, TaState.URGENT),
        (TaState.REPORTED, TaState.EXPENDITURE),
        (TaState.REPORTED, TaState.REFERRED_OUT),
        (TaState.URGENT, TaState.ADVANCE_PAID),
        (TaState.ADVANCE_PAID, TaState.ADVANCE_PAID),
        (TaState.URGENT, TaState.ASSESSED),
        (TaState.ADVANCE_PAID, TaState.ASSESSED),
        (TaState.EXPENDITURE, TaState.ASSESSED),
        (TaState.ASSESSED, TaState.APPROVED),
        (TaState.ASSESSED, TaState.PARTIAL),
        (TaState.ASSESSED, TaState.REFUSED),
        (TaState.APPROVED, TaState.PAID),
        (TaState.PARTIAL, TaState.PAID),
        (TaState.PAID, TaState.CLOSED),
    }
)
FINAL = frozenset({TaState.REFERRED_OUT, TaState.REFUSED, TaState.CLOSED})
_GRANTED = frozenset({TaState.APPROVED, TaState.PARTIAL})
_BEFORE_AID = frozenset({TaState.REPORTED, TaState.URGENT, TaState.EXPENDITURE, TaState.REFERRED_OUT})
_TOWNSHIP = frozenset({Role.TOWNSHIP})
#: Triage is the township's; a window that accepts an application for a TA programme has triaged it.
_TRIAGERS = frozenset({Role.TOWNSHIP, Role.SYSTEM})
_DECIDERS = frozenset({Role.TOWNSHIP, Role.COUNTY})


@dataclass(frozen=True)
class TaLifecycle:
    reference: str
    state: TaState
    reported_on: date
    receiving_body: ReceivingBody | None = None
    advance_paid_fen: int = 0
    #: The event total granted, the advance included.
    granted_fen: int = 0
    #: What the county meeting was asked to add, and what its minutes are.
    meeting_requested_fen: int = 0
    minutes_reference: str = ""
    #: The month the rest (granted − advance) is paid in, and the day it was known paid.
    payment_month: Period | None = None
    paid_on: date | None = None
    #: The township's follow-up: whether the hardship persists (a referral to Dibao), the monitoring flag
    #: and the month until which the same event is locked.
    closed_on: date | None = None
    hardship_persists: bool = False
    monitored: bool = False
    locked_until: Period | None = None
    post_check: PostCheck | None = None
    recovery_fen: int = 0

    @classmethod
    def reported(cls, reference: str, on: date) -> TaLifecycle:
        return cls(reference, TaState.REPORTED, on)

    @property
    def remaining_fen(self) -> int:
        """What disbursement pays after the decision: never below zero."""
        return max(0, self.granted_fen - self.advance_paid_fen)

    @property
    def refer_to_dibao(self) -> bool:
        return self.state is TaState.CLOSED and self.hardship_persists

    def _expect(self, step: str, *allowed: TaState) -> None:
        if self.state not in allowed:
            raise IllegalTransition("temporary assistance", self.state.value, step)

    def triage(
        self, outcome: Triage, actor: Role, receiving_body: ReceivingBody | None = None
    ) -> TaLifecycle:
        require_role(actor, "triage temporary assistance", _TRIAGERS)
        self._expect("be triaged", TaState.REPORTED)
        if outcome is Triage.REFERRED_OUT:
            if receiving_body is None:
                raise ValueError("a referral out names the receiving body")
            return replace(self, state=TaState.REFERRED_OUT, receiving_body=receiving_body)
        if receiving_body is not None:
            raise ValueError("only a referral out names a receiving body")
        state = TaState.URGENT if outcome is Triage.URGENT else TaState.EXPENDITURE
        return replace(self, state=state)

    def record_advance(self, amount_fen: int) -> TaLifecycle:
        """Advance aid paid from the reserve fund; a second advance adds to the first."""
        if amount_fen <= 0:
            raise ValueError("an advance is a positive amount")
        self._expect("receive advance aid", TaState.URGENT, TaState.ADVANCE_PAID)
        return replace(self, state=TaState.ADVANCE_PAID, advance_paid_fen=self.advance_paid_fen + amount_fen)

    def assess(self, actor: Role) -> TaLifecycle:
        require_role(actor, "assess temporary assistance", _TOWNSHIP)
        self._expect("be assessed", TaState.URGENT, TaState.ADVANCE_PAID, TaState.EXPENDITURE)
        return replace(self, state=TaState.ASSESSED)

    def decide(
        self,
        actor: Role,
        *,
        granted_fen: int,
        payment_month: Period,
        on: date,
        meeting_requested_fen: int = 0,
        meeting_granted_fen: int = 0,
        minutes_reference: str = "",
    ) -> TaLifecycle:
        """Refused when nothing is granted; partial when the county meeting grants less than it was asked.
        Nothing left to pay after the advance means paid at once."""
        require_role(actor, "decide temporary assistance", _DECIDERS)
        self._expect("be decided", TaState.ASSESSED)
        if granted_fen < 0 or meeting_granted_fen < 0 or meeting_requested_fen < 0:
            raise ValueError("amounts are never negative")
        if meeting_granted_fen > meeting_requested_fen > 0:
            raise ValueError("a meeting grants no more than it was asked")
        if granted_fen == 0:
            return replace(self, state=TaState.REFUSED)
        asked_meeting = meeting_requested_fen > 0 or meeting_granted_fen > 0
        if asked_meeting and not minutes_reference:
            raise ValueError("a county meeting's outcome carries its minutes")
        partial = meeting_granted_fen < meeting_requested_fen
        decided = replace(
            self,
            state=TaState.PARTIAL if partial else TaState.APPROVED,
            granted_fen=granted_fen,
            meeting_requested_fen=meeting_requested_fen,
            minutes_reference=minutes_reference,
            payment_month=payment_month,
        )
        return decided.settle(on) if decided.remaining_fen == 0 else decided

    def settle(self, on: date) -> TaLifecycle:
        """Disbursement paid what remained; the same news again changes nothing."""
        if self.state in (TaState.PAID, TaState.CLOSED):
            return self
        self._expect("be paid", *_GRANTED)
        return replace(self, state=TaState.PAID, paid_on=on)

    def close(self, actor: Role, on: date, hardship_persists: bool, params: Parameters) -> TaLifecycle:
        """The township's follow-up: monitoring flag, Dibao referral if the hardship persists, the same event
        locked for ``ta.same_event.window_months`` from the month of the decision's payment."""
        require_role(actor, "close temporary assistance", _TOWNSHIP)
        self._expect("be closed", TaState.PAID)
        start = self.payment_month or Period.of(on)
        return replace(
            self,
            state=TaState.CLOSED,
            closed_on=on,
            hardship_persists=hardship_persists,
            monitored=True,
            locked_until=start.plus(params.integer("ta.same_event.window_months")),
        )

    def record_post_check(self, actor: Role, outcome: PostCheck) -> TaLifecycle:
        """After advance aid only, once. Misrepresentation recovers what was paid; good faith nothing."""
        allowed = frozenset({Role.COUNTY}) if outcome is PostCheck.MISREPRESENTED else _DECIDERS
        require_role(actor, f"find {outcome.value.lower().replace('_', ' ')}", allowed)
        if self.state in _BEFORE_AID or self.advance_paid_fen == 0:
            raise IllegalTransition(
                "temporary assistance", self.state.value, "be post-checked before advance aid"
            )
        if self.post_check is not None:
            raise IllegalTransition("temporary assistance", self.state.value, "be post-checked twice")
        recovery = self.paid_fen if outcome is PostCheck.MISREPRESENTED else 0
        return replace(self, post_check=outcome, recovery_fen=recovery)

    @property
    def paid_fen(self) -> int:
        """What the household has received so far: the advance, and the rest once paid."""
        paid_rest = self.remaining_fen if self.state in (TaState.PAID, TaState.CLOSED) else 0
        return self.advance_paid_fen + paid_rest
