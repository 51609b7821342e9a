"""The PostgreSQL connection pool: pooled connections are checked only after sitting idle, and
a dead one is replaced before an update's transaction gets it."""

from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import db
from tests.conftest import postgres_url, terminate_backend

pytestmark = pytest.mark.postgres


@pytest.fixture(name="postgres_url")
def postgres_url_fixture() -> str:
    return postgres_url()


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


@pytest.fixture
async def engine_with(postgres_url: str) -> AsyncIterator[Callable[[float], AsyncEngine]]:
    """Make the application's engine with a given idle time before a ping."""
    made: list[AsyncEngine] = []

    def make(idle: float) -> AsyncEngine:
        # One connection, so that every transaction below reuses the same one.
        engine = db.create_engine(postgres_url, pool_size=1, idle_ping_seconds=idle)
        made.append(engine)
        return engine

    yield make
    for engine in made:
        await engine.dispose()


@pytest.fixture
def busy_engine(engine_with: Callable[[float], AsyncEngine]) -> AsyncEngine:
    return engine_with(3600.0)


@pytest.fixture
def idle_engine(engine_with: Callable[[float], AsyncEngine]) -> AsyncEngine:
    return engine_with(0.0)  # every connection counts as idle the moment it is checked in


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
    await terminate_backend(postgres_url, dead)

    # The update's transaction gets a live connection and never sees the dead one.
    assert await _backend_pid(idle_engine) != dead
    assert len(pings) == 1


async def test_a_dead_connection_in_steady_use_fails_once_then_is_replaced(
    busy_engine: AsyncEngine, postgres_url: str
) -> None:
    """Without a ping, a connection that died seconds after its last use fails the statement
    that finds out (the bot then runs that update again: bot.middlewares.StaleConnection),
    and the pool replaces it: the next transaction works."""
    dead = await _backend_pid(busy_engine)
    await terminate_backend(postgres_url, dead)
    with pytest.raises(DBAPIError) as failure:
        await _backend_pid(busy_engine)
    assert failure.value.connection_invalidated
    assert await _backend_pid(busy_engine) != dead
