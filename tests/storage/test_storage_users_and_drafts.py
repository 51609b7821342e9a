"""Users' settings and drafts survive across transactions."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import UserRow
from storage.repositories import ChatMessages, DraftRepository, UserRepository

# The `transaction` fixture (conftest.py): a session in a transaction committed on exit.
Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]

ALMATY = timezone(timedelta(hours=5))


async def test_language_roundtrip(transaction: Transaction) -> None:
    async with transaction() as session:
        users = UserRepository(session)
        assert await users.get_language(1) is None
        await users.set_language(1, "kk")
    async with transaction() as session:
        users = UserRepository(session)
        assert await users.get_language(1) == "kk"
        await users.set_language(1, "en")
        assert await users.get_language(1) == "en"
        assert await users.get_language(2) is None


async def test_unknown_language_is_refused(transaction: Transaction) -> None:
    async with transaction() as session:
        with pytest.raises(ValueError, match="unsupported language"):
            await UserRepository(session).set_language(1, "de")


async def test_consent_roundtrip_in_utc(transaction: Transaction) -> None:
    given = datetime(2026, 1, 1, 3, 0, tzinfo=ALMATY)
    async with transaction() as session:
        users = UserRepository(session)
        assert await users.get_consent(1) is None
        await users.set_consent(1, given)
    async with transaction() as session:
        users = UserRepository(session)
        stored = await users.get_consent(1)
        assert stored == given
        assert stored is not None
        assert stored.tzinfo is UTC
        assert stored == datetime(2025, 12, 31, 22, 0, tzinfo=UTC)
        await users.set_consent(1, None)
        assert await users.get_consent(1) is None


async def test_naive_consent_time_is_refused(transaction: Transaction) -> None:
    async with transaction() as session:
        with pytest.raises(ValueError, match="timezone-aware"):
            await UserRepository(session).set_consent(1, datetime(2026, 1, 1))


async def test_ensure_keeps_existing_settings(transaction: Transaction) -> None:
    async with transaction() as session:
        users = UserRepository(session)
        await users.ensure(1)
        await users.ensure(1)
        assert await users.get_language(1) is None
        await users.set_language(1, "ru")
        await users.ensure(1)
        assert await users.get_language(1) == "ru"
    async with transaction() as session:
        rows = (await session.scalars(select(UserRow))).all()
        assert [row.id for row in rows] == [1]
        assert rows[0].created_at.tzinfo is UTC


NESTED = {
    "step": "story",
    "answers": {
        "full_name": "Айгүл Серікқызы Нұрланова",
        "story": "Тергеу изоляторында ұрып-соқты. Меня избили в СИЗО.",
        "region": "pavlodar",
        "flags": {"urgent": True, "old_complaint": False},
        "attachments": [{"kind": "photo", "file_unique_id": "AQAD", "file_size": 12_345}],
    },
    "history": ["language", "consent", "filer_type"],
    "note": None,
}


async def test_draft_save_load_overwrite_delete(transaction: Transaction) -> None:
    async with transaction() as session:
        drafts = DraftRepository(session)
        assert await drafts.load(7) is None
        await drafts.save(7, NESTED, revision=1)
    async with transaction() as session:
        stored = await DraftRepository(session).load(7)
        assert stored is not None
        assert stored.data == NESTED
        assert stored.revision == 1
        assert stored.updated_at.tzinfo is UTC
        first_saved_at = stored.updated_at
    async with transaction() as session:
        await DraftRepository(session).save(7, {"step": "region", "ғ": ["қ", "ң"]}, revision=2)
    async with transaction() as session:
        drafts = DraftRepository(session)
        stored = await drafts.load(7)
        assert stored is not None
        assert stored.data == {"step": "region", "ғ": ["қ", "ң"]}
        assert stored.revision == 2
        assert stored.updated_at >= first_saved_at
        await drafts.delete(7)
        await drafts.delete(7)  # Deleting a missing draft is not an error.
        assert await drafts.load(7) is None


async def test_drafts_are_per_user(transaction: Transaction) -> None:
    async with transaction() as session:
        drafts = DraftRepository(session)
        await drafts.save(1, {"owner": 1}, revision=1)
        await drafts.save(2, {"owner": 2}, revision=5)
        await drafts.delete(1)
        assert await drafts.load(1) is None
        stored = await drafts.load(2)
        assert stored is not None
        assert (stored.data, stored.revision) == ({"owner": 2}, 5)


async def test_draft_creates_its_user_and_is_deleted_with_it(transaction: Transaction) -> None:
    async with transaction() as session:
        await DraftRepository(session).save(3, {"step": "language"}, revision=1)
    async with transaction() as session:
        assert await session.scalar(select(UserRow.id).where(UserRow.id == 3)) == 3
        # The foreign key is enforced (on SQLite only with PRAGMA foreign_keys).
        await session.execute(delete(UserRow).where(UserRow.id == 3))
        assert await DraftRepository(session).load(3) is None


async def test_message_ids_are_remembered_in_one_batch_and_once(transaction):
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    async with transaction() as s:
        messages = ChatMessages(s)
        await messages.record([(1, 10), (2, 20), (1, 11), (1, 10)], now=now)
        await messages.record([], now=now)
    async with transaction() as s:
        messages = ChatMessages(s)
        # Seen again later (a letter delivered twice): kept with its first time.
        await messages.record([(1, 11), (1, 12)], now=now + timedelta(hours=1))
        assert await messages.since(1, now) == [10, 11, 12]
        assert await messages.since(1, now + timedelta(minutes=30)) == [12]
        assert await messages.since(2, now) == [20]
        assert await messages.forget_before(now + timedelta(minutes=30)) == 3
        assert await messages.since(1, now) == [12]
