"""Page requests: sizes are bounded, tokens round-trip, and anything else is refused with the field named."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.errors import InvalidArgument
from doudi_runtime.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, encode_token, next_token, parse_page


def test_an_unset_size_gets_the_default_and_a_large_one_is_capped() -> None:
    assert parse_page(0, "").size == DEFAULT_PAGE_SIZE
    assert parse_page(10_000, "").size == MAX_PAGE_SIZE


def test_a_negative_size_names_the_field() -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_page(-1, "")
    assert caught.value.violations[0].field == "page.page_size"


@given(st.text(min_size=1, max_size=80))
def test_tokens_round_trip(key: str) -> None:
    assert parse_page(10, encode_token(key)).after == key


@pytest.mark.parametrize("token", ["%%%", "bm90LWEtdG9rZW4", encode_token("")[:-1] + "!"])
def test_a_token_not_issued_here_is_refused(token: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_page(10, token)
    assert caught.value.violations[0].field == "page.page_token"


def test_the_next_token_exists_only_when_there_is_more() -> None:
    page = parse_page(2, "")
    assert next_token(["a", "b"], page) == ""
    assert parse_page(2, next_token(["a", "b", "c"], page)).after == "b"
