"""Bank batches fixed when a month is generated (DOMAIN §11.2 steps 4–6).

Each page of a township's roster is cut into batches as its lines are written, so a payment is written once:
its batch is part of it from the start, and sending, settling and reconciling act on whole batches. A
batch's identity is made of the run, the township, the page and the batch's place in it, so a worker that
generates a page again after a crash puts every line back into the batch it was in.
"""

from __future__ import annotations

from collections.abc import Sequence

from doudi_disbursement.domain.payments import PaymentLine, without_account

#: The batch of a line sent to the bank with no batch yet (a held line re-issued): formed when sent.
UNBATCHED = ""


def page_prefix(run_id: str, township: str, page: int, page_size: int, batch_size: int) -> str:
    """What every batch of one page of a township's shard is named after (page 0: the county's own lines).
    The sizes are part of it: a worker restarted with other sizes pages the roster differently, and the
    lines it adds then go into batches of their own rather than over the size of one planned before."""
    return f"{run_id}-{township}-{page_size}.{batch_size}-p{page:05d}"


def plan_batches(lines: Sequence[PaymentLine], prefix: str, size: int) -> list[str]:
    """The batch of each line, in the lines' order: lines with an account in groups of at most ``size``
    lines the bank is sent, each RECOVERY line in the batch of the line it is deducted from (the bank is
    sent that line net of it); a line without an account is held, in no batch."""
    if size < 1:
        raise ValueError("a batch holds at least one payment")
    planned: list[str] = []
    sent = 0
    batch = UNBATCHED
    offsets = False
    for line in lines:
        if line.offsets_key:
            offsets = True
            planned.append(UNBATCHED)
        elif without_account(line):
            planned.append(UNBATCHED)
        else:
            if sent % size == 0:
                batch = f"{prefix}-{sent // size + 1:03d}"
            planned.append(batch)
            sent += 1
    if offsets:
        _with_carriers(lines, planned)
    return planned


def _with_carriers(lines: Sequence[PaymentLine], planned: list[str]) -> None:
    """Put each RECOVERY line (with an account) into its carrier's batch."""
    batch_of_key = {
        line.idempotency_key: batch for line, batch in zip(lines, planned, strict=True) if batch != UNBATCHED
    }
    for index, line in enumerate(lines):
        if line.offsets_key and not without_account(line):
            carrier = batch_of_key.get(line.offsets_key)
            if carrier is None:
                raise ValueError(
                    f"the RECOVERY line {line.idempotency_key} is generated without the line it is "
                    f"deducted from ({line.offsets_key})"
                )
            planned[index] = carrier
