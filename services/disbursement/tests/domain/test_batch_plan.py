"""A page of a month's lines is cut into bank batches as it is generated: each batch sends at most the batch
size, a RECOVERY line travels with the line it is deducted from, a line without an account is in none, and
generating the page again puts every line back where it was."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doudi_common.period import Period
from doudi_disbursement.domain.batches import UNBATCHED, page_prefix, plan_batches
from doudi_disbursement.domain.payments import PaymentLine

DEC = Period(2026, 12)


def line(
    name: str, component: str = "BASE", *, account: str = "6228480000000001", offsets: str = ""
) -> PaymentLine:
    return PaymentLine(
        beneficiary_id=f"hh_{name}",
        programme="DIBAO",
        period=DEC,
        component=component,
        amount_fen=-1_000 if offsets else 48_000,
        entitlement_id=f"ent_{name}",
        township="640402100000",
        payee_name="户主",
        payee_account=account,
        offsets_key=offsets,
    )


def recovery_of(carrier: PaymentLine) -> PaymentLine:
    """Deducted from ``carrier`` and paid, like it, to the entitlement's payee."""
    return line(
        carrier.beneficiary_id.removeprefix("hh_"),
        "RECOVERY",
        account=carrier.payee_account,
        offsets=carrier.idempotency_key,
    )


def test_a_batch_is_named_after_its_run_township_page_and_place() -> None:
    prefix = page_prefix("run_1", "640402100000", 3, 1000, 2)
    assert plan_batches([line("a"), line("b"), line("c")], prefix, 2) == [
        "run_1-640402100000-1000.2-p00003-001",
        "run_1-640402100000-1000.2-p00003-001",
        "run_1-640402100000-1000.2-p00003-002",
    ]


def test_pages_cut_under_other_sizes_make_other_batches() -> None:
    assert page_prefix("run_1", "640402100000", 3, 1000, 2) != page_prefix("run_1", "640402100000", 3, 500, 2)
    assert page_prefix("run_1", "640402100000", 3, 1000, 2) != page_prefix(
        "run_1", "640402100000", 3, 1000, 3
    )


def test_a_recovery_line_goes_into_its_carriers_batch_and_does_not_count_as_sent() -> None:
    a, b, c = line("a"), line("b"), line("c")
    planned = plan_batches([a, b, recovery_of(b), c], "p", 2)
    assert planned == ["p-001", "p-001", "p-001", "p-002"]


def test_a_line_without_an_account_is_in_no_batch() -> None:
    held = line("b", account="")
    assert plan_batches([line("a"), held, recovery_of(held), line("c")], "p", 1) == [
        "p-001",
        UNBATCHED,
        UNBATCHED,
        "p-002",
    ]


def test_a_recovery_line_without_its_carrier_is_refused() -> None:
    with pytest.raises(ValueError, match="without the line it is deducted from"):
        plan_batches([recovery_of(line("a"))], "p", 5)


def test_a_batch_holds_at_least_one_payment() -> None:
    with pytest.raises(ValueError):
        plan_batches([line("a")], "p", 0)


@st.composite
def pages(draw: st.DrawFn) -> list[PaymentLine]:
    lines: list[PaymentLine] = []
    for index in range(draw(st.integers(0, 30))):
        carrier = line(str(index), account=draw(st.sampled_from(["", "6228480000000001"])))
        lines.append(carrier)
        if draw(st.booleans()):
            lines.append(recovery_of(carrier))
    return lines


@given(pages(), st.integers(1, 7))
def test_every_batch_sends_at_most_its_size_and_carries_its_offsets(
    lines: list[PaymentLine], size: int
) -> None:
    planned = plan_batches(lines, "p", size)
    assert len(planned) == len(lines)
    batch_of = {line.idempotency_key: batch for line, batch in zip(lines, planned, strict=True)}
    sent: dict[str, int] = {}
    for line_, batch in zip(lines, planned, strict=True):
        if not line_.payee_account:
            assert batch == UNBATCHED
        elif line_.offsets_key:
            assert batch == batch_of[line_.offsets_key]
        else:
            assert batch != UNBATCHED
            sent[batch] = sent.get(batch, 0) + 1
    assert all(1 <= count <= size for count in sent.values())
    # Full batches first: only the page's last batch may be short.
    counts = [sent[batch] for batch in sorted(sent)]
    assert all(count == size for count in counts[:-1])
    assert plan_batches(lines, "p", size) == planned, "planning the page again gives the same batches"
