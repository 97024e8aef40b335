"""Where a month's money stands, by fund source and township (DOMAIN §11.1, §11.3), and the month's
publication list (DOMAIN §11.5): masked names, persons and amounts of Dibao households, and of a person's
programme for months the person is an adult throughout."""

from __future__ import annotations

import grpc
import pytest

from doudi.common.v1 import programme_pb2, types_pb2
from doudi.disbursement.v1 import disbursement_pb2
from doudi_common.fieldcrypt import KeyRing
from doudi_disbursement.store.payee_sealing import NAME_CONTEXT
from doudi_runtime.grpc.errors import field_violations_from

from .test_payroll_api import (
    AS_CLERK,
    COUNTY,
    TOWNSHIPS,
    Payroll,
    activated,
    approve,
    deliver,
    disbursement,  # noqa: F401  (the fixture)
    generate,
    get_run,
    roster_of_seven,
)

DIBAO, TEKUN = programme_pb2.PROGRAMME_DIBAO, programme_pb2.PROGRAMME_TEKUN


def summary(
    p: Payroll, region: str = COUNTY, month: str = "2026-11"
) -> disbursement_pb2.GetFundSummaryResponse:
    return p.stub.GetFundSummary(
        disbursement_pb2.GetFundSummaryRequest(
            region=types_pb2.RegionCode(code=region), period=types_pb2.Period(month=month)
        ),
        metadata=AS_CLERK,
        timeout=10,
    )


def by_line(response: disbursement_pb2.GetFundSummaryResponse) -> dict[tuple[str, int], tuple[int, ...]]:
    return {
        (line.township.code, line.programme): (
            line.amounts.settled.amount_fen,
            line.amounts.settled_count,
            line.amounts.with_bank.amount_fen,
            line.amounts.returned.amount_fen,
            line.amounts.returned_count,
        )
        for line in response.lines
    }


def paid_month(p: Payroll) -> disbursement_pb2.Run:
    roster_of_seven(p)
    run = generate(p)
    p.use_cases.generate_shards()
    return run


def test_a_generated_month_is_with_the_bank_and_a_paid_one_settled_or_returned_by_fund_and_township(
    disbursement: Payroll,  # noqa: F811
) -> None:
    p = disbursement
    run = paid_month(p)
    before = summary(p)
    assert (
        before.total.with_bank.amount_fen
        == 6_000 + 87_000 + 56_000 + 41_200 + 19_500 + 24_000 + 33_300 + 67_200
    )
    assert before.total.settled_count == 0

    approve(p, get_run(p, run.run_id))
    while p.use_cases.send_to_bank():
        pass
    p.use_cases.reconcile()

    after = summary(p)
    assert by_line(after) == {
        (TOWNSHIPS[0], DIBAO): (93_000, 2, 0, 56_000, 1),  # the account ending 0000 is returned
        (TOWNSHIPS[0], TEKUN): (60_700, 2, 0, 0, 0),  # basic and care, one fund
        (TOWNSHIPS[1], DIBAO): (124_500, 3, 0, 0, 0),
    }
    assert (after.total.settled.amount_fen, after.total.settled_count) == (278_200, 7)
    assert (after.total.returned.amount_fen, after.total.returned_count) == (56_000, 1)
    township = summary(p, TOWNSHIPS[1])
    assert [line.township.code for line in township.lines] == [TOWNSHIPS[1]], "a township sees its own"
    assert summary(p, month="2026-12").lines == [], "no run for that month"


def test_the_publication_list_shows_dibao_households_masked_and_pages(disbursement: Payroll) -> None:  # noqa: F811
    p = disbursement
    paid_month(p)
    shown: list[disbursement_pb2.PublishedEntry] = []
    token = ""
    while True:
        page = p.stub.ListPublication(
            disbursement_pb2.ListPublicationRequest(
                region=types_pb2.RegionCode(code=COUNTY),
                period=types_pb2.Period(month="2026-11"),
                page=types_pb2.PageRequest(page_size=4, page_token=token),
            ),
            metadata=AS_CLERK,
            timeout=10,
        )
        shown.extend(page.entries)
        token = page.page.next_page_token
        if not token:
            break
    assert sorted(e.monthly_amount.amount_fen for e in shown) == [
        6_000,
        24_000,
        33_300,
        56_000,
        67_200,
        87_000,
    ]
    assert {e.programme for e in shown} == {DIBAO}, "a Tekun beneficiary of no known age is left off"
    assert {e.masked_name for e in shown} == {"户**"}
    text = str(shown)
    assert "6228" not in text and "hh_" not in text, "no account and no identifier is published"


def test_the_list_opens_each_name_it_masks_and_no_account(
    disbursement: Payroll,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p = disbursement
    roster_of_seven(p)
    opened: list[str] = []
    open_one = KeyRing.open

    def recording(ring: KeyRing, token: str, *, context: str) -> str:
        opened.append(context)
        return open_one(ring, token, context=context)

    monkeypatch.setattr(KeyRing, "open", recording)
    shown = publication(p, "2026-11")
    assert shown and set(opened) == {NAME_CONTEXT}, "the list shows no account: none is opened for it"


def publication(p: Payroll, month: str) -> list[disbursement_pb2.PublishedEntry]:
    return list(
        p.stub.ListPublication(
            disbursement_pb2.ListPublicationRequest(
                region=types_pb2.RegionCode(code=COUNTY), period=types_pb2.Period(month=month)
            ),
            metadata=AS_CLERK,
            timeout=10,
        ).entries
    )


def test_a_tekun_adult_is_published_and_a_tekun_minor_only_once_of_age_throughout_a_month(
    disbursement: Payroll,  # noqa: F811
) -> None:
    p = disbursement
    elder = activated(11, TOWNSHIPS[0], 41_200, care=19_500)
    elder.entitlement.birth_month.month = "1957-05"
    youth = activated(12, TOWNSHIPS[1], 41_200, care=8_000)
    youth.entitlement.birth_month.month = "2008-11"  # 18 on some day of November 2026
    for event in (elder, youth):
        deliver(p, event)

    november = {(e.programme, e.monthly_amount.amount_fen, e.persons) for e in publication(p, "2026-11")}
    assert november == {(TEKUN, 60_700, 1)}, "the elder only: the youth is a minor on some day of November"
    december = {e.monthly_amount.amount_fen for e in publication(p, "2026-12")}
    assert december == {60_700, 49_200}, "the youth is an adult all December"


def test_a_birth_month_that_is_not_one_keeps_the_person_paid_and_off_the_list(
    disbursement: Payroll,  # noqa: F811
) -> None:
    p = disbursement
    event = activated(13, TOWNSHIPS[0], 41_200, care=19_500)
    event.entitlement.birth_month.month = "1957-13"
    deliver(p, event)
    run = generate(p)
    p.use_cases.generate_shards()
    assert get_run(p, run.run_id).total_fen == 60_700, "paid as announced"
    assert publication(p, "2026-11") == [], "an age not known is never published"


def test_a_month_that_is_not_one_is_refused_with_the_field(disbursement: Payroll) -> None:  # noqa: F811
    p = disbursement
    with pytest.raises(grpc.RpcError) as refused:
        summary(p, month="2026-13")
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations_from(refused.value)] == ["period.month"]
