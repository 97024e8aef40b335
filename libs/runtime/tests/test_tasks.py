"""A service's maintenance tasks are roles of their own: named on the command line, run once in a context of
their own, their summary printed, and no server or worker started."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from doudi_runtime.service import GC_THRESHOLDS, ServiceContext, ServiceDefinition, Task, main
from doudi_runtime.settings import ServiceSettings


def definition(calls: list[str]) -> ServiceDefinition[ServiceSettings]:
    def tidy(context: ServiceContext[ServiceSettings]) -> str:
        calls.append(context.settings.service_name)
        return f"tidied {len(calls)} things"

    return ServiceDefinition(
        name="tasks_test",
        settings_type=ServiceSettings,
        store=None,
        grpc_bindings=lambda _context: pytest.fail("a task starts no gRPC server"),
        background_workers=lambda _context: pytest.fail("a task starts no worker"),
        tasks=(Task("tidy", tidy),),
    )


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "SERVICE_NAME": "tasks_test",
        "AUTH_MODE": "off",
        "METRICS_PORT": "0",
        "GRPC_PORT": "0",
        "DATA_DIR": str(tmp_path),
    }.items():
        monkeypatch.setenv(name, value)


def test_a_task_runs_once_as_its_role_and_prints_what_it_did(capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[str] = []

    assert main(definition(calls), ["tidy"]) == 0

    assert calls == ["tasks_test"]
    assert capsys.readouterr().out.strip().splitlines()[-1] == "tidied 1 things"


def test_a_role_no_service_declares_is_refused() -> None:
    with pytest.raises(SystemExit) as refused:
        main(definition([]), ["reannounce"])
    assert refused.value.code == 2, "the command line names the roles it accepts"


def test_a_task_sets_the_objects_built_at_start_up_aside_from_the_collector_and_sweeps_less_often() -> None:
    gc.unfreeze()
    before = gc.get_threshold()
    seen: list[int] = []
    thresholds: list[tuple[int, ...]] = []

    def count_frozen(_context: ServiceContext[ServiceSettings]) -> str:
        seen.append(gc.get_freeze_count())
        thresholds.append(gc.get_threshold())
        return "counted"

    counting = ServiceDefinition(
        name="tasks_test",
        settings_type=ServiceSettings,
        store=None,
        grpc_bindings=lambda _context: [],
        tasks=(Task("count", count_frozen),),
    )
    try:
        assert main(counting, ["count"]) == 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
    assert seen and seen[0] > 0, "the task ran with its start-up objects frozen"
    assert thresholds == [GC_THRESHOLDS]
