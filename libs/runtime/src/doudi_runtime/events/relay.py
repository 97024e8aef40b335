"""The outbox relay: publishes committed outbox rows to Kafka, then marks them published.

Delivery is at least once: a crash between the broker's acknowledgement and the mark publishes
the row again, and consumers' inboxes make the repeat harmless. Rows are read in commit order
and keyed by subject, so one subject's events reach its partition in order.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from kafka import KafkaProducer
from kafka.errors import KafkaError
from prometheus_client import Counter, Gauge
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from doudi_runtime.events.kafka import reliable_producer
from doudi_runtime.events.tables import MessagingTables
from doudi_runtime.settings import ServiceSettings
from doudi_runtime.store import Database

log = logging.getLogger(__name__)

OUTBOX_BACKLOG = Gauge("doudi_outbox_backlog_events", "Outbox events not yet published.", ["service"])
OUTBOX_PUBLISHED = Counter("doudi_outbox_published_total", "Outbox events published to Kafka.", ["service"])
OUTBOX_ERRORS = Counter(
    "doudi_outbox_publish_errors_total", "Outbox events the broker did not acknowledge.", ["service"]
)
SEND_TIMEOUT_SECONDS = 15.0
MAX_BACKOFF_SECONDS = 5.0


@dataclass(frozen=True)
class _Row:
    seq: int
    event_id: str
    topic: str
    message_key: str
    event_type: str
    envelope: bytes


class OutboxRelay:
    def __init__(
        self,
        database: Database,
        tables: MessagingTables,
        settings: ServiceSettings,
        *,
        producer_factory: Callable[[], KafkaProducer] | None = None,
    ) -> None:
        self._database = database
        self._outbox = tables.outbox
        self._settings = settings
        self._service = settings.service_name
        self._producer_factory = producer_factory or (
            lambda: reliable_producer(settings, client_id=f"doudi-{settings.service_name}-relay")
        )
        self._producer: KafkaProducer | None = None
        self.last_failed = 0

    def _claim(self, session: Session, *, lock: bool) -> list[_Row]:
        outbox = self._outbox
        query = (
            select(
                outbox.c.seq,
                outbox.c.event_id,
                outbox.c.topic,
                outbox.c.message_key,
                outbox.c.event_type,
                outbox.c.envelope,
            )
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.seq)
            .limit(self._settings.outbox_batch_size)
        )
        if lock:
            query = query.with_for_update(skip_locked=True)
        return [_Row(*row) for row in session.execute(query).all()]

    def _send(self, rows: list[_Row]) -> tuple[list[int], dict[int, str]]:
        """Send rows; returns the seqs the broker acknowledged and the error of each that failed."""
        if self._producer is None:
            self._producer = self._producer_factory()
        sent: list[int] = []
        failed: dict[int, str] = {}
        pending = []
        for row in rows:
            try:
                future = self._producer.send(
                    row.topic,
                    key=row.message_key.encode(),
                    value=row.envelope,
                    headers=[("event_id", row.event_id.encode()), ("event_type", row.event_type.encode())],
                )
            except KafkaError as exc:
                failed[row.seq] = repr(exc)
                continue
            pending.append((row.seq, future))
        self._producer.flush(timeout=SEND_TIMEOUT_SECONDS)
        for seq, future in pending:
            try:
                future.get(timeout=SEND_TIMEOUT_SECONDS)
                sent.append(seq)
            except Exception as exc:  # the future re-raises whatever the broker said
                failed[seq] = repr(exc)
        return sent, failed

    def _mark(self, session: Session, sent: list[int], failed: dict[int, str]) -> None:
        outbox = self._outbox
        if sent:
            session.execute(
                update(outbox).where(outbox.c.seq.in_(sent)).values(published_at=datetime.now(UTC))
            )
        for seq, error in failed.items():
            session.execute(
                update(outbox)
                .where(outbox.c.seq == seq)
                .values(attempts=outbox.c.attempts + 1, last_error=error[:2000])
            )

    def publish_pending(self) -> int:
        """Publish one batch; returns how many rows the broker acknowledged."""
        if self._database.dialect == "postgresql":
            # Row locks held while sending let several relay replicas share one outbox.
            with self._database.transaction() as session:
                rows = self._claim(session, lock=True)
                sent, failed = self._send(rows) if rows else ([], {})
                self._mark(session, sent, failed)
        else:
            # SQLite locks the whole file for a write: never hold it while talking to the broker, and
            # read the rows without it (a relay that polls must not queue behind the writers).
            with self._database.read() as session:
                rows = self._claim(session, lock=False)
            sent, failed = self._send(rows) if rows else ([], {})
            if sent or failed:
                with self._database.transaction() as session:
                    self._mark(session, sent, failed)
        self.last_failed = len(failed)
        OUTBOX_PUBLISHED.labels(self._service).inc(len(sent))
        if failed:
            OUTBOX_ERRORS.labels(self._service).inc(len(failed))
            log.warning("outbox events not acknowledged; will retry", extra={"failed": len(failed)})
        return len(sent)

    def backlog(self) -> int:
        with self._database.read() as session:
            count = session.execute(
                select(func.count()).select_from(self._outbox).where(self._outbox.c.published_at.is_(None))
            ).scalar_one()
        OUTBOX_BACKLOG.labels(self._service).set(count)
        return int(count)

    def run(self, stop: threading.Event) -> None:
        idle = self._settings.outbox_poll_interval_ms / 1000
        backoff = idle
        try:
            while not stop.is_set():
                try:
                    published = self.publish_pending()
                    self.backlog()
                    backoff = min(backoff * 2, MAX_BACKOFF_SECONDS) if self.last_failed else idle
                except (KafkaError, OSError) as exc:
                    log.warning("broker unavailable for the outbox relay", extra={"error": repr(exc)})
                    self._close_producer()
                    published = 0
                    backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                if published < self._settings.outbox_batch_size:
                    stop.wait(backoff)
        finally:
            self._close_producer()

    def _close_producer(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=2)
            except Exception:  # closing a producer to a dead broker must not mask the real error
                log.debug("producer close failed", exc_info=True)
            self._producer = None
