"""The annual report: counts on a seeded set of appeals, its three outputs and the CLI."""

import asyncio
import csv
import dataclasses
import os
import re
import sqlite3
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.appeal import NewAppeal
from dialogs.routing import CENTRAL, queue_of_region
from dialogs.vocabulary import KAZAKHSTAN_TIME, Category, FilerType, Outcome, Region
from storage.casework import CaseRepository
from storage.db import create_engine, create_session_pool, upgrade_to_head
from storage.report import (
    CSV_HEADER,
    OutcomeClass,
    Report,
    build_report,
    format_html,
    format_text,
    write_csv,
)
from storage.repositories import AppealRepository

Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]

ROOT = Path(__file__).resolve().parents[2]
STAFF = 20


def kz(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    """A moment in Kazakhstan time (UTC+5)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=KAZAKHSTAN_TIME)


@dataclass(frozen=True)
class Seed:
    received: datetime
    category: Category
    region: Region
    fate: str  # open, taken, explained, forwarded, satisfied, withdrawn
    institution_region: Region | None = None
    urgent: bool = False
    old_complaint: bool = False


SEEDS = [
    # Before the period by one minute, in Kazakhstan time.
    Seed(kz(2025, 12, 31, 23, 59), Category.LABOUR, Region.PAVLODAR, "open"),
    # Q1. The first one is received at 19:00 UTC on 31 December.
    Seed(kz(2026, 1, 1, 0, 0), Category.LABOUR, Region.PAVLODAR, "explained"),
    Seed(kz(2026, 2, 15, 12, 0), Category.HOUSING, Region.ASTANA, "satisfied", urgent=True),
    Seed(kz(2026, 3, 31, 23, 59, 59), Category.HOUSING, Region.ASTANA, "open"),
    # Q2, though it is still 31 March in UTC. In custody: counted where the colony is.
    Seed(
        kz(2026, 4, 1, 0, 0),
        Category.TORTURE_ILL_TREATMENT,
        Region.ALMATY_CITY,
        "forwarded",
        institution_region=Region.KARAGANDA,
        urgent=True,
    ),
    Seed(kz(2026, 5, 10, 9, 0), Category.LABOUR, Region.PAVLODAR, "withdrawn", old_complaint=True),
    Seed(kz(2026, 6, 30, 23, 0), Category.OTHER, Region.OUTSIDE, "satisfied"),
    # Q3.
    Seed(kz(2026, 7, 1, 0, 30), Category.CHILDREN_RIGHTS, Region.PAVLODAR, "taken"),
    Seed(kz(2026, 9, 30, 18, 0), Category.LABOUR, Region.ASTANA, "explained", old_complaint=True),
    # Q4. Urgent and withdrawn: it stays open.
    Seed(
        kz(2026, 10, 1, 0, 0),
        Category.CONVICTS_RIGHTS,
        Region.SHYMKENT,
        "withdrawn",
        urgent=True,
    ),
    Seed(kz(2026, 12, 31, 23, 59, 59), Category.LABOUR, Region.PAVLODAR, "satisfied"),
    # After the period.
    Seed(kz(2027, 1, 1, 0, 0), Category.LABOUR, Region.ALMATY_REGION, "satisfied"),
]

YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def _appeal(seed: Seed, user_id: int) -> NewAppeal:
    custody = seed.institution_region is not None or seed.category is Category.CONVICTS_RIGHTS
    return NewAppeal(
        user_id=user_id,
        chat_id=user_id,
        language="ru",
        consent_at=seed.received,
        filer_type=FilerType.CUSTODY if custody else FilerType.SELF,
        category=seed.category,
        story="...",
        region=seed.region,
        full_name="Айгүл",
        urgent=seed.urgent,
        old_complaint=seed.old_complaint,
        institution_region=seed.institution_region,
    )


async def seed_appeals(session: AsyncSession, seeds: list[Seed] = SEEDS) -> None:
    appeals, cases = AppealRepository(session), CaseRepository(session)
    for user_id, seed in enumerate(seeds, start=1):
        region = seed.institution_region or seed.region
        queue = CENTRAL if region is Region.OUTSIDE else queue_of_region(region)
        number = await appeals.create(_appeal(seed, user_id), now=seed.received, queue=queue)
        case = await cases.by_number(number)
        assert case is not None
        later = seed.received + timedelta(days=3)
        if seed.fate in ("explained", "forwarded", "satisfied"):
            closed = await cases.close(case.id, STAFF, Outcome(seed.fate), None, now=later)
            assert closed is not None
        elif seed.fate == "taken":
            assert await cases.take(case.id, STAFF, now=later)
        elif seed.fate == "withdrawn":
            assert await cases.withdraw(case.id, user_id, now=later) is not seed.urgent


EXPECTED_CATEGORIES = {
    **dict.fromkeys(Category, 0),
    Category.LABOUR: 4,
    Category.HOUSING: 2,
    Category.TORTURE_ILL_TREATMENT: 1,
    Category.OTHER: 1,
    Category.CHILDREN_RIGHTS: 1,
    Category.CONVICTS_RIGHTS: 1,
}
EXPECTED_REGIONS = {
    **dict.fromkeys(Region, 0),
    Region.PAVLODAR: 4,
    Region.ASTANA: 3,
    Region.KARAGANDA: 1,  # not Almaty, where the filer lives
    Region.OUTSIDE: 1,
    Region.SHYMKENT: 1,
}
EXPECTED_OUTCOMES = {
    OutcomeClass.EXPLAINED: 2,
    OutcomeClass.FORWARDED: 1,
    OutcomeClass.SATISFIED: 3,
    OutcomeClass.OPEN: 3,  # open, taken, urgent withdrawn
    OutcomeClass.WITHDRAWN: 1,
}
EXPECTED_QUARTERS = {
    **{region: (0, 0, 0, 0) for region in Region},
    Region.PAVLODAR: (1, 1, 1, 1),
    Region.ASTANA: (2, 0, 1, 0),
    Region.KARAGANDA: (0, 1, 0, 0),
    Region.OUTSIDE: (0, 1, 0, 0),
    Region.SHYMKENT: (0, 0, 0, 1),
}
EXPECTED = Report(
    start=YEAR[0],
    end=YEAR[1],
    total=10,
    by_category=EXPECTED_CATEGORIES,
    by_region=EXPECTED_REGIONS,
    by_outcome=EXPECTED_OUTCOMES,
    by_quarter_region=EXPECTED_QUARTERS,
    urgent=3,
    custody=2,
    old_complaint=2,
)


async def test_report_counts_every_figure(transaction: Transaction) -> None:
    async with transaction() as session:
        await seed_appeals(session)
    async with transaction() as session:
        report = await build_report(session, *YEAR)
    assert report == EXPECTED
    # Every table lists every id, in vocabulary order, and adds up to the total.
    assert list(report.by_category) == list(Category)
    assert list(report.by_region) == list(Region)
    assert list(report.by_outcome) == list(OutcomeClass)
    assert report.by_quarter == (3, 3, 2, 2)
    assert report.closed_with_outcome == 6
    assert report.satisfied_share == 0.5


async def test_report_leaves_the_callers_transaction_as_it_was(
    transaction: Transaction, backend: str
) -> None:
    async with transaction() as session:
        await seed_appeals(session)
        # Unsaved work of the caller's transaction is counted and kept.
        await AppealRepository(session).create(
            _appeal(SEEDS[1], 99), now=SEEDS[1].received, queue=CENTRAL
        )
        if backend == "postgresql":
            assert await session.scalar(text("SHOW enable_sort")) == "on"
        report = await build_report(session, *YEAR)
        assert report.total == EXPECTED.total + 1
        if backend == "postgresql":
            # The planner setting the report needs does not outlive it.
            assert await session.scalar(text("SHOW enable_sort")) == "on"
        assert session.in_transaction()
    async with transaction() as session:
        assert (await build_report(session, *YEAR)).total == EXPECTED.total + 1


async def test_periods_are_days_in_kazakhstan_time(transaction: Transaction) -> None:
    async with transaction() as session:
        await seed_appeals(session)
    async with transaction() as session:
        # One day: only the appeal received at 00:00 on 1 April (19:00 UTC on 31 March).
        day = await build_report(session, date(2026, 4, 1), date(2026, 4, 1))
        # Across years: the same quarter of each year adds up.
        span = await build_report(session, date(2025, 12, 1), date(2027, 1, 31))
    assert day.total == 1
    assert day.by_region[Region.KARAGANDA] == 1
    assert day.by_quarter_region[Region.KARAGANDA] == (0, 1, 0, 0)
    assert span.total == 12
    assert span.by_quarter_region[Region.PAVLODAR] == (1, 1, 1, 2)  # +1 in Q4 2025
    assert span.by_quarter_region[Region.ALMATY_REGION] == (1, 0, 0, 0)  # Q1 2027
    assert span.by_quarter == (4, 3, 2, 3)
    assert span.by_outcome[OutcomeClass.SATISFIED] == 4
    assert span.by_outcome[OutcomeClass.OPEN] == 4


async def test_an_empty_period(transaction: Transaction) -> None:
    async with transaction() as session:
        await seed_appeals(session)
        report = await build_report(session, date(2020, 1, 1), date(2020, 12, 31))
        with pytest.raises(ValueError, match="after"):
            await build_report(session, date(2026, 2, 1), date(2026, 1, 31))
    assert report.total == 0
    assert set(report.by_category.values()) == {0}
    assert set(report.by_region.values()) == {0}
    assert report.satisfied_share == 0.0
    assert re.search(r"^Share satisfied of those\s+—$", format_text(report), re.MULTILINE)


# --- Outputs. ---


def test_text_tables_are_aligned() -> None:
    text = format_text(EXPECTED)
    lines = text.splitlines()
    assert "Period: 2026-01-01 to 2026-12-31 (inclusive, Kazakhstan time)" in lines
    assert re.search(r"^Appeals\s+10$", text, re.MULTILINE)
    assert re.search(r"^Closed with an outcome\s+6$", text, re.MULTILINE)
    assert re.search(r"^Share satisfied of those\s+50\.0 %$", text, re.MULTILINE)
    assert re.search(r"^labour\s+4$", text, re.MULTILINE)
    assert re.search(r"^karaganda\s+1$", text, re.MULTILINE)
    assert re.search(r"^withdrawn\s+1$", text, re.MULTILINE)
    start = lines.index("Appeals by quarter and region")
    table = lines[start + 1 :]
    assert re.fullmatch(r"Region\s+Q1\s+Q2\s+Q3\s+Q4\s+Total", table[0])
    assert len(table) == 2 + len(Region) + 1
    # Right-aligned numbers: every line of the table is as wide as its header.
    assert {len(line) for line in table} == {len(table[0])}
    assert re.fullmatch(
        r"pavlodar\s+1\s+1\s+1\s+1\s+4", table[2 + list(Region).index(Region.PAVLODAR)]
    )
    assert re.fullmatch(r"Total\s+3\s+3\s+2\s+2\s+10", table[-1])


def read_csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as file:
        return list(csv.reader(file))


def test_csv_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    write_csv(EXPECTED, path)
    rows = read_csv(path)
    assert tuple(rows[0]) == CSV_HEADER
    body = rows[1:]
    assert len(body) == 2 + 6 + len(Category) + len(Region) + len(OutcomeClass) + 4 + 4 * len(
        Region
    )
    assert all(len(row) == 4 for row in body)

    def section(name: str) -> dict[str, str]:
        return {key: value for s, key, sub, value in body if s == name and not sub}

    assert section("period") == {"from": "2026-01-01", "to": "2026-12-31"}
    assert section("summary") == {
        "total": "10",
        "urgent": "3",
        "custody": "2",
        "old_complaint": "2",
        "closed_with_outcome": "6",
        "satisfied_share": "0.5000",
    }
    parsed = Report(
        start=date.fromisoformat(section("period")["from"]),
        end=date.fromisoformat(section("period")["to"]),
        total=int(section("summary")["total"]),
        by_category={Category(k): int(v) for k, v in section("category").items()},
        by_region={Region(k): int(v) for k, v in section("region").items()},
        by_outcome={OutcomeClass(k): int(v) for k, v in section("outcome").items()},
        by_quarter_region={
            region: tuple(
                int(value)
                for s, key, sub, value in body
                if s == "quarter_region" and key == region.value
            )
            for region in Region
        },
        urgent=int(section("summary")["urgent"]),
        custody=int(section("summary")["custody"]),
        old_complaint=int(section("summary")["old_complaint"]),
    )
    assert parsed == EXPECTED
    assert [sub for s, key, sub, _ in body if s == "quarter_region" and key == "astana"] == [
        "Q1",
        "Q2",
        "Q3",
        "Q4",
    ]
    assert section("quarter") == {"Q1": "3", "Q2": "3", "Q3": "2", "Q4": "2"}


def test_csv_leaves_an_undefined_share_empty(tmp_path: Path) -> None:
    nothing_closed = dataclasses.replace(
        EXPECTED, by_outcome={**dict.fromkeys(OutcomeClass, 0), OutcomeClass.OPEN: 10}
    )
    write_csv(nothing_closed, tmp_path / "r.csv")
    rows = read_csv(tmp_path / "r.csv")
    assert ["summary", "satisfied_share", "", ""] in rows


class _Tables(HTMLParser):
    """Collects the cells of every table and checks that tags are closed in order."""

    VOID = frozenset({"meta", "br", "link"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.title = ""
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        self.open.append(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        assert self.open.pop() == tag
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        elif self.open and self.open[-1] == "title":
            self.title += data


def test_html_is_a_printable_page_with_every_table() -> None:
    page = format_html(EXPECTED)
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in page
    assert "@media print" in page
    parser = _Tables()
    parser.feed(page)
    parser.close()
    assert parser.open == []
    assert parser.title == "Appeals report 2026-01-01 – 2026-12-31"
    summary, categories, regions, outcomes, quarters = parser.tables
    assert summary[1] == ["Appeals", "10"]
    assert {row[0]: row[1] for row in categories[1:-1]} == {
        c.value: str(n) for c, n in EXPECTED_CATEGORIES.items()
    }
    assert {row[0]: row[1] for row in regions[1:-1]} == {
        r.value: str(n) for r, n in EXPECTED_REGIONS.items()
    }
    assert {row[0]: row[1] for row in outcomes[1:-1]} == {
        o.value: str(n) for o, n in EXPECTED_OUTCOMES.items()
    }
    assert quarters[0] == ["Region", "Q1", "Q2", "Q3", "Q4", "Total"]
    assert {row[0]: row[1:5] for row in quarters[1:-1]} == {
        r.value: [str(n) for n in q] for r, q in EXPECTED_QUARTERS.items()
    }
    assert quarters[-1] == ["Total", "3", "3", "2", "2", "10"]


def test_html_escapes_what_it_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    # Ids are plain today; a label with markup must still come out as text.
    import storage.report

    monkeypatch.setattr(storage.report, "TOTAL", "<b>Total & more</b>")
    page = format_html(EXPECTED)
    assert "<b>Total" not in page
    assert "&lt;b&gt;Total &amp; more&lt;/b&gt;" in page


# --- The command line. ---


async def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> tuple[int, str, str]:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment["PYTHONPATH"] = str(ROOT)
    environment.update(env or {})
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "storage.report",
        *args,
        cwd=cwd,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def _seeded_sqlite_file(path: Path) -> str:
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade_to_head(url)
    engine = create_engine(url)
    try:
        async with create_session_pool(engine)() as session, session.begin():
            await seed_appeals(session)
    finally:
        await engine.dispose()
    return url


async def test_cli_prints_and_writes_the_report(tmp_path: Path) -> None:
    url = await _seeded_sqlite_file(tmp_path / "bot.db")
    csv_path, html_path = tmp_path / "out.csv", tmp_path / "out.html"
    code, out, err = await run_cli(
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--database-url",
        url,
        "--csv",
        str(csv_path),
        "--html",
        str(html_path),
    )
    assert (code, err) == (0, "")
    assert out == format_text(EXPECTED)
    rows = read_csv(csv_path)
    assert ["summary", "total", "", "10"] in rows
    assert ["quarter_region", "karaganda", "Q2", "1"] in rows
    assert html_path.read_text(encoding="utf-8") == format_html(EXPECTED)


async def test_cli_reads_database_url_from_the_environment(tmp_path: Path) -> None:
    url = await _seeded_sqlite_file(tmp_path / "bot.db")
    code, out, _ = await run_cli(
        "--from", "2026-04-01", "--to", "2026-04-01", env={"DATABASE_URL": url}
    )
    assert code == 0
    assert re.search(r"^Appeals\s+1$", out, re.MULTILINE)


async def test_cli_defaults_to_the_bots_sqlite_file(tmp_path: Path) -> None:
    # No URL and no ./ombudsman.db: refused, and no empty file is left behind.
    code, out, err = await run_cli("--from", "2026-01-01", "--to", "2026-12-31", cwd=tmp_path)
    assert (code, out) == (2, "")
    assert err == "python -m storage.report: error: no database file at ./ombudsman.db\n"
    assert not (tmp_path / "ombudsman.db").exists()
    # With the bot's file in the working directory, that is the one read.
    await _seeded_sqlite_file(tmp_path / "ombudsman.db")
    code, out, err = await run_cli("--from", "2026-01-01", "--to", "2026-12-31", cwd=tmp_path)
    assert (code, err) == (0, "")
    assert out == format_text(EXPECTED)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-02-30", "--to", "2026-12-31"], "not a date"),
        (["--from", "2026-01-01", "--to", "31.12.2026"], "not a date"),
        (["--from", "2026-12-31", "--to", "2026-01-01"], "is after"),
        (["--to", "2026-01-01"], "--from"),
    ],
)
async def test_cli_refuses_bad_dates_in_one_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    url = await _seeded_sqlite_file(tmp_path / "bot.db")
    code, out, err = await run_cli(*args, "--database-url", url)
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1
    assert message in err


async def test_cli_refuses_an_unmigrated_or_missing_database(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    code, out, err = await run_cli(
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--database-url",
        f"sqlite+aiosqlite:///{empty}",
    )
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1
    assert "not migrated" in err

    missing = tmp_path / "missing.db"
    code, out, err = await run_cli(
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--database-url",
        f"sqlite+aiosqlite:///{missing}",
    )
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1
    assert "no database file" in err
    assert not missing.exists()


async def test_cli_reports_from_postgresql_too(database_url: str, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("the SQLite CLI runs are the tests above")
    engine = create_engine(database_url)
    try:
        async with create_session_pool(engine)() as session, session.begin():
            await seed_appeals(session)
    finally:
        await engine.dispose()
    code, out, err = await run_cli(
        "--from", "2026-01-01", "--to", "2026-12-31", "--database-url", database_url
    )
    assert (code, err) == (0, "")
    assert out == format_text(EXPECTED)
