"""A ``records.frozen`` class behaves as the same class under ``@dataclass(frozen=True)``, only faster."""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import FrozenInstanceError, dataclass, field, replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.records import frozen


@frozen
class Line:
    key: str
    amount: int
    parts: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class PlainLine:
    key: str
    amount: int
    parts: tuple[str, ...] = ()
    note: str | None = None


values = st.tuples(
    st.text(max_size=8),
    st.integers(),
    st.lists(st.text(max_size=3), max_size=3).map(tuple),
    st.none() | st.text(),
)


@given(values)
def test_it_holds_what_the_plain_dataclass_holds(args: tuple[str, int, tuple[str, ...], str | None]) -> None:
    line, plain = Line(*args), PlainLine(*args)
    assert dataclasses.astuple(line) == dataclasses.astuple(plain)
    assert repr(line) == repr(plain).replace("PlainLine", "Line")
    assert line == Line(*args)
    assert hash(line) == hash(Line(*args))


@given(values, values)
def test_records_are_equal_exactly_when_their_fields_are(
    first: tuple[str, int, tuple[str, ...], str | None], second: tuple[str, int, tuple[str, ...], str | None]
) -> None:
    assert (Line(*first) == Line(*second)) == (first == second)


def test_defaults_apply_and_fields_go_by_keyword_too() -> None:
    assert Line("k", 1) == Line(amount=1, key="k") == Line("k", 1, (), None)
    assert Line("k", 1, note="x").note == "x"


def test_it_stays_immutable() -> None:
    line = Line("k", 1)
    with pytest.raises(FrozenInstanceError):
        line.amount = 2  # type: ignore[misc]
    assert replace(line, amount=2) == Line("k", 2)


def test_a_wrong_call_is_refused_as_the_dataclass_refuses_it() -> None:
    with pytest.raises(TypeError):
        Line("k")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Line("k", 1, (), None, "extra")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Line("k", 1, colour="red")  # type: ignore[call-arg]


def test_its_signature_is_the_dataclass_one() -> None:
    assert str(inspect.signature(Line)) == str(inspect.signature(PlainLine))


def test_post_init_runs() -> None:
    @frozen
    class Checked:
        amount: int

        def __post_init__(self) -> None:
            if self.amount < 0:
                raise ValueError("negative")

    assert Checked(1).amount == 1
    with pytest.raises(ValueError, match="negative"):
        Checked(-1)


def test_fields_it_cannot_fill_plainly_are_refused_when_the_class_is_defined() -> None:
    with pytest.raises(TypeError, match="only plain fields"):

        @frozen
        class WithFactory:
            parts: list[str] = field(default_factory=list)

    with pytest.raises(TypeError, match="only plain fields"):

        @frozen
        class WithKeywordOnly:
            amount: int = field(kw_only=True)

    with pytest.raises(TypeError, match="only plain fields"):

        @frozen
        class NamedLikeTheInit:
            self: int  # type: ignore[misc]
