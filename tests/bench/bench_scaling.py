"""Horizontal scaling of a consumer: one process, then two, drain the same backlog of a topic.

Each consumer process is the runtime's real inbox consumer (``doudi_runtime.testing.events``): it
joins the consumer group, takes its share of the topic's partitions, and records every event's effect
with its inbox row in one transaction. Each event costs a fixed piece of work (``BENCH_SCALING_WORK_MS``,
standing for a call to another system), so the ratio shows what a second replica adds. The time is
measured from the first effect to the last, so the group's join is not counted. The one-process run
is the baseline of the two-process run; the ratio is printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from doudi.common.v1.types_pb2 import Period
from doudi_runtime.events.admin import ensure_topics, wait_for_broker
from doudi_runtime.events.outbox import Outbox
from doudi_runtime.events.relay import OutboxRelay
from doudi_runtime.store import Database
from doudi_runtime.testing.broker import BrokerProcess
from doudi_runtime.testing.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_reachable,
)
from doudi_runtime.testing.events import MESSAGING, count_effects, event_test_settings, metadata

EVENTS = int(os.environ.get("BENCH_SCALING_EVENTS", "600"))
WORK_MS = float(os.environ.get("BENCH_SCALING_WORK_MS", "10"))
PARTITIONS = 6
TIMEOUT_SECONDS = 180.0


def _publish(database: Database, bootstrap: str, topic: str) -> None:
    outbox = Outbox("eventtest", MESSAGING)
    with database.transaction() as session:
        for index in range(EVENTS):
            outbox.add(
                session, topic=topic, subject_key=f"household-{index}", payload=Period(month="2026-11")
            )
    relay = OutboxRelay(database, MESSAGING, event_test_settings(bootstrap))
    while relay.publish_pending():
        pass


def _store(work: Path, replicas: int) -> str:
    """Replicas share a server database (PostgreSQL when it answers); SQLite serialises their writers."""
    if postgres_reachable():
        return create_postgres_database()
    return f"sqlite:///{work / f'effects-{replicas}.db'}"


def _drain(work: Path, bootstrap: str, topic: str, replicas: int) -> float:
    """Seconds from the first effect to the last, with ``replicas`` consumer processes."""
    database = Database(_store(work, replicas))
    metadata.create_all(database.engine)
    group = f"bench-scaling-{replicas}"
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "doudi_runtime.testing.events",
                database.url,
                bootstrap,
                topic,
                group,
                f"worker-{index}",
                str(WORK_MS / 1000),
            ],
            stdout=(work / f"consumer-{replicas}-{index}.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        for index in range(replicas)
    ]
    try:
        deadline = time.monotonic() + TIMEOUT_SECONDS
        first_seen: float | None = None
        while time.monotonic() < deadline:
            done, distinct = count_effects(database)
            if done and first_seen is None:
                first_seen = time.perf_counter()
            if distinct >= EVENTS:
                assert first_seen is not None
                if done != distinct:
                    raise RuntimeError(f"{done - distinct} events were handled twice")
                return time.perf_counter() - first_seen
            time.sleep(0.05)
        raise RuntimeError(f"{replicas} consumer(s) handled {count_effects(database)[1]} of {EVENTS} events")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        database.dispose()
        if database.url.startswith("postgresql"):
            drop_postgres_database(database.url)


def main() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        broker = BrokerProcess(log_path=work / "broker.log").start()
        try:
            wait_for_broker(broker.bootstrap)
            topic = "doudi.eventtest.scaling.v1"
            ensure_topics(broker.bootstrap, [topic, f"{topic}.dlq"], partitions=PARTITIONS)
            source = Database(f"sqlite:///{work / 'source.db'}")
            metadata.create_all(source.engine)
            _publish(source, broker.bootstrap, topic)
            source.dispose()
            one = _drain(work, broker.bootstrap, topic, replicas=1)
            two = _drain(work, broker.bootstrap, topic, replicas=2)
        finally:
            broker.stop()
    store = "PostgreSQL" if postgres_reachable() else "SQLite (one writer at a time)"
    return [
        f"backlog of {EVENTS} events on {PARTITIONS} partitions, {WORK_MS:g} ms of work per event, {store}",
        f"1 consumer process (baseline):  {one:6.2f} s  {EVENTS / one:7.1f} events/s",
        f"2 consumer processes, one group: {two:6.2f} s  {EVENTS / two:7.1f} events/s (each exactly once)",
        f"2 / 1 throughput ratio: {one / two:.2f}",
    ]


if __name__ == "__main__":
    print("\n".join(main()))
