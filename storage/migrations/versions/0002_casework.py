"""Casework: staff, the appeals' queues, assignees and deadlines, and each appeal's thread.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# BIGINT on PostgreSQL; INTEGER on SQLite, where only "INTEGER PRIMARY KEY" autoincrements.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# Existing appeals go to their region's queue, as dialogs.routing routes new ones: an appeal
# about a person in custody by the institution's region (as its number does), one from
# outside Kazakhstan to the central office.
BACKFILL_QUEUES = """
UPDATE appeals SET queue = CASE
    WHEN COALESCE(institution_region, region) = 'outside' THEN 'central'
    ELSE 'region:' || COALESCE(institution_region, region)
END
"""


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=True),
        sa.Column("name", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_staff")),
    )
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("queue", sa.String(length=64), server_default="triage", nullable=False)
        )
        batch_op.add_column(sa.Column("assignee_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("forwarded_to", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("forwarded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("withdrawn", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute(BACKFILL_QUEUES)
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appeals_queue_status_created_at"), ["queue", "status", "created_at"]
        )
        batch_op.create_index(
            batch_op.f("ix_appeals_assignee_id_status"), ["assignee_id", "status"]
        )
        batch_op.create_index(batch_op.f("ix_appeals_status_due_at"), ["status", "due_at"])
    op.create_table(
        "appeal_events",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("appeal_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("author_staff_id", sa.BigInteger(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeals.id"],
            name=op.f("fk_appeal_events_appeal_id_appeals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_events")),
    )
    op.create_index(op.f("ix_appeal_events_appeal_id_id"), "appeal_events", ["appeal_id", "id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_appeal_events_appeal_id_id"), table_name="appeal_events")
    op.drop_table("appeal_events")
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appeals_status_due_at"))
        batch_op.drop_index(batch_op.f("ix_appeals_assignee_id_status"))
        batch_op.drop_index(batch_op.f("ix_appeals_queue_status_created_at"))
        batch_op.drop_column("withdrawn")
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("reminded_at")
        batch_op.drop_column("version")
        batch_op.drop_column("forwarded_at")
        batch_op.drop_column("forwarded_to")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("due_at")
        batch_op.drop_column("assignee_id")
        batch_op.drop_column("queue")
    op.drop_table("staff")
