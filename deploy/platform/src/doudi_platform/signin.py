"""The local run's sign-in issuer: an ES256 key under ``.run/signin/`` that signs people's gateway tokens.

In production the gateway trusts the county's OpenID Connect issuer; locally this plays its part.
``make run`` makes the key once (reused while the file is there) and points the gateway at its
public JWKS, and ``python -m doudi_platform token --name clerk.a --role township_office --region
640402100`` prints a token for a local user, with the claims the gateway reads (``doudi_gateway.signin``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

DIR_NAME = "signin"
ISSUER = "https://signin.doudi.local"
AUDIENCE = "doudi-gateway"
ALGORITHM = "ES256"
DEFAULT_VALIDITY = timedelta(hours=8)


def _key_id(public: ec.EllipticCurvePublicKey) -> str:
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()[:12]).decode().rstrip("=")


@dataclass(frozen=True)
class LocalIssuer:
    """The key files of one run directory's issuer."""

    directory: Path

    @property
    def key_file(self) -> Path:
        return self.directory / "issuer.key"

    @property
    def jwks_file(self) -> Path:
        return self.directory / "jwks.json"

    def gateway_env(self) -> dict[str, str]:
        """The gateway's settings that make it trust this issuer."""
        return {
            "OIDC_ISSUER": ISSUER,
            "OIDC_AUDIENCE": AUDIENCE,
            "OIDC_JWKS_FILE": str(self.jwks_file),
        }

    def _private_key(self) -> ec.EllipticCurvePrivateKey:
        key = serialization.load_pem_private_key(self.key_file.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{self.key_file} is not an EC key")
        return key

    def issue(
        self,
        *,
        name: str,
        role: str,
        region: Iterable[str] = (),
        org: str = "",
        scopes: Iterable[str] = (),
        subject: str = "",
        valid_for: timedelta = DEFAULT_VALIDITY,
        now: datetime | None = None,
    ) -> str:
        """A signed token for a local user (the gateway still checks that its claims make a person)."""
        issued = now or datetime.now(UTC)
        regions = list(region)
        claims: dict[str, object] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": name,
            "iat": issued,
            "exp": issued + valid_for,
            "role": role,
        }
        if org:
            claims["org"] = org
        if regions:
            claims["region"] = regions[0] if len(regions) == 1 else regions
        if scope := " ".join(scopes):
            claims["scope"] = scope
        if subject:
            claims["subject"] = subject
        key = self._private_key()
        return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": _key_id(key.public_key())})


def ensure_issuer(directory: Path) -> tuple[LocalIssuer, bool]:
    """The issuer under ``directory``, made (key readable by the owner only, and its JWKS) when missing."""
    issuer = LocalIssuer(directory)
    if issuer.key_file.exists() and issuer.jwks_file.exists():
        return issuer, False
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    issuer.key_file.unlink(missing_ok=True)
    fd = os.open(issuer.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    jwk = {**public, "kid": _key_id(key.public_key()), "alg": ALGORITHM, "use": "sig"}
    issuer.jwks_file.write_text(json.dumps({"keys": [jwk]}, indent=2) + "\n", encoding="utf-8")
    return issuer, True
