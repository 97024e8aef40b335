"""The rule files pass promtool's checks and unit tests, and every alert is tested both ways."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parent
PROMETHEUS_DIR = HERE.parent
RULE_FILES = sorted((PROMETHEUS_DIR / "rules").glob("*.rules.yaml"))
TEST_FILES = sorted(HERE.glob("*.test.yaml"))
DASHBOARDS = sorted((PROMETHEUS_DIR / "dashboards").glob("*.json"))
#: Metric names follow ARCHITECTURE.md: doudi_<subsystem>_<noun>_<unit>, or the standard gRPC names.
METRIC_NAME = re.compile(r"^(doudi_[a-z]+_[a-z0-9_]+|grpc_server_[a-z_]+|up|ALERTS)$")


def _promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is missing: `make test` installs it (deploy/prometheus/install-prometheus.sh)"
    return found


def _alerts() -> dict[str, dict[str, Any]]:
    alerts = {}
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    alerts[rule["alert"]] = rule
    return alerts


def test_there_are_rule_files_and_unit_tests() -> None:
    assert [p.name for p in RULE_FILES] == [
        "doudi-business.rules.yaml",
        "doudi-events.rules.yaml",
        "doudi-limits.rules.yaml",
        "doudi-slo.rules.yaml",
    ]
    assert len(TEST_FILES) == 4


def test_promtool_check_rules_passes() -> None:
    result = subprocess.run(
        [_promtool(), "check", "rules", *map(str, RULE_FILES)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("test_file", TEST_FILES, ids=lambda p: p.name)
def test_promtool_unit_tests_pass(test_file: Path) -> None:
    result = subprocess.run(
        [_promtool(), "test", "rules", test_file.name],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_is_tested_firing_and_silent() -> None:
    firing: set[str] = set()
    silent: set[str] = set()
    for path in TEST_FILES:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (firing if check.get("exp_alerts") else silent).add(check["alertname"])
    alerts = set(_alerts())
    assert len(alerts) == 21
    assert alerts - firing == set(), "alerts no unit test shows firing"
    assert alerts - silent == set(), "alerts no unit test shows silent (exp_alerts: [])"


def test_every_alert_has_a_severity_summary_and_runbook() -> None:
    for name, rule in _alerts().items():
        assert name.startswith("Doudi"), name
        assert rule["labels"]["severity"] in {"critical", "warning"}, name
        assert {"summary", "description", "runbook"} <= rule["annotations"].keys(), name


def test_every_runbook_link_leads_to_a_section_of_the_charts_readme() -> None:
    readme = (PROMETHEUS_DIR.parents[1] / "charts" / "README.md").read_text()
    for name, rule in _alerts().items():
        document, _, anchor = rule["annotations"]["runbook"].partition("#")
        assert document == "charts/README.md" and f'<a id="{anchor}"></a>' in readme, name


def test_rules_select_doudi_targets_and_name_metrics_by_the_convention() -> None:
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                selectors = re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}", rule["expr"])
                for metric, matchers in selectors:
                    if ":" in metric:  # a recording rule's output
                        continue
                    assert METRIC_NAME.match(metric), metric
                    assert 'job="doudi"' in matchers, f"{metric} in {rule.get('alert') or rule.get('record')}"


@pytest.mark.parametrize("dashboard", DASHBOARDS, ids=lambda p: p.name)
def test_dashboards_are_grafana_json_on_a_chosen_data_source(dashboard: Path) -> None:
    model = json.loads(dashboard.read_text())
    assert model["uid"] and model["title"].startswith("doudi / ")
    assert model["templating"]["list"][0]["type"] == "datasource"
    panels = [p for p in model["panels"] if p["type"] != "row"]
    assert len({p["id"] for p in model["panels"]}) == len(model["panels"])
    for panel in panels:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            expr = target["expr"]
            assert 'job="doudi"' in expr or expr.startswith(("doudi:", "count(ALERTS{")), expr
