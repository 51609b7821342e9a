"""Per-update plumbing: one database transaction, and messages sent only after it commits."""

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
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
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.inputs import guess_language
from bot.outbox import COSMETIC, Postman
from bot.texts import Texts
from storage.arrival import arrive
from storage.repositories import UpdateLog

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
# Handler data set by the webhook server (bot.webhook): a method the update's transaction
# returns is sent to Telegram in the HTTP answer to its POST.
REPLY_IN_RESPONSE = "reply_in_response"


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


class StaleConnection(Exception):
    """The update's first statement found its pooled database connection dead (a server
    restart, a dropped NAT entry): nothing of the update has run yet."""


class TransactionMiddleware(BaseMiddleware):
    """One session and one transaction per update (repositories never commit), and the
    update's outbox stored in that same transaction: what the bot owes people exists exactly
    when the change it reports does. After the commit the letters are delivered at once;
    whatever a crash or Telegram keeps from going out, the postman's sweep sends later.
    A failed transaction stores and sends nothing (the errors router apologises).

    The pool does not ping a connection that was in use seconds ago (storage.db), so one that
    died since fails the update's first statement: the update is then run once more, on a
    fresh connection, instead of apologising for a database that is fine."""

    def __init__(self, session_pool: async_sessionmaker[AsyncSession], postman: Postman) -> None:
        self.session_pool, self.postman = session_pool, postman

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        try:
            return await self._handle(handler, event, data)
        except StaleConnection:
            log.warning(
                "database connection found dead, update run again update_id=%s",
                getattr(event, "update_id", None),
            )
            return await self._handle(handler, event, data)

    async def _handle(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        outbox = data["outbox"] = Outbox()
        async with self.session_pool() as session, session.begin():
            data["session"] = session
            result = await handler(event, data)
            staged = await self.postman.stage(session, outbox, lease=True)
        message = getattr(event, "message", None)
        if message is not None and message.chat.type == ChatType.PRIVATE:
            # Its id (never its text), for "delete this conversation".
            self.postman.note_incoming(message.chat.id, message.message_id)
        bot: Bot = data["bot"]
        in_response = None
        if data.get(REPLY_IN_RESPONSE) and result is None:
            # Behind a webhook one request can ride back in the HTTP answer (Telegram runs
            # it): the callback answer, a request saved on most button presses.
            in_response = next(
                (m for m in staged.direct if isinstance(m, AnswerCallbackQuery)), None
            )
        for method in staged.direct:
            if method is in_response:
                continue
            # Callback answers and menus: they only make sense now, and the update's work is
            # committed whatever happens to them.
            try:
                await send(bot, method)
            except Exception as e:
                log.warning("direct request failed method=%s: %s", type(method).__name__, e)
        if staged.leased:
            await self.postman.deliver(bot, staged.leased, staged.requests)
        return result if in_response is None else in_response


class ArrivalMiddleware(BaseMiddleware):
    """Handle each update once, and put who sent it into the handler data: `who` (ids and
    languages), `lang` and `staff` (the registered staff member, or None for citizens).

    Telegram redelivers after a timeout, and behind one webhook several processes may see the
    same update: the processed-updates mark is written in the update's own transaction, so an
    update whose handling failed is handled again on redelivery. The mark and the lookups are
    one round trip (storage.arrival)."""

    def __init__(self, default_language: str, postman: Postman) -> None:
        self.default_language, self.postman = default_language, postman

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        update_id: int = event.update_id  # type: ignore[attr-defined]  # an Update
        session: AsyncSession = data["session"]
        bot: Bot = data["bot"]
        now = datetime.now(UTC)
        user = data.get("event_from_user")
        if user is None:
            with _first_statement():
                first_time = await UpdateLog(session).first_time(bot.id, update_id, now=now)
            if not first_time:
                log.info("duplicate update skipped update_id=%s", update_id)
                return None
            data["staff"] = None
            return await handler(event, data)
        chat = data.get("event_chat")
        # A callback from a message too old for Telegram to include comes without a chat;
        # the bot only talks in private chats, whose id is the user's.
        chat_id = chat.id if chat is not None else user.id
        with _first_statement():
            arrival = await arrive(
                session,
                bot_id=bot.id,
                update_id=update_id,
                user_id=user.id,
                chat_id=chat_id,
                now=now,
                delivered=self.postman.undeleted([chat_id]),
            )
        if not arrival.first_time:
            log.info("duplicate update skipped update_id=%s", update_id)
            return None
        guessed = guess_language(user.language_code, self.default_language)
        data["who"] = Who(
            user_id=user.id,
            chat_id=chat_id,
            guessed_language=guessed,
            stored_language=arrival.language,
        )
        data["lang"] = arrival.language or guessed
        data["staff"] = arrival.staff
        return await handler(event, data)


@contextlib.contextmanager
def _first_statement() -> Iterator[None]:
    """Turn a dead connection found by the update's first statement into StaleConnection."""
    try:
        yield
    except DBAPIError as e:
        # SQLAlchemy has already discarded the connection (and the pool's older ones).
        if e.connection_invalidated:
            raise StaleConnection from e
        raise


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
