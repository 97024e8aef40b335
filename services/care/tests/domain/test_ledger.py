"""Ledger entry checks (DOMAIN §9.1, §12.3): every fault of a registration is named by its field."""

from __future__ import annotations

from datetime import date

from doudi_care.domain.ledger import (
    ChildCategory,
    ChildDetails,
    DisabilityDetails,
    DisabilityType,
    ElderlyDetails,
    Ledger,
    LedgerRules,
    Registration,
    RiskLevel,
    TekunDetails,
    gets_care_services,
    validate_registration,
)
from doudi_common.testing import EXAMPLE_VILLAGE, make_resident_id
from doudi_common.validation import Violations

TODAY = date(2026, 6, 1)
RULES = LedgerRules()
ZHOU = make_resident_id(date(1945, 3, 8), 31, female=True)  # H14: Zhou, 81
BOY = make_resident_id(date(2014, 5, 20), 14)  # H07: the grandson, 12


def check(registration: Registration) -> tuple[object, dict[str, str]]:
    v = Violations()
    valid = validate_registration(registration, TODAY, RULES, v)
    return valid, {x.field: x.description for x in v}


def tekun(**changes: object) -> Registration:
    values: dict[str, object] = {
        "ledger": Ledger.TEKUN_DISPERSED,
        "id_number": ZHOU,
        "name": "周秀兰",
        "region": EXAMPLE_VILLAGE,
        "details": TekunDetails(
            carer_name="周丽", carer_phone="139 0954 1234", entrustment_agreement_signed=True,
            agreement_signed_on=date(2026, 1, 5), visit_person="马主任",
        ),
    }  # fmt: skip
    values.update(changes)
    return Registration(**values)  # type: ignore[arg-type]


def test_h14_zhou_enters_the_dispersed_tekun_ledger_with_her_niece_as_carer() -> None:
    valid, faults = check(tekun())
    assert faults == {}
    assert valid is not None
    assert valid.risk_level is RiskLevel.GENERAL
    assert valid.details.carer_phone == "13909541234"  # type: ignore[union-attr]
    assert gets_care_services(Ledger.TEKUN_DISPERSED, False, RULES)


def test_every_fault_is_reported_at_once() -> None:
    bad = ZHOU[:-1] + ("0" if ZHOU[-1] != "0" else "1")
    valid, faults = check(
        tekun(
            id_number=bad,
            name="",
            region="640402100",
            details=TekunDetails(carer_name="", agreement_signed_on=date(2027, 1, 1)),
        )
    )
    assert valid is None
    assert faults["person.id_number"] == "has a wrong check digit"
    assert faults["person.name"] == "is required"
    assert "region" in faults
    assert faults["tekun.carer_name"] == "is required"
    assert faults["tekun.agreement_signed_on"] == "must not be in the future"
    assert "tekun.entrustment_agreement_signed" in faults


def test_the_elderly_ledger_is_for_people_of_60_and_needs_a_registered_contact() -> None:
    young = make_resident_id(date(1970, 1, 1), 11)
    _, faults = check(
        Registration(
            ledger=Ledger.ELDERLY_LEFT_BEHIND, id_number=young, name="李", region=EXAMPLE_VILLAGE,
            details=ElderlyDetails(),
        )
    )  # fmt: skip
    assert "aged 56" in faults["person.id_number"]
    assert faults["elderly.contact_name"] == "is required"
    assert faults["elderly.contact_phone"] == "is required"


def test_h07_the_orphan_enters_the_childrens_ledger_with_his_child_director() -> None:
    valid, faults = check(
        Registration(
            ledger=Ledger.CHILD_IN_DIFFICULTY, id_number=BOY, name="胡小明", region=EXAMPLE_VILLAGE,
            details=ChildDetails(
                category=ChildCategory.ORPHAN, guardian_name="胡桂英", child_director="马丽"
            ),
        )
    )  # fmt: skip
    assert faults == {}
    assert valid is not None


def test_an_adult_is_not_entered_on_a_childrens_ledger_and_the_category_must_fit() -> None:
    _, faults = check(
        Registration(
            ledger=Ledger.CHILD_IN_DIFFICULTY, id_number=ZHOU, name="周", region=EXAMPLE_VILLAGE,
            details=ChildDetails(category=ChildCategory.LEFT_BEHIND, guardian_name="x"),
        )
    )  # fmt: skip
    assert "minors" in faults["person.id_number"]
    assert "child.category" in faults


def test_a_disability_certificate_needs_its_type_a_grade_from_1_to_4_and_validity() -> None:
    _, faults = check(
        Registration(
            ledger=Ledger.DISABLED, id_number=ZHOU, name="周", region=EXAMPLE_VILLAGE,
            details=DisabilityDetails(grade=5, valid_until=date(2025, 12, 31)),
        )
    )  # fmt: skip
    assert set(faults) == {"disability.certificate_type", "disability.grade", "disability.valid_until"}
    valid, faults = check(
        Registration(
            ledger=Ledger.DISABLED, id_number=ZHOU, name="周", region=EXAMPLE_VILLAGE,
            details=DisabilityDetails(certificate_type=DisabilityType.VISUAL, grade=1),
        )
    )  # fmt: skip
    assert faults == {} and valid is not None


def test_details_of_another_ledger_are_refused() -> None:
    _, faults = check(tekun(details=ElderlyDetails(contact_name="x", contact_phone="13909541234")))
    assert "elderly" in faults


def test_class1_dibao_gets_care_services_only_where_the_county_extends_them() -> None:
    assert not gets_care_services(Ledger.ELDERLY_LEFT_BEHIND, True, RULES)
    assert gets_care_services(Ledger.ELDERLY_LEFT_BEHIND, True, LedgerRules(class1_dibao_care=True))
    assert not gets_care_services(Ledger.ELDERLY_LEFT_BEHIND, False, LedgerRules(class1_dibao_care=True))
