"""Keys for encryption at rest: make them, and move every stored value to the newest one.

    python -m storage.keys generate     # prints one new random key (for either setting)
    python -m storage.keys rotate [--database-url URL] [--batch N]

Rotating the encryption key:
  1. `generate` a new key and put it FIRST in ENCRYPTION_KEYS, keeping the old ones after it
     (ENCRYPTION_KEYS=new,old); restart the bot. It now writes with the new key and reads both.
  2. `rotate` (with the same environment): every encrypted column of every table is
     re-encrypted with the newest key, in batches of one transaction each, and the IIN's blind
     index is recomputed with BLIND_INDEX_KEY. Values already under the newest key are skipped,
     so an interrupted run is simply run again. It prints counts, never data.
  3. Remove the old key from ENCRYPTION_KEYS and restart. Keep the old key with the backups
     made before step 2: they still need it.

Changing BLIND_INDEX_KEY works the same way: set the new one, run `rotate` (it recomputes every
digest), restart. Between the two, lookups by IIN find nothing.

The keys come from the environment (ENCRYPTION_KEYS, BLIND_INDEX_KEY; e.g.
`set -a; . ./.env; set +a`), the database from --database-url or DATABASE_URL.
"""

import argparse
import asyncio
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.crypto import (
    BLIND_INDEX_KEY_VARIABLE,
    ENCRYPTION_KEYS_VARIABLE,
    EncryptedJSON,
    EncryptedText,
    KeyConfigError,
    Keyring,
    UndecryptableError,
    generate_key,
    install_keyring,
)
from storage.db import _is_sqlite_file, create_engine, schema_is_current
from storage.models import AppealRow, Base

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./ombudsman.db"
ROTATE_BATCH = 500


@dataclass
class Rotation:
    """Counts of one table's rotation (values, not rows: a row has several columns)."""

    rotated: int = 0  # re-encrypted with the newest key
    current: int = 0  # already under the newest key
    changed_meanwhile: int = 0  # rewritten by the bot during the run (so: with the newest key)
    reindexed: int = 0  # blind index digests recomputed


def encrypted_tables() -> Iterator[tuple[sa.Table, list[str]]]:
    """Every table of the models with encrypted columns, and those columns.

    Found from the column types, so a new table with EncryptedText or EncryptedJSON columns is
    rotated without changes here.
    """
    for table in Base.metadata.sorted_tables:
        columns = [
            c.name for c in table.columns if isinstance(c.type, EncryptedText | EncryptedJSON)
        ]
        if columns:
            if len(table.primary_key.columns) != 1:
                raise NotImplementedError(f"rotation pages by a one-column key: {table.name}")
            yield table, columns


async def rotate(
    engine: AsyncEngine, keyring: Keyring, *, batch: int = ROTATE_BATCH
) -> dict[str, Rotation]:
    """Re-encrypt every encrypted value with the keyring's newest key; see the module's doc."""
    if batch < 1:
        raise ValueError(f"batch must be positive, got {batch}")
    report: dict[str, Rotation] = {}
    for model_table, columns in encrypted_tables():
        key = next(iter(model_table.primary_key.columns)).name
        digest = model_table.name == AppealRow.__tablename__
        # Plain Text columns: the tokens as stored, without the types' decryption.
        table = sa.table(
            model_table.name,
            sa.column(key, sa.BigInteger()),
            *(sa.column(c, sa.Text()) for c in columns),
            *([sa.column("iin_digest", sa.String())] if digest else []),
        )
        counts = report[model_table.name] = Rotation()
        last: int | None = None
        while True:
            async with engine.begin() as connection:
                last = await connection.run_sync(
                    _rotate_batch, table, key, columns, digest, keyring, counts, last, batch
                )
            if last is None:
                break
    return report


def _rotate_batch(
    connection: sa.Connection,
    table: sa.TableClause,
    key: str,
    columns: list[str],
    digest: bool,
    keyring: Keyring,
    counts: Rotation,
    after: int | None,
    batch: int,
) -> int | None:
    """Rotate one batch of rows after the key `after`; return the last key, None at the end."""
    pk = table.c[key]
    selected = [pk, *(table.c[c] for c in columns)]
    if digest:
        selected.append(table.c.iin_digest)
    query = sa.select(*selected).order_by(pk).limit(batch)
    if after is not None:
        query = query.where(pk > after)
    rows = connection.execute(query).mappings().all()
    for row in rows:
        stored = {c: row[c] for c in columns}
        for column, token in list(stored.items()):
            if token is None:
                continue
            if keyring.is_current(token):
                counts.current += 1
                continue
            fresh = keyring.rotate(token)
            # Only if the value is still what was read: the bot may have rewritten it meanwhile
            # (with the newest key), and that must not be overwritten with an older value.
            result = connection.execute(
                sa.update(table)
                .where(pk == row[key], table.c[column] == token)
                .values({column: fresh})
            )
            if result.rowcount:
                counts.rotated += 1
                stored[column] = fresh
            else:
                counts.changed_meanwhile += 1
        if digest:
            iin_token = stored["iin"]
            wanted = None if iin_token is None else keyring.blind_index(keyring.decrypt(iin_token))
            if wanted != row["iin_digest"]:
                iin_now = table.c.iin.is_(None) if iin_token is None else table.c.iin == iin_token
                result = connection.execute(
                    sa.update(table).where(pk == row[key], iin_now).values(iin_digest=wanted)
                )
                counts.reindexed += result.rowcount or 0
    return rows[-1][key] if rows else None


# --- Development keys for the sandbox. ---


def development_keys_path(database_url: str) -> Path:
    """Where the sandbox keeps its keys: beside its SQLite file, else in the current folder."""
    parsed = make_url(database_url)
    if parsed.get_backend_name() == "sqlite" and _is_sqlite_file(parsed):
        return Path(str(parsed.database)).with_suffix(".keys")
    return Path("sandbox.keys")


def development_keyring(path: Path) -> tuple[Keyring, bool]:
    """Load the keys kept in `path`, or make and keep new ones; tell whether they are new.

    For the sandbox only: the keys lie next to the data they protect. The file has the .env
    form, so `set -a; . ./sandbox.keys; set +a` lets the command-line tools use it.
    """
    if path.exists():
        values = dict(
            line.split("=", 1)
            for line in path.read_text(encoding="utf-8").splitlines()
            if "=" in line and not line.lstrip().startswith("#")
        )
        return Keyring.from_environment(values), False
    keys = {ENCRYPTION_KEYS_VARIABLE: generate_key(), BLIND_INDEX_KEY_VARIABLE: generate_key()}
    content = "# Sandbox keys: for development only. Without them sandbox data is unreadable.\n"
    content += "".join(f"{name}={value}\n" for name, value in keys.items())
    # Created readable by the owner only (the umask cannot widen it).
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(content)
    return Keyring.from_environment(keys), True


# --- Command line. ---


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m storage.keys", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("generate", help="print a new random key")
    rotate_ = commands.add_parser(
        "rotate", help="re-encrypt everything with the first of ENCRYPTION_KEYS"
    )
    rotate_.add_argument(
        "--database-url",
        help=f"SQLAlchemy async URL (default: $DATABASE_URL, else {DEFAULT_DATABASE_URL})",
    )
    rotate_.add_argument("--batch", type=int, default=ROTATE_BATCH, help="rows per transaction")
    return parser


async def _rotate(url: str, keyring: Keyring, batch: int) -> dict[str, Rotation] | None:
    engine = create_engine(url)
    try:
        if not await schema_is_current(engine):
            return None
        return await rotate(engine, keyring, batch=batch)
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "generate":
        print(generate_key())
        return 0
    if args.batch < 1:
        parser.error("--batch must be positive")
    try:
        keyring = Keyring.from_environment()
    except KeyConfigError as error:
        parser.error(f"{error} (see README, 'Encryption and retention')")
    install_keyring(keyring)
    url = args.database_url or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    try:
        report = asyncio.run(_rotate(url, keyring, args.batch))
    except UndecryptableError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    except (OSError, SQLAlchemyError) as error:
        print(
            f"{parser.prog}: error: cannot use the database: {type(error).__name__}",
            file=sys.stderr,
        )
        return 2
    if report is None:
        print(f"{parser.prog}: error: run `alembic upgrade head` first", file=sys.stderr)
        return 2
    # Counts only.
    for table, counts in report.items():
        print(
            f"{table}: {counts.rotated} re-encrypted, {counts.current} already current, "
            f"{counts.changed_meanwhile} rewritten meanwhile, {counts.reindexed} reindexed"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
