"""The work-refusal sanction on a running Dibao entitlement (DOMAIN §5.1.6, §7.3, H13): the county stops (or
reduces, by ``dibao.work_refusal.share_cut``) the share of a member with labour capacity who refused suitable
work ``dibao.work_refusal.count`` times in a row without good reason. The entitlement stays active at the new
amount from next month, announced as EntitlementChanged like any change of amount, and an appeal that
revokes the sanction restores the amount with arrears through the ordinary appeal path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from google.protobuf.message import Message
from sqlalchemy.orm import Session

from doudi_common.errors import FailedPrecondition, InvalidArgument
from doudi_common.ids import new_id
from doudi_common.parameters import ParameterUse
from doudi_eligibility.app.common import Actor, require_text
from doudi_eligibility.app.entitlements import EntitlementUseCases
from doudi_eligibility.domain.case_file import household_of
from doudi_eligibility.domain.explain import Check, Outcome, Programme
from doudi_eligibility.domain.rules.dibao_changes import ReferralOutcome, work_refusal_sanction
from doudi_eligibility.store import records as store
from doudi_eligibility.store.records import EntitlementRecord

#: A household's share is what the sanction cuts; a single-person Dibao has no other member to keep paying.
_HOUSEHOLD_PROGRAMMES = frozenset({Programme.DIBAO})
_CHECKED = "work-refusal check"


@dataclass(frozen=True)
class SanctionApplied:
    record: EntitlementRecord
    member_share_fen: int
    check: Check


@dataclass
class WorkRefusalSanctions:
    entitlements: EntitlementUseCases

    def apply(
        self,
        request_id: str,
        entitlement_id: str,
        member_index: int,
        referrals: Sequence[ReferralOutcome],
        reason: str,
        actor: Actor,
    ) -> SanctionApplied:
        text = require_text(reason, "reason")
        if member_index < 0:
            raise InvalidArgument.single("member_index", "must not be negative")
        if not referrals:
            raise InvalidArgument.single("referrals", "are required: the member's referral history")
        history = tuple(referrals)
        found: dict[str, Any] = {}

        def change(session: Session, record: EntitlementRecord) -> tuple[EntitlementRecord, Message | None]:
            before = record.entitlement
            if before.programme not in _HOUSEHOLD_PROGRAMMES:
                raise FailedPrecondition(
                    f"entitlement {entitlement_id} is {before.programme.value}: the sanction cuts a member's "
                    "share of a household's Dibao"
                )
            case = store.get_case(session, record.application_id)
            if case is None:
                raise FailedPrecondition(f"entitlement {entitlement_id} has no case file to name its members")
            today = self.entitlements.today()
            household = household_of(case.application, case.report, case.survey, today)
            position = next(
                (i for i, a in enumerate(case.application.members) if a.index == member_index), None
            )
            member = None if position is None else household.members[position]
            if member is None or member.person.person_id not in record.persons:
                raise InvalidArgument.single(
                    "member_index", "names no counted member of the entitlement's household"
                )
            params = self.entitlements.params_for(session, record)
            sanction = work_refusal_sanction(
                before.monthly_amount_fen, len(record.persons), member.person, history, today, params
            )
            if not sanction.applies:
                raise FailedPrecondition(f"no sanction applies: {sanction.check.reason}")
            after = replace(
                before.sanction(sanction.monthly_amount_fen, actor.role),
                changed_from=sanction.effective_month,
            )
            moved = record.moved(after, new_id("dec"))
            share = round(sanction.member_share_fen)
            found["member_share_fen"] = share
            # The check, inputs and parameters included, stays in the entitlement's history; a retry
            # answers from there.
            self.entitlements._audit(session, entitlement_id, _CHECKED, actor, _check_plain(sanction.check))
            event = self.entitlements._changed(
                record, moved, sanction.effective_month, f"{text}（{sanction.check.reason}）"
            )
            return moved, event

        record = self.entitlements.command(
            "ApplyWorkRefusalSanction",
            request_id,
            entitlement_id,
            (member_index, tuple(r.value for r in history), text),
            actor,
            "work-refusal sanction",
            change,
            text,
            found,
            step="apply a work-refusal sanction",
        )
        with self.entitlements.database.read() as session:
            checked = store.last_audit_detail(session, entitlement_id, _CHECKED)
        assert checked is not None
        return SanctionApplied(record, int(found["member_share_fen"]), _check_from(checked))


def _check_plain(check: Check) -> dict[str, Any]:
    return {
        "code": check.code,
        "description": check.description,
        "outcome": check.outcome.value,
        "reason": check.reason,
        "inputs": [list(i) for i in check.inputs],
        "parameters": [[p.key, p.value, p.set_id] for p in check.parameters],
    }


def _check_from(data: dict[str, Any]) -> Check:
    return Check(
        code=data["code"],
        description=data["description"],
        outcome=Outcome(data["outcome"]),
        reason=data["reason"],
        inputs=tuple((str(a), str(b)) for a, b in data["inputs"]),
        parameters=tuple(ParameterUse(str(k), str(v), str(s)) for k, v, s in data["parameters"]),
    )
