"""The PostgreSQL connection pool: pooled connections are checked only after sitting idle, and
a dead one is replaced before an update's transaction gets it."""

import os
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import db
from tests.storage.conftest import POSTGRES_URL_VARIABLE

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres_url() -> str:
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set: PostgreSQL tests need a server")
    return url


@pytest.fixture
def pings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the pings the pool sends (the adapter's ping is BEGIN, ';' and ROLLBACK)."""
    sent: list[int] = []
    original = AsyncAdapt_asyncpg_connection.ping

    def counting_ping(self: AsyncAdapt_asyncpg_connection) -> None:
        sent.append(1)
        original(self)

    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "ping", counting_ping)
    return sent


async def _engine(url: str, monkeypatch: pytest.MonkeyPatch, idle: float) -> AsyncEngine:
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", idle)
    # One connection, so that every transaction below reuses the same one.
    engine = db.create_engine(url)
    engine.sync_engine.pool._pool.maxsize = 1  # type: ignore[attr-defined]
    return engine


@pytest.fixture
async def busy_engine(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[AsyncEngine]:
    engine = await _engine(postgres_url, monkeypatch, idle=3600.0)
    yield engine
    await engine.dispose()


@pytest.fixture
async def idle_engine(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[AsyncEngine]:
    # Every connection counts as idle the moment it is checked in.
    engine = await _engine(postgres_url, monkeypatch, idle=0.0)
    yield engine
    await engine.dispose()


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.begin() as connection:
        return (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()


async def test_a_connection_in_steady_use_is_not_pinged(
    busy_engine: AsyncEngine, pings: list[int]
) -> None:
    first = await _backend_pid(busy_engine)
    for _ in range(5):
        assert await _backend_pid(busy_engine) == first
    assert pings == []


async def test_an_idle_connection_is_pinged_before_use(
    idle_engine: AsyncEngine, pings: list[int]
) -> None:
    await _backend_pid(idle_engine)  # a new connection: not pinged
    assert pings == []
    await _backend_pid(idle_engine)
    await _backend_pid(idle_engine)
    assert len(pings) == 2


async def test_an_idle_connection_that_died_is_replaced_unnoticed(
    idle_engine: AsyncEngine, postgres_url: str, pings: list[int]
) -> None:
    dead = await _backend_pid(idle_engine)
    # A server restart or a NAT timeout, as the pool sees it: the server side is gone.
    killer = db.create_engine(postgres_url)
    try:
        async with killer.begin() as connection:
            stmt = text("SELECT pg_terminate_backend(:pid)")
            assert (await connection.execute(stmt, {"pid": dead})).scalar_one()
    finally:
        await killer.dispose()

    # The update's transaction gets a live connection and never sees the dead one.
    assert await _backend_pid(idle_engine) != dead
    assert len(pings) == 1


async def test_a_dead_connection_in_steady_use_fails_once_then_is_replaced(
    busy_engine: AsyncEngine, postgres_url: str
) -> None:
    """Without a ping, a connection that died seconds after its last use fails the statement
    that finds out (that update is retried, as any failed update is), and the pool replaces
    it: the next transaction works."""
    dead = await _backend_pid(busy_engine)
    killer = db.create_engine(postgres_url)
    try:
        async with killer.begin() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dead})
    finally:
        await killer.dispose()
    with pytest.raises(DBAPIError) as failure:
        await _backend_pid(busy_engine)
    assert failure.value.connection_invalidated
    assert await _backend_pid(busy_engine) != dead
