"""The local platform's keys for personal data at rest: one pair per service under ``RUN_DIR/keys``.

Made on the first ``make run`` and kept (mode 0600): the stores under ``RUN_DIR/data`` stay sealed under
them, so a later run must find the same keys. Each service has keys of its own, as in a cluster where each
reads its own Secret; deleting ``RUN_DIR`` removes the keys with the data they opened.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from doudi_common.fieldcrypt import KeyRing, new_key_text

KEYS_DIR_NAME = "keys"


@dataclass(frozen=True)
class ServiceKeys:
    field_encryption_keys: str
    lookup_hash_keys: str

    def env(self) -> dict[str, str]:
        return {
            "FIELD_ENCRYPTION_KEYS": self.field_encryption_keys,
            "LOOKUP_HASH_KEYS": self.lookup_hash_keys,
        }


def _read(path: Path) -> ServiceKeys | None:
    try:
        stored = json.loads(path.read_text())
        keys = ServiceKeys(stored["field_encryption_keys"], stored["lookup_hash_keys"])
        KeyRing.parse(keys.field_encryption_keys)
        KeyRing.parse(keys.lookup_hash_keys)
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as exc:
        raise SystemExit(f"{path} is not a usable key file ({exc}); the data it sealed needs it") from None
    return keys


def ensure_field_keys(directory: Path, services: Iterable[str]) -> tuple[dict[str, ServiceKeys], list[str]]:
    """Every service's keys, made for those that have none yet; returns them and the names made."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    keys: dict[str, ServiceKeys] = {}
    made: list[str] = []
    for name in services:
        path = directory / f"{name}.json"
        found = _read(path)
        if found is None:
            found = ServiceKeys(new_key_text("k1"), new_key_text("h1"))
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                json.dump(
                    {
                        "field_encryption_keys": found.field_encryption_keys,
                        "lookup_hash_keys": found.lookup_hash_keys,
                    },
                    out,
                )
            made.append(name)
        keys[name] = found
    return keys, made
