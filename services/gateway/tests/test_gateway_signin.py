"""People sign in with the issuer's JWTs: a valid token acts with its role and region; every other is 401."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient
from pydantic import ValidationError

from doudi.intake.v1 import intake_pb2, intake_pb2_grpc
from doudi_gateway.app import create_app
from doudi_gateway.main import GatewaySettings, sign_in
from doudi_gateway.signin import InvalidToken, JwksFile, TokenVerifier
from doudi_runtime.authz.policy import FromField, ServicePolicy, rule
from doudi_runtime.authz.principal import Principal, Role
from doudi_runtime.grpc import context as call_context
from doudi_runtime.grpc.client import ChannelFactory
from doudi_runtime.grpc.server import GrpcServer, GrpcServiceBinding
from doudi_runtime.settings import ServiceSettings

ISSUER, AUDIENCE = "https://id.example-county.gov.cn/realms/doudi", "doudi-gateway"
SERVICE_TOKEN = "gw-token"
EC_KEY = ec.generate_private_key(ec.SECP256R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = ec.generate_private_key(ec.SECP256R1())
CLERK_CLAIMS = {
    "sub": "clerk.a",
    "org": "A乡社会救助服务窗口",
    "role": "township_office",
    "region": "640402100",
}


def jwks(tmp_path: Path) -> Path:
    keys = []
    for kid, key, alg in (("ec-1", EC_KEY, "ES256"), ("rsa-1", RSA_KEY, "RS256")):
        algorithm = jwt.algorithms.ECAlgorithm if alg == "ES256" else jwt.algorithms.RSAAlgorithm
        public = json.loads(algorithm.to_jwk(key.public_key()))
        keys.append({**public, "kid": kid, "alg": alg, "use": "sig"})
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": keys}))
    return path


def token(
    claims: dict[str, Any] | None = None,
    *,
    key: Any = EC_KEY,
    kid: str | None = "ec-1",
    alg: str = "ES256",
    lifetime: timedelta = timedelta(minutes=10),
    **overrides: Any,
) -> str:
    now = datetime.now(UTC)
    body = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + lifetime, **(claims or CLERK_CLAIMS)}
    body.update(overrides)
    headers = {"kid": kid} if kid else {}
    return jwt.encode(body, key, algorithm=alg, headers=headers)


@pytest.fixture
def verifier(tmp_path: Path) -> TokenVerifier:
    return TokenVerifier(issuer=ISSUER, audience=AUDIENCE, keys=JwksFile(jwks(tmp_path)), leeway_seconds=0)


def test_a_valid_token_signs_in_the_person_it_names_with_their_region(verifier: TokenVerifier) -> None:
    person = verifier.principal(token())
    assert (person.name, person.org, person.role) == ("clerk.a", "A乡社会救助服务窗口", Role.TOWNSHIP_OFFICE)
    assert [r.code for r in person.regions] == ["640402100000"]
    rsa_signed = verifier.principal(token(key=RSA_KEY, kid="rsa-1", alg="RS256"))
    assert rsa_signed.name == "clerk.a"


def test_an_external_systems_token_carries_its_scopes(verifier: TokenVerifier) -> None:
    claims = {"sub": "hospital-1", "role": "external_system", "scope": "beneficiary.check"}
    assert verifier.principal(token(claims)).scopes == frozenset({"beneficiary.check"})


def _unsigned(claims: dict[str, Any]) -> str:
    now = datetime.now(UTC)
    body = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + timedelta(minutes=5), **claims}
    return jwt.encode(body, None, algorithm="none")


REFUSED = {
    "expired": lambda: token(lifetime=timedelta(minutes=-5)),
    "wrong audience": lambda: token(aud="another-app"),
    "wrong issuer": lambda: token(iss="https://elsewhere.example/realm"),
    "signed by another key": lambda: token(key=OTHER_KEY),
    "unknown key id": lambda: token(kid="ec-9"),
    "not yet valid": lambda: token(nbf=datetime.now(UTC) + timedelta(minutes=5)),
    "no expiry": lambda: jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "iat": datetime.now(UTC), **CLERK_CLAIMS},
        EC_KEY,
        algorithm="ES256",
        headers={"kid": "ec-1"},
    ),
    "unsigned (alg none)": lambda: _unsigned(CLERK_CLAIMS),
    "HS256 with the public key as secret": lambda: jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, **CLERK_CLAIMS}, "public-key-text-used-as-hmac-secret", "HS256"
    ),
    "RSA key named for an ES256 token": lambda: token(key=EC_KEY, kid="rsa-1"),
    "claims the service role": lambda: token({"sub": "intake", "role": "service"}),
    "a person without a region": lambda: token({"sub": "clerk.b", "role": "township_office"}),
    "an unknown role": lambda: token({**CLERK_CLAIMS, "role": "mayor"}),
    "no subject": lambda: token({"role": "township_office", "region": "640402100"}),
    "garbage": lambda: "abc.def.ghi",
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_every_other_token_is_refused(verifier: TokenVerifier, case: str) -> None:
    with pytest.raises(InvalidToken):
        verifier.principal(REFUSED[case]())


class RecordingIntake(intake_pb2_grpc.IntakeServiceServicer):
    def __init__(self) -> None:
        self.callers: list[Principal | None] = []

    def SubmitApplication(self, request, context):  # type: ignore[no-untyped-def]
        self.callers.append(call_context.current_caller())
        return intake_pb2.SubmitApplicationResponse(
            application=intake_pb2.Application(application_id="app_1")
        )


@pytest.fixture
def http(tmp_path: Path) -> Iterator[tuple[TestClient, RecordingIntake, Path]]:
    settings = ServiceSettings(
        service_name="gateway",
        grpc_port=0,
        metrics_port=0,
        auth_tokens=json.dumps({SERVICE_TOKEN: "gateway"}),
        client_token=SERVICE_TOKEN,
    )
    intake = RecordingIntake()
    policy = ServicePolicy(
        "doudi.intake.v1.IntakeService",
        {"SubmitApplication": rule(Role.TOWNSHIP_OFFICE, region=FromField("township.code"))},
    )
    binding = GrpcServiceBinding(
        "doudi.intake.v1.IntakeService", intake, intake_pb2_grpc.add_IntakeServiceServicer_to_server, policy
    )
    server = GrpcServer(settings, [binding])
    port = server.start()
    channels = ChannelFactory(settings)
    gateway = GatewaySettings(
        grpc_port=0,
        metrics_port=0,
        auth_tokens=json.dumps({SERVICE_TOKEN: "gateway"}),
        client_token=SERVICE_TOKEN,
        oidc_issuer=ISSUER,
        oidc_audience=AUDIENCE,
        oidc_jwks_file=jwks(tmp_path),
    )
    app = create_app(
        token_principals=settings.token_principals(),
        token_identities=settings.token_identities(),
        channels=channels,
        intake_target=f"127.0.0.1:{port}",
        sign_in=sign_in(gateway),
    )
    try:
        yield TestClient(app), intake, tmp_path
    finally:
        channels.close()
        server.stop(0)


def submit(client: TestClient, bearer: str, township: str) -> int:
    body = {"request_id": f"r-{township}", "township": {"code": township}}
    headers = {"Authorization": f"Bearer {bearer}"}
    return client.post("/v1/applications", json=body, headers=headers).status_code


def test_a_signed_in_caseworker_acts_in_their_township_only(http) -> None:  # type: ignore[no-untyped-def]
    client, intake, _ = http
    assert submit(client, token(), "640402100000") == 201
    assert submit(client, token(), "640402101000") == 403
    (seen,) = intake.callers
    assert seen is not None
    assert (seen.name, seen.role, seen.via) == ("clerk.a", Role.TOWNSHIP_OFFICE, "gateway")
    assert [r.code for r in seen.regions] == ["640402100000"]


@pytest.mark.parametrize(
    "case", ["expired", "wrong audience", "signed by another key", "claims the service role"]
)
def test_a_refused_token_is_401_and_reaches_no_service(http, case: str) -> None:  # type: ignore[no-untyped-def]
    client, intake, _ = http
    response = client.post(
        "/v1/applications",
        json={"request_id": "r-1", "township": {"code": "640402100000"}},
        headers={"Authorization": f"Bearer {REFUSED[case]()}"},
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert intake.callers == []


def test_without_sign_in_configured_no_token_of_any_issuer_is_accepted() -> None:
    plain = GatewaySettings(
        grpc_port=0,
        metrics_port=0,
        auth_tokens=json.dumps({SERVICE_TOKEN: "gateway"}),
        client_token=SERVICE_TOKEN,
    )
    assert sign_in(plain) is None
    channels = ChannelFactory(plain)
    try:
        closed = TestClient(
            create_app(
                token_principals=plain.token_principals(),
                token_identities=plain.token_identities(),
                channels=channels,
                intake_target="127.0.0.1:1",
                sign_in=sign_in(plain),
            )
        )
        assert submit(closed, token(), "640402100000") == 401
    finally:
        channels.close()


@pytest.mark.parametrize(
    "settings",
    [
        {"oidc_issuer": ISSUER},
        {"oidc_issuer": ISSUER, "oidc_audience": AUDIENCE},
        {"oidc_issuer": ISSUER, "oidc_audience": AUDIENCE, "oidc_jwks_url": "x", "oidc_jwks_file": "/k"},
        {"oidc_audience": AUDIENCE, "oidc_jwks_url": "https://id.example/jwks"},
        {
            "environment": "production",
            "oidc_issuer": ISSUER,
            "oidc_audience": AUDIENCE,
            "oidc_jwks_url": "http://id.example/jwks",
        },
    ],
)
def test_incomplete_sign_in_settings_are_refused_at_start(settings: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        GatewaySettings(auth_tokens=json.dumps({SERVICE_TOKEN: "gateway"}), **settings)
