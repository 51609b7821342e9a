"""Alembic environment for the bot's database (SQLite or PostgreSQL).

The database is, in order of precedence: the connection handed over by
storage.db.upgrade_to_head, `alembic -x url=...`, the DATABASE_URL environment variable, or
sqlalchemy.url in alembic.ini.
"""

import asyncio
import os
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import Connection

from storage import crypto
from storage.db import create_migration_engine
from storage.models import Base, UtcDateTime

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None:
    # Keep the application's loggers alive when migrating from a running program.
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _database_url() -> str:
    url = (
        context.get_x_argument(as_dictionary=True).get("url")
        or os.environ.get("DATABASE_URL")
        or config.get_main_option("sqlalchemy.url")
    )
    if not url:
        raise RuntimeError(
            "No database URL: pass `-x url=...`, set DATABASE_URL or sqlalchemy.url"
        )
    return url


def _render_item(type_: str, obj: Any, _autogen_context: Any) -> str | bool:
    # A migration must not import the application's types: they may change or disappear.
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, crypto.EncryptedText | crypto.EncryptedJSON):
        return "sa.Text()"
    return False


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        # Batch operations run on both backends; SQLite cannot ALTER most things in place.
        render_as_batch=True,
        render_item=_render_item,
        compare_type=True,
        # Also on SQLite: storage.db's migration engine emits BEGIN itself, so DDL is rolled
        # back with a failed migration.
        transactional_ddl=True,
        **kwargs,
    )


def _run_migrations(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_migrations_at(url: str) -> None:
    engine = create_migration_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_migrations)
    finally:
        await engine.dispose()


def _run_offline() -> None:
    _configure(url=_database_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _install_keys_from_environment() -> None:
    """`alembic upgrade head` from a shell: the data migrations (0005) need the keys. A program
    that migrates (run_bot.py, the tests) has installed its own keyring already."""
    try:
        crypto.current_keyring()
    except crypto.NotConfiguredError:
        if os.environ.get(crypto.ENCRYPTION_KEYS_VARIABLE):
            crypto.install_keyring(crypto.Keyring.from_environment())


_install_keys_from_environment()

if context.is_offline_mode():
    _run_offline()
elif (connection := config.attributes.get("connection")) is not None:
    _run_migrations(connection)
else:
    asyncio.run(_run_migrations_at(_database_url()))
