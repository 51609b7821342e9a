"""Retention: closed appeals are anonymised after their period, open ones never; the report
still counts every appeal; a citizen's /forget erases what can be erased at once."""

import asyncio
import os
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialogs.casework import EventKind
from dialogs.vocabulary import Outcome, Region
from storage.casework import CaseRepository
from storage.report import build_report
from storage.repositories import AppealRepository, DraftRepository, UserRepository
from storage.retention import (
    ANONYMOUS_USER_ID,
    FORGET_GRACE,
    anonymise,
    due,
    forget_citizen,
    run_retention,
    sweep,
)
from tests.storage.test_storage_encryption import (
    IIN,
    NOW,
    SECRETS,
    file_everything,
    full_appeal,
    raw_dump,
)

Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]
ROOT = Path(__file__).resolve().parents[2]
DAYS = 365
LATER = NOW + timedelta(days=DAYS + 1)
YEAR = (date(2026, 1, 1), date(2026, 12, 31))


async def submit(transaction: Transaction, user_id: int = 7, **changes: object) -> int:
    async with transaction() as session:
        number = await AppealRepository(session).create(
            full_appeal(user_id=user_id, chat_id=user_id, **changes),
            now=NOW,
            queue="region:pavlodar",
        )
        case = await CaseRepository(session).by_number(number)
    assert case is not None
    return case.id


async def close(transaction: Transaction, appeal_id: int, outcome: Outcome, at=NOW) -> None:
    async with transaction() as session:
        assert await CaseRepository(session).close(appeal_id, 10, outcome, "ответ", now=at)


async def test_closed_appeals_are_anonymised_after_the_period_and_still_counted(
    database_url: str, transaction: Transaction
) -> None:
    everything = await file_everything(transaction)  # closed as satisfied, with a full thread
    explained = await submit(transaction, region=Region.ASTANA, institution_region=None)
    await close(transaction, explained, Outcome.EXPLAINED)
    still_open = await submit(transaction)
    withdrawn = await submit(transaction)
    async with transaction() as session:
        await CaseRepository(session).withdraw(withdrawn, 7, now=NOW)  # urgent: stays open
    async with transaction() as session:
        before = await build_report(session, *YEAR)

    # Not yet: the period is not over.
    async with transaction() as session:
        assert await sweep(session, now=NOW + timedelta(days=DAYS - 1), retention_days=DAYS) == 0
    async with transaction() as session:
        assert await sweep(session, now=LATER, retention_days=DAYS) == 2
    # Idempotent: a second sweep finds nothing, and anonymise() skips what was done.
    async with transaction() as session:
        assert await sweep(session, now=LATER + timedelta(days=1), retention_days=DAYS) == 0
        again = await anonymise(session, [everything, still_open], now=LATER, reason="x")
        assert again == []

    async with transaction() as session:
        after = await build_report(session, *YEAR)
        cases = CaseRepository(session)
        gone = await cases.get(everything)
        thread = await cases.thread(everything)
        files = await AppealRepository(session).attachments(everything)
        kept = await cases.get(still_open)
        found = await cases.by_iin(IIN)
        raw = (
            (await session.execute(text(f"SELECT * FROM appeals WHERE id = {everything}")))
            .mappings()
            .one()
        )
    # The report counts the same appeals, figure by figure.
    assert after == before
    assert before.total == 4 and before.by_outcome["satisfied"] == 1

    assert gone is not None
    assert (gone.subject_name, gone.institution, gone.story_excerpt, gone.forwarded_to) == (
        None,
        None,
        "",
        None,
    )
    assert (gone.category, gone.region, gone.outcome) == (
        "torture_ill_treatment",
        Region.ASTANA,
        Outcome.SATISFIED,
    )
    assert files == []
    assert [e.text for e in thread if e.text] == []
    assert {"body": SECRETS["forwarded"]} not in [e.data for e in thread]
    assert thread[-1].kind is EventKind.ANONYMISED
    assert thread[-1].data == {"reason": "retention"}
    assert raw["iin"] is None and raw["iin_digest"] is None and raw["phone"] is None
    assert raw["user_id"] == raw["chat_id"] == ANONYMOUS_USER_ID
    assert raw["anonymised_at"] is not None
    # Open appeals keep everything, and stay findable by IIN.
    assert kept is not None and kept.subject_name == SECRETS["subject_name"]
    assert sorted(c.id for c in found) == [still_open, withdrawn]
    dump = await raw_dump(database_url)
    assert SECRETS["forwarded"] not in dump  # (encrypted anyway; and now gone)


async def test_retention_zero_anonymises_nothing_by_age(transaction: Transaction) -> None:
    appeal_id = await submit(transaction)
    await close(transaction, appeal_id, Outcome.EXPLAINED)
    async with transaction() as session:
        far = NOW + timedelta(days=100 * 365)
        assert await due(session, now=far, retention_days=0) == []


async def test_forget_erases_the_draft_and_closed_appeals_and_marks_open_ones(
    transaction: Transaction, session_pool: async_sessionmaker[AsyncSession]
) -> None:
    closed = await submit(transaction)
    await close(transaction, closed, Outcome.FORWARDED)
    open_one = await submit(transaction)
    other_citizen = await submit(transaction, user_id=8)
    await close(transaction, other_citizen, Outcome.FORWARDED)
    async with transaction() as session:
        await DraftRepository(session).save(7, {"story": SECRETS["draft"]}, 4)
        await UserRepository(session).set_language(7, "kk")

    async with transaction() as session:
        result = await forget_citizen(session, 7, now=NOW + timedelta(hours=1))
    assert (result.anonymised, result.still_open) == (1, 1)
    async with transaction() as session:
        assert await DraftRepository(session).load(7) is None
        assert await UserRepository(session).get_language(7) is None
        assert await UserRepository(session).get_consent(7) is None
        cases = CaseRepository(session)
        assert (await cases.thread(closed))[-1].data == {"reason": "citizen_request"}
        assert (await cases.get(open_one)).subject_name == SECRETS["subject_name"]
        # Another citizen's closed appeal is not touched.
        assert (await cases.get(other_citizen)).subject_name == SECRETS["subject_name"]
        # /status no longer lists the anonymised appeal; the open one stays.
        assert [a.id for a in await AppealRepository(session).list_for_user(7)] == [open_one]

    # The open appeal is anonymised FORGET_GRACE after it is closed, whatever the retention.
    closed_at = NOW + timedelta(days=3)
    await close(transaction, open_one, Outcome.EXPLAINED, at=closed_at)
    total = await run_retention(
        session_pool, now=closed_at + FORGET_GRACE - timedelta(hours=1), retention_days=0
    )
    assert total == 0
    total = await run_retention(
        session_pool, now=closed_at + FORGET_GRACE + timedelta(hours=1), retention_days=0
    )
    assert total == 1
    async with transaction() as session:
        assert (await CaseRepository(session).thread(open_one))[-1].data == {
            "reason": "citizen_request"
        }
        # Nothing refers to the citizen any more: the user's row went at the second /forget.
        result = await forget_citizen(session, 7, now=closed_at + FORGET_GRACE * 2)
        assert (result.anonymised, result.still_open) == (0, 0)
        remaining = await session.scalar(text("SELECT count(*) FROM users WHERE id = 7"))
    assert remaining == 0


async def run_cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "storage.retention",
        *args,
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_command_line_counts_without_keys_and_anonymises_with_them(
    database_url: str, transaction: Transaction, keyring_environment: dict[str, str]
) -> None:
    appeal_id = await submit(transaction)
    await close(transaction, appeal_id, Outcome.EXPLAINED)  # in March 2026: long ago
    await submit(transaction)  # open: never
    url = ["--database-url", database_url]

    code, out, err = await run_cli("--dry-run", "--days", "30", *url)
    assert (code, err, out) == (0, "", "would anonymise 1 closed appeal(s) (retention 30 days)\n")
    code, out, err = await run_cli("--days", "30", *url)
    assert code == 2 and "ENCRYPTION_KEYS is not set" in err

    keys = keyring_environment
    code, out, err = await run_cli(*url, env={**keys, "RETENTION_DAYS": "30"})
    assert (code, err, out) == (0, "", "anonymised 1 closed appeal(s) (retention 30 days)\n")
    async with transaction() as session:
        assert (await CaseRepository(session).thread(appeal_id))[-1].kind is EventKind.ANONYMISED
    code, out, _ = await run_cli(*url, env={**keys, "RETENTION_DAYS": "30"})
    assert out.startswith("anonymised 0 ")
