"""What an entitlement's news does to a ledger entry (DOMAIN §7.3 lifecycle, §9.1 ledgers, §9.3 care).

Eligibility's events say whether an entitlement is paid (activated, resumed, changed while paid), held
(suspended) or ended (terminated). An entry follows the entitlements that put it on its ledger: one an
entitlement opened, and every dispersed Tekun entry, since that ledger is the dispersed Tekun persons
themselves. It rests (no visit plan, no work orders) while all of them are suspended, works again when
one resumes, and closes when the last ends. An entry the township registered on another ledger stands on
its own and keeps being visited. A household's Dibao reaches an entry only through the class-1 care
services the county extends to rural class-1 Dibao (§9.3): held while the Dibao is suspended, withdrawn
when it ends.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from doudi_care.domain.ledger import (
    EntrySource,
    EntryStatus,
    Ledger,
    LedgerEntry,
    LedgerRules,
    gets_care_services,
)
from doudi_care.domain.schedule import VisitStage


class Standing(StrEnum):
    """Where an entitlement stands for care, read from its event and state."""

    PAID = "PAID"
    SUSPENDED = "SUSPENDED"
    ENDED = "ENDED"


@dataclass(frozen=True)
class EntitlementNews:
    entitlement_id: str
    standing: Standing
    #: An activation (a new entitlement, or a resumption) may bring back an entry that was closed; a
    #: change of a paid entitlement does not undo the township's closing (e.g. centralised support).
    activation: bool = False


def follows_entitlements(entry: LedgerEntry) -> bool:
    return entry.source is EntrySource.ENTITLEMENT or entry.ledger is Ledger.TEKUN_DISPERSED


def _working_status(entry: LedgerEntry) -> EntryStatus:
    return EntryStatus.ACTIVE if entry.id_number else EntryStatus.PENDING_DETAILS


def _resumed_plan(entry: LedgerEntry, today: date) -> LedgerEntry:
    """Back from rest or from off the ledger: a visit that fell due meanwhile is due today (and announced
    afresh), so the household is seen soon after its benefit resumes, without a backlog of escalations."""
    if entry.next_due >= today:
        return entry
    return replace(entry, next_due=today, announced_stage=VisitStage.SCHEDULED.value)


def apply_ledger_news(
    entry: LedgerEntry, news: EntitlementNews, *, today: date, now: datetime
) -> LedgerEntry:
    """The entry after news of an entitlement of its own ledger's programme."""
    ids = set(entry.entitlement_ids)
    held = set(entry.suspended_entitlement_ids)
    known = news.entitlement_id in ids
    if news.standing is Standing.ENDED:
        ids.discard(news.entitlement_id)
        held.discard(news.entitlement_id)
    elif news.standing is Standing.SUSPENDED:
        ids.add(news.entitlement_id)
        held.add(news.entitlement_id)
    else:
        ids.add(news.entitlement_id)
        held.discard(news.entitlement_id)
    status = entry.status
    if not entry.is_open:
        if not (news.standing is Standing.PAID and news.activation):
            return entry
        status = _working_status(entry)  # a later entitlement of the same subject opens it again
    elif follows_entitlements(entry):
        if not ids:
            if known:
                status = EntryStatus.CLOSED
        elif ids <= held:
            status = EntryStatus.SUSPENDED
        else:
            status = _working_status(entry)
    updated = replace(
        entry,
        entitlement_ids=tuple(sorted(ids)),
        suspended_entitlement_ids=tuple(sorted(held)),
        status=status,
    )
    if not entry.is_worked and updated.is_worked:
        updated = _resumed_plan(updated, today)
    if updated == entry:
        return entry
    return replace(updated, updated_at=now)


def apply_dibao_news(
    entry: LedgerEntry, news: EntitlementNews, rules: LedgerRules, *, now: datetime
) -> LedgerEntry:
    """The entry after news of its household's Dibao: class-1 care services held, restored or withdrawn."""
    if not entry.rural_class1_dibao:
        return entry
    held = set(entry.suspended_entitlement_ids)
    class1 = True
    if news.standing is Standing.SUSPENDED:
        held.add(news.entitlement_id)
    else:
        held.discard(news.entitlement_id)
        class1 = news.standing is Standing.PAID
    dibao_held = bool(held - set(entry.entitlement_ids))
    care = gets_care_services(entry.ledger, class1, rules) and (
        entry.ledger is Ledger.TEKUN_DISPERSED or not dibao_held
    )
    updated = replace(
        entry,
        rural_class1_dibao=class1,
        care_services=care,
        suspended_entitlement_ids=tuple(sorted(held)),
    )
    if updated == entry:
        return entry
    return replace(updated, updated_at=now)


def loses_work_orders(before: LedgerEntry, after: LedgerEntry) -> bool:
    """Whether the change withdraws the person's open care work orders."""
    served_before = before.is_worked and before.care_services
    served_after = after.is_worked and after.care_services
    return served_before and not served_after
