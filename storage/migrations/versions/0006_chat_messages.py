"""Chat messages: the ids of a private chat's recent messages, for "delete this conversation".

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_messages",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "message_id", name=op.f("pk_chat_messages")),
    )
    op.create_index(op.f("ix_chat_messages_sent_at"), "chat_messages", ["sent_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_chat_messages_sent_at"), table_name="chat_messages")
    op.drop_table("chat_messages")
