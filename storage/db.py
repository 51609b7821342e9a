"""Engines, sessions and schema migrations for SQLite (development) and PostgreSQL."""

import functools
import json
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Executable, event, exc, pool, text
from sqlalchemy.engine import URL, CursorResult, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# SQLite waits this long for another connection's write lock before "database is locked".
_SQLITE_BUSY_TIMEOUT_MS = 15_000

# A pooled connection unused for longer than this is checked before use (see _ping_when_idle).
IDLE_PING_SECONDS = 10.0
_LAST_CHECKIN = "last_checkin"

# Readable Cyrillic and Kazakh in JSON columns, and half the size of \uXXXX escapes.
_json_serializer = functools.partial(json.dumps, ensure_ascii=False)


def create_engine(
    url: str, *, pool_size: int = 5, idle_ping_seconds: float = IDLE_PING_SECONDS
) -> AsyncEngine:
    """Create the application's engine for a SQLAlchemy async URL.

    PostgreSQL: `pool_size` connections are kept open (10 more may open under load), and one
    idle for `idle_ping_seconds` is checked before use."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _create_sqlite_engine(parsed, foreign_keys=True)
    engine = create_async_engine(
        parsed,
        json_serializer=_json_serializer,
        # SQL errors must not carry the citizens' words into logs and tracebacks.
        hide_parameters=True,
        pool_recycle=1800,
        pool_size=pool_size,
        max_overflow=10,
        pool_timeout=30,
    )
    _ping_when_idle(engine, idle_ping_seconds)
    return engine


def _ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """Check a pooled connection before use only if it sat idle for `idle_seconds`.

    Connections die behind NATs and across server restarts, and SQLAlchemy's pool_pre_ping
    would find that out, but on every checkout: with asyncpg its ping is BEGIN, an empty
    query and ROLLBACK, three round trips before each update's own transaction, about a tenth
    of the bot's CPU under load. A connection that was in use seconds ago is as alive as the
    ping would prove; one that waited longer is pinged. A dead one is replaced: raising
    DisconnectionError makes the pool discard it and connect again (up to three times).
    """

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        last = record.info.get(_LAST_CHECKIN)
        # A new connection (no checkin yet) was just opened: nothing to check.
        if last is None or time.monotonic() - last < idle_seconds:
            return
        try:
            dbapi_connection.ping()
        except Exception as error:
            raise exc.DisconnectionError("pooled connection found dead") from error

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_CHECKIN] = time.monotonic()


async def execute_core(
    session: AsyncSession, statement: Executable, parameters: Any = None
) -> CursorResult[Any]:
    """Run a Core statement (on tables, not mapped classes) in the session's transaction, on
    its connection: it skips the session's execution layer (autoflush, ORM compile state,
    ORM results), a third of a millisecond of CPU per statement, measured. For the
    statements every update runs; nothing the ORM has pending is flushed before them.

    One trip into SQLAlchemy's greenlet for both the connection and the statement, where
    `await session.connection()` and then `execute` took two: 0.1-0.2 ms less CPU for an
    update's database work (`python -m bench.transactions`, alternating rounds)."""
    return await session.run_sync(_execute_core, statement, parameters)


def _execute_core(session: Session, statement: Executable, parameters: Any) -> Any:
    return session.connection().execute(statement, parameters)


def create_session_pool(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Create the session factory: one session and one transaction per update."""
    # Objects stay readable after commit: handlers may still use them when replying.
    return async_sessionmaker(engine, expire_on_commit=False)


async def upgrade_to_head(url: str) -> None:
    """Apply every pending migration to the database at `url`."""
    engine = create_migration_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run_upgrade)
    finally:
        await engine.dispose()


def create_migration_engine(url: str) -> AsyncEngine:
    """Create a short-lived engine for running migrations (used by upgrade_to_head and env.py)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _create_sqlite_engine(parsed, foreign_keys=False, transactional_ddl=True)
    return create_async_engine(parsed, poolclass=pool.NullPool)


async def empty_postgres_database(url: str) -> None:
    """Drop and recreate the public schema: for disposable databases only (the tests' and the
    benchmarks'). Everything in it is lost."""
    engine = create_migration_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def schema_is_current(engine: AsyncEngine) -> bool:
    """Tell whether the database is at the newest migration (False if never migrated)."""
    async with engine.connect() as connection:
        current = await _current_revisions(connection)
    return current == set(_script_directory().get_heads())


def alembic_config() -> Config:
    """Build an Alembic config for the package's migrations, independent of the cwd."""
    config = Config()
    # Config values go through ConfigParser interpolation: a "%" in the path must be doubled.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    return config


@functools.cache
def _script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def _run_upgrade(connection: Connection) -> None:
    config = alembic_config()
    # env.py runs the migrations on this connection instead of opening its own.
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def _current_revisions(connection: AsyncConnection) -> set[str]:
    def current(sync_connection: Connection) -> set[str]:
        context = MigrationContext.configure(sync_connection)
        return set(context.get_current_heads())

    return await connection.run_sync(current)


def _is_sqlite_file(url: URL) -> bool:
    return bool(url.database) and url.database != ":memory:" and url.query.get("mode") != "memory"


def _create_sqlite_engine(
    url: URL, *, foreign_keys: bool, transactional_ddl: bool = False
) -> AsyncEngine:
    """Create a SQLite engine with per-connection pragmas.

    Migrations run with foreign keys off: batch migrations recreate tables, and dropping a
    parent table with enforcement on would cascade-delete its children's rows. They also
    take over BEGIN, so that a failed migration's DDL is rolled back (the sqlite3 driver
    does not open a transaction for DDL).
    """
    is_file = _is_sqlite_file(url)
    kwargs: dict[str, Any] = {"json_serializer": _json_serializer, "hide_parameters": True}
    if not is_file:
        # One shared connection, or each session would see its own empty in-memory database.
        kwargs["poolclass"] = pool.StaticPool
    engine = create_async_engine(url, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        if transactional_ddl:
            dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # Pragmas are per connection (journal_mode is stored in the file, but is cheap).
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
            cursor.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_TIMEOUT_MS}")
            if is_file:
                # Readers do not block the writer. synchronous stays FULL: a citizen who was
                # given an appeal number must never lose the appeal to a power cut.
                cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    if transactional_ddl:

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN")

    return engine
