"""Keyset paging for list RPCs: bounded page sizes and opaque page tokens that callers cannot forge into
another query. A token carries the sort key of the last item served; the next page starts after it."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from doudi_common.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
_TOKEN_PREFIX = "k1:"


@dataclass(frozen=True)
class Page:
    """A validated page request: how many items, and the key to start after (None: from the start)."""

    size: int
    after: str | None


def encode_token(last_key: str) -> str:
    return base64.urlsafe_b64encode((_TOKEN_PREFIX + last_key).encode()).decode().rstrip("=")


def parse_page(page_size: int, page_token: str, *, field: str = "page") -> Page:
    if page_size < 0:
        raise InvalidArgument.single(f"{field}.page_size", "must not be negative")
    size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    if not page_token:
        return Page(size=size, after=None)
    try:
        padded = page_token + "=" * (-len(page_token) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidArgument.single(f"{field}.page_token", "is not a token this service issued") from None
    if not text.startswith(_TOKEN_PREFIX) or len(text) == len(_TOKEN_PREFIX):
        raise InvalidArgument.single(f"{field}.page_token", "is not a token this service issued")
    return Page(size=size, after=text[len(_TOKEN_PREFIX) :])


def next_token(keys: list[str], page: Page) -> str:
    """The token for the page after ``keys`` (fetched with size + 1 rows), or "" at the end."""
    if len(keys) <= page.size:
        return ""
    return encode_token(keys[page.size - 1])
