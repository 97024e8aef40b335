"""A run's and a shard's lines held at generation and re-issued after release, counted apart from those still
held: paid outside the control totals the approver confirmed, and no longer held. In released and closed runs
the lines no longer held since generation (held, never sent) are counted so."""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("runs", "run_shards"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("reissued_count", sa.BigInteger, nullable=False, server_default="0"))
            batch.add_column(sa.Column("reissued_fen", sa.BigInteger, nullable=False, server_default="0"))
    released = "('RELEASED', 'CLOSED')"
    still_held = (
        "FROM payments p WHERE p.run_id = run_shards.run_id AND p.township = run_shards.township "
        "AND p.state = 'HELD' AND p.batch_request_id = ''"
    )
    # Every expression reads the row as it was: what is held no longer moves to the re-issued lines. Shards
    # of runs released before held lines were counted apart hold none and are left as they are.
    op.execute(
        f"""UPDATE run_shards SET
            reissued_count = held_count - (SELECT count(*) {still_held}),
            reissued_fen = held_fen - (SELECT coalesce(sum(p.amount_fen), 0) {still_held}),
            held_count = (SELECT count(*) {still_held}),
            held_fen = (SELECT coalesce(sum(p.amount_fen), 0) {still_held})
        WHERE held_count > (SELECT count(*) {still_held})
            AND run_id IN (SELECT run_id FROM runs WHERE state IN {released})"""
    )
    shards = "FROM run_shards s WHERE s.run_id = runs.run_id"
    op.execute(
        f"""UPDATE runs SET
            held_count = held_count - (SELECT coalesce(sum(s.reissued_count), 0) {shards}),
            held_fen = held_fen - (SELECT coalesce(sum(s.reissued_fen), 0) {shards}),
            reissued_count = (SELECT coalesce(sum(s.reissued_count), 0) {shards}),
            reissued_fen = (SELECT coalesce(sum(s.reissued_fen), 0) {shards})
        WHERE state IN {released} AND EXISTS (SELECT 1 {shards} AND s.reissued_count > 0)"""
    )


def downgrade() -> None:
    for table in ("runs", "run_shards"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("reissued_fen")
            batch.drop_column("reissued_count")
