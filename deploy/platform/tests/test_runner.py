"""The runner behind `make run`, with fake services and the real broker: up, one at a time, clean stop."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kafka import KafkaAdminClient

from doudi_contracts.topics import all_topic_names
from doudi_platform.certificates import OPERATOR, LocalPki
from doudi_platform.ports import PortPlan
from doudi_platform.processes import pid_alive
from doudi_platform.readiness import is_serving

HERE = Path(__file__).resolve().parent
OFFSET = 11000
# The runners listen on fixed ports (the offset above): these tests run on one pytest worker.
pytestmark = pytest.mark.xdist_group("platform-runner")


def start_runner(run_dir: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(HERE / "fake_platform.py"), str(run_dir), str(OFFSET), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_state(run_dir: Path, runner: subprocess.Popen[str], timeout: float = 60) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state_file = run_dir / "platform.json"
        if state_file.exists():
            return json.loads(state_file.read_text())
        if runner.poll() is not None:
            pytest.fail(f"runner exited early:\n{runner.stdout.read() if runner.stdout else ''}")
        time.sleep(0.1)
    runner.kill()
    pytest.fail("the fake platform did not come up")


def test_the_platform_comes_up_reports_itself_and_stops_clean(tmp_path: Path) -> None:
    runner = start_runner(tmp_path)
    state = wait_for_state(tmp_path, runner)
    try:
        names = [c["name"] for c in state["components"]]
        assert names == ["broker", "intake", "verification", "eligibility"]
        assert all(pid_alive(c["pid"]) for c in state["components"])
        admin = KafkaAdminClient(bootstrap_servers=state["broker"])
        assert set(all_topic_names()) <= set(admin.list_topics())
        admin.close()
        token_file = Path(state["operator_token_file"])
        assert token_file.stat().st_mode & 0o777 == 0o600
        assert Path(state["tls"]["dir"]) == tmp_path / "tls"
        operator = LocalPki(tmp_path / "tls").files(OPERATOR).channel_credentials()
        for component in state["components"][1:]:
            assert is_serving(component["grpc_port"], operator), component["name"]
            assert not is_serving(component["grpc_port"]), component["name"]

        second = subprocess.run(
            [sys.executable, str(HERE / "fake_platform.py"), str(tmp_path), str(OFFSET + 500)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1
        assert f"doudi is already running (pid {state['runner_pid']}" in second.stdout
    finally:
        runner.send_signal(signal.SIGINT)
        output, _ = runner.communicate(timeout=60)
    assert runner.returncode == 0, output
    assert "doudi is up in" in output and "stopped" in output
    assert "certificates issued under" in output
    assert all(
        "  mTLS  " in line for line in output.splitlines() if line.startswith(("intake ", "verification "))
    )
    assert not any(pid_alive(c["pid"]) for c in state["components"])
    assert not (tmp_path / "platform.json").exists()


def test_a_port_in_use_is_reported_by_name(tmp_path: Path) -> None:
    holder = socket.socket()
    # Like the services: a port left only in TIME_WAIT by an earlier test (a refused handshake) is free.
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", PortPlan(OFFSET).grpc("intake")))
    holder.listen()
    try:
        runner = start_runner(tmp_path)
        output, _ = runner.communicate(timeout=60)
    finally:
        holder.close()
    assert runner.returncode == 1
    assert f"port {PortPlan(OFFSET).grpc('intake')} (intake gRPC) is in use" in output


def test_a_service_that_dies_at_start_stops_everything_and_shows_its_log(tmp_path: Path) -> None:
    runner = start_runner(tmp_path, "die")
    output, _ = runner.communicate(timeout=90)
    assert runner.returncode == 1
    assert "verification exited during start-up" in output
    assert "configuration is broken" in output
    lock_holder_free = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import fcntl; f=open({str(tmp_path / 'platform.lock')!r}); "
            "fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)",
        ],
        timeout=10,
    )
    assert lock_holder_free.returncode == 0
    leftovers = subprocess.run(["pgrep", "-f", str(HERE / "fake_service.py")], capture_output=True, text=True)
    assert leftovers.stdout.strip() == ""
