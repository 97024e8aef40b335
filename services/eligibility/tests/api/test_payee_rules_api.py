"""Whose account ChangePayeeAccount records, by programme (DOMAIN §11.1), through eligibility's gRPC API:
household Dibao pays the applicant; a Tekun person is paid into their own account, or the institution's once
the survey found centralised support; an orphan's allowance into the child's account, managed by the
guardian. A wrong holder is refused with the field named, and nothing is announced."""

from __future__ import annotations

import grpc
import pytest

from doudi.eligibility.v1 import eligibility_pb2 as pb
from doudi_runtime.grpc.errors import field_violations_from

from .conftest import AUTH, TOWNSHIP_OFFICER, Eligibility
from .test_payee_api import NEW_CARD, approve_h01
from .test_person_programmes_api import (
    GRANDMOTHER_AS_OBLIGOR,
    H04,
    H07_BOY,
    ORPHANED,
    entitlement_of,
    run_short,
    run_six_steps,
)

INSTITUTION = "原州区中心敬老院"


def change(
    e: Eligibility,
    entitlement_id: str,
    payee: pb.Payee,
    *,
    institution: bool = False,
    request_id: str = "p-1",
) -> pb.Entitlement:
    return e.stub.ChangePayeeAccount(
        pb.ChangePayeeAccountRequest(
            request_id=request_id,
            entitlement_id=entitlement_id,
            payee=payee,
            reason="换发一卡通",
            actor=TOWNSHIP_OFFICER,
            institution_account=institution,
        ),
        metadata=AUTH,
        timeout=10,
    ).entitlement


def refused(e: Eligibility, entitlement_id: str, payee: pb.Payee, *, institution: bool = False) -> set[str]:
    before = len(e.envelopes("EntitlementChanged"))
    with pytest.raises(grpc.RpcError) as raised:
        change(e, entitlement_id, payee, institution=institution, request_id="p-refused")
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert len(e.envelopes("EntitlementChanged")) == before
    return {field for field, _ in field_violations_from(raised.value)}


def account(holder: str, guardian: str = "") -> pb.Payee:
    return pb.Payee(
        account_name=holder, account_number=NEW_CARD, bank_name="农业银行", guardian_name=guardian
    )


def tekun(e: Eligibility, mode: int) -> str:
    run_six_steps(e, H04, pb.PersonFindings(self_care_items_lost=0, support_mode=mode))
    return entitlement_of(e, H04.application_id).entitlement_id


def test_household_dibao_takes_the_applicants_account_and_not_the_spouses(eligibility) -> None:  # type: ignore[no-untyped-def]
    entitlement = approve_h01(eligibility, None)
    [(field, description)] = field_violations_from(_error(eligibility, entitlement.entitlement_id, "王芳"))
    assert field == "payee.account_name" and "must be the applicant" in description
    assert change(eligibility, entitlement.entitlement_id, account("李明")).payee.account_name == "李明"


def _error(e: Eligibility, entitlement_id: str, holder: str) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        change(e, entitlement_id, account(holder), request_id="p-error")
    return raised.value


def test_a_tekun_person_in_centralised_support_may_be_paid_through_the_institution(eligibility) -> None:  # type: ignore[no-untyped-def]
    entitlement_id = tekun(eligibility, pb.SUPPORT_MODE_CENTRALISED)
    assert refused(eligibility, entitlement_id, account(INSTITUTION)) == {"payee.account_name"}
    changed = change(eligibility, entitlement_id, account(INSTITUTION), institution=True)
    assert (changed.payee.account_name, changed.payee.account_number) == (INSTITUTION, NEW_CARD)
    assert (
        change(eligibility, entitlement_id, account("马有福"), request_id="p-2").payee.account_name
        == "马有福"
    )


def test_a_tekun_person_at_home_is_paid_into_their_own_account_only(eligibility) -> None:  # type: ignore[no-untyped-def]
    entitlement_id = tekun(eligibility, pb.SUPPORT_MODE_DISPERSED)
    assert refused(eligibility, entitlement_id, account(INSTITUTION), institution=True) == {
        "institution_account"
    }
    assert refused(eligibility, entitlement_id, account("马有福", guardian="马有福")) == {
        "payee.guardian_name"
    }
    assert change(eligibility, entitlement_id, account("马有福")).payee.account_name == "马有福"


def test_an_orphans_allowance_goes_to_the_childs_account_managed_by_the_guardian(eligibility) -> None:  # type: ignore[no-untyped-def]
    chosen = pb.PersonFindings(
        member_index=1, obligors=[GRANDMOTHER_AS_OBLIGOR], chosen_programme=H07_BOY.programme, **ORPHANED
    )
    run_short(eligibility, H07_BOY, chosen)
    entitlement_id = entitlement_of(eligibility, H07_BOY.application_id).entitlement_id
    # The grandmother applied for him as guardian: her own account is not his, whoever manages it.
    assert refused(eligibility, entitlement_id, account("胡秀英", guardian="杨德明")) == {
        "payee.account_name"
    }
    assert refused(eligibility, entitlement_id, account("胡小东")) == {"payee.guardian_name"}
    changed = change(eligibility, entitlement_id, account("胡小东", guardian="胡秀英"))
    assert (changed.payee.account_name, changed.payee.guardian_name) == ("胡小东", "胡秀英")
