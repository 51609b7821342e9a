"""Running Alembic steps and plain-SQL checks on a database URL, for migration tests."""

from typing import Any

from sqlalchemy import Connection

from storage.db import alembic_config, create_engine, create_migration_engine


async def migrate(url: str, step: Any, revision: str) -> None:
    """Run an Alembic command (`command.upgrade`, `command.downgrade`) to `revision`."""

    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        step(config, revision)

    engine = create_migration_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run)
    finally:
        await engine.dispose()


async def run_sync(url: str, work: Any) -> Any:
    """Run `work(connection)` in one transaction on a fresh engine (plain SQL checks)."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(work)
    finally:
        await engine.dispose()
