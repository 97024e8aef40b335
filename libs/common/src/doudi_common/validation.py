"""Collect every field violation of a request, then fail once listing them all (DOMAIN §6)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

from doudi_common.errors import FieldViolation, InvalidArgument
from doudi_common.idcard import ResidentId, parse_id_number
from doudi_common.money import MAX_FEN, Fen, validate_fen
from doudi_common.period import Period
from doudi_common.region import RegionCode, RegionLevel


def join_path(prefix: str, field: str) -> str:
    """``join_path("household.members", "[1]")`` → ``household.members[1]``; otherwise joined by a dot."""
    if not prefix:
        return field
    if not field:
        return prefix
    return prefix + field if field.startswith("[") else f"{prefix}.{field}"


class Violations:
    """An accumulator of field violations; the ``require_*`` methods record a failure and return None.

    >>> v = Violations()
    >>> with v.nested("household.members[1]"):
    ...     v.require_nonempty("", "name")
    >>> v.violations[0].field
    'household.members[1].name'
    """

    def __init__(self) -> None:
        self._items: list[FieldViolation] = []
        self._prefix = ""

    @property
    def violations(self) -> tuple[FieldViolation, ...]:
        return tuple(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __iter__(self) -> Iterator[FieldViolation]:
        return iter(tuple(self._items))

    def path(self, field: str) -> str:
        """The full path of ``field`` inside the current nesting."""
        return join_path(self._prefix, field)

    @contextmanager
    def nested(self, prefix: str) -> Iterator[Violations]:
        """Fields added inside the block are named below ``prefix`` (blocks nest)."""
        outer = self._prefix
        self._prefix = join_path(outer, prefix)
        try:
            yield self
        finally:
            self._prefix = outer

    def add(self, field: str, description: str) -> None:
        self._items.append(FieldViolation(self.path(field), description))

    def check(self, condition: bool, field: str, description: str) -> bool:
        """Record a violation unless ``condition`` holds; returns ``condition``."""
        if not condition:
            self.add(field, description)
        return condition

    def absorb(self, error: InvalidArgument) -> None:
        """Record the violations of an error raised by a parser given a full path."""
        self._items.extend(error.violations)

    def raise_if_any(self, message: str | None = None) -> None:
        if self._items:
            raise InvalidArgument(self._items, message)

    def require_nonempty(self, value: str | None, field: str) -> str | None:
        """The value without surrounding whitespace, or None (recorded) when missing or blank."""
        if value is None or not value.strip():
            self.add(field, "is required")
            return None
        return value.strip()

    def require_id_number(self, value: str, field: str, *, today: date | None = None) -> ResidentId | None:
        try:
            return parse_id_number(value, field=self.path(field), today=today)
        except InvalidArgument as error:
            self.absorb(error)
            return None

    def require_region(
        self, value: str, field: str, *, level: RegionLevel | None = None
    ) -> RegionCode | None:
        """A region code, optionally required to be of one ``level`` (e.g. a township)."""
        try:
            region = RegionCode.parse(value, field=self.path(field))
        except InvalidArgument as error:
            self.absorb(error)
            return None
        if level is not None and region.level is not level:
            self.add(field, f"must be the code of a {level.name.lower()}")
            return None
        return region

    def require_period(self, value: str, field: str) -> Period | None:
        try:
            return Period.parse(value, field=self.path(field))
        except InvalidArgument as error:
            self.absorb(error)
            return None

    def require_fen(
        self, value: int, field: str, *, allow_negative: bool = False, maximum: int = MAX_FEN
    ) -> Fen | None:
        """An amount in fen within bounds; a bool or float is a programming error and raises TypeError."""
        try:
            return validate_fen(value, self.path(field), allow_negative=allow_negative, maximum=maximum)
        except InvalidArgument as error:
            self.absorb(error)
            return None

    def require_date(self, year: int, month: int, day: int, field: str) -> date | None:
        try:
            return date(year, month, day)
        except (ValueError, TypeError):
            self.add(field, "is not a real date")
            return None


def validate_together(*checks: Callable[[], object]) -> None:
    """Run every check and report all their field violations in one answer."""
    violations: list[FieldViolation] = []
    for check in checks:
        try:
            check()
        except InvalidArgument as exc:
            violations.extend(exc.violations)
    if violations:
        raise InvalidArgument(violations)
