"""Specification of collecting every field violation before failing (DOMAIN §6 one-time notice)."""

from __future__ import annotations

from datetime import date

import pytest

from doudi_common.errors import FieldViolation, InvalidArgument
from doudi_common.idcard import check_digit
from doudi_common.period import Period
from doudi_common.region import RegionCode, RegionLevel
from doudi_common.validation import Violations, join_path, validate_together

TODAY = date(2026, 3, 1)
VALID_BODY = "64040219900101123"
VALID_ID = VALID_BODY + check_digit(VALID_BODY)


def test_nothing_to_report_raises_nothing() -> None:
    violations = Violations()
    assert violations.check(True, "x", "never")
    violations.raise_if_any()
    assert not violations and len(violations) == 0


def test_all_violations_are_listed_with_their_paths() -> None:
    violations = Violations()
    violations.add("programme", "is required")
    with violations.nested("household"), violations.nested("members"):
        for index, number in enumerate([VALID_ID, "123"]):
            with violations.nested(f"[{index}]"):
                violations.require_id_number(number, "id_number", today=TODAY)
                violations.check(index == 0, "relation", "must name the applicant")
    violations.require_nonempty("   ", "statement")
    with pytest.raises(InvalidArgument) as caught:
        violations.raise_if_any()
    assert caught.value.violations == (
        FieldViolation("programme", "is required"),
        FieldViolation("household.members[1].id_number", "must be 18 characters long"),
        FieldViolation("household.members[1].relation", "must name the applicant"),
        FieldViolation("statement", "is required"),
    )


def test_require_helpers_return_parsed_values() -> None:
    violations = Violations()
    assert violations.require_id_number(VALID_ID.lower(), "id", today=TODAY) is not None
    assert violations.require_region("640402100000", "township", level=RegionLevel.TOWNSHIP) == RegionCode(
        "640402100000"
    )
    assert violations.require_period("2026-02", "period") == Period(2026, 2)
    assert violations.require_fen(56000, "amount") == 56000
    assert violations.require_date(2024, 2, 29, "birth_date") == date(2024, 2, 29)
    assert violations.require_nonempty("  张三 ", "name") == "张三"
    assert not violations


def test_require_helpers_record_failures() -> None:
    violations = Violations()
    with violations.nested("req"):
        assert violations.require_region("640402000000", "township", level=RegionLevel.TOWNSHIP) is None
        assert violations.require_region("12", "residence") is None
        assert violations.require_period("2026-13", "period") is None
        assert violations.require_fen(-1, "amount") is None
        assert violations.require_date(2026, 2, 29, "birth_date") is None
        assert violations.require_nonempty(None, "name") is None
    assert [v.field for v in violations] == [
        "req.township",
        "req.residence",
        "req.period",
        "req.amount",
        "req.birth_date",
        "req.name",
    ]
    assert violations.violations[0].description == "must be the code of a township"


def test_float_amount_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        Violations().require_fen(1.5, "amount")  # type: ignore[arg-type]


def test_join_path() -> None:
    assert join_path("", "a") == "a"
    assert join_path("a", "") == "a"
    assert join_path("a", "b") == "a.b"
    assert join_path("a", "[2]") == "a[2]"


def test_validate_together_reports_every_failing_check_in_one_answer() -> None:
    def fails(field: str):  # type: ignore[no-untyped-def]
        def check() -> None:
            raise InvalidArgument.single(field, "is wrong")

        return check

    validate_together(lambda: None)
    with pytest.raises(InvalidArgument) as raised:
        validate_together(fails("a"), lambda: None, fails("b"))
    assert [v.field for v in raised.value.violations] == ["a", "b"]
