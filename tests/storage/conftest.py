"""Database fixtures: every test runs against SQLite and, when configured, PostgreSQL."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.db import (
    create_engine,
    create_session_pool,
    empty_postgres_database,
    upgrade_to_head,
)
from tests.conftest import postgres_url

# The test database is disposable: start every test from an empty schema.
_reset_postgres = empty_postgres_database


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
async def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Return the URL of an empty, never migrated database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/t.db"
    url = postgres_url()
    await _reset_postgres(url)
    return url


@pytest.fixture
def backend(empty_database_url: str) -> str:
    """Return the dialect name of the database under test."""
    return "sqlite" if empty_database_url.startswith("sqlite") else "postgresql"


@pytest.fixture
async def database_url(empty_database_url: str) -> str:
    """Return the URL of a database migrated to the newest revision."""
    await upgrade_to_head(empty_database_url)
    return empty_database_url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def session_pool(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_pool(engine)


@pytest.fixture
def transaction(
    session_pool: async_sessionmaker[AsyncSession],
) -> Callable[[], AbstractAsyncContextManager[AsyncSession]]:
    """Open a session in a transaction committed on exit, as the bot's middleware does."""

    @asynccontextmanager
    async def transaction() -> AsyncIterator[AsyncSession]:
        async with session_pool() as session, session.begin():
            yield session

    return transaction
