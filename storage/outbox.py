"""The outbox: Bot API requests owed to people, stored with the change that caused them.

A handler's transaction writes its replies and notices here before it commits, so they exist
exactly when the change they report exists. Whoever wrote them usually delivers them a moment
later (they are leased to it); a delivery sweep in every bot process picks up what a crashed
process or a Telegram outage left behind. Each chat's messages go out in the order written:
a row waits while an older one for the same chat is still here. Delivered rows are deleted.

Delivery is at least once: a process killed after Telegram took a message but before the row
was deleted sends it again after the lease expires. A duplicate is better than a loss here.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, false, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.db import execute_core
from storage.models import OutboxRow

# Per transaction (session.info): chat id -> whether letters to it wait in the outbox, as
# storage.arrival read it when the update arrived; chats not in it are looked up when letters
# come. A letter another transaction stores for the chat in between is not seen: it was
# written concurrently with this update's, so neither was due to go first.
_WAITING = "outbox_waiting"

_TABLE = OutboxRow.__table__
_INSERT = insert(_TABLE).returning(_TABLE.c.id, sort_by_parameter_order=True)


def remember_waiting(session: AsyncSession, chat_id: int, waiting: bool) -> None:
    session.info.setdefault(_WAITING, {})[chat_id] = waiting


@dataclass(frozen=True)
class Letter:
    """One request to deliver: `method` is the Bot API method name, `payload` its params."""

    chat_id: int
    method: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class OutboxEntry:
    """A stored letter, as a deliverer sees it."""

    id: int
    chat_id: int
    method: str
    payload: dict[str, Any]
    attempts: int


def _aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


class OutboxRepository:
    """Rows of the outbox. Like every repository, it never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        letters: Sequence[Letter],
        *,
        now: datetime,
        lease_until: datetime | None,
        delivered: Sequence[int] = (),
    ) -> list[OutboxEntry]:
        """Store letters in order; return those leased to the caller for delivery at once.

        A letter to a chat that still has older letters waiting is not leased: the sweep sends
        it after them, so nobody reads the bot's answers out of order. `delivered`: rows the
        caller has delivered but not struck off yet, which keep nobody waiting.
        """
        _aware(now, "now")
        if not letters:
            return []
        chats = {letter.chat_id for letter in letters}
        known = self._session.info.setdefault(_WAITING, {})
        unknown = chats - known.keys()
        busy = {chat for chat in chats & known.keys() if known[chat]}
        if unknown:
            busy |= set(
                await self._session.scalars(
                    select(OutboxRow.chat_id)
                    .where(
                        OutboxRow.chat_id.in_(unknown),
                        OutboxRow.failed_at.is_(None),
                        OutboxRow.id.not_in(delivered),
                    )
                    .distinct()
                )
            )
        rows = [
            {
                "chat_id": letter.chat_id,
                "method": letter.method,
                "payload": letter.payload,
                "attempts": 0,
                "not_before": now,
                "locked_until": None if letter.chat_id in busy else lease_until,
                "created_at": now,
            }
            for letter in letters
        ]
        # A Core INSERT: the ORM's unit of work cost a millisecond per update for rows that
        # are never loaded again in this session.
        ids = (await execute_core(self._session, _INSERT, rows)).scalars()
        known.update(dict.fromkeys(chats, True))  # a later letter in this transaction waits
        if lease_until is None:
            return []
        return [
            OutboxEntry(
                id=i, chat_id=r["chat_id"], method=r["method"], payload=r["payload"], attempts=0
            )
            for i, r in zip(ids, rows, strict=True)
            if r["locked_until"] is not None
        ]

    async def claim(
        self, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[OutboxEntry]:
        """Lease up to `limit` letters that are due and first in their chat's line.

        On PostgreSQL, rows another process is claiming at this moment are skipped (SKIP
        LOCKED), so processes never deliver the same letter side by side.
        """
        _aware(now, "now")
        older = aliased(OutboxRow)
        waiting_behind = exists().where(
            older.chat_id == OutboxRow.chat_id,
            older.id < OutboxRow.id,
            older.failed_at.is_(None),
        )
        statement = (
            select(OutboxRow)
            .where(
                OutboxRow.failed_at.is_(None),
                OutboxRow.not_before <= now,
                or_(OutboxRow.locked_until.is_(None), OutboxRow.locked_until < now),
                ~waiting_behind,
            )
            .order_by(OutboxRow.id)
            .limit(limit)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update(skip_locked=True, of=OutboxRow)
        else:
            # SQLite: take the write lock before reading. A transaction that reads and then
            # writes gets "database is locked" at once, without waiting, if another connection
            # wrote in between (WAL snapshots); one that starts by writing simply waits its turn.
            await self._session.execute(
                update(OutboxRow).where(false()).values(attempts=OutboxRow.attempts)
            )
        rows = list(await self._session.scalars(statement))
        if not rows:
            return []
        # Conditional, so that on SQLite (no row locks) a row someone else leased meanwhile is
        # not taken twice: only the rows this UPDATE changed are ours.
        taken = await self._session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.id.in_([row.id for row in rows]),
                or_(OutboxRow.locked_until.is_(None), OutboxRow.locked_until < now),
            )
            .values(locked_until=lease_until)
            .returning(OutboxRow.id)
            .execution_options(synchronize_session=False)
        )
        ours = set(taken.scalars())
        return [_entry(row) for row in rows if row.id in ours]

    async def delivered(self, ids: Iterable[int]) -> None:
        """Forget letters Telegram has taken."""
        ids = list(ids)
        if ids:
            await self._session.execute(delete(OutboxRow).where(OutboxRow.id.in_(ids)))

    async def release(self, ids: Iterable[int]) -> None:
        """Give back leased letters untried, for the sweep."""
        ids = list(ids)
        if ids:
            await self._session.execute(
                update(OutboxRow).where(OutboxRow.id.in_(ids)).values(locked_until=None)
            )

    async def retry_later(self, entry_id: int, *, not_before: datetime) -> None:
        """Count a failed attempt; the letter is tried again from `not_before`."""
        _aware(not_before, "not_before")
        await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == entry_id)
            .values(attempts=OutboxRow.attempts + 1, not_before=not_before, locked_until=None)
        )

    async def failed(self, entry_id: int, *, now: datetime) -> None:
        """Telegram refused the letter for good: keep it for an operator, never retry it."""
        _aware(now, "now")
        await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == entry_id)
            .values(attempts=OutboxRow.attempts + 1, failed_at=now, locked_until=None)
        )

    async def forget_failed_before(self, before: datetime) -> int:
        """Drop letters refused for good before `before`; return how many. An operator had
        time to look; what the bot said should not outlive its use."""
        _aware(before, "before")
        result = await self._session.execute(delete(OutboxRow).where(OutboxRow.failed_at < before))
        return result.rowcount or 0

    async def counts(self) -> dict[str, int]:
        """How many letters wait, and how many failed for good (for operators and tests)."""
        statement = select(
            func.count().filter(OutboxRow.failed_at.is_(None)),
            func.count().filter(OutboxRow.failed_at.is_not(None)),
        )
        waiting, failed = (await self._session.execute(statement)).one()
        return {"waiting": waiting or 0, "failed": failed or 0}


def _entry(row: OutboxRow) -> OutboxEntry:
    return OutboxEntry(
        id=row.id,
        chat_id=row.chat_id,
        method=row.method,
        payload=row.payload,
        attempts=row.attempts,
    )
