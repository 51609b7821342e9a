"""Initial schema: users, drafts, appeals, attachments, appeal number counters.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# BIGINT on PostgreSQL; INTEGER on SQLite, where only "INTEGER PRIMARY KEY" autoincrements.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_table(
        "drafts",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_drafts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_drafts")),
    )
    op.create_table(
        "appeals",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=32), server_default="new", nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("category_suggested", sa.String(length=32), nullable=True),
        sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("old_complaint", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("filer_type", sa.String(length=32), nullable=False),
        sa.Column("relation", sa.Text(), nullable=True),
        sa.Column("detention_kind", sa.String(length=32), nullable=True),
        sa.Column("institution", sa.Text(), nullable=True),
        sa.Column("institution_region", sa.String(length=32), nullable=True),
        sa.Column("story", sa.Text(), nullable=False),
        sa.Column("body_complained", sa.Text(), nullable=True),
        sa.Column("incident_age", sa.String(length=32), nullable=True),
        sa.Column("incident_date", sa.Text(), nullable=True),
        sa.Column("prior_complaint", sa.Text(), nullable=True),
        sa.Column("request", sa.Text(), nullable=True),
        # Personal data, to be encrypted at rest later.
        sa.Column("subject_name", sa.Text(), nullable=True),
        sa.Column("full_name", sa.Text(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("iin", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("confidential", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_appeals_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
        sa.UniqueConstraint("number", name=op.f("uq_appeals_number")),
    )
    op.create_index(op.f("ix_appeals_created_at"), "appeals", ["created_at"])
    op.create_index(op.f("ix_appeals_urgent"), "appeals", ["urgent"])
    op.create_index(op.f("ix_appeals_user_id"), "appeals", ["user_id"])
    op.create_table(
        "attachments",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("appeal_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("file_id", sa.Text(), nullable=False),
        sa.Column("file_unique_id", sa.String(length=255), nullable=False),
        sa.Column("mime_type", sa.String(length=255), nullable=True),
        sa.Column("file_size", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeals.id"],
            name=op.f("fk_attachments_appeal_id_appeals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
        # Also the index for lookups by appeal_id.
        sa.UniqueConstraint(
            "appeal_id", "file_unique_id", name=op.f("uq_attachments_appeal_id_file_unique_id")
        ),
    )
    op.create_table(
        "appeal_counters",
        sa.Column("prefix", sa.String(length=3), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", "year", name=op.f("pk_appeal_counters")),
    )


def downgrade() -> None:
    op.drop_table("appeal_counters")
    op.drop_table("attachments")
    op.drop_index(op.f("ix_appeals_user_id"), table_name="appeals")
    op.drop_index(op.f("ix_appeals_urgent"), table_name="appeals")
    op.drop_index(op.f("ix_appeals_created_at"), table_name="appeals")
    op.drop_table("appeals")
    op.drop_table("drafts")
    op.drop_table("users")
