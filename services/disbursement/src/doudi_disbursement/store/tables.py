"""Tables of the disbursement service's store (the runtime adds its outbox, inbox and idempotency keys)."""

from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from doudi_disbursement.store.payee_sealing import ACCOUNT_CONTEXT, NAME_CONTEXT, PayeeSealed
from doudi_runtime.service import ServiceStore
from doudi_runtime.store import UtcDateTime
from doudi_runtime.store.sealed import Sealed

metadata = MetaData()

#: The states in which a payment waits for a caseworker (DOMAIN §11.2 step 5), spelt as the partial index
#: on them is, so a query that repeats it word for word is served by the index on every store.
TO_RESOLVE_WHERE = "state IN ('RETURNED', 'FAILED', 'HELD')"

#: What each entitlement pays, with its amount history (fed by eligibility's entitlement events).
roster = Table(
    "roster",
    metadata,
    Column("entitlement_id", String(40), primary_key=True),
    Column("beneficiary_id", String(40), nullable=False),
    Column("programme", String(40), nullable=False),
    Column("township", String(12), nullable=False),
    #: Who is paid and into which account (DOMAIN §11.1), sealed at rest; an empty account is none on
    #: record (the entitlement's payments are held until one is given).
    Column("payee_name", PayeeSealed(NAME_CONTEXT), nullable=False),
    Column("payee_account", PayeeSealed(ACCOUNT_CONTEXT), nullable=False),
    Column("body", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_roster_township_entitlement", "township", "entitlement_id"),
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(40), primary_key=True),
    Column("period", String(7), nullable=False),
    Column("region", String(12), nullable=False),
    Column("state", String(20), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("approved_by", String(200), nullable=False),
    Column("payment_count", BigInteger, nullable=False),
    Column("total_fen", BigInteger, nullable=False),
    #: Lines held at generation (no payee account) and still held: outside the control totals above.
    Column("held_count", BigInteger, nullable=False, server_default=text("0")),
    Column("held_fen", BigInteger, nullable=False, server_default=text("0")),
    #: Lines held at generation and re-issued after release: paid outside the control totals, not held.
    Column("reissued_count", BigInteger, nullable=False, server_default=text("0")),
    Column("reissued_fen", BigInteger, nullable=False, server_default=text("0")),
    Column("state_reason", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # One live run per county and month: a second request finds the first.
    Index(
        "ux_runs_live_period_region",
        "period",
        "region",
        unique=True,
        sqlite_where=text("state != 'CANCELLED'"),
        postgresql_where=text("state != 'CANCELLED'"),
    ),
)

#: A run's townships; workers claim them under a lease, so several replicas share one run.
run_shards = Table(
    "run_shards",
    metadata,
    Column("run_id", String(40), primary_key=True),
    Column("township", String(12), primary_key=True),
    Column("state", String(20), nullable=False),
    Column("lease_until", UtcDateTime, nullable=True),
    Column("payment_count", BigInteger, nullable=False),
    Column("total_fen", BigInteger, nullable=False),
    Column("held_count", BigInteger, nullable=False, server_default=text("0")),
    Column("held_fen", BigInteger, nullable=False, server_default=text("0")),
    Column("reissued_count", BigInteger, nullable=False, server_default=text("0")),
    Column("reissued_fen", BigInteger, nullable=False, server_default=text("0")),
)

#: Every payment; its idempotency key (beneficiary, programme, period, component) is unique.
payments = Table(
    "payments",
    metadata,
    Column("payment_id", String(40), primary_key=True),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("run_id", String(40), nullable=False),
    Column("entitlement_id", String(40), nullable=False),
    Column("beneficiary_id", String(40), nullable=False),
    Column("programme", String(40), nullable=False),
    Column("period", String(7), nullable=False),
    Column("component", String(20), nullable=False),
    Column("township", String(12), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("state", String(20), nullable=False),
    Column("reason", Text, nullable=False),
    #: Sealed as on the roster, so a generated payment carries the roster's ciphertext as it is.
    Column("payee_name", PayeeSealed(NAME_CONTEXT), nullable=False),
    Column("payee_account", PayeeSealed(ACCOUNT_CONTEXT), nullable=False),
    Column("batch_request_id", String(80), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    #: 1 when first sent; a re-issue is the next attempt of the same payment (its bank key changes).
    Column("attempt", Integer, nullable=False, server_default=text("1")),
    #: A RECOVERY line's carrier: the idempotency key of the line it is deducted from at the bank.
    Column("offsets_key", String(200), nullable=False, server_default=text("''")),
    Index("ix_payments_run_township_state", "run_id", "township", "state"),
    # A batch's payments in a given state (sending, settling): both columns, so a store without
    # statistics never prefers scanning every payment in that state; payments not yet in a batch are
    # left out, so generating them costs this index nothing.
    Index(
        "ix_payments_batch_state",
        "batch_request_id",
        "state",
        sqlite_where=text("batch_request_id != ''"),
        postgresql_where=text("batch_request_id != ''"),
    ),
    Index("ix_payments_beneficiary", "beneficiary_id"),
    # Payments that wait for a caseworker, by township: the rest of a month never enters this index.
    Index(
        "ix_payments_to_resolve",
        "township",
        sqlite_where=text(TO_RESOLVE_WHERE),
        postgresql_where=text(TO_RESOLVE_WHERE),
    ),
    # Payments in no batch (held, or re-issued and waiting for one), by run: a month sent in the batches it
    # was generated in never enters this index.
    Index(
        "ix_payments_unbatched",
        "run_id",
        sqlite_where=text("batch_request_id = ''"),
        postgresql_where=text("batch_request_id = ''"),
    ),
    # Only RECOVERY lines carry an offsets key: the index finds them by their carrier and costs the
    # other payments nothing.
    Index(
        "ix_payments_offsets_key",
        "offsets_key",
        sqlite_where=text("offsets_key != ''"),
        postgresql_where=text("offsets_key != ''"),
    ),
)

#: Arrears owed per withheld month (DOMAIN §11.4), keyed by the ARREARS payment that will pay them.
arrears = Table(
    "arrears",
    metadata,
    Column("idempotency_key", String(200), primary_key=True),
    Column("entitlement_id", String(40), nullable=False),
    Column("period", String(7), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Index("ix_arrears_entitlement", "entitlement_id"),
)

#: Overpayments to recover by offset (DOMAIN §11.4).
overpayments = Table(
    "overpayments",
    metadata,
    Column("overpayment_id", String(40), primary_key=True),
    Column("beneficiary_id", String(40), nullable=False),
    Column("programme", String(40), nullable=False),
    Column("township", String(12), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("decision_reference", String(200), nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Index("ix_overpayments_beneficiary", "beneficiary_id", "programme"),
)

#: What a change found a month already paid differed by from what it now makes due, per entitlement (DOMAIN
#: §11.4): overpaid (positive; the reference is the overpayment) or owed (negative; the ARREARS line's key).
#: A later change of the month finds only what it adds.
month_adjustments = Table(
    "month_adjustments",
    metadata,
    Column("entitlement_id", String(40), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("reference", String(200), primary_key=True),
    Column("amount_fen", BigInteger, nullable=False),
)

#: A change that found a line of an unreleased run no longer due as generated: once the run is released,
#: what the line pays beyond what is due is overpaid, and the change is looked at again for it.
paid_ahead_rechecks = Table(
    "paid_ahead_rechecks",
    metadata,
    Column("run_id", String(40), primary_key=True),
    Column("entitlement_id", String(40), primary_key=True),
    Column("cause", String(200), primary_key=True),
    Column("first_period", String(7), nullable=False),
    Column("change", Text, nullable=False),
)

#: Repayments a household made towards an overpayment (DOMAIN §11.4: repayment or offset).
repayments = Table(
    "repayments",
    metadata,
    Column("repayment_id", String(40), primary_key=True),
    Column("overpayment_id", String(40), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("reference", Text, nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Index("ix_repayments_overpayment", "overpayment_id"),
)

#: Derived payments a county declared for a month (DOMAIN §5.7): one of each kind per county and month.
derived_declarations = Table(
    "derived_declarations",
    metadata,
    Column("declaration_id", String(40), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("region", String(12), nullable=False),
    Column("period", String(7), nullable=False),
    #: programme → fen, as JSON.
    Column("amounts", Text, nullable=False),
    Column("reference", Text, nullable=False),
    Column("declared_by", String(200), nullable=False),
    Column("declared_at", UtcDateTime, nullable=False),
    UniqueConstraint("region", "period", "kind", name="ux_derived_declarations_region_period_kind"),
)

#: Which overpayments each RECOVERY line recovers; a line withdrawn with its run takes its rows along.
recoveries = Table(
    "recoveries",
    metadata,
    Column("payment_key", String(200), primary_key=True),
    Column("overpayment_id", String(40), primary_key=True),
    Column("amount_fen", BigInteger, nullable=False),
    Index("ix_recoveries_overpayment", "overpayment_id"),
)

#: Batches sent to the bank; the request id is deterministic, so a retry after a crash is the same batch.
bank_batches = Table(
    "bank_batches",
    metadata,
    Column("batch_request_id", String(80), primary_key=True),
    Column("run_id", String(40), nullable=False),
    Column("township", String(12), nullable=False),
    Column("state", String(20), nullable=False),
    Column("bank_batch_id", String(80), nullable=False),
    Column("payment_count", BigInteger, nullable=False),
    Column("total_fen", BigInteger, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    #: Held by the worker sending the batch or asking the bank about it, so replicas share the batches
    #: rather than each sending or asking about all of them; a lease that ran out is taken over.
    Column("lease_until", UtcDateTime, nullable=True),
    Index("ix_bank_batches_state", "state"),
)

#: Each township's reserve fund for urgent temporary assistance (DOMAIN §11.3).
reserve_funds = Table(
    "reserve_funds",
    metadata,
    Column("township", String(12), primary_key=True),
    Column("balance_fen", BigInteger, nullable=False),
    Column("advanced_fen", BigInteger, nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

#: The fund's ledger: every movement with the balance after it, numbered per township. An advance's
#: own state lives in the body of its ADVANCE entry.
reserve_entries = Table(
    "reserve_entries",
    metadata,
    Column("entry_id", String(40), primary_key=True),
    Column("township", String(12), nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("balance_after_fen", BigInteger, nullable=False),
    Column("advance_id", String(40), nullable=False),
    #: The advance's state on its ADVANCE entry (the bank worker's queue); empty on other entries.
    Column("advance_state", String(20), nullable=False),
    Column("body", Text, nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    UniqueConstraint("township", "sequence", name="ux_reserve_entries_township_sequence"),
    Index("ix_reserve_entries_advance", "advance_id"),
    Index("ix_reserve_entries_advance_state", "advance_state"),
)

#: The account each care provider's fees are paid into, and the county whose run pays them (DOMAIN §9.3);
#: the account's name and number are sealed.
provider_accounts = Table(
    "provider_accounts",
    metadata,
    Column("provider_id", String(40), primary_key=True),
    Column("county", String(12), nullable=False),
    Column("account_name", Sealed("disbursement.provider_accounts.account_name"), nullable=False),
    Column("account_number", Sealed("disbursement.provider_accounts.account_number"), nullable=False),
    Column("registered_by", String(200), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_provider_accounts_county", "county"),
)

#: Providers' monthly fees as care settled them, keyed by the PROVIDER_FEE payment that pays them.
provider_fees = Table(
    "provider_fees",
    metadata,
    Column("idempotency_key", String(200), primary_key=True),
    Column("settlement_id", String(40), nullable=False),
    Column("provider_id", String(40), nullable=False),
    Column("period", String(7), nullable=False),
    Column("gross_fen", BigInteger, nullable=False),
    Column("deductions_fen", BigInteger, nullable=False),
    Column("payable_fen", BigInteger, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Index("ix_provider_fees_provider", "provider_id", "period"),
)

#: One-off bonuses owed to households that left Dibao voluntarily (DOMAIN §5.1.6, SEED-4), keyed by the
#: EXIT_BONUS payment that will pay them.
exit_bonuses = Table(
    "exit_bonuses",
    metadata,
    Column("idempotency_key", String(200), primary_key=True),
    Column("entitlement_id", String(40), nullable=False),
    Column("period", String(7), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("months", Integer, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Index("ix_exit_bonuses_entitlement", "entitlement_id"),
)

#: The persons each roster entry covers, by the opaque key eligibility announces for a person (never an ID
#: number): which other entitlements count the same person, for the price subsidy (DOMAIN §5.7, §5.8).
roster_persons = Table(
    "roster_persons",
    metadata,
    Column("entitlement_id", String(40), primary_key=True),
    Column("person_key", String(128), primary_key=True),
    Index("ix_roster_persons_person", "person_key"),
)

#: The co-resident members each roster entry's application declared, counted or not, by the same opaque key:
#: entries whose members meet are one household, paid the electricity subsidy once a year (DOMAIN §5.7).
roster_households = Table(
    "roster_households",
    metadata,
    Column("entitlement_id", String(40), primary_key=True),
    Column("person_key", String(128), primary_key=True),
    Index("ix_roster_households_person", "person_key"),
)

#: Who each per-person derived line pays for: one row per person, kind and month, so no person is paid the
#: price subsidy twice for a month whichever entitlements count the person; for the electricity subsidy one
#: row per member of the household paid, kind and year (``period`` is the year), so no household is paid
#: twice in a year. A line withdrawn with its run takes its rows along.
derived_persons = Table(
    "derived_persons",
    metadata,
    Column("kind", String(20), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("person_key", String(128), primary_key=True),
    Column("payment_key", String(200), nullable=False),
    Index("ix_derived_persons_payment", "payment_key"),
)

STORE = ServiceStore.create(metadata, Path(__file__).parent / "migrations", audit=True)
