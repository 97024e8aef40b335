"""The daily sweep at scale: batches claimed by index, each entry announced once per stage (township before
county), nothing again the same day, and two replicas sweeping at once announcing nothing twice."""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from doudi.care.v1 import care_pb2, events_pb2
from doudi_care.main import build
from doudi_common.testing import make_resident_id
from doudi_runtime.events.envelope import decode, unpack

from .conftest import AUTH, Care, elder_registration, running_care

RISKS = (care_pb2.RISK_LEVEL_GENERAL, care_pb2.RISK_LEVEL_KEY, care_pb2.RISK_LEVEL_HIGH)


def import_elders(care: Care, count: int) -> None:
    rows = []
    for index in range(count):
        row = elder_registration(
            make_resident_id(date(1950, 1, 1 + index % 28), index, female=index % 2 == 1)
        )
        row.risk_level = RISKS[index % len(RISKS)]
        rows.append(row)
    answer = care.stub.ImportLedger(
        care_pb2.ImportLedgerRequest(request_id=f"import-{count}", rows=rows), metadata=AUTH, timeout=30
    )
    assert len(answer.imported) == count, answer.errors


def announcements(care: Care) -> dict[str, list[str]]:
    """Per entry, the stages announced, in outbox order ("DUE", "TOWNSHIP", "COUNTY")."""
    outbox = care.context.store.messaging.outbox  # type: ignore[union-attr]
    with care.context.database.read() as session:  # type: ignore[union-attr]
        rows = session.execute(select(outbox).order_by(outbox.c.seq)).all()
    found: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        envelope = decode(row.envelope)
        if envelope.event_type.endswith(".VisitDue"):
            found[row.message_key].append("DUE")
        elif envelope.event_type.endswith(".VisitOverdue"):
            event = unpack(envelope, events_pb2.VisitOverdue)
            found[row.message_key].append(care_pb2.EscalationLevel.Name(event.escalated_to).rsplit("_", 1)[1])
    return dict(found)


def test_a_sweep_in_small_batches_announces_every_entry_once_per_stage(
    tmp_path: Path, database_url: str
) -> None:
    with running_care(database_url, tmp_path, sweep_batch_size=2) as care:
        import_elders(care, 9)  # on 1 June: weekly, monthly and quarterly tiers
        care.clock.now = datetime(2026, 6, 12, 1, 0, tzinfo=UTC)  # weekly ones: due 8 June, not yet overdue
        assert care.app.ledger.sweep_visits() == 3
        assert care.app.ledger.sweep_visits() == 0  # a second run the same day announces nothing

        care.clock.now = datetime(2026, 7, 20, 1, 0, tzinfo=UTC)
        # weekly: township (16 June) and county (23 June) now; monthly (due 1 July): all three stages.
        assert care.app.ledger.sweep_visits() == 3 * 2 + 3 * 3
        assert care.app.ledger.sweep_visits() == 0
        stages = announcements(care)
        assert sorted(len(s) for s in stages.values()) == [3] * 6
        assert all(s == ["DUE", "TOWNSHIP", "COUNTY"] for s in stages.values())


def test_two_replicas_sweeping_at_once_announce_every_stage_exactly_once(
    tmp_path: Path, database_url: str
) -> None:
    with running_care(database_url, tmp_path, sweep_batch_size=3) as care:
        import_elders(care, 60)
        care.clock.now = datetime(2026, 10, 1, 1, 0, tzinfo=UTC)  # every tier due and escalated to the county
        other = build(care.context, clock=care.clock)
        counts: list[int] = []
        start = threading.Barrier(2)

        def sweep(app_ledger: object) -> None:
            start.wait()
            counts.append(app_ledger.sweep_visits())  # type: ignore[attr-defined]

        threads = [
            threading.Thread(target=sweep, args=(care.app.ledger,)),
            threading.Thread(target=sweep, args=(other.ledger,)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sum(counts) == 60 * 3
        stages = announcements(care)
        assert len(stages) == 60
        assert all(s == ["DUE", "TOWNSHIP", "COUNTY"] for s in stages.values())
