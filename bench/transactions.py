"""python -m bench.transactions [--url URL] [-n N]: what an update's database work costs.

The bot's CPU for the database part of one intake update, step by step, measured in this
process with the bot's own code (`storage.arrival.arrive`, `DraftRepository.save`,
`OutboxRepository.add`, on the bot's engine, encryption on): BEGIN, the arrival statement and
COMMIT; then with the draft's upsert; then with the outbox row, which is what every intake
update does. Under it, the floor: one transaction of a trivial statement through the session,
through a bare SQLAlchemy connection, and through asyncpg alone (PostgreSQL). CPU time of this
process (time.process_time) per transaction, the median of five rounds; the database server's
own CPU is not in it, as it is not in the bot's. docs/performance.md says what it shows.

The database at URL is emptied and migrated: give it a disposable one (default
BENCH_POSTGRES_URL, else TEST_POSTGRES_URL).
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.arrival import arrive
from storage.crypto import Keyring, generate_key, install_keyring
from storage.db import (
    create_engine,
    create_session_pool,
    empty_postgres_database,
    upgrade_to_head,
)
from storage.outbox import Letter, OutboxRepository
from storage.repositories import DraftRepository

# A draft and a reply of the size the intake has mid-way (the story step).
DRAFT: dict[str, Any] = {
    "step": "story",
    "revision": 7,
    "language": "en",
    "answers": {"filer": "self", "region": "pavlodar", "story": "x" * 400},
}
REPLY = "Thank you. " * 30
ROUNDS = 5
USERS = 200  # drafts are upserted over a few hundred users, as under load


async def measure(url: str, n: int) -> list[tuple[str, float]]:
    """CPU milliseconds per transaction for each shape, in the order above."""
    install_keyring(Keyring([generate_key()], generate_key()))
    postgres = make_url(url).get_backend_name() == "postgresql"
    if postgres:
        await empty_postgres_database(url)
    await upgrade_to_head(url)
    engine = create_engine(url)
    sessions = create_session_pool(engine)
    counter = iter(range(1, 10**9))
    trivial = text("SELECT 1")

    async def update(depth: int) -> None:
        update_id = next(counter)
        user = 1_000_000 + update_id % USERS
        now = datetime.now(UTC)
        async with sessions() as session, session.begin():
            await arrive(
                session, bot_id=1, update_id=update_id, user_id=user, chat_id=user, now=now
            )
            if depth >= 2:
                await DraftRepository(session).save(user, DRAFT, update_id)
            if depth >= 3:
                letter = Letter(user, "sendMessage", {"chat_id": user, "text": REPLY})
                await OutboxRepository(session).add([letter], now=now, lease_until=now)

    async def session_trivial() -> None:
        async with sessions() as session, session.begin():
            await (await session.connection()).execute(trivial)

    async def connection_trivial() -> None:
        async with engine.begin() as connection:
            await connection.execute(trivial)

    shapes: list[tuple[str, Callable[[], Awaitable[None]]]] = [
        ("BEGIN, arrival, COMMIT", lambda: update(1)),
        ("... and the draft's upsert", lambda: update(2)),
        ("... and the outbox row (an intake update's database work)", lambda: update(3)),
        ("floor: BEGIN, SELECT 1, COMMIT through the session", session_trivial),
        ("floor: the same through a SQLAlchemy connection", connection_trivial),
    ]
    driver = None
    if postgres:
        import asyncpg  # the driver SQLAlchemy uses on PostgreSQL

        plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        driver = await asyncpg.connect(plain)

        async def asyncpg_trivial() -> None:
            async with driver.transaction():
                await driver.fetchval("SELECT 1")

        async def asyncpg_statement() -> None:
            await driver.fetchval("SELECT 1")

        shapes += [
            ("floor: the same through asyncpg alone", asyncpg_trivial),
            ("floor: one statement through asyncpg, no transaction", asyncpg_statement),
        ]
    try:
        for _, shape in shapes:  # warm up: prepared statements, caches, the pool
            for _ in range(max(n // 5, 20)):
                await shape()
        rounds: dict[str, list[float]] = {name: [] for name, _ in shapes}
        for _ in range(ROUNDS):  # rounds alternate, so a slow minute hits every shape
            for name, shape in shapes:
                started = time.process_time()
                for _ in range(n):
                    await shape()
                rounds[name].append((time.process_time() - started) * 1000 / n)
        return [(name, statistics.median(times)) for name, times in rounds.items()]
    finally:
        if driver is not None:
            await driver.close()
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.transactions", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL"),
        help="a disposable database (emptied!); default BENCH_POSTGRES_URL or TEST_POSTGRES_URL",
    )
    parser.add_argument("-n", type=int, default=500, help="transactions per shape and round")
    args = parser.parse_args(argv)
    if not args.url:
        print("no database: pass --url or set BENCH_POSTGRES_URL", file=sys.stderr)
        return 2
    for name, ms in asyncio.run(measure(args.url, args.n)):
        print(f"{ms:6.3f} ms  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
