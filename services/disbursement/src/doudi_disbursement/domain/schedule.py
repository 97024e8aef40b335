"""When a township is paid (DOMAIN §11.1): monthly, by the 10th; or, in the rural townships a county names
among those paid quarterly (poor banking), a quarter at a time, by the 10th of the quarter's first month.

A quarterly township's run of a quarter's first month pays the quarter ahead. The runs of its other months
pay what the quarter's run did not (an entitlement started since): each month's payment keeps its own
identity (beneficiary, programme, month, component), so a month paid ahead is never paid again, and a
change that later lowers a month paid ahead is found overpaid (``paid_ahead``)."""

from __future__ import annotations

from doudi_common.period import Period

#: The county's parameter naming its townships paid quarterly (12-digit codes, comma-separated).
QUARTERLY_TOWNSHIPS = "payment.quarterly.townships"


def months_paid(period: Period, quarterly: bool) -> tuple[Period, ...]:
    """The benefit months a run of ``period`` pays a township: its own month; for a township paid
    quarterly, every month from it to the end of its quarter."""
    if not quarterly:
        return (period,)
    left_in_quarter = 2 - (period.month - 1) % 3
    return tuple(period.plus(months) for months in range(left_in_quarter + 1))
