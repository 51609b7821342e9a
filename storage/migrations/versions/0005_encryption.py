"""Encryption at rest: what people wrote becomes Fernet tokens; the IIN gets a blind index.

Also the retention marks (anonymised_at, forget_requested_at). Existing rows are encrypted
here, in batches, with the keys the running program installed (storage.crypto.install_keyring:
run_bot.py does it before migrating; `alembic upgrade head` reads ENCRYPTION_KEYS and
BLIND_INDEX_KEY from the environment). The whole migration is one transaction on both
backends, so a failure leaves every row as it was. Downgrade decrypts everything back.

A migration must not depend on the application's models, which change: the columns are listed
here as they are at this revision. It does use storage.crypto's keyring, which is the only way
to the keys.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500

# table -> (primary key column, the columns this revision encrypts)
ENCRYPTED: dict[str, tuple[str, tuple[str, ...]]] = {
    "appeals": (
        "id",
        (
            "relation",
            "institution",
            "story",
            "body_complained",
            "incident_date",
            "prior_complaint",
            "request",
            "subject_name",
            "full_name",
            "phone",
            "iin",
            "address",
            "forwarded_to",
        ),
    ),
    "attachments": ("id", ("file_id",)),
    "appeal_events": ("id", ("text", "data")),
    "drafts": ("user_id", ("data",)),
}
# Columns that were JSON and become Text holding a token: (table, nullable).
JSON_COLUMNS = (("drafts", False), ("appeal_events", True))


def _keyring() -> Any:
    # Imported late, so that reading the revision list needs no keys and no cryptography.
    from storage.crypto import NotConfiguredError, current_keyring

    try:
        return current_keyring()
    except NotConfiguredError:
        raise RuntimeError(
            "migration 0005 encrypts the rows already stored: set ENCRYPTION_KEYS and "
            "BLIND_INDEX_KEY in the environment (see README, 'Encryption and retention')"
        ) from None


def upgrade() -> None:
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("iin_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("forget_requested_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_appeals_iin_digest"), ["iin_digest"])
    for table, nullable in JSON_COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "data",
                existing_type=sa.JSON(),
                type_=sa.Text(),
                existing_nullable=nullable,
                postgresql_using="data::text",
            )
    _rewrite(lambda value: _keyring().encrypt(value), blind_index=True)


def downgrade() -> None:
    _rewrite(lambda value: _keyring().decrypt(value), blind_index=False)
    for table, nullable in JSON_COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "data",
                existing_type=sa.Text(),
                type_=sa.JSON(),
                existing_nullable=nullable,
                postgresql_using="data::json",
            )
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appeals_iin_digest"))
        batch_op.drop_column("forget_requested_at")
        batch_op.drop_column("anonymised_at")
        batch_op.drop_column("iin_digest")


def _rewrite(transform: Callable[[str], str], *, blind_index: bool) -> None:
    """Apply `transform` to every non-NULL value of the listed columns, BATCH rows at a time
    (keyset paging by primary key, so memory stays flat on a big database)."""
    connection = op.get_bind()
    for name, (key, columns) in ENCRYPTED.items():
        with_digest = blind_index and name == "appeals"
        table = sa.table(
            name,
            sa.column(key, sa.BigInteger()),
            *(sa.column(c, sa.Text()) for c in columns),
            *([sa.column("iin_digest", sa.String())] if with_digest else []),
        )
        pk = table.c[key]
        last: int | None = None
        while True:
            query = sa.select(pk, *(table.c[c] for c in columns)).order_by(pk).limit(BATCH)
            if last is not None:
                query = query.where(pk > last)
            rows = connection.execute(query).all()
            if not rows:
                break
            for row in rows:
                values = {
                    c: transform(row._mapping[c]) for c in columns if row._mapping[c] is not None
                }
                # A JSON null (written by hand, say) becomes SQL NULL, as the models write it.
                if blind_index and name == "appeal_events" and row._mapping["data"] == "null":
                    values["data"] = None
                if with_digest:
                    values["iin_digest"] = _keyring().blind_index(row._mapping["iin"])
                if values:
                    connection.execute(sa.update(table).where(pk == row[0]).values(**values))
            last = rows[-1][0]
