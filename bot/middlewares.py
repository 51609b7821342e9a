"""Per-update plumbing: one database transaction, and messages sent only after it commits."""

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.methods import (
    AnswerCallbackQuery,
    SendMessage,
    TelegramMethod,
)
from aiogram.types import TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.inputs import guess_language
from bot.outbox import COSMETIC, Postman
from bot.texts import Texts
from storage.casework import StaffRepository
from storage.repositories import UpdateLog, UserRepository

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True)
class Who:
    """The Telegram ids of an update, and Telegram's guess at the language."""

    user_id: int
    chat_id: int
    guessed_language: str
    # The language the user chose, as stored when the update arrived (None: never chosen).
    stored_language: str | None = None


class Outbox(list[TelegramMethod[Any]]):
    """What a handler wants sent: stored with the update's transaction, sent after it."""


MAX_RETRY_AFTER = 30


async def send(bot: Bot, method: TelegramMethod[Any], attempts: int = 3) -> None:
    """Send one method, waiting out Telegram's flood control a few times."""
    for attempt in range(1, attempts + 1):
        try:
            await bot(method)
            return
        except TelegramRetryAfter as e:
            if attempt == attempts or e.retry_after > MAX_RETRY_AFTER:
                raise
            log.warning(
                "flood control method=%s retry_after=%s", type(method).__name__, e.retry_after
            )
            await asyncio.sleep(e.retry_after)
        except TelegramBadRequest as e:
            if method.__api_method__ not in COSMETIC:
                raise
            log.info("cosmetic request refused method=%s: %s", type(method).__name__, e.message)
            return


class TransactionMiddleware(BaseMiddleware):
    """One session and one transaction per update (repositories never commit), and the
    update's outbox stored in that same transaction: what the bot owes people exists exactly
    when the change it reports does. After the commit the letters are delivered at once;
    whatever a crash or Telegram keeps from going out, the postman's sweep sends later.
    A failed transaction stores and sends nothing (the errors router apologises)."""

    def __init__(self, session_pool: async_sessionmaker[AsyncSession], postman: Postman) -> None:
        self.session_pool, self.postman = session_pool, postman

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        outbox = data["outbox"] = Outbox()
        async with self.session_pool() as session, session.begin():
            data["session"] = session
            result = await handler(event, data)
            direct, leased = await self.postman.stage(session, outbox, lease=True)
        message = getattr(event, "message", None)
        if message is not None and message.chat.type == ChatType.PRIVATE:
            # Its id (never its text), for "delete this conversation".
            self.postman.note_incoming(message.chat.id, message.message_id)
        bot: Bot = data["bot"]
        for method in direct:
            # Callback answers and menus: they only make sense now, and the update's work is
            # committed whatever happens to them.
            try:
                await send(bot, method)
            except Exception as e:
                log.warning("direct request failed method=%s: %s", type(method).__name__, e)
        if leased:
            await self.postman.deliver(bot, leased)
        return result


class WhoMiddleware(BaseMiddleware):
    """Put the update's ids (`who`) and the user's language (`lang`) into the handler data."""

    def __init__(self, default_language: str) -> None:
        self.default_language = default_language

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        chat = data.get("event_chat")
        if user is None:
            return await handler(event, data)
        guessed = guess_language(user.language_code, self.default_language)
        # A callback from a message too old for Telegram to include comes without a chat;
        # the bot only talks in private chats, whose id is the user's.
        chat_id = chat.id if chat is not None else user.id
        stored = await UserRepository(data["session"]).get_language(user.id)
        data["who"] = Who(
            user_id=user.id, chat_id=chat_id, guessed_language=guessed, stored_language=stored
        )
        data["lang"] = stored or guessed
        return await handler(event, data)


class StaffMiddleware(BaseMiddleware):
    """Put the registered staff member behind the update (`staff`), or None for citizens."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        who: Who | None = data.get("who")
        data["staff"] = (
            await StaffRepository(data["session"]).get(who.user_id) if who is not None else None
        )
        return await handler(event, data)


class DedupMiddleware(BaseMiddleware):
    """Handle each update once: Telegram redelivers after a timeout, and behind one webhook
    several processes may see the same update. The mark is written in the update's own
    transaction, so an update whose handling failed is handled again on redelivery."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        update_id = getattr(event, "update_id", None)
        bot: Bot = data["bot"]
        if update_id is not None and not await UpdateLog(data["session"]).first_time(
            bot.id, update_id, now=datetime.now(UTC)
        ):
            log.info("duplicate update skipped update_id=%s", update_id)
            return None
        return await handler(event, data)


class RateLimitMiddleware(BaseMiddleware):
    """A per-user limit on updates: a flood gets one polite answer and is then ignored until
    it calms down. Kept in memory per process; people typing never come near it."""

    def __init__(
        self, texts: Texts, default_language: str, limit: int = 40, seconds: float = 30.0
    ) -> None:
        self.texts, self.default_language = texts, default_language
        self.limit, self.seconds = limit, seconds
        self._seen: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        now = time.monotonic()
        window = self._seen.setdefault(user.id, deque())
        while window and window[0] <= now - self.seconds:
            window.popleft()
        if len(window) < self.limit:
            window.append(now)
            return await handler(event, data)
        log.info("rate limited user_id=%s", user.id)
        if self._warned.get(user.id, 0.0) <= now - self.seconds:
            self._warned[user.id] = now
            lang = guess_language(user.language_code, self.default_language)
            text = self.texts.get(lang, "flood-slow-down")
            bot: Bot = data["bot"]
            query = getattr(event, "callback_query", None)
            if query is not None:
                await send(bot, AnswerCallbackQuery(callback_query_id=query.id, text=text))
            else:
                await send(bot, SendMessage(chat_id=user.id, text=text))
        return None
