"""The local platform's mutual TLS: a CA and a certificate per component under ``RUN_DIR/tls``.

Made on the first ``make run`` and reused while they are valid, so tools pointed at the files keep
working across runs; a certificate that is missing, about to expire, not of the current CA or naming
the wrong service is issued again (a new CA re-issues everything). Each component's certificate names
its service by URI (``doudi_runtime.pki``) and serves 127.0.0.1 and localhost; ``operator.pem`` names
no service: the runner's health checks, the end-to-end tests and grpcurl open connections with it and
identify themselves with the operator token.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
from cryptography import x509

from doudi_platform.ports import HOST
from doudi_runtime.pki import CertificateAuthority, KeyPair, certificate_uris, issued_by, service_uri

TLS_DIR_NAME = "tls"
CA_NAME = "ca"
#: The certificate of people's tools: opens a connection, names no service.
OPERATOR = "operator"
CA_VALIDITY = timedelta(days=365)
LEAF_VALIDITY = timedelta(days=90)
#: A certificate with less left than this is issued again at start rather than expire during a run.
RENEW_BEFORE = timedelta(days=2)


@dataclass(frozen=True)
class CertFiles:
    """One component's certificate, key and the CA it trusts."""

    cert: Path
    key: Path
    ca: Path

    def env(self) -> dict[str, str]:
        return {"TLS_CERT_FILE": str(self.cert), "TLS_KEY_FILE": str(self.key), "TLS_CA_FILE": str(self.ca)}

    def channel_credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(
            root_certificates=self.ca.read_bytes(),
            private_key=self.key.read_bytes(),
            certificate_chain=self.cert.read_bytes(),
        )


@dataclass(frozen=True)
class LocalPki:
    """Where the run's certificates are."""

    directory: Path

    @property
    def ca_file(self) -> Path:
        return self.directory / f"{CA_NAME}.pem"

    def files(self, name: str) -> CertFiles:
        return CertFiles(self.directory / f"{name}.pem", self.directory / f"{name}.key", self.ca_file)


def _still_valid(certificate: x509.Certificate, now: datetime) -> bool:
    return certificate.not_valid_before_utc <= now and certificate.not_valid_after_utc - RENEW_BEFORE > now


def _load_ca(pki: LocalPki, now: datetime) -> CertificateAuthority | None:
    key_file = pki.directory / f"{CA_NAME}.key"
    try:
        authority = CertificateAuthority(KeyPair.read(pki.ca_file, key_file))
        certificate = authority.pair.certificate
        if certificate.public_key() != authority.private_key().public_key():
            return None
    except (OSError, ValueError):
        return None
    return authority if _still_valid(certificate, now) else None


def _reusable(files: CertFiles, authority: x509.Certificate, service: str | None, now: datetime) -> bool:
    try:
        certificate = KeyPair.read(files.cert, files.key).certificate
    except (OSError, ValueError):
        return False
    expected = [service_uri(service)] if service else []
    return (
        _still_valid(certificate, now)
        and issued_by(certificate, authority)
        and certificate_uris(certificate) == expected
    )


def ensure_certificates(
    directory: Path, services: Iterable[str], *, now: datetime | None = None
) -> tuple[LocalPki, list[str]]:
    """The run's CA and a certificate per service plus the operator's; returns what was (re)issued."""
    moment = now or datetime.now(UTC)
    pki = LocalPki(directory)
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    issued: list[str] = []
    authority = _load_ca(pki, moment)
    if authority is None:
        authority = CertificateAuthority.create("doudi local CA", valid_for=CA_VALIDITY, now=moment)
        authority.pair.write(pki.ca_file, directory / f"{CA_NAME}.key")
        issued.append(CA_NAME)
    ca_certificate = authority.pair.certificate
    wanted: list[tuple[str, str | None]] = [(name, name) for name in services]
    wanted.append((OPERATOR, None))
    for name, service in wanted:
        files = pki.files(name)
        if _reusable(files, ca_certificate, service, moment):
            continue
        pair = authority.issue(
            name,
            service=service,
            dns_names=["localhost"],
            ip_addresses=[HOST],
            valid_for=LEAF_VALIDITY,
            now=moment,
        )
        pair.write(files.cert, files.key)
        issued.append(name)
    return pki, issued
