"""An update's first statement: the processed mark and what the bot knows of the sender, in
one round trip, and the rows it read served again from the session (both databases)."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.casework import Role, Staff
from dialogs.vocabulary import Region
from storage.arrival import arrive
from storage.casework import StaffRepository
from storage.outbox import Letter, OutboxRepository
from storage.repositories import DraftRepository, UpdateLog, UserRepository
from storage.retention import forget_citizen

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
BOT = 42
USER = 1001


@contextmanager
def statements(session: AsyncSession) -> Iterator[list[str]]:
    """The SQL statements the session sends while the block runs."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    target = session.sync_session.get_bind()
    event.listen(target, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(target, "before_cursor_execute", record)


async def _arrive(s: AsyncSession, update_id: int, **kw) -> object:
    return await arrive(
        s, bot_id=BOT, update_id=update_id, user_id=USER, chat_id=USER, now=NOW, **kw
    )


async def test_a_new_citizen_arrives_once(transaction, backend):
    async with transaction() as s:
        with statements(s) as sent:
            first = await _arrive(s, 1)
        # PostgreSQL: one statement; SQLite has no data-modifying CTE, so the mark is its own.
        assert len(sent) == (1 if backend == "postgresql" else 2)
        assert (first.first_time, first.language, first.staff, first.draft) == (
            True,
            None,
            None,
            None,
        )
        assert first.chat_waiting is False
    async with transaction() as s:
        again = await _arrive(s, 1)
        assert again.first_time is False
        assert (await _arrive(s, 2)).first_time is True


async def test_the_last_update_id_is_per_bot(transaction):
    """What a restarted sandbox goes on from (run_bot.first_sandbox_update_id)."""
    async with transaction() as s:
        log = UpdateLog(s)
        assert await log.last_update_id(BOT) is None
        for update_id in (5, 41, 17):
            await _arrive(s, update_id)
        await log.first_time(BOT + 1, 900, now=NOW)  # another bot's updates are not ours
        assert await log.last_update_id(BOT) == 41
        assert await log.last_update_id(BOT + 1) == 900


async def test_arrival_reads_language_staff_draft_and_waiting_letters(transaction):
    async with transaction() as s:
        await UserRepository(s).set_language(USER, "kk")
        await StaffRepository(s).upsert(
            Staff(user_id=USER, role=Role.REPRESENTATIVE, region=Region.ALMATY_CITY),
            added_by=None,
        )
        await DraftRepository(s).save(USER, {"step": "story"}, 7)
        [letter] = await OutboxRepository(s).add(
            [Letter(USER, "sendMessage", {"chat_id": USER, "text": "hi"})],
            now=NOW,
            lease_until=NOW + timedelta(seconds=30),
        )
    async with transaction() as s:
        got = await _arrive(s, 1)
        assert got.language == "kk"
        assert got.staff == Staff(
            user_id=USER, role=Role.REPRESENTATIVE, region=Region.ALMATY_CITY
        )
        assert (got.draft.data, got.draft.revision) == ({"step": "story"}, 7)
        assert got.chat_waiting is True
    async with transaction() as s:
        # A letter this process delivered but has not struck off yet keeps nobody waiting.
        assert (await _arrive(s, 2, delivered=[letter.id])).chat_waiting is False


async def test_what_arrival_read_is_not_read_again_in_the_transaction(transaction):
    async with transaction() as s:
        await DraftRepository(s).save(USER, {"step": "story"}, 1)
    async with transaction() as s:
        arrival = await _arrive(s, 1)
        drafts, users, outbox = DraftRepository(s), UserRepository(s), OutboxRepository(s)
        with statements(s) as sent:
            assert await drafts.load(USER) == arrival.draft
            await users.ensure(USER)  # the row exists: nothing to insert
            leased = await outbox.add(
                [Letter(USER, "sendMessage", {"chat_id": USER, "text": "a"})],
                now=NOW,
                lease_until=NOW + timedelta(seconds=30),
            )
        assert len(sent) == 1 and sent[0].lstrip().upper().startswith("INSERT INTO OUTBOX")
        assert len(leased) == 1  # the chat was free when the update arrived
        # What this transaction writes is read back from the database, not from memory.
        await drafts.save(USER, {"step": "category"}, 2)
        with statements(s) as sent:
            assert (await drafts.load(USER)).data == {"step": "category"}
        assert len(sent) == 1
        # A second letter to the chat in the same transaction waits behind the first.
        assert (
            await outbox.add(
                [Letter(USER, "sendMessage", {"chat_id": USER, "text": "b"})],
                now=NOW,
                lease_until=NOW + timedelta(seconds=30),
            )
            == []
        )
        await drafts.delete(USER)
        assert await drafts.load(USER) is None


async def test_forgetting_a_citizen_forgets_what_arrival_read(transaction):
    async with transaction() as s:
        await DraftRepository(s).save(USER, {"step": "story"}, 1)
    async with transaction() as s:
        await _arrive(s, 1)
        await forget_citizen(s, USER, now=NOW)
        assert await DraftRepository(s).load(USER) is None
        # The user's row is gone: saving a draft again must recreate it first.
        await DraftRepository(s).save(USER, {"step": "language"}, 1)
    async with transaction() as s:
        assert (await DraftRepository(s).load(USER)).revision == 1
