"""Tables of the care service's store (the runtime adds its outbox, inbox and idempotency keys)."""

from pathlib import Path

from sqlalchemy import Boolean, Column, Date, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

from doudi_runtime.service import ServiceStore
from doudi_runtime.store import UtcDateTime
from doudi_runtime.store.sealed import LookupHash, Sealed

metadata = MetaData()

#: One row per person and ledger: a person is known by the lookup hash of their identity number, or, for
#: an entry an entitlement opened before the township recorded who the person is, by ``person_key``
#: ``subject:<id>`` (empty once the identity number is known). Identity, name, phone and the ledger's
#: details (contacts, guardians, disability certificate) are sealed.
ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("entry_id", String(40), primary_key=True),
    Column("ledger", String(30), nullable=False),
    Column("person_key", String(80), nullable=False),
    Column("id_number", Sealed("care.ledger_entries.id_number"), nullable=False),
    Column(
        "id_number_hash",
        LookupHash("care.ledger_entries.id_number", hash_of="id_number"),
        nullable=False,
        server_default="",
    ),
    Column("name", Sealed("care.ledger_entries.name"), nullable=False),
    Column("phone", Sealed("care.ledger_entries.phone"), nullable=False),
    Column("region", String(12), nullable=False),
    Column("township", String(12), nullable=False),
    Column("risk_level", String(10), nullable=False),
    Column("status", String(20), nullable=False),
    Column("source", String(20), nullable=False),
    Column("details", Sealed("care.ledger_entries.details"), nullable=False),
    Column("subject_id", String(64), nullable=False),
    Column("entitlement_ids", Text, nullable=False),
    #: Entitlements of ``entitlement_ids`` now suspended; while only suspended ones remain the entry rests.
    Column("suspended_entitlement_ids", Text, nullable=False, server_default="[]"),
    Column("provider_id", String(64), nullable=False),
    Column("care_services", Boolean, nullable=False),
    Column("rural_class1_dibao", Boolean, nullable=False),
    Column("next_due", Date, nullable=False),
    Column("announced_stage", String(20), nullable=False),
    Column("last_visited_on", Date, nullable=True),
    Column("registered_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("ledger", "id_number_hash", "person_key", name="uq_ledger_entries_ledger_person"),
    Index("ix_ledger_entries_region", "region"),
    Index("ix_ledger_entries_next_due", "status", "next_due"),
    #: The daily sweep's work: by status and last announced stage, entries in (due, id) keyset order.
    Index("ix_ledger_entries_sweep", "status", "announced_stage", "next_due", "entry_id"),
    Index("ix_ledger_entries_id_number_hash", "id_number_hash"),
    Index("ix_ledger_entries_subject_id", "subject_id"),
)

visits = Table(
    "visits",
    metadata,
    Column("visit_id", String(40), primary_key=True),
    Column("entry_id", String(40), nullable=False),
    Column("visited_at", UtcDateTime, nullable=False),
    Column("visitor", String(50), nullable=False),
    Column("mode", String(20), nullable=False),
    Column("place", Sealed("care.visits.place"), nullable=False),
    Column("findings", Sealed("care.visits.findings"), nullable=False),
    Column("risk_found", Boolean, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("late", Boolean, nullable=False),
    Column("next_due", Date, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Index("ix_visits_entry_id", "entry_id"),
)

#: ``seq`` numbers the orders the monthly plan makes (1..n), so planning twice makes nothing twice.
work_orders = Table(
    "work_orders",
    metadata,
    Column("work_order_id", String(40), primary_key=True),
    Column("entry_id", String(40), nullable=False),
    Column("provider_id", String(64), nullable=False),
    Column("period", String(7), nullable=False),
    Column("seq", Integer, nullable=True),
    Column("state", String(20), nullable=False),
    Column("region", String(12), nullable=False),
    Column("township", String(12), nullable=False),
    Column("content", String(200), nullable=False),
    Column("quality_score", Integer, nullable=False),
    Column("confirmed_by", String(50), nullable=False),
    Column("completed_at", UtcDateTime, nullable=True),
    Column("audit_passed", Boolean, nullable=True),
    Column("missed_reason", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("entry_id", "period", "seq", name="uq_work_orders_entry_period_seq"),
    Index("ix_work_orders_provider_period", "provider_id", "period"),
    Index("ix_work_orders_state_period", "state", "period"),
)

#: A provider's month is settled once: the identity disbursement pays by.
settlements = Table(
    "settlements",
    metadata,
    Column("settlement_id", String(40), primary_key=True),
    Column("provider_id", String(64), nullable=False),
    Column("period", String(7), nullable=False),
    Column("planned", Integer, nullable=False),
    Column("paid_services", Integer, nullable=False),
    Column("missed", Integer, nullable=False),
    Column("failed_audit", Integer, nullable=False),
    Column("average_score_x100", Integer, nullable=False),
    Column("gross_fen", Integer, nullable=False),
    Column("deductions_fen", Integer, nullable=False),
    Column("payable_fen", Integer, nullable=False),
    Column("settled_at", UtcDateTime, nullable=False),
    UniqueConstraint("provider_id", "period", name="uq_settlements_provider_period"),
)

protection_cases = Table(
    "protection_cases",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("entry_id", String(40), nullable=False),
    Column("child_id_number", Sealed("care.protection_cases.child_id_number"), nullable=False),
    Column("child_name", Sealed("care.protection_cases.child_name"), nullable=False),
    Column("region", String(12), nullable=False),
    Column("township", String(12), nullable=False),
    Column("description", Sealed("care.protection_cases.description"), nullable=False),
    Column("reporter", Sealed("care.protection_cases.reporter"), nullable=False),
    Column("contact_phone", Sealed("care.protection_cases.contact_phone"), nullable=False),
    Column("reported_at", UtcDateTime, nullable=False),
    Column("dispatch_due_at", UtcDateTime, nullable=False),
    Column("assessment_due_at", UtcDateTime, nullable=False),
    Column("intervention_due_at", UtcDateTime, nullable=False),
    Column("dispatched_at", UtcDateTime, nullable=True),
    Column("assessed_at", UtcDateTime, nullable=True),
    Column("intervened_at", UtcDateTime, nullable=True),
    Column("overdue_steps", Text, nullable=False),
    Column("notes", Sealed("care.protection_cases.notes"), nullable=False),
    #: The earliest deadline still to watch; NULL once nothing is left to escalate.
    Column("next_check_at", UtcDateTime, nullable=True),
    Index("ix_protection_cases_next_check_at", "next_check_at"),
)

#: The answer of each bulk import, so a retried import replays it.
imports = Table(
    "imports",
    metadata,
    Column("import_id", String(40), primary_key=True),
    Column("result", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

STORE = ServiceStore.create(metadata, Path(__file__).parent / "migrations", audit=True)
