"""What eligibility's post-check after advance aid recovers (DOMAIN §7.4, §11.4).

Misrepresented facts: what the household received is recovered; aid given in good faith: nothing. The
recovery is owed under temporary assistance, which pays no later month to offset it against, so it is paid
back by the household (a repayment); it is never offset against another programme's payments, since the
runs offset an overpayment only against the same beneficiary's payments under its own programme.
"""

from __future__ import annotations

from enum import StrEnum

#: The programme a post-check's recovery is owed under: advance aid is urgent temporary assistance.
PROGRAMME = "TEMPORARY_ASSISTANCE_URGENT"


class PostCheck(StrEnum):
    MISREPRESENTED = "MISREPRESENTED"
    GOOD_FAITH = "GOOD_FAITH"


class UnusablePostCheck(ValueError):
    """A post-check disbursement cannot act on; retried, then dead-lettered with this message."""


def recovery_owed(reference: str, outcome: PostCheck | None, recovery_fen: int, paid_fen: int) -> int:
    """The fen to record as overpaid (0: nothing to record). ``paid_fen`` is what disbursement knows the
    household received for the case; a recovery beyond it, a negative one, one on good faith or one
    without an outcome is refused."""
    if recovery_fen < 0:
        raise UnusablePostCheck(f"case {reference}: a negative recovery ({recovery_fen} fen)")
    if outcome is None:
        raise UnusablePostCheck(f"case {reference}: the post-check names no outcome")
    if outcome is PostCheck.GOOD_FAITH:
        if recovery_fen:
            raise UnusablePostCheck(
                f"case {reference}: aid given in good faith recovers nothing, yet {recovery_fen} fen is named"
            )
        return 0
    if recovery_fen > paid_fen:
        raise UnusablePostCheck(
            f"case {reference}: {recovery_fen} fen to recover is more than the {paid_fen} fen paid"
        )
    return recovery_fen
