"""A small certificate authority for mutual TLS: the local platform's CA and its components' certificates.

A doudi service's certificate names it by a URI subject alternative name ``spiffe://doudi/service/<name>``
(``service_uri``); that URI, not the common name, is what makes a peer a doudi service (see
``doudi_runtime.grpc.tls``). Certificates without it (an operator's tools, an outside system) only open
the connection, and their holder still needs a bearer token. Production issues the same shape with
cert-manager (charts/doudi); this module serves ``make run`` and the tests.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVICE_URI_PREFIX = "spiffe://doudi/service/"
# Clock skew between the machine that issues and the one that checks.
_BACKDATE = timedelta(minutes=5)


def service_uri(name: str) -> str:
    """The URI SAN that names a doudi service in its certificate."""
    return SERVICE_URI_PREFIX + name


def service_name_of(uris: Sequence[str]) -> str | None:
    """The doudi service a certificate's URI SANs name, or None when none does."""
    for uri in uris:
        if uri.startswith(SERVICE_URI_PREFIX):
            name = uri.removeprefix(SERVICE_URI_PREFIX)
            if name and "/" not in name:
                return name
    return None


@dataclass(frozen=True)
class KeyPair:
    """A certificate and its private key, both PEM."""

    cert_pem: bytes
    key_pem: bytes

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_pem)

    def write(self, cert_file: Path, key_file: Path) -> None:
        """Write both files; the key readable by its owner only."""
        cert_file.parent.mkdir(parents=True, exist_ok=True)
        cert_file.write_bytes(self.cert_pem)
        key_file.touch(mode=0o600, exist_ok=True)
        key_file.chmod(0o600)
        key_file.write_bytes(self.key_pem)

    @classmethod
    def read(cls, cert_file: Path, key_file: Path) -> KeyPair:
        return cls(cert_file.read_bytes(), key_file.read_bytes())


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "doudi"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _subject_alt_names(
    uris: Sequence[str], dns_names: Sequence[str], ip_addresses: Sequence[str]
) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName(dns) for dns in dns_names]
    names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ip_addresses]
    names += [x509.UniformResourceIdentifier(uri) for uri in uris]
    return names


@dataclass(frozen=True)
class CertificateAuthority:
    """A self-signed CA that issues leaf certificates for servers and clients."""

    pair: KeyPair

    @classmethod
    def create(
        cls, common_name: str, *, valid_for: timedelta, now: datetime | None = None
    ) -> CertificateAuthority:
        key = _new_key()
        start = (now or datetime.now(UTC)) - _BACKDATE
        name = _name(common_name)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + _BACKDATE + valid_for)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(KeyPair(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key)))

    @property
    def cert_pem(self) -> bytes:
        return self.pair.cert_pem

    def private_key(self) -> ec.EllipticCurvePrivateKey:
        key = serialization.load_pem_private_key(self.pair.key_pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("the CA key is not an elliptic-curve key")
        return key

    def issue(
        self,
        common_name: str,
        *,
        valid_for: timedelta,
        service: str | None = None,
        dns_names: Sequence[str] = (),
        ip_addresses: Sequence[str] = (),
        now: datetime | None = None,
    ) -> KeyPair:
        """A leaf certificate for server and client use; ``service`` names a doudi service in its URI SAN."""
        ca_cert = self.pair.certificate
        ca_key = self.private_key()
        key = _new_key()
        start = (now or datetime.now(UTC)) - _BACKDATE
        uris = [service_uri(service)] if service else []
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(min(start + _BACKDATE + valid_for, ca_cert.not_valid_after_utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
            )
        )
        alt_names = _subject_alt_names(uris, dns_names, ip_addresses)
        if alt_names:
            builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        return KeyPair(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))


def certificate_uris(certificate: x509.Certificate) -> list[str]:
    """The URI subject alternative names of a certificate."""
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return list(extension.value.get_values_for_type(x509.UniformResourceIdentifier))


def issued_by(certificate: x509.Certificate, authority: x509.Certificate) -> bool:
    """True when ``authority``'s key signed ``certificate``."""
    try:
        certificate.verify_directly_issued_by(authority)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
