"""gRPC over mutual TLS in the chart: every service shows its own certificate, and it names that service."""

from __future__ import annotations

from typing import Any

import helm_python as helm
import pytest

from .conftest import Rendered

SERVICE_URI = "spiffe://doudi/service/{}"
MOUNT = "/etc/doudi/tls"
MTLS = {"auth": {"mode": "mtls"}, "tls": {"mode": "mtls"}}


def _pod(workload: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {env["name"]: env.get("value", env.get("valueFrom")) for env in container["env"]}


def _tls_secret(workload: dict[str, Any]) -> str | None:
    """The Secret mounted at the TLS path of the workload's container, or None."""
    pod = _pod(workload)
    (container,) = pod["containers"]
    mounted = [m["name"] for m in container.get("volumeMounts", []) if m["mountPath"] == MOUNT]
    if not mounted:
        return None
    (volume,) = [v for v in pod["volumes"] if v["name"] == mounted[0]]
    name: str = volume["secret"]["secretName"]
    return name


def _service(workload: dict[str, Any]) -> str:
    component: str = workload["metadata"]["labels"]["app.kubernetes.io/component"]
    return component


def test_with_tls_every_service_mounts_its_own_certificate_in_every_role(production_render: Rendered) -> None:
    deployments = production_render.of_kind("Deployment")
    secret_of: dict[str, set[str]] = {}
    for deployment in deployments:
        secret = _tls_secret(deployment)
        assert secret is not None, f"{deployment['metadata']['name']} mounts no certificate"
        secret_of.setdefault(_service(deployment), set()).add(secret)
        env = _env(_pod(deployment)["containers"][0])
        assert env["TLS_MODE"] == "mtls" and env["AUTH_MODE"] == "mtls"
        assert (env["TLS_CERT_FILE"], env["TLS_KEY_FILE"], env["TLS_CA_FILE"]) == (
            f"{MOUNT}/tls.crt",
            f"{MOUNT}/tls.key",
            f"{MOUNT}/ca.crt",
        )
    # One certificate per service, shared by its roles (the consumers call out too), none shared.
    assert all(len(secrets) == 1 for secrets in secret_of.values())
    assert len({next(iter(s)) for s in secret_of.values()}) == len(secret_of) == 7


def test_cert_manager_issues_each_service_a_certificate_that_names_it(production_render: Rendered) -> None:
    certificates = {c["spec"]["secretName"]: c for c in production_render.of_kind("Certificate")}
    issuer = production_render.values["tls"]["certManager"]["issuerRef"]
    for deployment in production_render.of_kind("Deployment"):
        service = _service(deployment)
        certificate = certificates[_tls_secret(deployment)]  # type: ignore[index]
        spec = certificate["spec"]
        assert spec["uris"] == [SERVICE_URI.format(service)]
        # Callers dial <release>-<service>:<port> (the serve role's Service); the name must match.
        assert f"doudi-{service}" in spec["dnsNames"]
        assert f"doudi-{service}.doudi.svc.cluster.local" in spec["dnsNames"]
        assert {"server auth", "client auth"} <= set(spec["usages"])
        assert spec["issuerRef"] == issuer
    assert len(certificates) == 7


def test_migrations_need_no_certificate(production_render: Rendered) -> None:
    for job in production_render.of_kind("Job"):
        assert _tls_secret(job) is None
        assert "TLS_MODE" not in _env(_pod(job)["containers"][0])


def test_without_cert_manager_each_service_mounts_the_secret_named_for_it(render_chart: Any) -> None:
    rendered = render_chart({**MTLS, "tls": {"mode": "mtls", "secrets": {"intake": "county-intake-cert"}}})
    assert rendered.of_kind("Certificate") == []
    for deployment in rendered.of_kind("Deployment"):
        service = _service(deployment)
        expected = "county-intake-cert" if service == "intake" else f"doudi-{service}-tls"
        assert _tls_secret(deployment) == expected, deployment["metadata"]["name"]


def test_without_tls_nothing_is_mounted_and_probes_use_the_grpc_port(default_render: Rendered) -> None:
    assert default_render.of_kind("Certificate") == []
    for deployment in default_render.of_kind("Deployment"):
        assert _tls_secret(deployment) is None
        env = _env(_pod(deployment)["containers"][0])
        assert not {"TLS_MODE", "TLS_CERT_FILE", "HEALTH_PORT"} & env.keys()


def test_server_only_tls_keeps_tokens_between_services(render_chart: Any) -> None:
    rendered = render_chart({"tls": {"mode": "tls", "certManager": {"enabled": True}}})
    for deployment in rendered.of_kind("Deployment"):
        env = _env(_pod(deployment)["containers"][0])
        assert env["TLS_MODE"] == "tls" and env["AUTH_MODE"] == "token" and "CLIENT_TOKEN" in env
        assert _tls_secret(deployment) == f"doudi-{_service(deployment)}-tls"
    assert len(rendered.of_kind("Certificate")) == 7


def test_mtls_without_existing_secret_makes_one_for_people_and_systems_only(render_chart: Any) -> None:
    rendered = render_chart({**MTLS, "auth": {"mode": "mtls", "tokens": {"hospital-token": "x"}}})
    secret = rendered.named("Secret", "doudi-auth")["stringData"]
    assert "CLIENT_TOKEN" not in secret
    assert secret["AUTH_TOKENS"] == '{"hospital-token":"x"}'


def test_certificates_cannot_name_services_without_mutual_tls(render_chart: Any) -> None:
    with pytest.raises(helm.HelmError, match=r"auth.mode=mtls needs tls.mode=mtls"):
        render_chart({"auth": {"mode": "mtls"}, "tls": {"mode": "tls"}})


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"tls": {"mode": "on"}}, "mode"),
        ({"tls": {"healthPort": 0}}, "healthPort"),
        ({"tls": {"certManager": {"enabled": True, "issuerRef": {"kind": "Vault"}}}}, "issuerRef"),
        ({"auth": {"tlsSecret": "shared"}}, "tlsSecret"),
    ],
)
def test_values_schema_rejects_mistyped_tls_values(
    chart_dir: Any, values: dict[str, Any], complaint: str
) -> None:
    with helm.Chart.load(chart_dir) as chart, pytest.raises(helm.HelmError) as raised:
        chart.validate_schema(values)
    assert complaint in str(raised.value)
