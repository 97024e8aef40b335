"""The local platform's certificates: made once, reused while valid, re-issued when they would not do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from doudi_platform.certificates import (
    CA_NAME,
    LEAF_VALIDITY,
    OPERATOR,
    RENEW_BEFORE,
    ensure_certificates,
)
from doudi_platform.components import RunContext, platform_components
from doudi_platform.ports import GRPC_PORTS, PortPlan
from doudi_runtime.pki import CertificateAuthority, KeyPair, certificate_uris, issued_by, service_uri
from doudi_runtime.settings import ServiceSettings

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
NAMES = ("intake", "gateway")


def leaf(directory: Path, name: str) -> KeyPair:
    return KeyPair.read(directory / f"{name}.pem", directory / f"{name}.key")


def test_the_first_run_makes_a_ca_and_a_certificate_per_service_and_the_operator(tmp_path: Path) -> None:
    pki, issued = ensure_certificates(tmp_path, NAMES, now=T0)
    assert issued == [CA_NAME, "intake", "gateway", OPERATOR]
    ca = KeyPair.read(pki.ca_file, tmp_path / "ca.key").certificate
    for name in NAMES:
        certificate = leaf(tmp_path, name).certificate
        assert issued_by(certificate, ca)
        assert certificate_uris(certificate) == [service_uri(name)]
    assert certificate_uris(leaf(tmp_path, OPERATOR).certificate) == []
    assert all(path.stat().st_mode & 0o777 == 0o600 for path in tmp_path.glob("*.key"))
    assert tmp_path.stat().st_mode & 0o777 == 0o700


def test_a_later_run_reuses_what_is_still_valid(tmp_path: Path) -> None:
    ensure_certificates(tmp_path, NAMES, now=T0)
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    _, issued = ensure_certificates(tmp_path, NAMES, now=T0 + timedelta(days=30))
    assert issued == []
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before


def test_certificates_near_their_end_are_issued_again_under_the_same_ca(tmp_path: Path) -> None:
    ensure_certificates(tmp_path, NAMES, now=T0)
    ca_before = (tmp_path / "ca.pem").read_bytes()
    late = T0 + LEAF_VALIDITY - RENEW_BEFORE + timedelta(hours=1)
    _, issued = ensure_certificates(tmp_path, NAMES, now=late)
    assert issued == ["intake", "gateway", OPERATOR]
    assert (tmp_path / "ca.pem").read_bytes() == ca_before
    assert leaf(tmp_path, "intake").certificate.not_valid_after_utc > late + RENEW_BEFORE


def test_a_new_ca_re_issues_every_certificate(tmp_path: Path) -> None:
    ensure_certificates(tmp_path, NAMES, now=T0)
    (tmp_path / "ca.key").unlink()
    _, issued = ensure_certificates(tmp_path, NAMES, now=T0 + timedelta(minutes=1))
    assert issued == [CA_NAME, "intake", "gateway", OPERATOR]


def test_a_certificate_of_another_ca_or_naming_another_service_is_replaced(tmp_path: Path) -> None:
    ensure_certificates(tmp_path, NAMES, now=T0)
    stranger = CertificateAuthority.create("elsewhere", valid_for=timedelta(days=30), now=T0)
    stranger.issue("intake", service="intake", valid_for=timedelta(days=30), now=T0).write(
        tmp_path / "intake.pem", tmp_path / "intake.key"
    )
    own = CertificateAuthority(KeyPair.read(tmp_path / "ca.pem", tmp_path / "ca.key"))
    own.issue("gateway", service="intake", valid_for=timedelta(days=30), now=T0).write(
        tmp_path / "gateway.pem", tmp_path / "gateway.key"
    )
    (tmp_path / OPERATOR).with_suffix(".pem").write_text("not a certificate")
    _, issued = ensure_certificates(tmp_path, NAMES, now=T0 + timedelta(minutes=1))
    assert issued == ["intake", "gateway", OPERATOR]
    assert certificate_uris(leaf(tmp_path, "gateway").certificate) == [service_uri("gateway")]


def test_every_component_starts_with_its_own_certificate_and_mutual_tls(tmp_path: Path) -> None:
    pki, _ = ensure_certificates(tmp_path / "tls", GRPC_PORTS, now=datetime.now(UTC))
    context = RunContext(
        run_dir=tmp_path, ports=PortPlan(0), platform_token="p", operator_token="o", python="python3", tls=pki
    )
    components = platform_components(context)
    assert {c.name for c in components} == set(GRPC_PORTS)
    for component in components:
        env = component.env
        assert (env["AUTH_MODE"], env["TLS_MODE"]) == ("mtls", "mtls")
        assert env["TLS_CERT_FILE"] == str(tmp_path / "tls" / f"{component.name}.pem")
        assert "CLIENT_TOKEN" not in env
        settings = ServiceSettings(service_name=component.name, **{k.lower(): v for k, v in env.items()})
        assert settings.transport_security == "mtls"
        assert set(settings.token_principals()) == {"o"}


@pytest.mark.parametrize("name", ["intake", OPERATOR])
def test_certificates_serve_loopback_by_address_and_name(tmp_path: Path, name: str) -> None:
    ensure_certificates(tmp_path, NAMES, now=T0)
    text = str(leaf(tmp_path, name).certificate.extensions)
    assert "127.0.0.1" in text and "localhost" in text


def test_a_ca_whose_key_does_not_match_is_replaced(tmp_path: Path) -> None:
    ensure_certificates(tmp_path, NAMES, now=T0)
    other = CertificateAuthority.create("doudi local CA", valid_for=timedelta(days=30), now=T0)
    (tmp_path / "ca.key").write_bytes(other.pair.key_pem)
    _, issued = ensure_certificates(tmp_path, NAMES, now=T0 + timedelta(minutes=1))
    assert issued == [CA_NAME, "intake", "gateway", OPERATOR]
