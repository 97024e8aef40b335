"""Tables of the verification service's store (the runtime adds its outbox, inbox and idempotency keys)."""

from pathlib import Path

from sqlalchemy import BigInteger, Column, Date, Index, Integer, MetaData, String, Table, Text

from doudi_runtime.service import ServiceStore
from doudi_runtime.store import UtcDateTime
from doudi_runtime.store.sealed import LookupHash, Sealed

metadata = MetaData()

#: Personal data is sealed at rest: households, reports, surveys, disputes and an alert's person, account of
#: the person's situation and work, each as one blob. Nothing filters on them in SQL.

#: One row per accepted application to verify: the household as intake accepted it, and where its
#: checks stand. A row exists before any source is asked, so a crash never loses a verification.
cases = Table(
    "cases",
    metadata,
    Column("application_id", String(40), primary_key=True),
    Column("programme", String(40), nullable=False),
    Column("township", String(12), nullable=False),
    Column("residence_region", String(12), nullable=False),
    Column("household", Sealed("verification.cases.household"), nullable=False),
    Column("accepted_at", UtcDateTime, nullable=False),
    Column("state", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=True),
    Column("latest_report_id", String(40), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("purpose", String(20), nullable=False, server_default="APPLICATION"),
    Column("review_id", String(40), nullable=False, server_default=""),
    Column("reference_at", UtcDateTime, nullable=True),
    Index("ix_cases_state_next_attempt", "state", "next_attempt_at"),
)

#: Every report produced for a case; the latest one prevails (DOMAIN §4.8).
reports = Table(
    "reports",
    metadata,
    Column("report_id", String(40), primary_key=True),
    Column("application_id", String(40), nullable=False),
    Column("state", String(20), nullable=False),
    Column("counted_members", Integer, nullable=False),
    Column("gross_income_fen", BigInteger, nullable=False),
    Column("deductions_fen", BigInteger, nullable=False),
    Column("body", Sealed("verification.reports.body"), nullable=False),
    Column("produced_at", UtcDateTime, nullable=False),
    Column("valid_until", Date, nullable=False),
    Index("ix_reports_application_id", "application_id"),
)

#: Home surveys, with any data item they override (a reason is required and kept, DOMAIN §4.6, §12.4).
surveys = Table(
    "surveys",
    metadata,
    Column("survey_id", String(40), primary_key=True),
    Column("application_id", String(40), nullable=False),
    Column("body", Sealed("verification.surveys.body"), nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Index("ix_surveys_application_id", "application_id"),
)

#: Disputes of a report's item by the applicant, re-checked by a deadline (DOMAIN §4.8).
disputes = Table(
    "disputes",
    metadata,
    Column("dispute_id", String(40), primary_key=True),
    Column("report_id", String(40), nullable=False),
    Column("application_id", String(40), nullable=False),
    Column("body", Sealed("verification.disputes.body"), nullable=False),
    Column("state", String(20), nullable=False),
    Column("recheck_due", Date, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("resolved_report_id", String(40), nullable=False),
    Index("ix_disputes_application_id", "application_id"),
)

#: One row per Dibao entitlement eligibility announced: when its household is next reviewed (DOMAIN §5.1.5).
review_schedules = Table(
    "review_schedules",
    metadata,
    Column("entitlement_id", String(40), primary_key=True),
    Column("household_id", String(64), nullable=False),
    Column("application_id", String(40), nullable=False),
    Column("region", String(12), nullable=False),
    Column("household_type", String(10), nullable=True),
    Column("category", String(1), nullable=True),
    Column("state", String(10), nullable=False),
    Column("anchor", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_review_schedules_state_due_on", "state", "due_on"),
)

#: Every periodic review started. The unique (entitlement, due day) makes one review per due period, whatever
#: the number of workers or restarts.
reviews = Table(
    "reviews",
    metadata,
    Column("review_id", String(40), primary_key=True),
    Column("entitlement_id", String(40), nullable=False),
    Column("household_id", String(64), nullable=False),
    Column("application_id", String(40), nullable=False),
    Column("region", String(12), nullable=False),
    Column("category", String(1), nullable=True),
    Column("due_on", Date, nullable=False),
    Column("state", String(10), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("completed_at", UtcDateTime, nullable=True),
    Column("report_id", String(40), nullable=False),
    Column("note", Text, nullable=False),
    Index("ux_reviews_entitlement_due_on", "entitlement_id", "due_on", unique=True),
    Index("ix_reviews_region_due_on", "region", "due_on"),
)

# Monitoring and early-warning tables (DOMAIN §8) go below this line.

#: One row per monitoring alert (DOMAIN §8.3). The person's full ID number is kept here, sealed (masked on the
#: way out). While the alert is open ``open_fact`` holds (person, trigger, source reference), sealed, and
#: ``open_key`` its keyed digest; once closed they are '' and NULL: the unique index on ``open_key`` lets one
#: open alert exist per reported fact, even under concurrent reports.
#: ``work`` holds the assignment, findings and dispositions as JSON; the columns are what queries filter on.
alerts = Table(
    "alerts",
    metadata,
    Column("alert_id", String(40), primary_key=True),
    Column("trigger", String(40), nullable=False),
    Column("state", String(20), nullable=False),
    Column("person_id", Sealed("verification.alerts.person_id"), nullable=False),
    Column("household_id", String(64), nullable=False),
    Column("region", String(12), nullable=False),
    Column("township", String(12), nullable=False),
    Column("urgency", String(20), nullable=False),
    Column("groups", Sealed("verification.alerts.groups"), nullable=False),
    Column("source", String(200), nullable=False),
    Column("source_reference", String(200), nullable=False),
    Column("amount_fen", BigInteger, nullable=True),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("raised_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("overdue_at", UtcDateTime, nullable=True),
    Column("trigger_reason", Sealed("verification.alerts.trigger_reason"), nullable=False),
    Column("description", Sealed("verification.alerts.description"), nullable=False),
    Column("reports", Integer, nullable=False),
    Column("work", Sealed("verification.alerts.work"), nullable=False),
    Column("open_fact", Sealed("verification.alerts.open_fact"), nullable=False, server_default=""),
    Column("open_key", LookupHash("verification.alerts.open_fact", hash_of="open_fact"), nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ux_alerts_open_key", "open_key", unique=True),
    Index("ix_alerts_region", "region"),
    Index("ix_alerts_state_due_at", "state", "due_at"),
)

#: The households of the monitored population that left Dibao (DOMAIN §8.1), one row per ended entitlement,
#: monitored from ``since`` to ``until`` (months "YYYY-MM"); the members' ID numbers sealed, in a JSON list.
monitored_households = Table(
    "monitored_households",
    metadata,
    Column("entitlement_id", String(40), primary_key=True),
    Column("household_id", String(64), nullable=False),
    Column("application_id", String(40), nullable=False),
    Column("region", String(12), nullable=False),
    Column("group", String(20), nullable=False),
    Column("since", String(7), nullable=False),
    Column("until", String(7), nullable=False),
    Column("persons", Sealed("verification.monitored_households.persons"), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_monitored_households_region_until", "region", "until"),
)

STORE = ServiceStore.create(metadata, Path(__file__).parent / "migrations", audit=True)
