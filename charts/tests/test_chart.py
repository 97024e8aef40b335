"""What operators rely on in the chart: it lints, it validates, and every workload is run safely."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate
import pytest
import yaml

from doudi_common.fieldcrypt import KeyRing

#: The Kubernetes release the manifests are validated against (Chart.yaml's kubeVersion floor is 1.27).
KUBERNETES_VERSIONS = ("1.27.0", "1.31.0")
#: Custom resources the chart may render; their operators (Prometheus Operator, KEDA, Strimzi)
#: validate them, kubernetes-validate knows only the built-in kinds.
CUSTOM_KINDS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
    ("keda.sh/v1alpha1", "ScaledObject"),
    ("kafka.strimzi.io/v1beta2", "KafkaTopic"),
    ("cert-manager.io/v1", "Certificate"),
}
STORE_SERVICES = ("intake", "verification", "eligibility", "disbursement", "care", "dispatch")
SERVICES = (*STORE_SERVICES, "gateway")


def _containers(pod_owner: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_owner["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def _workloads(rendered: Any) -> list[dict[str, Any]]:
    return rendered.of_kind("Deployment") + rendered.of_kind("Job")


# ------------------------------------------------------------------------------------ lint and schema


@pytest.mark.parametrize("values_name", ["defaults", "production"])
def test_chart_lints_clean(chart_dir: Path, production_values_file: Path, values_name: str) -> None:
    values = yaml.safe_load(production_values_file.read_text()) if values_name == "production" else None
    report = helm.lint(chart_dir, values, strict=True, namespace="doudi", kube_version="v1.31.0")
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert report["errors"] == [] and problems == [], report


def test_values_schema_accepts_defaults_and_production(chart_dir: Path, production_values_file: Path) -> None:
    with helm.Chart.load(chart_dir) as chart:
        chart.validate_schema(None)
        chart.validate_schema(yaml.safe_load(production_values_file.read_text()))


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        (
            {
                "containerSecurityContext": {
                    "readOnlyRootFilesystem": False,
                    "allowPrivilegeEscalation": False,
                }
            },
            "readOnlyRootFilesystem",
        ),
        ({"podSecurityContext": {"runAsNonRoot": False}}, "runAsNonRoot"),
        ({"auth": {"mode": "none"}}, "mode"),
        ({"services": {"intake": {"replicaCount": 3}}}, "replicaCount"),
        ({"services": {"intake": {"settings": {"grpc_port": "1"}}}}, "grpc_port"),
        ({"roleDefaults": {"serve": {"autoscaling": {"minReplicas": 0}}}}, "minReplicas"),
        ({"kafka": {"bootstrapServers": ""}}, "bootstrapServers"),
    ],
)
def test_values_schema_rejects_unsafe_or_mistyped_values(
    chart_dir: Path, values: dict[str, Any], complaint: str
) -> None:
    with helm.Chart.load(chart_dir) as chart, pytest.raises(helm.HelmError) as raised:
        chart.validate_schema(values)
    assert complaint in str(raised.value)


# ------------------------------------------------------------------------- Kubernetes schema validation


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_validates_against_the_kubernetes_schemas(any_render: Any, version: str) -> None:
    checked = 0
    for manifest in any_render.objects:
        if (manifest["apiVersion"], manifest["kind"]) in CUSTOM_KINDS:
            assert manifest["metadata"]["name"] and manifest["spec"], manifest
            continue
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(
                f"{manifest['kind']} {manifest['metadata']['name']}: {exc.message} at {list(exc.path)}"
            )
        checked += 1
    assert checked > 50


# ------------------------------------------------------------------------------ what every pod gets


def test_every_service_runs_its_roles_as_deployments(any_render: Any) -> None:
    names = {d["metadata"]["name"] for d in any_render.of_kind("Deployment")}
    expected = {f"doudi-{s}" for s in SERVICES}
    expected |= {f"doudi-{s}-{role}" for s in STORE_SERVICES for role in ("consume", "relay")}
    assert names == expected


def test_every_container_has_probes_and_resource_limits(any_render: Any) -> None:
    for deployment in any_render.of_kind("Deployment"):
        for container in _containers(deployment):
            where = f"{deployment['metadata']['name']}/{container['name']}"
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                assert probe in container, f"{where} has no {probe}"
            limits = container["resources"]["limits"]
            requests = container["resources"]["requests"]
            assert {"cpu", "memory"} <= limits.keys() and {"cpu", "memory"} <= requests.keys(), where
    for job in any_render.of_kind("Job"):
        for container in _containers(job):
            assert {"cpu", "memory"} <= container["resources"]["limits"].keys(), job["metadata"]["name"]


def test_serve_roles_are_probed_on_the_grpc_health_service(any_render: Any) -> None:
    tls = any_render.values["tls"]
    # With TLS the health service also answers alone on a plaintext port: the kubelet speaks no TLS.
    ports = {
        name: tls["healthPort"] if tls["mode"] != "off" else svc["grpcPort"]
        for name, svc in any_render.values["services"].items()
    }
    for deployment in any_render.of_kind("Deployment"):
        labels = deployment["metadata"]["labels"]
        if labels["doudi.io/role"] != "serve":
            continue
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        port = ports[labels["app.kubernetes.io/component"]]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"] == {"port": port}, deployment["metadata"]["name"]


def test_workers_without_grpc_are_probed_on_the_metrics_health_endpoint(any_render: Any) -> None:
    for deployment in any_render.of_kind("Deployment"):
        if deployment["metadata"]["labels"]["doudi.io/role"] == "serve":
            continue
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}


def test_every_deployment_has_an_autoscaler_and_a_disruption_budget(any_render: Any) -> None:
    scaled = {h["spec"]["scaleTargetRef"]["name"] for h in any_render.of_kind("HorizontalPodAutoscaler")}
    scaled |= {s["spec"]["scaleTargetRef"]["name"] for s in any_render.of_kind("ScaledObject")}
    pdbs = {p["metadata"]["name"]: p for p in any_render.of_kind("PodDisruptionBudget")}
    for deployment in any_render.of_kind("Deployment"):
        name = deployment["metadata"]["name"]
        assert name in scaled, f"{name} has no HorizontalPodAutoscaler or ScaledObject"
        assert "replicas" not in deployment["spec"], f"{name} fixes replicas, which the autoscaler owns"
        assert pdbs[name]["spec"]["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    hpa_targets = [h["spec"]["scaleTargetRef"]["name"] for h in any_render.of_kind("HorizontalPodAutoscaler")]
    keda_targets = [s["spec"]["scaleTargetRef"]["name"] for s in any_render.of_kind("ScaledObject")]
    assert not set(hpa_targets) & set(keda_targets), "KEDA and an HPA must not both scale one Deployment"


def test_no_container_runs_as_root_or_writes_its_root_filesystem(any_render: Any) -> None:
    for workload in _workloads(any_render):
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"].get("runAsUser", 1) != 0
        assert pod["automountServiceAccountToken"] is False
        for container in _containers(workload):
            context = container["securityContext"]
            where = f"{workload['metadata']['name']}/{container['name']}"
            assert context.get("runAsUser", 1) != 0, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            assert {m["mountPath"] for m in container["volumeMounts"]} >= {"/tmp"}, where


# ------------------------------------------------------------------------------ settings and secrets


def _settings_fields(service: str) -> set[str]:
    """The environment variables a service reads: its settings class's fields, upper-cased."""
    module = __import__(f"doudi_{service}.main", fromlist=["DEFINITION"])
    return {name.upper() for name in module.DEFINITION.settings_type.model_fields}


def test_every_environment_variable_is_a_setting_the_service_reads(any_render: Any) -> None:
    for workload in _workloads(any_render):
        service = workload["metadata"]["labels"]["app.kubernetes.io/component"]
        calls = any_render.values["services"][service].get("calls", [])
        # The gateway is handed every service it may call; it reads those it needs so far.
        known = _settings_fields(service) | {f"{called.upper()}_TARGET" for called in calls}
        for container in _containers(workload):
            names = [env["name"] for env in container["env"]]
            assert len(names) == len(set(names)), f"{workload['metadata']['name']} repeats a variable"
            assert set(names) <= known, (
                f"{workload['metadata']['name']}: {set(names) - known} are no settings"
            )


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {env["name"]: env.get("value", env.get("valueFrom")) for env in container["env"]}


def test_services_run_in_production_mode_reachable_and_without_migrating_on_start(any_render: Any) -> None:
    for deployment in any_render.of_kind("Deployment"):
        env = _env(deployment["spec"]["template"]["spec"]["containers"][0])
        assert env["ENVIRONMENT"] == "production"
        assert env["MIGRATE_ON_START"] == "false"
        assert env["GRPC_HOST"] == env["METRICS_HOST"] == "0.0.0.0"
        mode = any_render.values["auth"]["mode"]
        assert env["AUTH_MODE"] == mode != "off"
        assert "secretKeyRef" in env["AUTH_TOKENS"]
        # With mtls the services' certificates name them: they hold no shared platform token.
        assert ("CLIENT_TOKEN" in env) is (mode == "token")


def test_database_urls_come_from_secrets_and_each_store_has_its_own(any_render: Any) -> None:
    secrets = {s["metadata"]["name"]: s for s in any_render.of_kind("Secret")}
    used: dict[str, str] = {}
    for workload in _workloads(any_render):
        service = workload["metadata"]["labels"]["app.kubernetes.io/component"]
        env = _env(workload["spec"]["template"]["spec"]["containers"][0])
        if service == "gateway":
            assert "DATABASE_URL" not in env
            continue
        ref = env["DATABASE_URL"]["secretKeyRef"]
        assert used.setdefault(service, ref["name"]) == ref["name"]
        if ref["name"] in secrets:  # made by the chart (otherwise an operator's existing Secret)
            url = secrets[ref["name"]]["stringData"]["DATABASE_URL"]
            assert url.startswith("postgresql://") and url.split("?")[0].endswith(f"/doudi_{service}")
    assert len(set(used.values())) == len(STORE_SERVICES)


def test_database_secrets_exist_before_the_migrations_that_need_them(default_render: Any) -> None:
    hooks = {
        s["metadata"]["name"]: s["metadata"].get("annotations", {}) for s in default_render.of_kind("Secret")
    }
    for job in default_render.of_kind("Job"):
        annotations = job["metadata"]["annotations"]
        assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
        (container,) = job["spec"]["template"]["spec"]["containers"]
        assert container["args"] == ["migrate"]
        secret = _env(container)["DATABASE_URL"]["secretKeyRef"]["name"]
        assert "pre-install" in hooks[secret]["helm.sh/hook"]
        assert int(hooks[secret]["helm.sh/hook-weight"]) < int(annotations["helm.sh/hook-weight"])


def test_each_store_seals_personal_data_under_keys_of_its_own_made_before_its_migrations(
    default_render: Any,
) -> None:
    secrets = {s["metadata"]["name"]: s for s in default_render.of_kind("Secret")}
    used: dict[str, str] = {}
    for workload in _workloads(default_render):
        service = workload["metadata"]["labels"]["app.kubernetes.io/component"]
        env = _env(workload["spec"]["template"]["spec"]["containers"][0])
        if service == "gateway":
            assert "FIELD_ENCRYPTION_KEYS" not in env
            continue
        refs = {name: env[name]["secretKeyRef"] for name in ("FIELD_ENCRYPTION_KEYS", "LOOKUP_HASH_KEYS")}
        (secret_name,) = {ref["name"] for ref in refs.values()}
        assert used.setdefault(service, secret_name) == secret_name
        secret = secrets[secret_name]
        annotations = secret["metadata"]["annotations"]
        assert annotations["helm.sh/resource-policy"] == "keep"
        if workload["kind"] == "Job":
            job_weight = int(workload["metadata"]["annotations"]["helm.sh/hook-weight"])
            assert int(annotations["helm.sh/hook-weight"]) < job_weight
        for name, ref in refs.items():
            assert KeyRing.parse(secret["stringData"][ref["key"]]).keys, name
    assert len(set(used.values())) == len(STORE_SERVICES)


def test_operators_can_name_their_own_key_secrets(render_chart: Any) -> None:
    rendered = render_chart({"fieldKeys": {"existingSecrets": {"care": "care-keys-from-vault"}}})
    deployment = rendered.named("Deployment", "doudi-care")
    env = _env(deployment["spec"]["template"]["spec"]["containers"][0])
    assert env["FIELD_ENCRYPTION_KEYS"]["secretKeyRef"]["name"] == "care-keys-from-vault"
    names = {s["metadata"]["name"] for s in rendered.of_kind("Secret")}
    assert "doudi-care-field-keys" not in names and "doudi-intake-field-keys" in names


def test_a_migrations_job_per_store(any_render: Any) -> None:
    jobs = {j["metadata"]["name"] for j in any_render.of_kind("Job")}
    assert jobs == {f"doudi-{s}-migrate" for s in STORE_SERVICES}


def test_database_password_is_url_encoded(render_chart: Any) -> None:
    rendered = render_chart({"postgresql": {"passwords": {"care": "p@ss:w/rd"}}})
    secret = rendered.named("Secret", "doudi-care-database")
    assert secret["stringData"]["DATABASE_URL"].startswith("postgresql://doudi_care:p%40ss%3Aw%2Frd@")


def test_generated_platform_token_is_accepted_by_every_service(default_render: Any) -> None:
    auth = default_render.named("Secret", "doudi-auth")["stringData"]
    tokens = yaml.safe_load(auth["AUTH_TOKENS"])
    assert len(auth["CLIENT_TOKEN"]) >= 32 and tokens[auth["CLIENT_TOKEN"]] == "platform"


def test_user_settings_reach_the_service_and_override_global_ones(render_chart: Any) -> None:
    values = {
        "settings": {"LOG_LEVEL": "WARNING"},
        "services": {"care": {"settings": {"LOG_LEVEL": "DEBUG"}}},
    }
    rendered = render_chart(values)
    care = _env(rendered.named("Deployment", "doudi-care")["spec"]["template"]["spec"]["containers"][0])
    intake = _env(rendered.named("Deployment", "doudi-intake")["spec"]["template"]["spec"]["containers"][0])
    assert care["LOG_LEVEL"] == "DEBUG" and intake["LOG_LEVEL"] == "WARNING"


def test_a_role_can_be_switched_off_and_resized(render_chart: Any) -> None:
    values = {
        "services": {
            "care": {"roles": {"relay": {"enabled": False}, "consume": {"autoscaling": {"maxReplicas": 2}}}}
        }
    }
    rendered = render_chart(copy.deepcopy(values))
    names = {d["metadata"]["name"] for d in rendered.of_kind("Deployment")}
    assert "doudi-care-relay" not in names and "doudi-care-consume" in names
    hpa = rendered.named("HorizontalPodAutoscaler", "doudi-care-consume")
    assert hpa["spec"]["maxReplicas"] == 2 and hpa["spec"]["minReplicas"] == 1


def test_services_reach_a_secured_kafka_with_credentials_from_a_secret(
    production_render: Any, default_render: Any
) -> None:
    for workload in production_render.of_kind("Deployment"):
        pod = workload["spec"]["template"]["spec"]
        for container in _containers(workload):
            env = _env(container)
            if "KAFKA_BOOTSTRAP_SERVERS" not in env:
                continue
            assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
            assert env["KAFKA_SASL_PASSWORD"]["secretKeyRef"]["name"] == "doudi-kafka-user"
            assert env["KAFKA_SSL_CAFILE"] == "/etc/doudi/kafka/ca.crt"
            mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
            assert mounts["kafka-ca"] == "/etc/doudi/kafka"
            volumes = {v["name"]: v for v in pod["volumes"]}
            assert volumes["kafka-ca"]["secret"]["secretName"] == "doudi-kafka-cluster-ca-cert"
    for workload in _workloads(default_render):
        for container in _containers(workload):
            assert "KAFKA_SECURITY_PROTOCOL" not in _env(container), "plaintext is the settings' default"
