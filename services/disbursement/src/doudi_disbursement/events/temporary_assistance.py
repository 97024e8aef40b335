"""Eligibility's TemporaryAssistancePostChecked → an overpayment to recover (DOMAIN §7.4, §11.4).

The post-check after advance aid finds the facts misrepresented (``temporary_assistance.recovery`` is what
the household must pay back) or the aid given in good faith (nothing is recovered, nothing recorded). The
event names the case and its township, not a person: the one owing is whom the township's reserve fund paid
the advance under that case reference, named as the fund names an advance's overpayment
(``advance:<advance id>`` of the case's first advance; the person's ID number is never announced). The
overpayment is recorded once per case (a repeat of the event, or a second one for the same case, records
and announces nothing more), announced as OverpaymentDetected, shown by GetOverpayment/ListOverpayments
and recovered by RecordRepayment: temporary assistance pays no later month to offset it against, and the
runs never offset across programmes.

An event disbursement cannot act on (no case, no township, no paid advance under the case, advances to
different people, a negative recovery, a recovery on good faith or beyond what was paid) raises
UnusablePostCheck: logged, retried, then dead-lettered with the reason and counted as dead_lettered.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from doudi.common.v1.envelope_pb2 import EventEnvelope
from doudi.eligibility.v1 import eligibility_pb2, events_pb2
from doudi_contracts.topics import topic
from doudi_disbursement.app.overpayments import Overpayments
from doudi_disbursement.domain.reserve import beneficiary_of
from doudi_disbursement.domain.ta_recovery import PostCheck, UnusablePostCheck, recovery_owed
from doudi_disbursement.store import reserve as reserve_store
from doudi_runtime.events.consumer import Subscription
from doudi_runtime.events.envelope import unpack

TOPIC_DECISIONS = topic("doudi.eligibility.decision.v1").name
POST_CHECKED = events_pb2.TemporaryAssistancePostChecked.DESCRIPTOR.full_name
#: The reason recorded with the overpayment keeps this much of the post-check's findings.
FINDINGS_KEPT = 1_500
log = logging.getLogger(__name__)

_OUTCOMES = {
    eligibility_pb2.TA_POST_CHECK_OUTCOME_MISREPRESENTED: PostCheck.MISREPRESENTED,
    eligibility_pb2.TA_POST_CHECK_OUTCOME_GOOD_FAITH: PostCheck.GOOD_FAITH,
}


def _beneficiary(session: Session, township: str, reference: str) -> tuple[str, int]:
    """Who owes the recovery (the case's first advance, as overpayments name an advance's household), and
    how much the case's advances paid."""
    advances = reserve_store.paid_advances_of_case(session, township, reference)
    if not advances:
        raise UnusablePostCheck(
            f"case {reference}: no advance paid under it from township {township}'s reserve fund, so no "
            "beneficiary to recover from"
        )
    if len({a.person_id for a in advances}) > 1:
        raise UnusablePostCheck(f"case {reference}: its advances paid different people")
    return beneficiary_of(advances[0]), sum(a.amount_fen for a in advances)


def apply_post_check(
    overpayments: Overpayments, session: Session, envelope: EventEnvelope, now: datetime
) -> None:
    if envelope.event_type != POST_CHECKED:
        return  # decisions, notices, appeals and closures are not disbursement's to act on
    event = unpack(envelope, events_pb2.TemporaryAssistancePostChecked)
    case = event.temporary_assistance
    reference, township = case.reference.strip(), case.region.code.strip()
    if not reference:
        raise UnusablePostCheck("a post-check that names no case")
    if not township:
        raise UnusablePostCheck(f"case {reference}: the post-check names no township")
    outcome, amount_fen = _OUTCOMES.get(case.post_check), case.recovery.amount_fen
    beneficiary, paid_fen = "", 0
    if outcome is PostCheck.MISREPRESENTED and amount_fen > 0:
        beneficiary, advanced_fen = _beneficiary(session, township, reference)
        paid_fen = advanced_fen + max(case.remaining.amount_fen, 0)
    owed = recovery_owed(reference, outcome, amount_fen, paid_fen)
    if owed == 0:
        log.info("the post-check recovers nothing", extra={"case": reference, "outcome": str(outcome)})
        return
    reason = f"temporary assistance {reference}: facts misrepresented (post-check after advance aid)"
    findings = event.findings.strip()[:FINDINGS_KEPT]
    overpayments.record_post_check(
        session,
        now,
        case_reference=reference,
        beneficiary_id=beneficiary,
        township=township,
        amount_fen=owed,
        reason=f"{reason}: {findings}" if findings else reason,
        cause=envelope.event_id,
    )


def post_check_subscription(overpayments: Overpayments) -> Subscription:
    return Subscription(
        TOPIC_DECISIONS,
        lambda session, envelope: apply_post_check(overpayments, session, envelope, overpayments.clock()),
    )
