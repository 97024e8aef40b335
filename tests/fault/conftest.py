"""Real processes for the fault tests: the broker, the bank simulator and disbursement, each one killable.

Every process listens on a free loopback port and keeps its data under the test's temporary folder;
disbursement's store is a SQLite file there, or a fresh PostgreSQL database with FAULT_STORE=postgresql.
The broker keeps its topics in memory: a restart loses them, so the harness creates the catalogue's
topics again, restarts disbursement (see ``FaultPlatform.restart_broker``) and re-publishes the
events the test owns (same envelopes, so the same event ids: the consumer's inbox turns what it had
already handled into no-ops).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError
from kafka.structs import TopicPartition

from doudi.common.v1.envelope_pb2 import EventEnvelope
from doudi.disbursement.v1 import disbursement_pb2_grpc
from doudi.simulator.v1 import bank_pb2 as simulator_pb2
from doudi.simulator.v1 import bank_pb2_grpc as simulator_pb2_grpc
from doudi_platform.broker import create_topics
from doudi_runtime.events.envelope import encode
from doudi_runtime.testing.broker import BrokerProcess, free_port
from doudi_runtime.testing.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_reachable,
)

ResponseT = TypeVar("ResponseT")

CLERK, FINANCE, PLATFORM = "clerk-token", "finance-token", "platform-token"
TOKENS = {CLERK: "county-clerk", FINANCE: "finance-officer", PLATFORM: "platform"}
ENTITLEMENT_TOPIC = "doudi.eligibility.entitlement.v1"
CONSUMER_GROUP = "doudi-disbursement"
START_TIMEOUT_SECONDS = 30.0
#: Disbursement's store: ``sqlite`` (a file) or ``postgresql`` (a database made for the run, dropped after).
FAULT_STORE = os.environ.get("FAULT_STORE", "sqlite")
#: Answers a test waits out while a process it killed comes back.
TRANSIENT = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


def auth(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def _serving(port: int) -> bool:
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
    except grpc.RpcError:
        return False
    return answer.status == health_pb2.HealthCheckResponse.SERVING


class ServiceProcess:
    """One doudi process (``python -m <module> <role>``) in its own process group."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str], port: int, logs: Path) -> None:
        self.name, self.argv, self.env, self.port = name, list(argv), env, port
        self.log = logs / f"{name}.log"
        self.starts = 0
        self.unexpected_exits: list[int] = []
        self._popen: subprocess.Popen[bytes] | None = None

    def start(self, **env: str) -> None:
        with self.log.open("ab") as out:
            self._popen = subprocess.Popen(
                self.argv,
                env={**self.env, **env},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not _serving(self.port):
            if self._popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self._popen.returncode}; see {self.log}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} did not serve within {START_TIMEOUT_SECONDS:.0f} s")
            time.sleep(0.05)

    def check_alive(self) -> None:
        """A process that died on its own is noted (a fault the test did not cause) and restarted."""
        if self._popen is not None and self._popen.poll() is not None:
            self.unexpected_exits.append(self._popen.returncode)
            self.start()

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, whatever the process was doing."""
        self._signal(signal.SIGKILL, wait=10)

    def stop(self) -> None:
        """SIGTERM, and SIGKILL if it has not stopped within 10 s."""
        try:
            self._signal(signal.SIGTERM, wait=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def _signal(self, sig: signal.Signals, *, wait: float) -> None:
        if self._popen is None:
            return
        if self._popen.poll() is None:
            # The process leads its own group: the signal reaches whatever it started too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._popen.pid, sig)
            self._popen.wait(timeout=wait)
        self._popen = None


class FaultPlatform:
    """The broker, the bank simulator and disbursement, and the clients a test drives them with."""

    CLERK, FINANCE = CLERK, FINANCE

    def __init__(self, root: Path) -> None:
        logs = root / "logs"
        logs.mkdir(parents=True)
        self.broker = BrokerProcess(log_path=logs / "broker.log")
        self.broker_restarts = 0
        self.owned: list[EventEnvelope] = []
        self._fault_requests = 0
        self._producer: KafkaProducer | None = None
        common = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONUNBUFFERED": "1",
            "ENVIRONMENT": "local",
            "AUTH_MODE": "token",
            "AUTH_TOKENS": json.dumps(TOKENS),
            "CLIENT_TOKEN": PLATFORM,
            "METRICS_PORT": "0",
            "LOG_FORMAT": "json",
            "LOG_LEVEL": os.environ.get("FAULT_LOG_LEVEL", "WARNING"),
            "SHUTDOWN_GRACE_SECONDS": "1",
        }
        self._postgres_url = ""
        if FAULT_STORE == "postgresql":
            if not postgres_reachable():
                pytest.skip("FAULT_STORE=postgresql, and PostgreSQL is not reachable at 127.0.0.1:5432")
            self._postgres_url = create_postgres_database()
        bank_port, disbursement_port = free_port(), free_port()
        self.bank = ServiceProcess(
            "bank",
            [sys.executable, "-m", "doudi_sim", "bank"],
            {**common, "GRPC_PORT": str(bank_port)},
            bank_port,
            logs,
        )
        self.disbursement = ServiceProcess(
            "disbursement",
            [sys.executable, "-m", "doudi_disbursement", "all"],
            {
                **common,
                "GRPC_PORT": str(disbursement_port),
                "DATA_DIR": str(root),
                "DATABASE_URL": self._postgres_url or f"sqlite:///{root / 'disbursement.db'}",
                "KAFKA_BOOTSTRAP_SERVERS": self.broker.bootstrap,
                # A killed member leaves the group when its session runs out: keep that short.
                "KAFKA_SESSION_TIMEOUT_MS": "2000",
                "KAFKA_HEARTBEAT_INTERVAL_MS": "500",
                "CONSUMER_RETRY_BACKOFF_MS": "20",
                "OUTBOX_POLL_INTERVAL_MS": "50",
                "BANK_TARGET": f"127.0.0.1:{bank_port}",
                # The bank's late answers cost this much each.
                "BANK_DEADLINE_SECONDS": "0.5",
                "PAYROLL_POLL_SECONDS": "0.05",
                # A shard whose worker was killed is taken over once this lease has run out.
                "SHARD_LEASE_SECONDS": "1",
                # So is a bank batch whose sender or asker was killed.
                "BANK_LEASE_SECONDS": "1",
            },
            disbursement_port,
            logs,
        )
        self._disbursement_channel = grpc.insecure_channel(f"127.0.0.1:{disbursement_port}")
        self._bank_channel = grpc.insecure_channel(f"127.0.0.1:{bank_port}")
        self.payroll = disbursement_pb2_grpc.DisbursementServiceStub(self._disbursement_channel)
        self.bank_simulator = simulator_pb2_grpc.BankSimulatorServiceStub(self._bank_channel)

    # -- processes --------------------------------------------------------------------------------

    def start(self) -> None:
        self.broker.start()
        create_topics(self.broker.bootstrap)
        self.bank.start()
        self.disbursement.start()

    def kill_disbursement(self, **env: str) -> None:
        """SIGKILL disbursement and start it again (with ``env`` overriding its settings)."""
        self.disbursement.kill()
        self.disbursement.start(**env)

    def restart_broker(self, outage_seconds: float = 0.0) -> None:
        """The broker goes away for a while under a running disbursement, then comes back empty.

        Its data lived in memory: the topics, their records and the group's committed offsets are gone.
        A running consumer would keep its fetch positions into the lost log (and skip the first events
        of the new one), and the broker keeps a member that leaves while the group re-forms as its
        leader for good; so, as an operator does after the broker lost its data, disbursement is
        stopped before the broker returns and started after it. The test's own events are then
        published again: those already handled are no-ops in disbursement's inbox.
        """
        if self._producer is not None:
            self._producer.close(timeout=1)
            self._producer = None
        self.broker.stop()
        time.sleep(outage_seconds)
        self.disbursement.stop()
        self.broker.restart()
        self.broker_restarts += 1
        create_topics(self.broker.bootstrap)
        self.disbursement.start()
        self.publish(self.owned, own=False)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=1)
        self._disbursement_channel.close()
        self._bank_channel.close()
        self.disbursement.stop()
        self.bank.stop()
        self.broker.stop()
        if self._postgres_url:
            drop_postgres_database(self._postgres_url)

    # -- events -----------------------------------------------------------------------------------

    def publish(self, envelopes: Sequence[EventEnvelope], *, own: bool = True) -> None:
        """Publish to the real entitlement topic, keyed by subject like eligibility's relay does."""
        if own:
            self.owned.extend(envelopes)
        if self._producer is None:
            self._producer = KafkaProducer(bootstrap_servers=self.broker.bootstrap, acks="all")
        futures = [
            self._producer.send(ENTITLEMENT_TOPIC, key=e.subject_key.encode(), value=encode(e))
            for e in envelopes
        ]
        for future in futures:
            future.get(timeout=10)

    def forget_events(self) -> None:
        """The test's events so far are in the store for good: a later broker restart need not resend them."""
        self.owned.clear()

    def consumed_everything(self) -> bool:
        """True once disbursement's group has committed the end of every entitlement partition.

        Offsets are committed only after the inbox transaction, so this says the roster holds every
        event published so far, without looking into disbursement's store.
        """
        try:
            admin = KafkaAdminClient(bootstrap_servers=self.broker.bootstrap, request_timeout_ms=2000)
            try:
                committed = admin.list_group_offsets({CONSUMER_GROUP: None}).get(CONSUMER_GROUP, {})
            finally:
                admin.close()
            reader = KafkaConsumer(bootstrap_servers=self.broker.bootstrap, request_timeout_ms=2000)
            try:
                partitions = [
                    TopicPartition(ENTITLEMENT_TOPIC, p)
                    for p in reader.partitions_for_topic(ENTITLEMENT_TOPIC) or ()
                ]
                ends = reader.end_offsets(partitions) if partitions else {}
            finally:
                reader.close()
        except (KafkaError, OSError):
            return False
        return bool(ends) and all(
            end == 0 or (tp in committed and committed[tp].offset >= end) for tp, end in ends.items()
        )

    # -- the bank ---------------------------------------------------------------------------------

    @staticmethod
    def call(method: Callable[..., ResponseT], request: Any, token: str) -> ResponseT:
        return call(method, request, token)

    @staticmethod
    def wait_until(
        condition: Callable[[], bool], *, timeout: float, what: str, tick: Callable[[], None]
    ) -> None:
        wait_until(condition, timeout=timeout, what=what, tick=tick)

    def bank_faults(self, **faults: Any) -> None:
        """Set the bank's faults (``doudi.simulator.v1.Faults`` fields); none given heals it."""
        self._fault_requests += 1
        request = simulator_pb2.SetFaultsRequest(
            request_id=f"faults-{self._fault_requests}", faults=simulator_pb2.Faults(**faults)
        )
        call(self.bank_simulator.SetFaults, request, PLATFORM)

    def booked(self, key_contains: str) -> list[simulator_pb2.BookedPayment]:
        request = simulator_pb2.ListBookedPaymentsRequest(idempotency_key_contains=key_contains)
        return list(call(self.bank_simulator.ListBookedPayments, request, PLATFORM).payments)


def call(method: Callable[..., ResponseT], request: Any, token: str, *, patience: float = 30.0) -> ResponseT:
    """Call as a client does that retries the same request (same request_id) while the callee restarts."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return method(request, metadata=auth(token), timeout=5)
        except grpc.RpcError as error:
            if error.code() not in TRANSIENT or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str, tick: Callable[[], None]) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        tick()
        time.sleep(0.02)


@pytest.fixture(scope="module")
def fault_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultPlatform]:
    platform = FaultPlatform(tmp_path_factory.mktemp("fault"))
    try:
        platform.start()
        yield platform
    finally:
        platform.close()
