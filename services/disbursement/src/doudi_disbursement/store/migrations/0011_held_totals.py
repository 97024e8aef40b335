"""A run's and a shard's held lines (no payee account) counted apart from the control totals sent to the
bank. Runs not yet released are recounted so; released runs keep the totals they were approved with."""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("runs", "run_shards"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("held_count", sa.BigInteger, nullable=False, server_default="0"))
            batch.add_column(sa.Column("held_fen", sa.BigInteger, nullable=False, server_default="0"))
    unreleased = "('GENERATING', 'AWAITING_APPROVAL', 'HELD')"
    lines = "FROM payments p WHERE p.run_id = run_shards.run_id AND p.township = run_shards.township"
    op.execute(
        f"""UPDATE run_shards SET
            payment_count = (SELECT count(*) {lines} AND p.state != 'HELD'),
            total_fen = (SELECT coalesce(sum(p.amount_fen), 0) {lines} AND p.state != 'HELD'),
            held_count = (SELECT count(*) {lines} AND p.state = 'HELD'),
            held_fen = (SELECT coalesce(sum(p.amount_fen), 0) {lines} AND p.state = 'HELD')
        WHERE state = 'DONE' AND run_id IN (SELECT run_id FROM runs WHERE state IN {unreleased})"""
    )
    shards = "FROM run_shards s WHERE s.run_id = runs.run_id"
    op.execute(
        f"""UPDATE runs SET
            payment_count = (SELECT coalesce(sum(s.payment_count), 0) {shards}),
            total_fen = (SELECT coalesce(sum(s.total_fen), 0) {shards}),
            held_count = (SELECT coalesce(sum(s.held_count), 0) {shards}),
            held_fen = (SELECT coalesce(sum(s.held_fen), 0) {shards})
        WHERE state IN ('AWAITING_APPROVAL', 'HELD') AND EXISTS (SELECT 1 {shards})"""
    )


def downgrade() -> None:
    for table in ("runs", "run_shards"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("held_fen")
            batch.drop_column("held_count")
