"""Tables of the intake service's store (the runtime adds its outbox, inbox and idempotency keys)."""

from pathlib import Path

from sqlalchemy import BigInteger, Column, Date, Index, Integer, MetaData, String, Table, Text

from doudi_runtime.service import ServiceStore
from doudi_runtime.store import UtcDateTime
from doudi_runtime.store.sealed import LookupHash, Sealed

metadata = MetaData()

#: Personal data (ID numbers, names, phones, what a person suffers from) is sealed at rest: the household,
#: the statement and the duplicate flags as whole JSON/text blobs, one seal each. Duplicate control finds
#: a person by the keyed hash of the ID number, never by the sealed value.

applications = Table(
    "applications",
    metadata,
    Column("application_id", String(40), primary_key=True),
    Column("programme", String(40), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("township", String(12), nullable=False),
    Column("state", String(30), nullable=False),
    Column("submitted_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("statement", Sealed("intake.applications.statement"), nullable=False),
    Column("requested_amount_fen", BigInteger, nullable=False),
    Column("household", Sealed("intake.applications.household"), nullable=False),
    Column("missing_items", Text, nullable=False, server_default="[]"),
    Column("correction_due", Date, nullable=True),
    Column("accepted_at", UtcDateTime, nullable=True),
    Column("decision_due", Date, nullable=True),
    Column("state_reason", Text, nullable=False, server_default=""),
    Column("transferred_to", String(12), nullable=False, server_default=""),
    Column("transferred_from", String(40), nullable=False, server_default=""),
    Column("transferred_as", String(40), nullable=False, server_default=""),
    Column("lead_id", String(40), nullable=False, server_default=""),
    Column("mandate_reference", String(200), nullable=False, server_default=""),
    Column("duplicates", Sealed("intake.applications.duplicates"), nullable=False, server_default="[]"),
    #: The payee account as one sealed JSON blob; empty when none was given (DOMAIN §11.1).
    Column("payee", Sealed("intake.applications.payee"), nullable=False, server_default=""),
    Index("ix_applications_township_state", "township", "state"),
    Index("ix_applications_state_correction_due", "state", "correction_due"),
)

#: One row per counted member of an application still open at the window or in the procedure,
#: so duplicate control finds a person's other applications by ID number without reading households.
open_memberships = Table(
    "open_memberships",
    metadata,
    Column("application_id", String(40), primary_key=True),
    Column("member_index", Integer, primary_key=True),
    Column("id_number", Sealed("intake.open_memberships.id_number"), nullable=False),
    Column(
        "id_number_hash",
        LookupHash("intake.open_memberships.id_number", hash_of="id_number"),
        nullable=False,
    ),
    Column("programme", String(40), nullable=False),
    Column("township", String(12), nullable=False),
    Index("ix_open_memberships_id_number_hash", "id_number_hash"),
)

leads = Table(
    "leads",
    metadata,
    Column("lead_id", String(40), primary_key=True),
    Column("id_number", Sealed("intake.leads.id_number"), nullable=False),
    Column("name", Sealed("intake.leads.name"), nullable=False),
    Column("phone", Sealed("intake.leads.phone"), nullable=False),
    Column("residence_region", String(12), nullable=False),
    Column("found_by", String(200), nullable=False),
    Column("reason", Sealed("intake.leads.reason"), nullable=False),
    Column("source_reference", String(200), nullable=False),
    Column("state", String(20), nullable=False),
    Column("registered_at", UtcDateTime, nullable=False),
    Column("contact_due", Date, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("note", Sealed("intake.leads.note"), nullable=False),
    Column("application_id", String(40), nullable=False),
    Index("ix_leads_residence_region", "residence_region"),
)

referrals = Table(
    "referrals",
    metadata,
    Column("referral_id", String(40), primary_key=True),
    Column("id_number", Sealed("intake.referrals.id_number"), nullable=False),
    Column("name", Sealed("intake.referrals.name"), nullable=False),
    Column("department", String(40), nullable=False),
    Column("need", Sealed("intake.referrals.need"), nullable=False),
    Column("state", String(20), nullable=False),
    Column("send_due", Date, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("application_id", String(40), nullable=False),
    Column("result", Sealed("intake.referrals.result"), nullable=False),
)

STORE = ServiceStore.create(metadata, Path(__file__).parent / "migrations", audit=True)
