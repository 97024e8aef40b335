"""Tables of the eligibility service's store (the runtime adds its outbox, inbox and idempotency keys)."""

from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    false,
)

from doudi_runtime.service import ServiceStore
from doudi_runtime.store import UtcDateTime
from doudi_runtime.store.sealed import LookupHash, Sealed

metadata = MetaData()

#: Personal data is sealed at rest, each blob once: the application and report, the case file, entitlements,
#: notices, objections and appeals. Who an entitlement or a temporary-assistance event is for is found by the
#: keyed hash of the ID number (unique per entitlement or application); the ID number is sealed beside it.

#: What eligibility learnt of an application before its case opens: intake's accepted application and
#: verification's latest complete report arrive on two topics in either order; the case opens with both.
applications = Table(
    "applications",
    metadata,
    Column("application_id", String(40), primary_key=True),
    Column("application", Sealed("eligibility.applications.application"), nullable=True),
    Column("report", Sealed("eligibility.applications.report"), nullable=True),
    Column("withdrawn", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

#: One row per case in the six-step procedure (DOMAIN §5.1.7, §7.2). ``body`` holds the case file (the
#: application, report and survey facts) and the procedure's state as JSON; lists filter on the columns.
cases = Table(
    "cases",
    metadata,
    Column("application_id", String(40), primary_key=True),
    Column("programme", String(40), nullable=False),
    Column("region", String(12), nullable=False),
    Column("step", String(30), nullable=False),
    Column("accepted_at", UtcDateTime, nullable=False),
    Column("deadline", Date, nullable=False),
    Column("decision_id", String(40), nullable=False),
    Column("entitlement_id", String(40), nullable=False),
    Column("body", Sealed("eligibility.cases.body"), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_cases_step_deadline", "step", "deadline"),
)

#: Initial opinions and final decisions, each the explained ``Decision`` proto as it was given.
decisions = Table(
    "decisions",
    metadata,
    Column("decision_id", String(40), primary_key=True),
    Column("application_id", String(40), nullable=False),
    Column("stage", String(20), nullable=False),
    Column("programme", String(40), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("decided_at", UtcDateTime, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Index("ix_decisions_application_id", "application_id"),
)

#: Public notices (row 15): what was posted, masked, and for which days.
notices = Table(
    "notices",
    metadata,
    Column("notice_id", String(40), primary_key=True),
    Column("application_id", String(40), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("state", String(20), nullable=False),
    Column("body", Sealed("eligibility.notices.body"), nullable=False),
    Index("ix_notices_state_ends_on", "state", "ends_on"),
)

#: Objections raised during a notice (row 17).
objections = Table(
    "objections",
    metadata,
    Column("objection_id", String(40), primary_key=True),
    Column("notice_id", String(40), nullable=False),
    Column("application_id", String(40), nullable=False),
    Column("content", Sealed("eligibility.objections.content"), nullable=False),
    Column("real_name", Boolean, nullable=False),
    Column("raised_by", String(200), nullable=False),
    Column("raised_at", UtcDateTime, nullable=False),
)

#: Near-relative registrations (DOMAIN §12.2), the separate archive: which case's household is a near
#: relative of which staff member (an opaque user id), in what position and relation; the note is sealed.
near_relatives = Table(
    "near_relatives",
    metadata,
    Column("registration_id", String(40), primary_key=True),
    Column("application_id", String(40), nullable=False),
    Column("region", String(12), nullable=False),
    Column("staff_user_id", String(200), nullable=False),
    Column("staff_position", String(30), nullable=False),
    Column("organisation", String(200), nullable=False),
    Column("relation", String(40), nullable=False),
    Column("note", Sealed("eligibility.near_relatives.note"), nullable=False),
    Column("registered_by", String(200), nullable=False),
    Column("registered_role", String(30), nullable=False),
    Column("registered_at", UtcDateTime, nullable=False),
    Index("ux_near_relatives_application_staff", "application_id", "staff_user_id", unique=True),
    Index("ix_near_relatives_region", "region"),
)

#: Benefit records (DOMAIN §7.3). ``body`` holds the machine's state (with the state before the last decision,
#: for appeals); the columns are what lists and re-determination filter on.
entitlements = Table(
    "entitlements",
    metadata,
    Column("entitlement_id", String(40), primary_key=True),
    Column("application_id", String(40), nullable=False),
    Column("subject_id", String(40), nullable=False),
    Column("programme", String(40), nullable=False),
    Column("region", String(12), nullable=False),
    Column("state", String(30), nullable=False),
    Column("monthly_amount_fen", BigInteger, nullable=False),
    Column("parameter_version", String(200), nullable=False),
    Column("last_decision_id", String(40), nullable=False),
    Column("body", Sealed("eligibility.entitlements.body"), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    #: §12.2: a near relative of staff is registered for the application; its steps look up who recuses.
    Column("near_relative", Boolean, nullable=False, server_default=false()),
    Index("ix_entitlements_state_region", "state", "region"),
    Index("ix_entitlements_last_decision_id", "last_decision_id"),
    Index("ix_entitlements_application_id", "application_id"),
)

#: Who each entitlement pays for, by ID number: the stacking and exclusivity matrix (DOMAIN §5.8) and the
#: duplicate check (§12.1) look a person's other entitlements up here.
entitlement_persons = Table(
    "entitlement_persons",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("entitlement_id", String(40), nullable=False),
    Column("person_id", Sealed("eligibility.entitlement_persons.person_id"), nullable=False),
    Column(
        "person_id_hash",
        LookupHash("eligibility.entitlement_persons.person_id", hash_of="person_id"),
        nullable=False,
    ),
    Index("ux_entitlement_persons_entitlement_person", "entitlement_id", "person_id_hash", unique=True),
    Index("ix_entitlement_persons_person_id_hash", "person_id_hash"),
)

#: Advance aid the township paid from its reserve fund (disbursement's AdvancePaid), by the case or incident
#: reference it was paid under and the person paid (DOMAIN §5.3.2, §7.4): it counts toward the event total.
ta_advances = Table(
    "ta_advances",
    metadata,
    Column("advance_id", String(40), primary_key=True),
    Column("case_reference", String(64), nullable=False),
    Column("person_id", String(40), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("paid_at", UtcDateTime, nullable=False),
    Index("ix_ta_advances_case_reference", "case_reference"),
)

#: Approved temporary assistance per person and event: one application per event per window (§5.3.3).
ta_events = Table(
    "ta_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("application_id", String(40), nullable=False),
    Column("person_id", Sealed("eligibility.ta_events.person_id"), nullable=False),
    Column(
        "person_id_hash", LookupHash("eligibility.ta_events.person_id", hash_of="person_id"), nullable=False
    ),
    Column("event_key", String(64), nullable=False),
    Column("applied_in", String(7), nullable=False),
    Index("ux_ta_events_application_person", "application_id", "person_id_hash", unique=True),
    Index("ix_ta_events_person_event", "person_id_hash", "event_key"),
)

#: Where each temporary-assistance case stands from report to follow-up (§7.4), by the application id or
#: the incident reference it was reported under; the region is the township's (the caller's scope).
ta_lifecycles = Table(
    "ta_lifecycles",
    metadata,
    Column("reference", String(64), primary_key=True),
    Column("region", String(12), nullable=False),
    Column("state", String(24), nullable=False),
    Column("entitlement_id", String(40), nullable=True),
    Column("payment_month", String(7), nullable=True),
    Column("payment_problem", Text, nullable=False, server_default=""),
    Column("body", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_ta_lifecycles_state_month", "state", "payment_month"),
    Index("ix_ta_lifecycles_entitlement_id", "entitlement_id"),
)

#: Appeals and reconsiderations (DOMAIN §7.6); the decision stays in force while one is pending.
appeals = Table(
    "appeals",
    metadata,
    Column("appeal_id", String(40), primary_key=True),
    Column("decision_id", String(40), nullable=False),
    Column("state", String(20), nullable=False),
    Column("body", Sealed("eligibility.appeals.body"), nullable=False),
    Column("filed_at", UtcDateTime, nullable=False),
)

#: Parameter set versions published through the API (the shipped sets are package data), as TOML text.
parameter_versions = Table(
    "parameter_versions",
    metadata,
    Column("set_id", String(64), primary_key=True),
    Column("region", String(12), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("text", Text, nullable=False),
    Column("published_by", String(200), nullable=False),
    Column("published_at", UtcDateTime, nullable=False),
)

#: One re-determination per published version (DOMAIN §3): entitlements in scope are examined in key order,
#: a batch per transaction; ``cursor`` is the last one examined, advanced in the batch's own transaction, so a
#: restart resumes after it and no entitlement is examined twice for one version. A runner holds a lease.
redeterminations = Table(
    "redeterminations",
    metadata,
    Column("set_id", String(64), primary_key=True),
    Column("region_prefix", String(12), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("cursor", String(40), nullable=False),
    Column("examined", BigInteger, nullable=False),
    Column("changed", BigInteger, nullable=False),
    Column("referred_to_review", BigInteger, nullable=False),
    Column("done", Boolean, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("lease_until", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    Index("ix_redeterminations_done_started_at", "done", "started_at"),
)

#: Runs of the ``reannounce`` role: every entitlement not terminated announced again as it stands, in key
#: order, a page per transaction; ``cursor`` is the last one announced, advanced in the page's own transaction
#: with its events, so a run interrupted part-way resumes after it and announces no entitlement twice.
reannouncements = Table(
    "reannouncements",
    metadata,
    Column("run_id", String(40), primary_key=True),
    Column("cursor", String(40), nullable=False),
    Column("announced", BigInteger, nullable=False),
    Column("done", Boolean, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    Index("ix_reannouncements_done_started_at", "done", "started_at"),
)

#: Every state change: who, when, why, before and after (ARCHITECTURE "Security", DOMAIN §7 notation).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subject_id", String(64), nullable=False),
    Column("action", String(60), nullable=False),
    Column("actor_role", String(30), nullable=False),
    Column("actor_id", String(200), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("detail", Text, nullable=False),
    Index("ix_audit_log_subject_id", "subject_id"),
)

STORE = ServiceStore.create(metadata, Path(__file__).parent / "migrations", audit=True)
