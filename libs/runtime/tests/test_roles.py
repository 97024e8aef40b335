"""A process in the consume role ends with a failure when one of its workers crashes, so its supervisor
(the kubelet, the local runner) restarts it instead of leaving a process that looks alive and does nothing."""

from __future__ import annotations

import threading
from pathlib import Path

from doudi_runtime.service import ServiceDefinition, Worker, run_role
from doudi_runtime.settings import ServiceSettings


def settings(tmp_path: Path) -> ServiceSettings:
    return ServiceSettings(
        service_name="roles_test",
        auth_mode="off",
        metrics_port=0,
        grpc_port=0,
        data_dir=tmp_path,
        shutdown_grace_seconds=0,
    )


def definition(worker: Worker) -> ServiceDefinition[ServiceSettings]:
    return ServiceDefinition(
        name="roles_test",
        settings_type=ServiceSettings,
        store=None,
        grpc_bindings=lambda _context: [],
        background_workers=lambda _context: [worker],
    )


def test_a_crashed_worker_stops_the_process_with_a_failure(tmp_path: Path) -> None:
    def crash(_stop: threading.Event) -> None:
        raise RuntimeError("the database went away")

    assert run_role(definition(Worker("sweep", crash)), "consume", settings(tmp_path)) == 1


def test_a_worker_that_returns_when_asked_to_stop_ends_the_process_cleanly(tmp_path: Path) -> None:
    def finish(stop: threading.Event) -> None:
        stop.set()

    assert run_role(definition(Worker("sweep", finish)), "consume", settings(tmp_path)) == 0
