"""The care metrics the chart's rules and dashboards read; labels are ledgers and outcomes, never people."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from doudi_care.domain.ledger import LEDGER_LABELS

VISITS = Counter(
    "doudi_care_visits_total",
    "Visits recorded, by ledger and outcome (on_time, late, risk_found).",
    ["ledger", "outcome"],
)
VISITS_OVERDUE = Gauge(
    "doudi_care_visits_overdue",
    "Ledger entries whose visit is overdue and escalated (DOMAIN §9.2, M14), refreshed by the visit sweep.",
    ["ledger"],
)
WORK_ORDERS = Counter(
    "doudi_care_work_orders_total",
    "Care work orders closed, by outcome (completed, missed).",
    ["outcome"],
)
PROTECTION_ESCALATIONS = Counter(
    "doudi_care_protection_escalations_total",
    "Children's protection steps escalated to the county because their deadline passed, by step.",
    ["step"],
)

#: Every ledger label, so a ledger with nothing overdue reads 0 rather than vanishing.
LEDGER_LABEL_VALUES = tuple(sorted(set(LEDGER_LABELS.values())))
