"""The chart allows only the network edges of ARCHITECTURE.md, and monitors with the shared rule files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from doudi_contracts.topics import CATALOGUE
from doudi_platform.ports import GRPC_PORTS, METRICS_PORTS
from doudi_runtime.settings import ServiceSettings

REPO = Path(__file__).resolve().parents[2]
STORE_SERVICES = {"intake", "verification", "eligibility", "disbursement", "care", "dispatch"}

#: The gRPC edges of ARCHITECTURE.md: people reach the services through the gateway; verification
#: asks the department records; disbursement pays through the bank. Facts travel by Kafka.
GRPC_EDGES = {("gateway", service) for service in STORE_SERVICES}
EXTERNAL_EDGES = {("verification", "records"), ("disbursement", "bank")}


def _component(selector: dict[str, Any]) -> str | None:
    labels = selector.get("podSelector", {}).get("matchLabels", {})
    return labels.get("app.kubernetes.io/component")


def _policies(rendered: Any) -> dict[str, dict[str, Any]]:
    return {
        p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"]: p
        for p in rendered.of_kind("NetworkPolicy")
    }


def test_every_service_is_isolated_in_both_directions(any_render: Any) -> None:
    policies = _policies(any_render)
    assert set(policies) == set(any_render.values["services"])
    for service, policy in policies.items():
        assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"], service
        assert policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/instance"] == "doudi"


def test_grpc_ingress_follows_the_architecture_edges(any_render: Any) -> None:
    values = any_render.values["services"]
    edges = set()
    for service, policy in _policies(any_render).items():
        for rule in policy["spec"]["ingress"]:
            ports = {p["port"] for p in rule["ports"]}
            if values[service]["grpcPort"] in ports:
                edges |= {(_component(peer), service) for peer in rule["from"] if _component(peer)}
    assert edges == GRPC_EDGES


def test_grpc_egress_follows_the_architecture_edges(production_render: Any) -> None:
    values = production_render.values
    edges = set()
    for service, policy in _policies(production_render).items():
        for rule in policy["spec"]["egress"]:
            ports = {p["port"] for p in rule["ports"]}
            edges |= {(service, _component(peer)) for peer in rule.get("to", []) if _component(peer)}
            for name, external in values["external"].items():
                if ports == set(external["ports"]) and rule["to"] == external["networkPeers"]:
                    edges.add((service, name))
    assert edges == GRPC_EDGES | EXTERNAL_EDGES


def test_only_services_with_a_store_reach_kafka_and_postgresql(production_render: Any) -> None:
    kafka_ports = set(production_render.values["kafka"]["ports"])
    for service, policy in _policies(production_render).items():
        reached = {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]}
        has_store = service in STORE_SERVICES
        assert (5432 in reached) is has_store, service
        assert (kafka_ports <= reached) is has_store, service


def test_metrics_are_open_to_the_monitoring_namespace_only(production_render: Any) -> None:
    for service, policy in _policies(production_render).items():
        metrics_port = production_render.values["services"][service]["metricsPort"]
        (rule,) = [r for r in policy["spec"]["ingress"] if {p["port"] for p in r["ports"]} == {metrics_port}]
        assert rule["from"] == production_render.values["networkPolicy"]["metricsFrom"]


def test_ports_are_those_of_the_local_platform() -> None:
    values = yaml.safe_load((REPO / "charts/doudi/values.yaml").read_text())
    for name, service in values["services"].items():
        assert (service["grpcPort"], service["metricsPort"]) == (GRPC_PORTS[name], METRICS_PORTS[name]), name


def test_topic_list_is_the_catalogue() -> None:
    values = yaml.safe_load((REPO / "charts/doudi/values.yaml").read_text())
    assert values["kafka"]["catalogue"] == [spec.name for spec in CATALOGUE]


def test_strimzi_topics_are_sized_from_values_with_their_dead_letter_twins(production_render: Any) -> None:
    topics = {t["spec"]["topicName"]: t["spec"] for t in production_render.of_kind("KafkaTopic")}
    assert set(topics) == {n for spec in CATALOGUE for n in (spec.name, f"{spec.name}.dlq")}
    assert topics["doudi.eligibility.entitlement.v1"]["partitions"] == 24
    assert topics["doudi.intake.application.v1"]["partitions"] == 12
    assert all(t["replicas"] == 3 and t["config"]["min.insync.replicas"] == 2 for t in topics.values())


def test_keda_scales_each_consumer_group_on_its_lag(production_render: Any) -> None:
    scaled = {s["spec"]["scaleTargetRef"]["name"]: s for s in production_render.of_kind("ScaledObject")}
    assert set(scaled) == {f"doudi-{s}-consume" for s in STORE_SERVICES}
    for service in STORE_SERVICES:
        kafka = next(
            t for t in scaled[f"doudi-{service}-consume"]["spec"]["triggers"] if t["type"] == "kafka"
        )
        # The group id the runtime's consume role joins (doudi_runtime.service.run_role).
        assert kafka["metadata"]["consumerGroup"] == f"doudi-{service}"
        assert kafka["authenticationRef"] == {"name": "doudi-kafka"}


def test_a_service_monitor_per_service_labels_targets_as_the_rules_expect(any_render: Any) -> None:
    monitors = {m["metadata"]["name"]: m for m in any_render.of_kind("ServiceMonitor")}
    assert set(monitors) == {f"doudi-{s}" for s in any_render.values["services"]}
    services = any_render.of_kind("Service")
    for name, monitor in monitors.items():
        spec = monitor["spec"]
        assert spec["jobLabel"] == "app.kubernetes.io/part-of"
        (endpoint,) = spec["endpoints"]
        assert endpoint["port"] == "metrics"
        assert {r["targetLabel"] for r in endpoint["relabelings"]} == {"service", "role"}
        selected = [
            s for s in services if spec["selector"]["matchLabels"].items() <= s["metadata"]["labels"].items()
        ]
        assert selected and all(
            s["metadata"]["labels"]["app.kubernetes.io/part-of"] == "doudi" for s in selected
        )
        assert all(any(p["name"] == "metrics" for p in s["spec"]["ports"]) for s in selected), name


def test_prometheus_rules_are_the_rule_files_the_local_prometheus_loads(any_render: Any) -> None:
    files = sorted((REPO / "deploy/prometheus/rules").glob("*.rules.yaml"))
    assert len(files) == 4
    rules = {r["metadata"]["name"]: r["spec"] for r in any_render.of_kind("PrometheusRule")}
    for path in files:
        name = "doudi-" + path.name.removesuffix(".rules.yaml").removeprefix("doudi-")
        assert rules[name] == yaml.safe_load(path.read_text()), path.name


def test_the_local_rule_files_and_dashboards_are_the_charts_own() -> None:
    chart_files = REPO / "charts/doudi/files"
    assert (REPO / "deploy/prometheus/rules").resolve() == (chart_files / "prometheus/rules").resolve()
    assert (REPO / "deploy/prometheus/dashboards").resolve() == (chart_files / "grafana/dashboards").resolve()


def test_dashboards_are_shipped_as_grafana_configmaps(any_render: Any) -> None:
    files = {p.name: p.read_text() for p in (REPO / "deploy/prometheus/dashboards").glob("*.json")}
    maps = [
        c for c in any_render.of_kind("ConfigMap") if c["metadata"]["labels"].get("grafana_dashboard") == "1"
    ]
    shipped = {key: value for c in maps for key, value in c["data"].items()}
    assert shipped.keys() == files.keys() and len(files) == 2
    assert all(shipped[name] == text.rstrip("\n") for name, text in files.items())


def test_monitoring_objects_can_be_left_out(render_chart: Any) -> None:
    rendered = render_chart(
        {
            "monitoring": {
                "serviceMonitor": {"enabled": False},
                "prometheusRule": {"enabled": False},
                "dashboards": {"enabled": False},
            },
            "networkPolicy": {"enabled": False},
        }
    )
    assert not rendered.of_kind("ServiceMonitor") and not rendered.of_kind("PrometheusRule")
    assert not rendered.of_kind("ConfigMap") and not rendered.of_kind("NetworkPolicy")
    assert 'scrape port "metrics"' in rendered.notes


#: The abuse-limit settings the doudi-limits alerts are about, as the chart sets them.
LIMIT_SETTINGS = ("MAX_REQUEST_BYTES", "RATE_LIMIT", "RATE_LIMIT_PER_SECOND", "RATE_LIMIT_BURST")


def _limits(deployment: dict[str, Any]) -> dict[str, str]:
    env = {e["name"]: e.get("value") for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    return {name: env[name] for name in LIMIT_SETTINGS}


def test_every_service_runs_with_the_runtimes_abuse_limits_and_one_service_may_differ(
    any_render: Any, render_chart: Any
) -> None:
    runtime = ServiceSettings.model_fields
    expected = {
        "MAX_REQUEST_BYTES": str(runtime["max_request_bytes"].default),
        "RATE_LIMIT": runtime["rate_limit"].default,
        "RATE_LIMIT_PER_SECOND": str(int(runtime["rate_limit_per_second"].default)),
        "RATE_LIMIT_BURST": str(runtime["rate_limit_burst"].default),
    }
    for deployment in any_render.of_kind("Deployment"):
        assert _limits(deployment) == expected, deployment["metadata"]["name"]
    raised = render_chart({"services": {"gateway": {"settings": {"RATE_LIMIT_PER_SECOND": "50"}}}})
    assert _limits(raised.named("Deployment", "doudi-gateway"))["RATE_LIMIT_PER_SECOND"] == "50"
    assert _limits(raised.named("Deployment", "doudi-intake"))["RATE_LIMIT_PER_SECOND"] == "20"


def test_the_limit_alerts_ship_with_the_chart(default_render: Any) -> None:
    rule = default_render.named("PrometheusRule", "doudi-limits")
    alerts = {r["alert"] for group in rule["spec"]["groups"] for r in group["rules"]}
    assert alerts == {"DoudiCallersRateLimited", "DoudiGatewayRateLimited", "DoudiOversizedRequests"}
