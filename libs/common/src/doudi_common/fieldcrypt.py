"""Field encryption of personal data at rest: AES-256-GCM under a rotating key ring, and lookup hashes.

A stored value is ``v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>``. The key id says which key of
the ring sealed it, so keys rotate without a flag day: new values are sealed with the primary key,
old ones still open with theirs, and :meth:`KeyRing.reseal` moves a value to the primary key. Every
value is bound to a *context* (e.g. ``"intake.applications.id_number"``) as associated data, so a
ciphertext copied into another column or table does not open there.

Encrypted values cannot be searched, so a column that is looked up (an ID number) also stores a
:meth:`LookupHasher.digest`: HMAC-SHA-256 under a separate key, bound to the same context. While a
hashing key rotates, :meth:`LookupHasher.digests` gives the value's digest under every key so a
lookup finds rows hashed under either.

Keys come from settings/Secrets as text: ``"<id>:<base64 of 32 bytes>,<id>:<…>"``, the first one primary.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class FieldCryptoError(ValueError):
    """A key ring or a sealed value that cannot be used (malformed, unknown key, tampered)."""


_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


def _b64decode(text: str) -> bytes:
    padded = text.encode() + b"=" * (-len(text) % 4)
    return binascii.a2b_base64(padded.translate(_FROM_URLSAFE))


@lru_cache(maxsize=64)
def _cipher(key: bytes) -> AESGCM:
    """One cipher object per key: opening a month of payees builds none."""
    return AESGCM(key)


@lru_cache(maxsize=256)
def _associated(context: str) -> bytes:
    return context.encode()


def _parse_keys(text: str) -> tuple[str, dict[str, bytes]]:
    keys: dict[str, bytes] = {}
    primary = ""
    for index, entry in enumerate(part.strip() for part in text.split(",") if part.strip()):
        key_id, sep, encoded = entry.partition(":")
        if not sep or not _KEY_ID.match(key_id):
            raise FieldCryptoError(f"key {index + 1} must be written <id>:<base64 of {KEY_BYTES} bytes>")
        try:
            material = _b64decode(encoded.strip())
        except (binascii.Error, ValueError):
            raise FieldCryptoError(f"key {key_id!r} is not base64") from None
        if len(material) != KEY_BYTES:
            raise FieldCryptoError(f"key {key_id!r} must be {KEY_BYTES} bytes, not {len(material)}")
        if key_id in keys:
            raise FieldCryptoError(f"key {key_id!r} appears twice")
        keys[key_id] = material
        primary = primary or key_id
    if not keys:
        raise FieldCryptoError("the key ring is empty")
    return primary, keys


def new_key_text(key_id: str) -> str:
    """A fresh key entry for the ring, as an operator adds it when rotating."""
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode().rstrip('=')}"


@dataclass(frozen=True)
class KeyRing:
    """The keys that open stored values; the primary one seals new values."""

    primary: str
    keys: Mapping[str, bytes]

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        primary, keys = _parse_keys(text)
        return cls(primary, keys)

    def seal(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = _cipher(self.keys[self.primary]).encrypt(nonce, plaintext.encode(), _associated(context))
        body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{VERSION}.{self.primary}.{body}"

    def open(self, token: str, *, context: str) -> str:
        version, key_id, body = _split(token)
        if version != VERSION:
            raise FieldCryptoError(f"unknown format {version!r}")
        key = self.keys.get(key_id)
        if key is None:
            raise FieldCryptoError(f"the key {key_id!r} is not in the ring")
        try:
            raw = _b64decode(body)
            plaintext = _cipher(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated(context))
        except (InvalidTag, binascii.Error, ValueError):
            # Tampered, cut short, or sealed for another context: the same answer for all three.
            raise FieldCryptoError("the value does not open with its key in this context") from None
        return plaintext.decode()

    def open_many(self, tokens: Iterable[str], *, context: str) -> list[str]:
        """:meth:`open` of each token, an empty one staying empty (a page of rows at once): the same answers
        and errors, with each key's cipher looked up once rather than per value."""
        associated = _associated(context)
        decrypts: dict[str, Callable[[bytes, bytes, bytes], bytes]] = {}
        opened: list[str] = []
        for token in tokens:
            if not token:
                opened.append(token)
                continue
            head, _, body = token.rpartition(".")
            decrypt = decrypts.get(head)
            if decrypt is None:
                version, key_id, _body = _split(token)
                if version != VERSION or key_id not in self.keys:
                    self.open(token, context=context)  # raises, saying why
                decrypt = decrypts[head] = _cipher(self.keys[key_id]).decrypt
            try:
                raw = binascii.a2b_base64((body + "==="[: -len(body) % 4]).encode().translate(_FROM_URLSAFE))
                opened.append(decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated).decode())
            except (InvalidTag, binascii.Error, ValueError):
                opened.append(self.open(token, context=context))  # raises, as for one value
        return opened

    def key_of(self, token: str) -> str:
        return _split(token)[1]

    def needs_reseal(self, token: str) -> bool:
        """True when the value was sealed under a key other than the primary one."""
        return self.key_of(token) != self.primary

    def reseal(self, token: str, *, context: str) -> str:
        """The value sealed under the primary key (unchanged when it already is)."""
        if not self.needs_reseal(token):
            return token
        return self.seal(self.open(token, context=context), context=context)


def _split(token: str) -> tuple[str, str, str]:
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise FieldCryptoError("not a sealed value")
    return parts[0], parts[1], parts[2]


@dataclass(frozen=True)
class LookupHasher:
    """Keyed hashes that let an encrypted column be searched by exact value."""

    primary: str
    keys: Mapping[str, bytes]

    @classmethod
    def parse(cls, text: str) -> LookupHasher:
        primary, keys = _parse_keys(text)
        return cls(primary, keys)

    @staticmethod
    def _digest(key: bytes, value: str, context: str) -> str:
        message = context.encode() + b"\x00" + value.encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def digest(self, value: str, *, context: str) -> str:
        """The value's digest under the primary key (what a new row stores)."""
        return self._digest(self.keys[self.primary], value, context)

    def digests(self, value: str, *, context: str) -> list[str]:
        """The value's digest under every key, primary first (what a lookup searches during rotation)."""
        order = [self.primary, *(k for k in self.keys if k != self.primary)]
        return [self._digest(self.keys[key_id], value, context) for key_id in order]
