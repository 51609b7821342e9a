"""Deadline reminders and escalation, driven from the database so a restart loses nothing.

Every few minutes: appeals due within two working days get one reminder (to whoever works
them, or their queue); overdue appeals are escalated once to the central office. The marks
(`reminded_at`, `escalated_at`) and the messages (in the outbox) are written in the same
transaction that decides: a crash never sends a reminder twice nor loses one.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.casework import Casework, Method
from bot.middlewares import send
from bot.outbox import Postman
from dialogs.casework import Role
from dialogs.routing import CENTRAL
from dialogs.vocabulary import KAZAKHSTAN_TIME
from storage.casework import CaseRepository, StaffRepository
from storage.outbox import OutboxRepository
from storage.repositories import ChatMessages, UpdateLog, UserRepository
from storage.retention import run_retention

log = logging.getLogger(__name__)
REMIND_WITHIN_WORKING_DAYS = 2
DELETABLE_FOR = timedelta(hours=48)
# Letters Telegram refused for good stay this long for an operator to look at.
KEEP_FAILED_LETTERS = timedelta(days=30)


async def check_deadlines(
    session: AsyncSession, casework: Casework, now: datetime
) -> list[Method]:
    """Mark and return the reminders and escalations due at `now` (one transaction)."""
    cases = CaseRepository(session)
    methods: list[Method] = []
    horizon = casework.calendar.due_at(now, REMIND_WITHIN_WORKING_DAYS)
    for case in await cases.due_soon(horizon):
        due = case.due_at.astimezone(KAZAKHSTAN_TIME).strftime("%d.%m.%Y")
        methods += await casework.staff_notice(session, case, "staff-reminder", date=due)
        await cases.mark_reminded(case.id, now)
    users = UserRepository(session)
    for case in await cases.overdue_unescalated(now):
        due = case.due_at.astimezone(KAZAKHSTAN_TIME).strftime("%d.%m.%Y")
        for member in await StaffRepository(session).watching(CENTRAL):
            if member.role is Role.REPRESENTATIVE:
                continue
            lang = await users.get_language(member.user_id) or casework.language
            header = casework.texts.get(lang, "staff-escalated", number=case.number, date=due)
            methods.append(
                casework.card(member.user_id, case, lang, member, now=now, header=header)
            )
        await cases.mark_escalated(case.id, now)
    # Telegram redelivers an update for at most a day; a week of marks is plenty.
    await UpdateLog(session).forget_before(now - timedelta(days=7))
    # Telegram lets a bot delete messages for 48 hours: older ids are of no use.
    await ChatMessages(session).forget_before(now - DELETABLE_FOR)
    await OutboxRepository(session).forget_failed_before(now - KEEP_FAILED_LETTERS)
    return methods


async def watch_deadlines(
    session_pool: async_sessionmaker[AsyncSession],
    bot: Bot,
    casework: Casework,
    postman: Postman,
    *,
    every: float,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    retention_days: int = 0,
) -> None:
    """Run check_deadlines forever; a failed round is logged and retried next time.

    Once a day (and at start) it also anonymises the closed appeals that are due
    (storage.retention); a failed sweep is retried on the next round.
    """
    swept: date | None = None
    while True:
        try:
            async with session_pool() as session, session.begin():
                methods = await check_deadlines(session, casework, clock())
                # Not leased: the outbox sweep delivers them at Telegram's pace.
                staged = await postman.stage(session, methods, lease=False)
            for method in staged.direct:
                await send(bot, method)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # the database or Telegram may be away for a while
            log.warning("deadline check failed: %s", type(e).__name__)
        if swept != clock().date():
            swept = await _retention(session_pool, clock(), retention_days, swept)
        await asyncio.sleep(every)


async def _retention(
    session_pool: async_sessionmaker[AsyncSession],
    now: datetime,
    retention_days: int,
    swept: date | None,
) -> date | None:
    """Run the daily retention sweep; return the day it succeeded (or the previous one)."""
    try:
        count = await run_retention(session_pool, now=now, retention_days=retention_days)
    except asyncio.CancelledError:
        raise
    except Exception as e:  # the database may be away for a while
        log.warning("retention sweep failed: %s", type(e).__name__)
        return swept
    log.info("retention sweep anonymised=%s", count)  # a count: never what was erased
    return now.date()
