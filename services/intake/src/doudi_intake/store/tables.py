"""Tables of the intake service's store (the runtime adds its outbox, inbox and idempotency keys)."""

from pathlib import Path

from sqlalchemy import BigInteger, Column, Date, Index, Integer, MetaData, String, Table, Text

from doudi_runtime.service import ServiceStore
from doudi_runtime.store import UtcDateTime

metadata = MetaData()

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
    Column("statement", Text, nullable=False),
    Column("requested_amount_fen", BigInteger, nullable=False),
    Column("household", Text, nullable=False),
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
    Column("duplicates", Text, nullable=False, server_default="[]"),
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
    Column("id_number", String(18), nullable=False),
    Column("programme", String(40), nullable=False),
    Column("township", String(12), nullable=False),
    Index("ix_open_memberships_id_number", "id_number"),
)

leads = Table(
    "leads",
    metadata,
    Column("lead_id", String(40), primary_key=True),
    Column("id_number", String(18), nullable=False),
    Column("name", String(50), nullable=False),
    Column("phone", String(30), nullable=False),
    Column("residence_region", String(12), nullable=False),
    Column("found_by", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("source_reference", String(200), nullable=False),
    Column("state", String(20), nullable=False),
    Column("registered_at", UtcDateTime, nullable=False),
    Column("contact_due", Date, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("note", Text, nullable=False),
    Column("application_id", String(40), nullable=False),
    Index("ix_leads_residence_region", "residence_region"),
)

referrals = Table(
    "referrals",
    metadata,
    Column("referral_id", String(40), primary_key=True),
    Column("id_number", String(18), nullable=False),
    Column("name", String(50), nullable=False),
    Column("department", String(40), nullable=False),
    Column("need", Text, nullable=False),
    Column("state", String(20), nullable=False),
    Column("send_due", Date, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("application_id", String(40), nullable=False),
    Column("result", Text, nullable=False),
)

STORE = ServiceStore.create(metadata, Path(__file__).parent / "migrations", audit=True)
