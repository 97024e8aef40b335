"""The local prometheus.yml the runner writes: every component a target, labelled as in Kubernetes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from doudi_platform import prometheus
from doudi_platform.components import RunContext, platform_components
from doudi_platform.ports import SIMULATORS, PortPlan


def _config(tmp_path: Path) -> str:
    context = RunContext(
        run_dir=tmp_path, ports=PortPlan(5000), platform_token="p", operator_token="o", python="python3"
    )
    components = platform_components(context)
    return prometheus.config_text(
        components, port=14090, assets=prometheus.assets_dir(), scrape_interval_seconds=2
    )


def test_every_component_is_scraped_with_the_labels_the_rules_use(tmp_path: Path) -> None:
    config = yaml.safe_load(_config(tmp_path))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    services = {sc["labels"]["service"]: sc for sc in jobs["doudi"]["static_configs"]}
    simulators = {sc["labels"]["service"]: sc for sc in jobs["doudi-simulators"]["static_configs"]}
    assert set(services) == {
        "intake",
        "verification",
        "eligibility",
        "disbursement",
        "care",
        "dispatch",
        "gateway",
    }
    assert set(simulators) == set(SIMULATORS)
    assert services["intake"]["targets"] == ["127.0.0.1:14101"]
    assert {sc["labels"]["role"] for sc in services.values()} == {"all"}
    assert config["global"]["scrape_interval"] == "2000ms"


def test_the_rule_files_are_the_charts(tmp_path: Path) -> None:
    config = yaml.safe_load(_config(tmp_path))
    chart_rules = Path(__file__).resolve().parents[3] / "charts/doudi/files/prometheus/rules"
    assert [Path(p) for p in config["rule_files"]] == sorted(chart_rules.resolve().glob("*.rules.yaml"))


def test_promtool_accepts_the_config(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: deploy/prometheus/install-prometheus.sh"
    path = tmp_path / "prometheus.yml"
    path.write_text(_config(tmp_path))
    result = subprocess.run(
        [promtool, "check", "config", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
