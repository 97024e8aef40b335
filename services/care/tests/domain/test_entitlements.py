"""An entitlement's news and the ledger entry (DOMAIN §7.3, §9.1, §9.3): suspended rests the entry of a
dispersed Tekun person, resumed works it again, terminated closes it; a household's Dibao holds or
withdraws class-1 care services; the same news twice changes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from doudi_care.domain.entitlements import (
    EntitlementNews,
    Standing,
    apply_dibao_news,
    apply_ledger_news,
    loses_work_orders,
)
from doudi_care.domain.ledger import (
    ElderlyDetails,
    EntrySource,
    EntryStatus,
    Ledger,
    LedgerEntry,
    LedgerRules,
    RiskLevel,
    TekunDetails,
)
from doudi_care.domain.schedule import VisitStage
from doudi_common.testing import EXAMPLE_VILLAGE, make_resident_id

TODAY = date(2026, 8, 20)
NOW = datetime(2026, 8, 20, 2, 0, tzinfo=UTC)
ZHOU = make_resident_id(date(1945, 3, 8), 31, female=True)  # H14: dispersed Tekun, full care


def zhou(**changes: object) -> LedgerEntry:
    entry = LedgerEntry(
        entry_id="entry-zhou",
        ledger=Ledger.TEKUN_DISPERSED,
        id_number=ZHOU,
        name="周秀兰",
        phone="",
        region=EXAMPLE_VILLAGE,
        township=EXAMPLE_VILLAGE[:9] + "000",
        risk_level=RiskLevel.GENERAL,
        status=EntryStatus.ACTIVE,
        source=EntrySource.REGISTRATION,
        details=TekunDetails(carer_name="周丽"),
        next_due=date(2026, 9, 1),
        announced_stage=VisitStage.SCHEDULED.value,
        registered_at=datetime(2026, 6, 1, 1, 0, tzinfo=UTC),
        updated_at=datetime(2026, 6, 1, 1, 0, tzinfo=UTC),
        subject_id="person-zhou",
        provider_id="provider-anxin",
        care_services=True,
        entitlement_ids=("ent-zhou",),
    )
    return replace(entry, **changes)  # type: ignore[arg-type]


def news(standing: Standing, entitlement_id: str = "ent-zhou") -> EntitlementNews:
    """An activation when paid (eligibility announces new and resumed entitlements so), else the event."""
    return EntitlementNews(entitlement_id, standing, activation=standing is Standing.PAID)


def apply(entry: LedgerEntry, *items: EntitlementNews) -> LedgerEntry:
    for item in items:
        entry = apply_ledger_news(entry, item, today=TODAY, now=NOW)
    return entry


def test_h14_zhou_suspended_rests_her_entry_and_withdraws_her_care_services() -> None:
    rested = apply(zhou(), news(Standing.SUSPENDED))
    assert rested.status is EntryStatus.SUSPENDED
    assert rested.suspended_entitlement_ids == ("ent-zhou",)
    assert not rested.is_worked and rested.is_open
    assert loses_work_orders(zhou(), rested)


def test_resumed_she_is_worked_again_and_a_visit_that_fell_due_meanwhile_is_due_today() -> None:
    rested = apply(
        zhou(next_due=date(2026, 8, 1), announced_stage="OVERDUE_TOWNSHIP"), news(Standing.SUSPENDED)
    )
    resumed = apply(rested, news(Standing.PAID))
    assert resumed.status is EntryStatus.ACTIVE and resumed.suspended_entitlement_ids == ()
    assert resumed.next_due == TODAY and resumed.announced_stage == "SCHEDULED"
    # A visit still ahead keeps its day.
    assert apply(zhou(), news(Standing.SUSPENDED), news(Standing.PAID)).next_due == date(2026, 9, 1)


def test_terminated_closes_the_dispersed_tekun_entry_even_when_the_township_registered_it() -> None:
    closed = apply(zhou(), news(Standing.ENDED))
    assert closed.status is EntryStatus.CLOSED and closed.entitlement_ids == ()
    # Suspended first, then terminated: closed as well.
    assert apply(zhou(), news(Standing.SUSPENDED), news(Standing.ENDED)).status is EntryStatus.CLOSED


def test_an_entry_rests_only_while_every_entitlement_keeping_it_is_suspended() -> None:
    both = zhou(ledger=Ledger.DISABLED, source=EntrySource.ENTITLEMENT, entitlement_ids=("dls", "sdcs"))
    one_held = apply(both, news(Standing.SUSPENDED, "dls"))
    assert one_held.status is EntryStatus.ACTIVE
    assert apply(one_held, news(Standing.SUSPENDED, "sdcs")).status is EntryStatus.SUSPENDED
    assert apply(one_held, news(Standing.ENDED, "sdcs")).status is EntryStatus.SUSPENDED
    assert (
        apply(one_held, news(Standing.ENDED, "sdcs"), news(Standing.ENDED, "dls")).status
        is EntryStatus.CLOSED
    )


def test_a_township_registered_entry_of_another_ledger_stands_on_its_own() -> None:
    registered = zhou(ledger=Ledger.DISABLED, care_services=False, entitlement_ids=("dls",))
    assert apply(registered, news(Standing.SUSPENDED, "dls")).status is EntryStatus.ACTIVE
    assert apply(registered, news(Standing.ENDED, "dls")).status is EntryStatus.ACTIVE


def test_news_of_an_unknown_entitlement_neither_closes_nor_reopens_an_entry() -> None:
    assert apply(zhou(), news(Standing.ENDED, "ent-other")).status is EntryStatus.ACTIVE
    closed = zhou(status=EntryStatus.CLOSED)
    assert apply(closed, news(Standing.SUSPENDED, "ent-other")) is closed
    # A new paid entitlement of the same subject brings her back (a re-application, DOMAIN §7.3) ...
    reopened = apply(replace(closed, next_due=date(2026, 3, 1)), news(Standing.PAID, "ent-new"))
    assert reopened.status is EntryStatus.ACTIVE and reopened.next_due == TODAY
    # ... but a change of a paid one does not undo the township's closing (centralised support).
    assert apply(closed, EntitlementNews("ent-zhou", Standing.PAID, activation=False)) is closed


standings = st.sampled_from(list(Standing))
ids = st.sampled_from(["ent-zhou", "ent-2", "ent-3"])
any_news = st.builds(EntitlementNews, ids, standings, st.booleans())
histories = st.lists(any_news, max_size=6)


@given(history=histories, last=any_news)
def test_the_same_news_twice_changes_nothing(history: list[EntitlementNews], last: EntitlementNews) -> None:
    once = apply(zhou(), *history, last)
    assert apply(once, last) is once


@given(history=histories)
def test_a_tekun_entry_is_worked_exactly_while_one_of_its_entitlements_is_paid(
    history: list[EntitlementNews],
) -> None:
    entry = apply(zhou(), *history)
    paid = set(entry.entitlement_ids) - set(entry.suspended_entitlement_ids)
    assert set(entry.suspended_entitlement_ids) <= set(entry.entitlement_ids)
    if entry.status is not EntryStatus.CLOSED:
        assert entry.is_worked == bool(paid)
    if entry.is_worked:
        assert entry.next_due >= min(zhou().next_due, TODAY)


# -- rural class-1 Dibao and care services -------------------------------------------------------

RULES = LedgerRules(class1_dibao_care=True)


def class1_elder() -> LedgerEntry:
    return zhou(
        ledger=Ledger.ELDERLY_LEFT_BEHIND,
        details=ElderlyDetails(contact_name="马建军"),
        subject_id="hh-ma",
        rural_class1_dibao=True,
        entitlement_ids=(),
    )


def dibao(entry: LedgerEntry, standing: Standing) -> LedgerEntry:
    return apply_dibao_news(entry, EntitlementNews("ent-dibao-ma", standing), RULES, now=NOW)


def test_a_suspended_dibao_holds_class1_care_services_and_the_visits_go_on() -> None:
    held = dibao(class1_elder(), Standing.SUSPENDED)
    assert not held.care_services and held.status is EntryStatus.ACTIVE
    assert loses_work_orders(class1_elder(), held)
    restored = dibao(held, Standing.PAID)
    assert restored.care_services and restored.suspended_entitlement_ids == ()
    assert dibao(restored, Standing.PAID) is restored


def test_an_ended_dibao_withdraws_class1_care_services_for_good() -> None:
    ended = dibao(class1_elder(), Standing.ENDED)
    assert not ended.care_services and not ended.rural_class1_dibao
    assert ended.status is EntryStatus.ACTIVE
    assert dibao(zhou(), Standing.SUSPENDED) == zhou()  # no class-1 care: the Dibao does not reach it
