"""Periodic review through eligibility's entitlement events, the review worker and the gRPC API, over a real
socket, the records simulator and a real store (SQLite and PostgreSQL): a household falls due by its
category, is checked once per due period however many workers run, and its report says it answers a review."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import grpc
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.eligibility.v1 import eligibility_pb2
from doudi.eligibility.v1 import events_pb2 as eligibility_events
from doudi.verification.v1 import events_pb2, verification_pb2
from doudi_runtime.events.envelope import decode, new_envelope, unpack
from doudi_runtime.grpc.errors import field_violations_from
from doudi_verification.app.policy import RegistryCadences
from doudi_verification.app.reviews import ReviewUseCases
from doudi_verification.events.entitlements import TOPIC_ENTITLEMENTS
from doudi_verification.main import DEFINITION, review_use_cases
from doudi_verification.store.tables import review_schedules, reviews

from . import test_checks_api
from .test_checks_api import AUTH, H01, TOWNSHIP, Verification, accepted, deliver

#: The checks' fixture: the service over a real socket with the records simulator and a real store.
verification = test_checks_api.verification

OTHER_TOWNSHIP = "640402101000"
CATEGORY = programme_pb2.HouseholdCategory


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.now = moment

    def __call__(self) -> datetime:
        return self.now


def entitlement(
    entitlement_id: str,
    application_id: str,
    category: int = CATEGORY.HOUSEHOLD_CATEGORY_C,
    state: int = eligibility_pb2.ENTITLEMENT_STATE_ACTIVE,
    start: str = "2026-01",
    region: str = TOWNSHIP,
) -> eligibility_pb2.Entitlement:
    return eligibility_pb2.Entitlement(
        entitlement_id=entitlement_id,
        subject_id=f"hh_{entitlement_id}",
        programme=programme_pb2.PROGRAMME_DIBAO,
        state=state,
        start_month=types_pb2.Period(month=start),
        region=types_pb2.RegionCode(code=region),
        application_id=application_id,
        category=category,
    )


def publish(v: Verification, event: object, subject: str) -> None:
    (subscription,) = [s for s in DEFINITION.subscriptions(v.context) if s.topic == TOPIC_ENTITLEMENTS]
    envelope = new_envelope(event, producer="eligibility", subject_key=subject)  # type: ignore[arg-type]
    with v.context.database.transaction() as session:
        subscription.handler(session, envelope)


def reviewer(v: Verification, moment: datetime) -> tuple[ReviewUseCases, Clock]:
    reviews_ = review_use_cases(v.context)
    clock = Clock(moment)
    reviews_.clock = clock
    return reviews_, clock


def listed(
    v: Verification, region: str = TOWNSHIP, **request: object
) -> verification_pb2.ListReviewsResponse:
    return v.stub.ListReviews(
        verification_pb2.ListReviewsRequest(region=types_pb2.RegionCode(code=region), **request),  # type: ignore[arg-type]
        metadata=AUTH,
        timeout=10,
    )


def reports_published(v: Verification) -> list[verification_pb2.Report]:
    outbox = v.context.store.messaging.outbox
    with v.context.database.read() as session:
        rows = session.execute(select(outbox.c.envelope).order_by(outbox.c.seq)).all()
    envelopes = [decode(row.envelope) for row in rows]
    return [
        unpack(e, events_pb2.HouseholdVerified).report for e in envelopes if e.event_type.endswith("Verified")
    ]


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def count(v: Verification, table) -> int:  # type: ignore[no-untyped-def]
    with v.context.database.read() as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def test_an_urban_category_c_household_is_checked_again_a_quarter_after_it_started(
    verification: Verification,
) -> None:
    deliver(verification, accepted("app_c", H01), "app_c")
    assert verification.checks.run_due() == 1
    publish(
        verification, eligibility_events.EntitlementActivated(entitlement=entitlement("ent_c", "app_c")), "hh"
    )
    reviews_, clock = reviewer(verification, datetime(2026, 3, 31, 15, 0, tzinfo=UTC))  # 23:00 in China
    assert reviews_.run_due() == 0
    assert list(listed(verification).reviews) == []

    clock.now = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)  # 1 April in China: due
    started = metric("doudi_verification_reviews_started_total", category="C", outcome="started")
    completed = metric("doudi_verification_reviews_completed_total")
    assert reviews_.run_due() == 1
    assert reviews_.run_due() == 0
    assert metric("doudi_verification_reviews_started_total", category="C", outcome="started") == started + 1
    assert metric("doudi_verification_reviews_open") == 1
    (review,) = listed(verification).reviews
    assert (review.entitlement_id, review.application_id, review.category) == ("ent_c", "app_c", "C")
    assert (review.due_on.year, review.due_on.month, review.due_on.day) == (2026, 4, 1)
    assert review.state == verification_pb2.REVIEW_STATE_STARTED and not review.overdue

    assert verification.checks.run_due() == 1
    first, again = reports_published(verification)
    assert first.purpose == verification_pb2.CHECK_PURPOSE_APPLICATION and not first.review_id
    assert again.purpose == verification_pb2.CHECK_PURPOSE_PERIODIC_REVIEW
    assert again.review_id == review.review_id
    assert again.state == verification_pb2.REPORT_STATE_COMPLETE
    assert list(listed(verification).reviews) == []
    with verification.context.database.read() as session:
        state, report_id = session.execute(select(reviews.c.state, reviews.c.report_id)).one()
    assert (state, report_id) == ("COMPLETED", again.report_id)
    assert metric("doudi_verification_reviews_completed_total") == completed + 1
    reviews_.run_due()
    assert metric("doudi_verification_reviews_open") == 0


def test_two_workers_and_a_restart_start_one_review_per_household_and_due_period(
    verification: Verification,
) -> None:
    for index in range(6):
        application_id = f"app_{index}"
        deliver(verification, accepted(application_id, H01), application_id)
        publish(
            verification,
            eligibility_events.EntitlementActivated(entitlement=entitlement(f"ent_{index}", application_id)),
            f"hh_{index}",
        )
    due = datetime(2026, 4, 2, 2, 0, tzinfo=UTC)
    workers = [ReviewUseCases(verification.context, RegistryCadences(), clock=Clock(due)) for _ in range(2)]
    started: list[int] = []
    barrier = threading.Barrier(len(workers))

    def run(worker: ReviewUseCases) -> None:
        barrier.wait()
        started.append(worker.run_due(limit=4))
        started.append(worker.run_due(limit=4))

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    restarted = ReviewUseCases(verification.context, RegistryCadences(), clock=Clock(due))
    assert restarted.run_due() == 0
    assert sum(started) == 6
    assert count(verification, reviews) == 6
    # The next review of each household is the next quarter's.
    with verification.context.database.read() as session:
        days = set(session.execute(select(review_schedules.c.due_on)).scalars())
    assert {(d.year, d.month, d.day) for d in days} == {(2026, 7, 1)}


def test_category_changes_suspensions_and_terminations_decide_who_is_due(verification: Verification) -> None:
    for name in ("moved", "held", "ended", "twice"):
        deliver(verification, accepted(f"app_{name}", H01), f"app_{name}")
        yearly = entitlement(f"ent_{name}", f"app_{name}", category=CATEGORY.HOUSEHOLD_CATEGORY_B)
        publish(verification, eligibility_events.EntitlementActivated(entitlement=yearly), name)
    assert verification.checks.run_due() == 4
    publish(verification, eligibility_events.EntitlementActivated(entitlement=yearly), "twice")  # redelivered
    before = entitlement("ent_moved", "app_moved", category=CATEGORY.HOUSEHOLD_CATEGORY_B)
    after = entitlement("ent_moved", "app_moved", category=CATEGORY.HOUSEHOLD_CATEGORY_C)
    publish(verification, eligibility_events.EntitlementChanged(before=before, after=after), "moved")
    publish(
        verification,
        eligibility_events.EntitlementSuspended(
            entitlement=entitlement("ent_held", "app_held", CATEGORY.HOUSEHOLD_CATEGORY_B), reason="失联"
        ),
        "held",
    )
    publish(
        verification,
        eligibility_events.EntitlementTerminated(
            entitlement=entitlement("ent_ended", "app_ended", CATEGORY.HOUSEHOLD_CATEGORY_B),
            reason="VOLUNTARY",
        ),
        "ended",
    )
    reviews_, clock = reviewer(verification, datetime(2026, 4, 2, 2, 0, tzinfo=UTC))
    assert reviews_.run_due() == 1  # only the household moved to C is due after a quarter
    assert [r.entitlement_id for r in listed(verification).reviews] == ["ent_moved"]

    assert verification.checks.run_due() == 1
    assert list(listed(verification).reviews) == []

    # Months later (no worker ran meanwhile): the B household's yearly review, and one review of the C
    # household for the quarters it missed, its next one due the quarter after.
    clock.now = datetime(2027, 1, 2, 2, 0, tzinfo=UTC)
    assert reviews_.run_due() == 2
    assert reviews_.run_due() == 0
    assert sorted(r.entitlement_id for r in listed(verification).reviews) == ["ent_moved", "ent_twice"]
    with verification.context.database.read() as session:
        schedules = dict(
            session.execute(select(review_schedules.c.entitlement_id, review_schedules.c.due_on)).all()
        )
    assert {key: (day.year, day.month) for key, day in schedules.items()} == {
        "ent_moved": (2027, 4),
        "ent_twice": (2028, 1),
        "ent_held": (2027, 1),
        "ent_ended": (2027, 1),
    }


def test_blocked_and_late_reviews_are_listed_overdue_page_by_page_and_only_in_their_region(
    verification: Verification,
) -> None:
    for index in range(3):
        # Eligibility knows entitlements whose household verification never checked: the review is blocked.
        publish(
            verification,
            eligibility_events.EntitlementActivated(
                entitlement=entitlement(f"ent_{index}", f"app_none_{index}")
            ),
            f"hh_{index}",
        )
    reviews_, clock = reviewer(verification, datetime(2026, 4, 1, 2, 0, tzinfo=UTC))
    assert reviews_.run_due() == 3
    assert not any(r.overdue for r in listed(verification).reviews)
    clock.now = datetime(2026, 4, 3, 2, 0, tzinfo=UTC)

    first = listed(verification, overdue_only=True, page=types_pb2.PageRequest(page_size=2))
    assert len(first.reviews) == 2 and first.page.next_page_token
    second = listed(
        verification,
        overdue_only=True,
        page=types_pb2.PageRequest(page_size=2, page_token=first.page.next_page_token),
    )
    assert len(second.reviews) == 1 and not second.page.next_page_token
    everyone = [*first.reviews, *second.reviews]
    assert sorted(r.entitlement_id for r in everyone) == ["ent_0", "ent_1", "ent_2"]
    assert all(r.state == verification_pb2.REVIEW_STATE_BLOCKED and r.overdue and r.note for r in everyone)
    assert list(listed(verification, region=OTHER_TOWNSHIP).reviews) == []


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"region": types_pb2.RegionCode(code="x")}, "region"),
        (
            {
                "region": types_pb2.RegionCode(code=TOWNSHIP),
                "page": types_pb2.PageRequest(page_token="not-a-token"),
            },
            "page.page_token",
        ),
    ],
)
def test_a_bad_listing_request_names_the_field(
    verification: Verification, request_fields: dict[str, object], field: str
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        verification.stub.ListReviews(
            verification_pb2.ListReviewsRequest(**request_fields),  # type: ignore[arg-type]
            metadata=AUTH,
            timeout=10,
        )
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert {name for name, _ in field_violations_from(raised.value)} == {field}
