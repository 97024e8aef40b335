"""People sign in to the gateway with a bearer JWT from the county's OpenID Connect issuer.

A token is accepted only when it is signed (RS256 or ES256) by a key of the issuer's JWKS — read
from a file or fetched from a URL — names the configured issuer and audience, and has not expired.
Its claims become the person the gateway acts for:

- ``sub`` → the user id (the principal's name), ``org`` → the organisation,
- ``role`` → a role of DOMAIN §1.2 (never ``service``: a signed-in person cannot claim to be doudi),
- ``region`` → the region scope (a code or a list of codes), ``scope`` → scopes (space-separated),
  ``subject`` → a volunteer's or provider's own id.

Anything else — no key for the token's ``kid``, another algorithm (``none``, HS256), an expired,
not-yet-valid or wrong-audience token, claims that do not make a principal — is :class:`InvalidToken`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jwt

from doudi_runtime.authz.principal import Principal, principal_from_config

#: The signature algorithms a token may use (asymmetric only: the gateway holds no signing secret).
ALGORITHMS: tuple[str, ...] = ("RS256", "ES256")
#: Claims every token must carry.
REQUIRED_CLAIMS: tuple[str, ...] = ("exp", "iat", "iss", "aud", "sub")


class InvalidToken(Exception):
    """A bearer token that does not sign a person in; the message says why (for logs, not the caller)."""


class KeySource(Protocol):
    """Where the issuer's public keys come from."""

    def key_for(self, kid: str | None) -> jwt.PyJWK: ...


def _pick(keys: Sequence[jwt.PyJWK], kid: str | None) -> jwt.PyJWK:
    if kid is None:
        if len(keys) == 1:
            return keys[0]
        raise InvalidToken("the token names no key (kid) and the issuer has several")
    for key in keys:
        if key.key_id == kid:
            return key
    raise InvalidToken(f"the issuer has no key {kid!r}")


class JwksFile:
    """The issuer's JWKS from a file; read again when the file changes (key rotation)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._stamp: int | None = None
        self._keys: list[jwt.PyJWK] = []
        self._load()

    def _load(self) -> None:
        stamp = self._path.stat().st_mtime_ns
        if stamp == self._stamp:
            return
        data = json.loads(self._path.read_text(encoding="utf-8"))
        self._keys = list(jwt.PyJWKSet.from_dict(data).keys)
        self._stamp = stamp

    def key_for(self, kid: str | None) -> jwt.PyJWK:
        self._load()
        return _pick(self._keys, kid)


class JwksUrl:
    """The issuer's JWKS fetched from its URL (``jwks_uri``), cached, and fetched again for a new kid."""

    def __init__(self, url: str, *, cache_seconds: int = 300, timeout_seconds: int = 5) -> None:
        self._client = jwt.PyJWKClient(url, cache_keys=True, lifespan=cache_seconds, timeout=timeout_seconds)

    def key_for(self, kid: str | None) -> jwt.PyJWK:
        try:
            if kid is None:
                return _pick(self._client.get_signing_keys(), None)
            return self._client.get_signing_key(kid)
        except jwt.PyJWKClientError as exc:
            raise InvalidToken(str(exc)) from None


def looks_like_jwt(token: str) -> bool:
    """A compact JWS has three dot-separated parts (an opaque static token has none)."""
    return token.count(".") == 2


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """The person a verified token names; claims that do not make a person are :class:`InvalidToken`."""
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        raise InvalidToken("the scope claim must be a space-separated string")
    config: dict[str, Any] = {
        "name": claims.get("sub"),
        "org": claims.get("org", ""),
        "role": claims.get("role"),
        "region": claims.get("region", []),
        "scopes": scope.split(),
        "subject": claims.get("subject", ""),
    }
    try:
        return principal_from_config(config, allow_service=False)
    except ValueError as exc:
        raise InvalidToken(f"the token's claims do not name a person: {exc}") from None


@dataclass(frozen=True)
class TokenVerifier:
    """Checks a bearer JWT against one issuer and audience and answers who it signs in."""

    issuer: str
    audience: str
    keys: KeySource
    algorithms: tuple[str, ...] = ALGORITHMS
    leeway_seconds: int = 30

    def principal(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"not a signed token: {exc}") from None
        algorithm = header.get("alg")
        if algorithm not in self.algorithms:
            raise InvalidToken(f"the algorithm {algorithm!r} is not accepted")
        kid = header.get("kid")
        key = self.keys.key_for(kid if isinstance(kid, str) else None)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from None
        return principal_from_claims(claims)
