"""Opaque, time-sortable identifiers: ``<prefix>_<ULID>`` (48-bit millisecond time + 80 random bits)."""

from __future__ import annotations

import re
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta

# Crockford base32: no I, L, O or U, so ids survive being read aloud or copied by hand.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE = {char: index for index, char in enumerate(_ALPHABET)}
_PREFIX = re.compile(r"[a-z][a-z0-9]{0,15}")
_ID = re.compile(r"(?P<prefix>[a-z][a-z0-9]{0,15})_(?P<ulid>[0-7][0-9A-HJKMNP-TV-Z]{25})")
_RANDOM_BITS = 80
_MAX_TIME_MS = 2**48 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: Every pair of digits, so 10 bits are written at once.
_PAIRS = [high + low for high in _ALPHABET for low in _ALPHABET]

_lock = threading.Lock()
_last_ms = -1
_last_random = 0


#: Where each pair of digits of a 26-digit (130-bit) value starts, most significant first.
_PAIR_SHIFTS = tuple(range(120, -1, -10))


def _encode(value: int) -> str:
    return "".join([_PAIRS[(value >> shift) & 1023] for shift in _PAIR_SHIFTS])


def _next_ulid_value() -> int:
    """Within one millisecond the random part counts up, so ids made in sequence also sort in sequence."""
    return _reserve(1)


def _reserve(count: int) -> int:
    """The first of ``count`` consecutive values, all in one millisecond, after every value made before."""
    global _last_ms, _last_random
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        if now_ms <= _last_ms:
            now_ms = _last_ms
            random_part = _last_random + 1
            if random_part + count > 2**_RANDOM_BITS:
                now_ms += 1
                random_part = secrets.randbits(_RANDOM_BITS)
        else:
            random_part = secrets.randbits(_RANDOM_BITS)
        while random_part + count > 2**_RANDOM_BITS:
            random_part = secrets.randbits(_RANDOM_BITS)
        if now_ms > _MAX_TIME_MS:
            raise OverflowError("clock beyond the ULID time range")
        _last_ms, _last_random = now_ms, random_part + count - 1
        return (now_ms << _RANDOM_BITS) | random_part


def new_id(prefix: str) -> str:
    """A new id such as ``app_01JD8X4ZQ3…``; the prefix is 1–16 lowercase letters or digits."""
    if not isinstance(prefix, str) or _PREFIX.fullmatch(prefix) is None:
        raise ValueError("id prefix must be 1-16 lowercase letters or digits, starting with a letter")
    return f"{prefix}_{_encode(_next_ulid_value())}"


def new_ids(prefix: str, count: int) -> list[str]:
    """``count`` new ids at once, as ``new_id`` would have made them one after another: they share one
    millisecond and count up in their random part, so only their last digits need writing each time."""
    if not isinstance(prefix, str) or _PREFIX.fullmatch(prefix) is None:
        raise ValueError("id prefix must be 1-16 lowercase letters or digits, starting with a letter")
    if count <= 0:
        return []
    first = _reserve(count)
    ids = []
    head_of, head = -1, ""
    for value in range(first, first + count):
        if value >> 20 != head_of:
            head_of, head = value >> 20, f"{prefix}_{_encode(value)[:22]}"
        ids.append(head + _PAIRS[(value >> 10) & 1023] + _PAIRS[value & 1023])
    return ids


def new_event_id() -> str:
    return new_id("evt")


def new_request_id() -> str:
    return new_id("req")


def is_valid_id(value: str, prefix: str | None = None) -> bool:
    """True when ``value`` has the shape of an id made by ``new_id`` (with ``prefix``, when given)."""
    match = _ID.fullmatch(value) if isinstance(value, str) else None
    return match is not None and (prefix is None or match["prefix"] == prefix)


def id_time(value: str) -> datetime:
    """The UTC millisecond at which an id was made."""
    match = _ID.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError("not an id made by new_id")
    ms = 0
    for char in match["ulid"][:10]:
        ms = ms * 32 + _DECODE[char]
    return _EPOCH + timedelta(milliseconds=ms)
