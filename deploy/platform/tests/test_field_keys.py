"""make run's keys for personal data at rest: one pair per service, private, and the same on every run."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from doudi_common.fieldcrypt import KeyRing
from doudi_platform.field_keys import ensure_field_keys


def test_each_service_gets_its_own_keys_kept_private(tmp_path: Path) -> None:
    keys, made = ensure_field_keys(tmp_path / "keys", ["intake", "care"])
    assert made == ["intake", "care"]
    assert keys["intake"] != keys["care"]
    assert KeyRing.parse(keys["intake"].field_encryption_keys).primary == "k1"
    for name in ("intake", "care"):
        assert stat.S_IMODE((tmp_path / "keys" / f"{name}.json").stat().st_mode) == 0o600
    assert set(keys["care"].env()) == {"FIELD_ENCRYPTION_KEYS", "LOOKUP_HASH_KEYS"}


def test_a_later_run_finds_the_same_keys_and_adds_only_missing_ones(tmp_path: Path) -> None:
    first, _ = ensure_field_keys(tmp_path, ["intake"])
    again, made = ensure_field_keys(tmp_path, ["intake", "care"])
    assert made == ["care"]
    assert again["intake"] == first["intake"]


def test_a_damaged_key_file_stops_the_run_rather_than_replace_the_keys(tmp_path: Path) -> None:
    ensure_field_keys(tmp_path, ["intake"])
    (tmp_path / "intake.json").write_text('{"field_encryption_keys": "k1:short"}')
    with pytest.raises(SystemExit, match=r"intake\.json"):
        ensure_field_keys(tmp_path, ["intake"])
