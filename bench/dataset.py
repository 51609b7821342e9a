"""The staff's side at scale: a queue page, taking an appeal and a year's statistics with
10k, 100k and 1M appeals in the database, through the bot's own repository code.

The appeals are made by the database itself (PostgreSQL's generate_series, a recursive CTE on
SQLite): a million rows in seconds rather than the minutes ORM objects would take. A seeded
database is kept (PostgreSQL: a database `bench_appeals_<size>`; SQLite: a file in
BENCH_CACHE_DIR) and reused while its size and SEED_VERSION match; the takes are rolled back,
so the cached data never drifts.

The data: appeals spread evenly from 2025-07-01 to 2026-11-30 (so the year 2026 holds about
70% of them) over the 21 regions' queues and 13 categories; the newest 5% are open (60% new,
40% in progress) and 1% of the older ones too (a stale backlog); the rest are closed with an
outcome; 2% are urgent.
"""

import asyncio
import contextlib
import os
import statistics
import time
from base64 import urlsafe_b64encode
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from dialogs.routing import queue_of_region
from dialogs.vocabulary import Category, Outcome, Region
from storage.casework import CaseRepository
from storage.crypto import Keyring, install_keyring
from storage.db import (
    create_engine,
    create_session_pool,
    empty_postgres_database,
    upgrade_to_head,
)
from storage.report import build_report

SEED_VERSION = 2  # 2: texts encrypted (storage.crypto)
START = datetime(2025, 7, 1, tzinfo=UTC)
SPAN_SECONDS = int((datetime(2026, 12, 1, tzinfo=UTC) - START).total_seconds())
STAFF_ID = 900_001
ALL_QUEUES = ["central", "triage", *(queue_of_region(r) for r in Region)]
REGION_QUEUE = [queue_of_region(Region.PAVLODAR)]


@dataclass
class Timing:
    samples_ms: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms) if self.samples_ms else 0.0

    @property
    def worst(self) -> float:
        return max(self.samples_ms, default=0.0)


@dataclass
class DatasetResult:
    backend: str
    size: int
    seed_s: float | None  # None: a cached database was reused
    timings: dict[str, Timing] = field(default_factory=dict)
    error: str | None = None


# The made-up appeals are encrypted like real ones, so reading a queue page pays for decrypting
# as it does in production. The key protects nothing (the data is invented) and is fixed, so a
# cached database opens on every run.
BENCH_KEYRING = Keyring(
    [urlsafe_b64encode(b"bench-dataset-key-protects-none!").decode()],
    urlsafe_b64encode(b"bench-dataset-blind-index-key!!!").decode(),
)
# A few encrypted values, repeated: encrypting a million in Python would dwarf the seeding.
STORIES = [
    BENCH_KEYRING.encrypt(f"My employer has not paid my salary for {m} months.")
    for m in range(2, 10)
]
NAMES = [BENCH_KEYRING.encrypt(f"Citizen {i}") for i in range(8)]
PHONES = [BENCH_KEYRING.encrypt(f"+7701000000{i}") for i in range(8)]


def _sql_array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]"


def _postgres_seed(n: int) -> list[str]:
    users = max(n // 3, 1)
    categories = _sql_array([c.value for c in Category])
    regions = _sql_array([r.value for r in Region])
    outcomes = _sql_array([o.value for o in Outcome])
    open_from = int(n * 0.95)
    return [
        f"""INSERT INTO users (id, language, consent_at, created_at, updated_at)
        SELECT g, 'ru', now(), now(), now() FROM generate_series(1, {users}) g""",
        f"""INSERT INTO appeals (id, number, user_id, chat_id, language, status, outcome,
            category, urgent, old_complaint, region, filer_type, story, full_name, phone,
            confidential, consent_at, created_at, updated_at, queue, assignee_id, due_at,
            closed_at, version, withdrawn)
        SELECT g, 'BEN-' || g, 1 + g % {users}, 1 + g % {users}, 'ru', status,
            CASE WHEN status = 'closed' THEN ({outcomes})[1 + g % 3] END,
            ({categories})[1 + g % 13], g % 50 = 0, g % 17 = 0, region, 'self',
            ({_sql_array(STORIES)})[1 + g % 8], ({_sql_array(NAMES)})[1 + g % 8],
            ({_sql_array(PHONES)})[1 + g % 8], false,
            ts, ts, ts, 'region:' || region,
            CASE WHEN status = 'in_progress' THEN {STAFF_ID} + g % 40 END,
            ts + interval '21 days', CASE WHEN status = 'closed' THEN ts + interval '10 days' END,
            1, false
        FROM (
            SELECT g,
                timestamptz '{START.isoformat()}'
                    + make_interval(secs => (g::bigint * {SPAN_SECONDS}) / {n}) AS ts,
                ({regions})[1 + (g / 7) % 21] AS region,
                CASE WHEN g > {open_from} OR g % 100 = 0
                     THEN (CASE WHEN g % 5 < 3 THEN 'new' ELSE 'in_progress' END)
                     ELSE 'closed' END AS status
            FROM generate_series(1, {n}) g
        ) s""",
        "SELECT setval(pg_get_serial_sequence('appeals', 'id'), (SELECT max(id) FROM appeals))",
        "ANALYZE",
    ]


def _sqlite_seed(n: int) -> list[str]:
    users = max(n // 3, 1)
    categories = [c.value for c in Category]
    regions = [r.value for r in Region]
    outcomes = [o.value for o in Outcome]

    def pick(values: list[str], index: str) -> str:
        cases = " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(values))
        return f"(CASE {index} {cases} END)"

    open_from = int(n * 0.95)
    start = int(START.timestamp())
    return [
        f"""INSERT INTO users (id, language, consent_at, created_at, updated_at)
        WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {users})
        SELECT g, 'ru', '2025-01-01 00:00:00.000000', '2025-01-01 00:00:00.000000',
            '2025-01-01 00:00:00.000000' FROM s""",
        f"""INSERT INTO appeals (id, number, user_id, chat_id, language, status, outcome,
            category, urgent, old_complaint, region, filer_type, story, full_name, phone,
            confidential, consent_at, created_at, updated_at, queue, assignee_id, due_at,
            closed_at, version, withdrawn)
        WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {n}),
        t AS (
            SELECT g,
                {start} + (g * {SPAN_SECONDS}) / {n} AS ts,
                {pick(regions, "(g / 7) % 21")} AS region,
                CASE WHEN g > {open_from} OR g % 100 = 0
                     THEN (CASE WHEN g % 5 < 3 THEN 'new' ELSE 'in_progress' END)
                     ELSE 'closed' END AS status
            FROM s
        )
        SELECT g, 'BEN-' || g, 1 + g % {users}, 1 + g % {users}, 'ru', status,
            CASE WHEN status = 'closed' THEN {pick(outcomes, "g % 3")} END,
            {pick(categories, "g % 13")}, g % 50 = 0, g % 17 = 0, region, 'self',
            {pick(STORIES, "g % 8")}, {pick(NAMES, "g % 8")}, {pick(PHONES, "g % 8")}, 0,
            strftime('%Y-%m-%d %H:%M:%S', ts, 'unixepoch') || '.000000',
            strftime('%Y-%m-%d %H:%M:%S', ts, 'unixepoch') || '.000000',
            strftime('%Y-%m-%d %H:%M:%S', ts, 'unixepoch') || '.000000',
            'region:' || region,
            CASE WHEN status = 'in_progress' THEN {STAFF_ID} + g % 40 END,
            strftime('%Y-%m-%d %H:%M:%S', ts + 21 * 86400, 'unixepoch') || '.000000',
            CASE WHEN status = 'closed'
                 THEN strftime('%Y-%m-%d %H:%M:%S', ts + 10 * 86400, 'unixepoch') || '.000000'
            END,
            1, 0
        FROM t""",
        "ANALYZE",
    ]


_MARK = "CREATE TABLE bench_dataset (size BIGINT, version INTEGER)"


async def _is_seeded(url: str, n: int) -> bool:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            row = (
                await connection.execute(text("SELECT size, version FROM bench_dataset"))
            ).first()
            return row is not None and tuple(row) == (n, SEED_VERSION)
    except Exception:  # no such table or database: not seeded
        return False
    finally:
        await engine.dispose()


async def _seed(url: str, n: int) -> float:
    started = time.perf_counter()
    install_keyring(BENCH_KEYRING)
    backend = make_url(url).get_backend_name()
    if backend == "postgresql":
        await empty_postgres_database(url)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.remove(make_url(url).database)
    await upgrade_to_head(url)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            for statement in (_postgres_seed if backend == "postgresql" else _sqlite_seed)(n):
                if statement == "ANALYZE":
                    continue
                await connection.execute(text(statement))
            await connection.execute(text(_MARK))
            await connection.execute(
                text("INSERT INTO bench_dataset VALUES (:n, :v)"), {"n": n, "v": SEED_VERSION}
            )
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return time.perf_counter() - started


async def _postgres_database(base_url: str, n: int) -> str:
    """The URL of a database of its own for this size, created if missing (else the base)."""
    url = make_url(base_url)
    name = f"bench_appeals_{n}"
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
        return url.set(database=name).render_as_string(hide_password=False)
    except Exception:  # no right to create databases: seed the base one
        return base_url
    finally:
        await engine.dispose()


async def _time(timing: Timing, repeat: int, operation: Callable[[], Awaitable[Any]]) -> None:
    for _ in range(repeat):
        started = time.perf_counter()
        await operation()
        timing.samples_ms.append((time.perf_counter() - started) * 1000)


async def measure(
    backend: str,
    n: int,
    *,
    postgres_url: str | None,
    cache_dir: Path,
    repeat: int = 20,
    own_database: bool = True,
) -> DatasetResult:
    """Seed (or reuse) a database with `n` appeals and time the staff's operations.

    `own_database=False` seeds `postgres_url` itself (its schema is replaced) instead of a
    cached `bench_appeals_<n>` database next to it.
    """
    install_keyring(BENCH_KEYRING)
    if backend == "postgresql":
        assert postgres_url
        url = await _postgres_database(postgres_url, n) if own_database else postgres_url
    else:
        os.makedirs(cache_dir, exist_ok=True)
        url = f"sqlite+aiosqlite:///{cache_dir}/appeals-{n}.db"
    seeded = await _is_seeded(url, n)
    result = DatasetResult(backend, n, None if seeded else await _seed(url, n))
    engine = create_engine(url)
    pool = create_session_pool(engine)
    now = datetime.now(UTC)
    try:
        cursors: dict[str, Any] = {}

        def page(queues: list[str], view: str, key: str, deep: bool) -> Callable[[], Awaitable]:
            async def run() -> None:
                async with pool() as session:
                    cases, cursor = await CaseRepository(session).list_queue(
                        queues,
                        view=view,
                        staff_id=STAFF_ID,
                        now=now,
                        cursor=cursors.get(key) if deep else None,
                    )
                    if not deep:
                        cursors[key] = cursor
                    assert cases, f"empty page for {key}"

            return run

        async def take_next() -> None:
            async with pool() as session, session.begin():
                taken = await CaseRepository(session).take_next(REGION_QUEUE, STAFF_ID, now=now)
                assert taken is not None
                await session.rollback()  # keep the cached data as seeded

        async def take_by_id() -> None:
            async with pool() as session, session.begin():
                cases, _ = await CaseRepository(session).list_queue(
                    REGION_QUEUE, view="new", staff_id=STAFF_ID, now=now
                )
                assert await CaseRepository(session).take(cases[0].id, STAFF_ID, now=now)
                await session.rollback()

        async def year_report() -> None:
            async with pool() as session:
                report = await build_report(session, date(2026, 1, 1), date(2026, 12, 31))
                assert report.total > 0

        plan: list[tuple[str, int, Callable[[], Awaitable]]] = [
            ("queue page: region, new", repeat, page(REGION_QUEUE, "new", "region-new", False)),
            (
                "queue page: region, new, page 2",
                repeat,
                page(REGION_QUEUE, "new", "region-new", True),
            ),
            ("queue page: all queues, new", repeat, page(ALL_QUEUES, "new", "all-new", False)),
            ("queue page: region, all", repeat, page(REGION_QUEUE, "all", "region-all", False)),
            ("take an appeal (by id)", repeat, take_by_id),
            ("take the next appeal", repeat, take_next),
            ("a year's statistics", max(3, repeat // 5), year_report),
        ]
        for name, times, operation in plan:
            await operation()  # warm: the first run pays for caches and query compilation
            timing = result.timings[name] = Timing()
            await _time(timing, times, operation)
    except Exception as exc:  # reported in the table, loudly
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        await engine.dispose()
    return result


def run_sync(*args: Any, **kwargs: Any) -> DatasetResult:
    return asyncio.run(measure(*args, **kwargs))
