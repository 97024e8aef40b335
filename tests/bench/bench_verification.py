"""Benchmark: accepted applications → verification reports, end to end through the broker and the
department-records simulator, each a separate process as in `make run`.

doudi: N ApplicationAccepted events are published to intake's topic at a steady offered rate; the
verification service (role `all`, SQLite store) consumes them through its inbox, asks the simulator
for every counted member, stores each report and publishes HouseholdVerified through its outbox and
relay. Throughput is reports per second over the run; latency is from publishing the acceptance to
receiving the report event, per application.
Baseline, same run, same processes: the simulator's raw QueryPerson rate from the same number of
client threads (the ceiling the department side sets), shown as households per second at the same
household size, and the ratio of the two.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

import grpc
from kafka import KafkaConsumer, KafkaProducer

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.intake.v1 import events_pb2 as intake_events
from doudi.intake.v1 import intake_pb2
from doudi.records.v1 import records_pb2, records_pb2_grpc
from doudi.verification.v1 import events_pb2
from doudi_common.testing import make_resident_id
from doudi_runtime.events.admin import ensure_topics, wait_for_broker
from doudi_runtime.events.envelope import decode, encode, new_envelope, unpack
from doudi_runtime.testing.broker import BrokerProcess

APPLICATIONS = 2000
OFFERED_PER_SECOND = 250
MEMBERS = 3
TIMEOUT_SECONDS = 180
TOKEN = "bench-token"
#: Verification processes sharing the topic's partitions and the case queue, as replicas would.
REPLICAS = int(os.environ.get("BENCH_VERIFICATION_REPLICAS", "2"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _household(rng: random.Random, index: int) -> list[str]:
    born = date(1950 + rng.randrange(60), 1 + rng.randrange(12), 1 + rng.randrange(28))
    return [make_resident_id(born, (index * MEMBERS + m) % 100, female=m % 2 == 1) for m in range(MEMBERS)]


def _accepted(application_id: str, members: list[str]) -> bytes:
    application = intake_pb2.Application(
        application_id=application_id,
        programme=programme_pb2.PROGRAMME_DIBAO,
        township=types_pb2.RegionCode(code="640402100000"),
        household=intake_pb2.Household(
            residence_region=types_pb2.RegionCode(code="640402100201"),
            household_type=intake_pb2.HOUSEHOLD_TYPE_RURAL,
            members=[
                intake_pb2.HouseholdMember(
                    person=types_pb2.Person(id_number=types_pb2.IdNumber(value=m)),
                    counted=True,
                    consent_signed=True,
                )
                for m in members
            ],
        ),
        state=intake_pb2.APPLICATION_STATE_ACCEPTED,
    )
    application.accepted_at.FromDatetime(datetime.now(UTC))
    event = intake_events.ApplicationAccepted(application_id=application_id, application=application)
    return encode(new_envelope(event, producer="intake", subject_key=application_id))


def _spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def _wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def raw_records_rate(port: int, threads: int, seconds: float = 5.0) -> float:
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    stub = records_pb2_grpc.DepartmentRecordsServiceStub(channel)
    rng = random.Random(7)
    people = [m for i in range(200) for m in _household(rng, i)]
    deadline = time.monotonic() + seconds
    counts = [0] * threads

    def worker(slot: int) -> None:
        index = slot
        while time.monotonic() < deadline:
            stub.QueryPerson(
                records_pb2.QueryPersonRequest(
                    id_number=types_pb2.IdNumber(value=people[index % len(people)]),
                    purpose="BENCH",
                    consent_reference="bench",
                ),
                metadata=(("authorization", f"Bearer {TOKEN}"),),
                timeout=5,
            )
            counts[slot] += 1
            index += threads

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, range(threads)))
    elapsed = time.perf_counter() - started
    channel.close()
    return sum(counts) / elapsed


def main(applications: int = APPLICATIONS) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        broker = BrokerProcess(log_path=work / "broker.log").start()
        processes: list[subprocess.Popen[bytes]] = []
        try:
            wait_for_broker(broker.bootstrap)
            ensure_topics(
                broker.bootstrap,
                ["doudi.intake.application.v1", "doudi.verification.report.v1"],
                partitions=6,
            )
            sim_port = _free_port()
            verification_ports = [_free_port() for _ in range(REPLICAS)]
            base = {
                "PATH": os.environ.get("PATH", ""),
                "AUTH_MODE": "token",
                "AUTH_TOKENS": f'{{"{TOKEN}": "bench"}}',
                "CLIENT_TOKEN": TOKEN,
                "LOG_LEVEL": "WARNING",
                "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
                "DATA_DIR": str(work),
            }
            processes.append(
                _spawn(
                    [sys.executable, "-m", "doudi_sim", "records"],
                    {**base, "GRPC_PORT": str(sim_port), "METRICS_PORT": str(_free_port())},
                    work / "records.log",
                )
            )
            _wait_port(sim_port)
            baseline = raw_records_rate(sim_port, threads=16)
            for replica in range(REPLICAS):
                processes.append(
                    _spawn(
                        [sys.executable, "-m", "doudi_verification", "all"],
                        {
                            **base,
                            "ENVIRONMENT": "local",
                            "GRPC_PORT": str(verification_ports[replica]),
                            "METRICS_PORT": str(_free_port()),
                            "RECORDS_TARGET": f"127.0.0.1:{sim_port}",
                            "CHECK_POLL_SECONDS": "0.05",
                            "CHECK_BATCH_SIZE": "64",
                            "CHECK_PARALLELISM": "16",
                            "RECORDS_PARALLELISM": "32",
                            "OUTBOX_POLL_INTERVAL_MS": "20",
                        },
                        work / f"verification-{replica}.log",
                    )
                )
                _wait_port(verification_ports[replica])
            sent_at: dict[str, float] = {}
            latencies: list[float] = []
            seen: set[str] = set()
            consumer = KafkaConsumer(
                "doudi.verification.report.v1",
                bootstrap_servers=broker.bootstrap,
                group_id="bench-reports",
                auto_offset_reset="earliest",
                session_timeout_ms=6000,
                heartbeat_interval_ms=1000,
            )
            while not consumer.assignment():
                consumer.poll(timeout_ms=100)
            time.sleep(5)  # verification's consumer joins its group too

            def receive() -> None:
                deadline = time.monotonic() + TIMEOUT_SECONDS
                while len(latencies) < applications and time.monotonic() < deadline:
                    for records in consumer.poll(timeout_ms=200).values():
                        now = time.perf_counter()
                        for record in records:
                            envelope = decode(record.value)
                            if envelope.event_type.endswith("HouseholdVerified"):
                                report = unpack(envelope, events_pb2.HouseholdVerified).report
                                # Delivery is at least once: a repeat is not another report.
                                if report.application_id in sent_at and report.application_id not in seen:
                                    seen.add(report.application_id)
                                    latencies.append(now - sent_at[report.application_id])

            receiver = threading.Thread(target=receive)
            receiver.start()
            producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all", linger_ms=5)
            rng = random.Random(11)
            started = time.perf_counter()
            for index in range(applications):
                application_id = f"app_bench_{index:06d}"
                due = started + index / OFFERED_PER_SECOND
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                sent_at[application_id] = time.perf_counter()
                producer.send(
                    "doudi.intake.application.v1",
                    key=application_id.encode(),
                    value=_accepted(application_id, _household(rng, index)),
                )
            producer.flush()
            receiver.join()
            elapsed = time.perf_counter() - started
            producer.close()
            consumer.close()
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
            broker.stop()
    if len(latencies) < applications:
        raise RuntimeError(f"only {len(latencies)} of {applications} reports arrived")
    latencies.sort()
    rate = applications / elapsed
    ceiling = baseline / MEMBERS
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99) - 1]
    return [
        f"records simulator, raw QueryPerson from 16 threads (baseline): {baseline:7.0f} persons/s"
        f" = {ceiling:.0f} households/s of {MEMBERS}",
        f"verification ×{REPLICAS} processes, accepted → HouseholdVerified, offered {OFFERED_PER_SECOND}/s:"
        f" {rate:7.1f} reports/s",
        f"verification latency per application: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms",
        f"verification / raw-simulator ceiling ratio: {rate / ceiling:.2f}",
    ]


if __name__ == "__main__":
    print("\n".join(main()))
