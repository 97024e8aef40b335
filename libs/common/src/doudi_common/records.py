"""Immutable records made by the hundred thousand (a month's roster entries, its payment lines)."""

from __future__ import annotations

import dataclasses
from typing import TypeVar

T = TypeVar("T")

#: Names the generated ``__init__`` uses for itself: a field may not take them.
_RESERVED = frozenset({"self", "_values"})


def frozen(cls: type[T]) -> type[T]:
    """``@dataclass(frozen=True)``, with an ``__init__`` that fills the instance's dict directly.

    The ``__init__`` a frozen dataclass is given sets each field through ``object.__setattr__``, to get past
    the class's own ``__setattr__`` (which refuses every assignment); for a class without slots, writing the
    instance's dict does the same in a fraction of the time. Everything else (equality, hashing, ``repr``,
    ``replace``, refusing assignment, ``__post_init__``) is the dataclass's own. Only plain fields, with or
    without a default value, are accepted; anything else is refused when the class is defined."""
    cls = dataclasses.dataclass(frozen=True)(cls)
    if "__slots__" in cls.__dict__:
        raise TypeError(f"{cls.__name__}: a class with slots has no instance dict to fill")
    params: list[str] = []
    assignments: list[str] = []
    defaults: dict[str, object] = {}
    for field in dataclasses.fields(cls):
        if (
            not field.init
            or field.kw_only
            or field.default_factory is not dataclasses.MISSING
            or field.name in _RESERVED
        ):
            raise TypeError(f"{cls.__name__}.{field.name}: only plain fields are supported")
        if field.default is dataclasses.MISSING:
            params.append(field.name)
        else:
            defaults[f"_default_{field.name}"] = field.default
            params.append(f"{field.name}=_default_{field.name}")
        assignments.append(f"    _values[{field.name!r}] = {field.name}\n")
    post_init = "    self.__post_init__()\n" if hasattr(cls, "__post_init__") else ""
    source = (
        f"def __init__(self, {', '.join(params)}):\n    _values = self.__dict__\n"
        + "".join(assignments)
        + post_init
    )
    namespace: dict[str, object] = {}
    exec(source, defaults, namespace)  # as dataclasses builds its own __init__
    init = namespace["__init__"]
    generated = cls.__init__
    init.__qualname__ = generated.__qualname__  # type: ignore[attr-defined]
    init.__annotations__ = generated.__annotations__
    init.__doc__ = generated.__doc__
    cls.__init__ = init  # type: ignore[assignment]
    return cls
