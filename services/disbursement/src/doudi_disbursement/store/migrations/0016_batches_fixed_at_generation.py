"""Payments take their bank batch's state while they wait in it (store.payroll.PAYMENT_STATE): a payment is
written SUBMITTED no more, and a batch is held under a lease by the worker sending it or asking the bank
about it. Payments of batches still awaiting the bank are put back to waiting in them, so
they follow the batch when the bank answers. Runs generated before this keep forming their batches when
sent; runs generated after it have theirs declared with each shard."""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


TO_RESOLVE_WHERE = "state IN ('RETURNED', 'FAILED', 'HELD')"


def upgrade() -> None:
    with op.batch_alter_table("bank_batches") as batch:
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    # Every payment entered the index on (state, township) to be found when waiting for a caseworker, and
    # every sent one was rewritten in it twice: the partial indexes hold only the payments they find.
    op.drop_index("ix_payments_state_township", table_name="payments")
    op.create_index(
        "ix_payments_to_resolve",
        "payments",
        ["township"],
        sqlite_where=sa.text(TO_RESOLVE_WHERE),
        postgresql_where=sa.text(TO_RESOLVE_WHERE),
    )
    op.create_index(
        "ix_payments_unbatched",
        "payments",
        ["run_id"],
        sqlite_where=sa.text("batch_request_id = ''"),
        postgresql_where=sa.text("batch_request_id = ''"),
    )
    op.execute(
        """UPDATE payments SET state = 'PENDING'
        WHERE state = 'SUBMITTED' AND batch_request_id IN
            (SELECT batch_request_id FROM bank_batches WHERE state = 'SUBMITTED')"""
    )


def downgrade() -> None:
    with op.batch_alter_table("bank_batches") as batch:
        batch.drop_column("lease_until")
    op.drop_index("ix_payments_unbatched", table_name="payments")
    op.drop_index("ix_payments_to_resolve", table_name="payments")
    op.create_index("ix_payments_state_township", "payments", ["state", "township"])
    # Batches of runs not yet released were formed when sent: their payments go back to no batch.
    op.execute(
        """UPDATE payments SET batch_request_id = ''
        WHERE batch_request_id IN (SELECT batch_request_id FROM bank_batches WHERE state = 'PLANNED')"""
    )
    op.execute("DELETE FROM bank_batches WHERE state = 'PLANNED'")
    op.execute(
        """UPDATE payments SET state = 'SUBMITTED'
        WHERE state = 'PENDING' AND batch_request_id IN
            (SELECT batch_request_id FROM bank_batches WHERE state = 'SUBMITTED')"""
    )
    op.execute(
        """UPDATE payments SET state = 'SETTLED'
        WHERE state = 'PENDING' AND batch_request_id IN
            (SELECT batch_request_id FROM bank_batches WHERE state = 'RECONCILED')"""
    )
