"""Migration 0002 (casework): existing appeals get queues, and it can be undone."""

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from storage.db import upgrade_to_head
from storage.models import Base, UtcDateTime
from tests.storage.migrating import migrate, run_sync

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
CASEWORK_COLUMNS = {
    "queue",
    "assignee_id",
    "due_at",
    "closed_at",
    "forwarded_to",
    "forwarded_at",
    "version",
    "reminded_at",
    "escalated_at",
    "withdrawn",
}
CASEWORK_INDEXES = {
    "ix_appeals_queue_status_created_at": ["queue", "status", "created_at"],
    "ix_appeals_assignee_id_status": ["assignee_id", "status"],
    "ix_appeals_status_due_at": ["status", "due_at"],
}

# The tables as revision 0001 left them: enough columns to insert a valid row.
USERS = sa.table(
    "users",
    sa.column("id", sa.BigInteger()),
    sa.column("created_at", UtcDateTime()),
    sa.column("updated_at", UtcDateTime()),
)
APPEALS = sa.table(
    "appeals",
    *(
        sa.column(name, sa.String())
        for name in (
            "number",
            "language",
            "category",
            "region",
            "institution_region",
            "filer_type",
            "story",
            "full_name",
        )
    ),
    sa.column("id", sa.Integer()),
    sa.column("user_id", sa.BigInteger()),
    sa.column("chat_id", sa.BigInteger()),
    sa.column("consent_at", UtcDateTime()),
    sa.column("created_at", UtcDateTime()),
    sa.column("updated_at", UtcDateTime()),
)
ATTACHMENTS = sa.table(
    "attachments",
    sa.column("appeal_id", sa.BigInteger()),
    sa.column("kind", sa.String()),
    sa.column("file_id", sa.String()),
    sa.column("file_unique_id", sa.String()),
    sa.column("created_at", UtcDateTime()),
)

# (number, filer's region, institution's region) -> the queue the backfill must give it.
OLD_APPEALS = {
    ("PAV-2026-000001", "pavlodar", None): "region:pavlodar",
    ("CEN-2026-000001", "outside", None): "central",
    # In custody: the institution's region, as the appeal's number says.
    ("KAR-2026-000001", "astana", "karaganda"): "region:karaganda",
}


def _insert_old_appeals(connection: Connection) -> None:
    connection.execute(sa.insert(USERS).values(id=1, created_at=NOW, updated_at=NOW))
    for i, (number, region, institution_region) in enumerate(OLD_APPEALS, start=1):
        connection.execute(
            sa.insert(APPEALS).values(
                id=i,
                number=number,
                user_id=1,
                chat_id=1,
                language="ru",
                category="labour",
                region=region,
                institution_region=institution_region,
                filer_type="self" if institution_region is None else "custody",
                story="...",
                full_name="Айгүл",
                consent_at=NOW,
                created_at=NOW,
                updated_at=NOW,
            )
        )
    connection.execute(
        sa.insert(ATTACHMENTS).values(
            appeal_id=1, kind="photo", file_id="f", file_unique_id="u", created_at=NOW
        )
    )


def _state(connection: Connection) -> dict[str, Any]:
    inspector = inspect(connection)
    columns = {column["name"] for column in inspector.get_columns("appeals")}
    indexes = {
        index["name"]: index["column_names"]
        for index in inspector.get_indexes("appeals")
        # PostgreSQL also lists the unique constraint's index.
        if not index.get("duplicates_constraint")
    }
    casework = sorted(CASEWORK_COLUMNS & columns)
    selected = ["number", *casework] if casework else ["number"]
    rows = connection.execute(
        sa.text(f"SELECT {', '.join(selected)} FROM appeals ORDER BY id")
    ).mappings()
    return {
        "tables": set(inspector.get_table_names()),
        "columns": columns,
        "indexes": indexes,
        "rows": [dict(row) for row in rows],
        "attachments": connection.execute(sa.text("SELECT count(*) FROM attachments")).scalar(),
    }


async def test_upgrade_backfills_queues_and_downgrade_undoes_it(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    await migrate(url, command.upgrade, "0001")
    await run_sync(url, _insert_old_appeals)

    await migrate(url, command.upgrade, "0002")
    after = await run_sync(url, _state)
    assert {"staff", "appeal_events"} <= after["tables"]
    assert after["columns"] >= CASEWORK_COLUMNS
    assert {name: after["indexes"].get(name) for name in CASEWORK_INDEXES} == CASEWORK_INDEXES
    assert [
        (row["number"], row["queue"], row["version"], bool(row["withdrawn"]), row["assignee_id"])
        for row in after["rows"]
    ] == [(number, queue, 1, False, None) for (number, _, _), queue in OLD_APPEALS.items()]

    await migrate(url, command.downgrade, "0001")
    before = await run_sync(url, _state)
    assert not {"staff", "appeal_events"} & before["tables"]
    assert not CASEWORK_COLUMNS & before["columns"]
    assert not set(CASEWORK_INDEXES) & set(before["indexes"])
    # The appeals and their files survive the way down (SQLite recreates the table).
    assert [row["number"] for row in before["rows"]] == [number for number, _, _ in OLD_APPEALS]
    assert before["attachments"] == 1
    assert before["indexes"] == {
        "ix_appeals_created_at": ["created_at"],
        "ix_appeals_urgent": ["urgent"],
        "ix_appeals_user_id": ["user_id"],
    }

    await migrate(url, command.upgrade, "head")
    again = await run_sync(url, _state)
    assert [row["queue"] for row in again["rows"]] == list(OLD_APPEALS.values())


def _compare(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, Base.metadata))


async def test_models_match_the_migrations_after_a_round_trip(database_url: str) -> None:
    await migrate(database_url, command.downgrade, "0001")
    await upgrade_to_head(database_url)
    assert await run_sync(database_url, _compare) == []
