"""Mutual TLS on a real server: only certificates of the platform's CA get in, and a service's
certificate names it to the authorisation layer the way a token does."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from doudi.common.v1.types_pb2 import Period
from doudi_runtime.authz.policy import ServicePolicy, rule
from doudi_runtime.authz.principal import Role
from doudi_runtime.grpc.client import ChannelFactory
from doudi_runtime.grpc.interceptors import ON_BEHALF_OF_KEY
from doudi_runtime.grpc.server import GrpcServer, GrpcServiceBinding
from doudi_runtime.pki import CertificateAuthority, KeyPair

from .conftest import SERVICE, EchoServicer, EchoState, _add_echo, make_settings, unary

DAY = timedelta(days=1)
HOSPITAL = (
    '{"name": "county-hospital", "org": "县人民医院", "role": "external_system", '
    '"scopes": ["beneficiary.status"]}'
)
PHARMACY = '{"name": "pharmacy", "org": "药店", "role": "external_system", "scopes": ["monitoring.report"]}'
#: WhoAmI stands for a narrow query an outside system may make with its scope; Echo has no rule.
STATUS_QUERY = ServicePolicy(SERVICE, {"WhoAmI": rule(Role.EXTERNAL_SYSTEM, scopes=["beneficiary.status"])})
TOKENS = f'{{"hospital-token": {HOSPITAL}, "pharmacy-token": {PHARMACY}}}'


@dataclass(frozen=True)
class Pki:
    directory: Path
    ca: CertificateAuthority
    other_ca: CertificateAuthority

    def files(self, name: str) -> dict[str, Any]:
        return {
            "tls_cert_file": self.directory / f"{name}.pem",
            "tls_key_file": self.directory / f"{name}.key",
            "tls_ca_file": self.directory / "ca.pem",
        }

    def pair(self, name: str) -> KeyPair:
        return KeyPair.read(self.directory / f"{name}.pem", self.directory / f"{name}.key")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    ca = CertificateAuthority.create("doudi test CA", valid_for=DAY)
    other = CertificateAuthority.create("doudi test CA", valid_for=DAY)  # same name, another key
    (directory / "ca.pem").write_bytes(ca.cert_pem)
    issued = {
        "server": ca.issue(
            "demo", service="demo", dns_names=["localhost"], ip_addresses=["127.0.0.1"], valid_for=DAY
        ),
        "verification": ca.issue("verification", service="verification", valid_for=DAY),
        "gateway": ca.issue("gateway", service="gateway", valid_for=DAY),
        # A certificate of the right CA that names no service: an operator's tools, an outside system.
        "operator": ca.issue("verification", valid_for=DAY),
        "forged": other.issue("verification", service="verification", valid_for=DAY),
    }
    for name, pair in issued.items():
        pair.write(directory / f"{name}.pem", directory / f"{name}.key")
    return Pki(directory, ca, other)


def mtls(pki: Pki, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "auth_mode": "mtls",
        "tls_mode": "mtls",
        "auth_tokens": TOKENS,
        "client_token": None,
        **pki.files(name),
        **extra,
    }


@pytest.fixture
def serve(pki: Pki) -> Iterator[Callable[..., tuple[str, EchoState, int | None]]]:
    """Start the echo server over mTLS, optionally behind a policy: its target, state and health port."""
    servers: list[GrpcServer] = []

    def start(policy: ServicePolicy | None = None, **overrides: Any) -> tuple[str, EchoState, int | None]:
        state = EchoState()
        server = GrpcServer(
            make_settings(**{**mtls(pki, "server"), **overrides}),
            [GrpcServiceBinding(SERVICE, EchoServicer(state), _add_echo, policy)],
        )
        servers.append(server)
        return f"127.0.0.1:{server.start()}", state, server.probe_port

    yield start
    for server in servers:
        server.stop(0)


def client_channel(pki: Pki, name: str | None, target: str) -> grpc.Channel:
    """A channel that checks the server against the CA and shows ``name``'s certificate (None: none)."""
    if name is None:
        credentials = grpc.ssl_channel_credentials(root_certificates=pki.ca.cert_pem)
    else:
        pair = pki.pair(name)
        credentials = grpc.ssl_channel_credentials(pki.ca.cert_pem, pair.key_pem, pair.cert_pem)
    return grpc.secure_channel(target, credentials)


def who(channel: grpc.Channel, *metadata: tuple[str, str]) -> str:
    return unary(channel, "WhoAmI")(Period(), timeout=5, metadata=metadata).month.split("|")[0]


def refusal(call: Callable[[], object]) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as raised:
        call()
    return raised.value.code()


def bearer(token: str) -> tuple[str, str]:
    return ("authorization", f"Bearer {token}")


def test_a_service_certificate_names_the_caller_through_the_client_factory(pki: Pki, serve) -> None:  # type: ignore[no-untyped-def]
    target, state, _ = serve()
    factory = ChannelFactory(make_settings(**mtls(pki, "verification")))
    try:
        assert who(factory.channel(target)) == "verification"
    finally:
        factory.close()
    assert state.calls["WhoAmI"] == 1


def test_a_client_without_a_certificate_is_refused_before_any_handler_runs(pki: Pki, serve) -> None:  # type: ignore[no-untyped-def]
    target, state, _ = serve()
    with client_channel(pki, None, target) as channel:
        assert refusal(lambda: who(channel, bearer("hospital-token"))) is grpc.StatusCode.UNAVAILABLE
    assert state.calls["WhoAmI"] == 0


def test_a_certificate_of_another_ca_is_refused_even_with_the_same_names(pki: Pki, serve) -> None:  # type: ignore[no-untyped-def]
    target, state, _ = serve()
    with client_channel(pki, "forged", target) as channel:
        assert refusal(lambda: who(channel)) is grpc.StatusCode.UNAVAILABLE
    assert state.calls["WhoAmI"] == 0


def test_a_plaintext_client_is_refused(pki: Pki, serve) -> None:  # type: ignore[no-untyped-def]
    target, state, _ = serve()
    with grpc.insecure_channel(target) as channel:
        assert refusal(lambda: who(channel, bearer("hospital-token"))) is grpc.StatusCode.UNAVAILABLE
    assert state.calls["WhoAmI"] == 0


def test_the_client_refuses_a_server_whose_certificate_is_of_another_ca(
    pki: Pki, tmp_path: Path, serve
) -> None:  # type: ignore[no-untyped-def]
    impostor = pki.other_ca.issue("demo", service="demo", ip_addresses=["127.0.0.1"], valid_for=DAY)
    impostor.write(tmp_path / "impostor.pem", tmp_path / "impostor.key")
    (tmp_path / "other-ca.pem").write_bytes(pki.other_ca.cert_pem)
    target, state, _ = serve(
        tls_cert_file=tmp_path / "impostor.pem",
        tls_key_file=tmp_path / "impostor.key",
        tls_ca_file=pki.directory / "ca.pem",
    )
    with client_channel(pki, "verification", target) as channel:
        assert refusal(lambda: who(channel)) is grpc.StatusCode.UNAVAILABLE
    assert state.calls["WhoAmI"] == 0


def test_a_certificate_that_names_no_service_opens_the_connection_but_not_the_call(pki: Pki, serve) -> None:  # type: ignore[no-untyped-def]
    target, state, _ = serve(STATUS_QUERY)
    with client_channel(pki, "operator", target) as channel:
        assert refusal(lambda: who(channel)) is grpc.StatusCode.UNAUTHENTICATED
        assert refusal(lambda: who(channel, bearer("not-a-token"))) is grpc.StatusCode.UNAUTHENTICATED
        assert who(channel, bearer("hospital-token")) == "county-hospital"
    assert state.calls["WhoAmI"] == 1


def test_an_invalid_token_is_refused_even_over_a_service_certificate(pki: Pki, serve) -> None:  # type: ignore[no-untyped-def]
    target, _, _ = serve()
    with client_channel(pki, "verification", target) as channel:
        assert refusal(lambda: who(channel, bearer("not-a-token"))) is grpc.StatusCode.UNAUTHENTICATED


def test_certificate_and_token_identities_reach_the_authorisation_rules(pki: Pki, serve) -> None:  # type: ignore[no-untyped-def]
    target, _, _ = serve(STATUS_QUERY)
    with client_channel(pki, "verification", target) as service:
        # A doudi service (its certificate) may call every method that has a rule ...
        assert who(service) == "verification"
        # ... but none without one: the policy saw the caller, it did not just let a certificate in.
        assert (
            refusal(lambda: unary(service, "Echo")(Period(), timeout=5)) is grpc.StatusCode.PERMISSION_DENIED
        )
    with client_channel(pki, "operator", target) as outside:
        assert who(outside, bearer("hospital-token")) == "county-hospital"
        assert refusal(lambda: who(outside, bearer("pharmacy-token"))) is grpc.StatusCode.PERMISSION_DENIED


def test_a_service_certificate_may_forward_a_person_and_a_plain_certificate_may_not(pki: Pki, serve) -> None:  # type: ignore[no-untyped-def]
    target, _, _ = serve(STATUS_QUERY)
    forwarded = (ON_BEHALF_OF_KEY, json.dumps(json.loads(HOSPITAL)))
    with client_channel(pki, "gateway", target) as gateway:
        assert who(gateway, forwarded) == "county-hospital"
    with client_channel(pki, "operator", target) as outside:
        code = refusal(lambda: who(outside, bearer("pharmacy-token"), forwarded))
        assert code is grpc.StatusCode.PERMISSION_DENIED


def test_server_only_tls_carries_token_authentication(pki: Pki, serve) -> None:  # type: ignore[no-untyped-def]
    target, _, _ = serve(auth_mode="token", tls_mode="tls", auth_tokens='{"svc-token": "platform"}')
    factory = ChannelFactory(
        make_settings(
            auth_mode="token",
            tls_mode="tls",
            auth_tokens='{"svc-token": "platform"}',
            client_token="svc-token",
            **pki.files("verification"),
        )
    )
    try:
        assert who(factory.channel(target)) == "platform"
    finally:
        factory.close()
    with grpc.insecure_channel(target) as plaintext:
        assert refusal(lambda: who(plaintext, bearer("svc-token"))) is grpc.StatusCode.UNAVAILABLE


def test_probes_that_speak_no_tls_get_health_alone_on_the_health_port(pki: Pki, serve) -> None:  # type: ignore[no-untyped-def]
    target, state, probe_port = serve(health_port=0)
    with grpc.insecure_channel(f"127.0.0.1:{probe_port}") as probe:
        answer = health_pb2_grpc.HealthStub(probe).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
        assert refusal(lambda: who(probe, bearer("hospital-token"))) is grpc.StatusCode.UNIMPLEMENTED
    with grpc.insecure_channel(target) as plaintext:
        code = refusal(
            lambda: health_pb2_grpc.HealthStub(plaintext).Check(health_pb2.HealthCheckRequest(), timeout=5)
        )
        assert code is grpc.StatusCode.UNAVAILABLE
    assert state.calls["WhoAmI"] == 0


def test_without_tls_there_is_no_separate_health_port(serve) -> None:  # type: ignore[no-untyped-def]
    _, _, probe_port = serve(
        auth_mode="token", tls_mode="off", auth_tokens='{"t": "platform"}', health_port=0
    )
    assert probe_port is None
