"""Migrations build the schema the models describe, on every backend."""

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from storage.db import (
    alembic_config,
    create_engine,
    create_migration_engine,
    schema_is_current,
    upgrade_to_head,
)
from storage.models import Base

TABLES = {
    "users",
    "drafts",
    "appeals",
    "attachments",
    "appeal_counters",
    "staff",
    "appeal_events",
    "processed_updates",
    "outbox",
    "chat_messages",
}


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_table_names)
    finally:
        await engine.dispose()


async def test_upgrade_creates_every_table_from_any_directory(
    empty_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    engine = create_engine(empty_database_url)
    try:
        assert not await schema_is_current(engine)
        await upgrade_to_head(empty_database_url)
        assert await schema_is_current(engine)
        # Upgrading a current database is a no-op.
        await upgrade_to_head(empty_database_url)
        assert await schema_is_current(engine)
    finally:
        await engine.dispose()
    assert await _tables(empty_database_url) == TABLES | {"alembic_version"}


async def test_schema_is_not_current_at_an_older_revision(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = 'older'"))
        assert not await schema_is_current(engine)
    finally:
        await engine.dispose()


def _compare(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, Base.metadata))


async def test_models_and_migrations_agree(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_compare) == []
    finally:
        await engine.dispose()


def _downgrade_to_base(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "base")


async def test_downgrade_removes_everything_and_upgrade_restores_it(database_url: str) -> None:
    engine = create_migration_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_downgrade_to_base)
    finally:
        await engine.dispose()
    assert await _tables(database_url) == {"alembic_version"}
    await upgrade_to_head(database_url)
    assert await _tables(database_url) == TABLES | {"alembic_version"}


async def _fail_half_way(url: str) -> None:
    engine = create_migration_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE half_done (x INTEGER)"))
            raise RuntimeError("failed half-way")
    finally:
        await engine.dispose()


async def test_a_failed_migration_leaves_no_ddl_behind(empty_database_url: str) -> None:
    # SQLite included: the migration engine emits BEGIN itself, so DDL is transactional.
    with pytest.raises(RuntimeError, match="half-way"):
        await _fail_half_way(empty_database_url)
    assert await _tables(empty_database_url) == set()


async def test_sqlite_file_engine_enforces_foreign_keys_in_wal_mode(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/pragmas.db")
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(text("PRAGMA foreign_keys")) == 1
            assert await connection.scalar(text("PRAGMA journal_mode")) == "wal"
    finally:
        await engine.dispose()


async def test_sqlite_memory_engine_shares_one_database() -> None:
    engine = create_engine("sqlite+aiosqlite://")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (x INTEGER)"))
        async with engine.connect() as connection:
            assert await connection.scalar(text("PRAGMA foreign_keys")) == 1
            assert await connection.scalar(text("SELECT count(*) FROM t")) == 0
    finally:
        await engine.dispose()
