"""The entitlements that rest on a household's Dibao follow its changes (DOMAIN §5.4, §5.5, §7.5): when the
Dibao ends or its amount changes, the members' disability living subsidies end (or go under review where
the locality extends them) and the FUC top-ups are recomputed, from the month the Dibao change applies, in
the transaction of the Dibao change (a re-determination under a new standard included), each announced and
audited like any change of its own. An appeal that
reverses the end of the Dibao (§7.6) restores the subsidies that ended with it, with arrears for the months
they were not paid, closes the reviews that end opened (the subsidy ACTIVE again, owed the months a
suspension during the review held), and recomputes the top-ups against the restored Dibao.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from doudi.common.v1 import types_pb2
from doudi.eligibility.v1 import events_pb2
from doudi_common.calendar import china_date
from doudi_common.ids import new_id
from doudi_common.parameters import Parameters
from doudi_common.period import Period, months_between
from doudi_eligibility.app.common import TOPIC_ENTITLEMENTS, Actor, Commands
from doudi_eligibility.domain.explain import Programme
from doudi_eligibility.domain.machines.entitlement import State, restored_with_dibao
from doudi_eligibility.domain.machines.roles import Role
from doudi_eligibility.domain.rules.dibao_dependents import Dependent, Effect, dibao_consequences
from doudi_eligibility.events import mapping
from doudi_eligibility.store import records as store
from doudi_eligibility.store.records import EntitlementRecord

#: The programmes whose entitlement others rest on.
DIBAO_PROGRAMMES = frozenset({Programme.DIBAO, Programme.SINGLE_PERSON_DIBAO})
_DEPENDENT_PROGRAMMES = frozenset(
    {Programme.DISABILITY_LIVING_SUBSIDY, Programme.UNSUPPORTED_CHILD_ALLOWANCE}
)
_HELD = tuple(s.value for s in State if s is not State.TERMINATED)
#: The states of an entitlement the end of a Dibao may have ended or left under review.
_FOLLOWED = (State.TERMINATED.value, State.UNDER_REVIEW.value, State.SUSPENDED.value)


def follow_dibao(
    commands: Commands,
    session: Session,
    before: EntitlementRecord,
    after: EntitlementRecord,
    params: Parameters,
    cause: str,
) -> int:
    """Apply the consequences of ``before`` → ``after`` of a Dibao entitlement; how many followed."""
    old, new = before.entitlement, after.entitlement
    if not dibao_moved(before, after):
        return 0
    ended = new.state is State.TERMINATED and old.state is not State.TERMINATED
    effective = _effective(after, Period.of(china_date(commands.clock())).next())
    return _follow(commands, session, after, ended, effective, params, cause)[0]


def restore_with_dibao(
    commands: Commands,
    session: Session,
    before: EntitlementRecord,
    after: EntitlementRecord,
    params: Parameters,
    restore_from: Period,
    cause: str,
) -> int:
    """An appeal revoked the decision that ended the Dibao ``before`` (now ``after``, paying again from
    ``restore_from``): every entitlement that ended with it is restored to the state before that end, and
    every one that end put under review is ACTIVE again, the last decision on it reversed with arrears for
    the months it withheld (§7.6, §11.4), announced as the appeal's own reversal is; then the top-ups are
    recomputed against the restored Dibao.

    Returns what the top-ups paid beyond the shortfall while the Dibao was stopped (paid in full then, §5.8),
    for the months from its end to ``restore_from``: the Dibao's arrears pay the child's share for those
    months, so the appeal owes the household that much less and nobody is paid twice for one month."""
    if not dibao_restored(before, after):
        return 0
    ended_from = before.entitlement.terminated_from
    assert ended_from is not None
    held = store.entitlements_of_persons(session, after.persons, _FOLLOWED)
    followed = sorted(
        {
            r.entitlement_id
            for records in held.values()
            for r in records
            if r.entitlement.programme in _DEPENDENT_PROGRAMMES
            and restored_with_dibao(r.entitlement, ended_from, restore_from) is not None
        }
    )
    system = Actor.system()
    for entitlement_id in followed:
        record = store.get_entitlement(session, entitlement_id, for_update=True)
        found = restored_with_dibao(record.entitlement, ended_from, restore_from) if record else None
        if record is None or found is None:
            continue
        restored, arrears = found
        moved = record.moved(restored, new_id("dec"))
        reversed_id = record.last_decision_id
        ended = record.entitlement.state is State.TERMINATED
        detail: dict[str, object] = {
            "dibao_entitlement_id": after.entitlement_id,
            "decision_id": reversed_id,
            "arrears_fen": arrears,
            "effective_month": str(restore_from),
        }
        action = (
            "restored with the Dibao on appeal (§7.6)" if ended else "review closed: Dibao restored (§7.6)"
        )
        save_and_audit(commands, session, moved, action, system, detail)
        before_pb, after_pb = mapping.entitlement_change_pbs(record, moved)
        payload = events_pb2.EntitlementChanged(
            before=before_pb,
            after=after_pb,
            effective_month=mapping.period_pb(restore_from),
            reason=_DLS_RESTORED if ended else _dls_review_closed(arrears),
            reversed_decision_id=reversed_id,
            arrears=types_pb2.Money(amount_fen=arrears),
        )
        commands.announce(session, TOPIC_ENTITLEMENTS, record.subject_id, payload, cause)
    _, lowered_fen = _follow(commands, session, after, False, restore_from, params, cause)
    return lowered_fen * months_between(ended_from, restore_from)


def follow_redetermined(
    commands: Commands,
    session: Session,
    changed: list[tuple[EntitlementRecord, EntitlementRecord]],
    params_of: Callable[[EntitlementRecord], Parameters],
    cause: str,
) -> int:
    """A batch of Dibao entitlements re-determined under a new standard: the top-ups resting on any of them
    follow the new amounts (§7.5). One lookup finds the members holding a dependent entitlement, so the
    households with none (nearly all) cost nothing more. How many followed."""
    persons = tuple(p for _, after in changed for p in after.persons)
    held = store.entitlements_of_persons(session, persons, _HELD)
    holders = {
        person
        for person, records in held.items()
        if any(r.entitlement.programme in _DEPENDENT_PROGRAMMES for r in records)
    }
    followed = 0
    for before, after in changed:
        if not holders.isdisjoint(after.persons):
            followed += follow_dibao(commands, session, before, after, params_of(after), cause)
    return followed


def dibao_restored(before: EntitlementRecord, after: EntitlementRecord) -> bool:
    """Whether a change brings an ended Dibao back (an appeal that reverses its end)."""
    return (
        after.entitlement.programme in DIBAO_PROGRAMMES
        and before.entitlement.state is State.TERMINATED
        and after.entitlement.state is not State.TERMINATED
    )


def _follow(
    commands: Commands,
    session: Session,
    after: EntitlementRecord,
    ended: bool,
    effective: Period,
    params: Parameters,
    cause: str,
) -> tuple[int, int]:
    """How many followed, and by how much a month the recomputed top-ups fall below what they paid."""
    new = after.entitlement
    lowered_fen = 0
    held = store.entitlements_of_persons(session, after.persons, _HELD)
    dependents = {
        record.entitlement_id: (person, record)
        for person, records in held.items()
        for record in records
        if record.entitlement.programme in _DEPENDENT_PROGRAMMES
    }
    consequences = dibao_consequences(
        new.monthly_amount_fen,
        ended,
        len(after.persons),
        [
            Dependent(eid, person, r.entitlement.programme, r.entitlement.monthly_amount_fen)
            for eid, (person, r) in sorted(dependents.items())
        ],
        params,
    )
    system = Actor.system()
    for consequence in consequences:
        record = store.get_entitlement(session, consequence.entitlement_id, for_update=True)
        if record is None:
            continue
        detail: dict[str, object] = {
            "dibao_entitlement_id": after.entitlement_id,
            "reason": consequence.reason,
            "effective_month": str(effective),
        }
        e = record.entitlement
        if consequence.effect is Effect.END:
            moved = record.moved(e.end_with_dibao(effective, Role.SYSTEM), new_id("dec"))
            save_and_audit(commands, session, moved, "ended with the Dibao (§5.4)", system, detail)
            assert moved.entitlement.terminated_from is not None
            payload = events_pb2.EntitlementTerminated(
                entitlement=mapping.entitlement_pb(moved),
                reason=moved.entitlement.termination_reason.value,  # type: ignore[union-attr]
                last_month=mapping.period_pb(moved.entitlement.terminated_from.previous()),
            )
            commands.announce(session, TOPIC_ENTITLEMENTS, record.subject_id, payload, cause)
        elif consequence.effect is Effect.REVIEW:
            if e.state is not State.ACTIVE:
                commands.audit(
                    session, record.entitlement_id, "Dibao ended: review when active", system, detail
                )
                continue
            moved = record.moved(e.review_with_dibao(effective, Role.SYSTEM), new_id("dec"))
            save_and_audit(commands, session, moved, "review: Dibao ended (§5.4)", system, detail)
        elif e.state in (State.PENDING_START, State.ACTIVE, State.UNDER_REVIEW, State.SUSPENDED):
            lowered_fen += max(0, e.monthly_amount_fen - consequence.monthly_amount_fen)
            changed = e.redetermine(consequence.monthly_amount_fen, effective, Role.SYSTEM)
            moved = record.moved(changed, new_id("dec"))
            save_and_audit(
                commands, session, moved, "top-up recomputed with the Dibao (§7.5)", system, detail
            )
            before_pb, after_pb = mapping.entitlement_change_pbs(record, moved)
            payload = events_pb2.EntitlementChanged(
                before=before_pb,
                after=after_pb,
                effective_month=mapping.period_pb(effective),
                reason=consequence.reason,
            )
            commands.announce(session, TOPIC_ENTITLEMENTS, record.subject_id, payload, cause)
        else:
            commands.audit(
                session, record.entitlement_id, "Dibao changed: recompute on review", system, detail
            )
    return len(consequences), lowered_fen


def dibao_moved(before: EntitlementRecord, after: EntitlementRecord) -> bool:
    """Whether a Dibao change is one its dependents follow: the Dibao ended or its amount changed."""
    old, new = before.entitlement, after.entitlement
    if new.programme not in DIBAO_PROGRAMMES:
        return False
    ended = new.state is State.TERMINATED and old.state is not State.TERMINATED
    return ended or new.monthly_amount_fen != old.monthly_amount_fen


def _effective(after: EntitlementRecord, next_month: Period) -> Period:
    """The month the Dibao change applies from (a change is never earlier than the month after it)."""
    e = after.entitlement
    if e.state is State.TERMINATED and e.terminated_from is not None:
        return e.terminated_from
    return e.changed_from or next_month


_DLS_RESTORED = "所在家庭的最低生活保障经复议或诉讼恢复，困难残疾人生活补贴随之恢复并补发停发期间的补贴。"


def _dls_review_closed(arrears_fen: int) -> str:
    """The reason a subsidy under review because the Dibao ended is ACTIVE again once it is restored."""
    text = "所在家庭的最低生活保障经复议或诉讼恢复，困难残疾人生活补贴的复核随之终止，恢复正常发放"
    return text + ("并补发暂停期间的补贴。" if arrears_fen > 0 else "。")


def save_and_audit(
    commands: Commands,
    session: Session,
    record: EntitlementRecord,
    action: str,
    actor: Actor,
    detail: dict[str, object],
) -> None:
    """Store the entitlement and record the step in its history, with the state it is left in."""
    store.save_entitlement(session, record, commands.clock())
    commands.audit(
        session, record.entitlement_id, action, actor, {**detail, "state": record.entitlement.state.value}
    )
