"""Debian's Prometheus beside the local platform: its configuration, its command line, its readiness."""

from __future__ import annotations

import json
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from string import Template

from doudi_platform.components import Component
from doudi_platform.ports import HOST, SIMULATORS

BINARY = "prometheus"
INSTALL_HINT = "deploy/prometheus/install-prometheus.sh installs Debian's prometheus package"


def assets_dir() -> Path:
    """deploy/prometheus of this checkout: the config template, and the rule files the chart ships."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "deploy" / "prometheus"
        if (candidate / "prometheus.local.yml").is_file():
            return candidate
    candidate = Path.cwd() / "deploy" / "prometheus"
    if (candidate / "prometheus.local.yml").is_file():
        return candidate
    raise FileNotFoundError("deploy/prometheus/prometheus.local.yml not found: run from the repository")


def rule_files(assets: Path) -> list[Path]:
    return sorted((assets / "rules").resolve().glob("*.rules.yaml"))


def _targets(components: Sequence[Component], *, simulators: bool) -> list[dict[str, object]]:
    return [
        {
            "targets": [f"{HOST}:{c.metrics_port}"],
            "labels": {"service": c.name, "role": "simulator" if simulators else "all"},
        }
        for c in components
        if c.metrics_port and (c.name in SIMULATORS) is simulators
    ]


def config_text(
    components: Sequence[Component],
    *,
    port: int,
    assets: Path,
    scrape_interval_seconds: float = 5.0,
) -> str:
    """The prometheus.yml of a run: every component's /metrics, the shared rule files."""
    interval = f"{round(scrape_interval_seconds * 1000)}ms"
    template = Template((assets / "prometheus.local.yml").read_text())
    return template.substitute(
        scrape_interval=interval,
        scrape_timeout=interval,
        rule_files=json.dumps([str(path) for path in rule_files(assets)]),
        service_targets=json.dumps(_targets(components, simulators=False)),
        simulator_targets=json.dumps(_targets(components, simulators=True)),
        prometheus_address=json.dumps(f"{HOST}:{port}"),
    )


def binary() -> str:
    found = shutil.which(BINARY)
    if found is None:
        raise FileNotFoundError(f"no '{BINARY}' on PATH ({INSTALL_HINT})")
    return found


def argv(config: Path, data_dir: Path, port: int, executable: str | None = None) -> tuple[str, ...]:
    return (
        executable or binary(),
        f"--config.file={config}",
        f"--storage.tsdb.path={data_dir}",
        "--storage.tsdb.retention.time=2d",
        f"--web.listen-address={HOST}:{port}",
        "--log.level=warn",
    )


def is_ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/-/ready", timeout=1) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def wait_until_ready(port: int, timeout: float, abort: Callable[[], bool] = lambda: False) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_ready(port):
            return True
        if abort():
            return False
        time.sleep(0.2)
    return False
