"""Build the production Dispatcher and Bot; run_bot.py and the tests both use these."""

import asyncio
import functools
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import aiogram.methods
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from aiogram.methods import Response, TelegramMethod
from aiogram.types import BotCommand, BotCommandScopeChat
from aiogram.utils.token import extract_bot_id, validate_token
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.casework import Casework
from bot.deadlines import watch_deadlines
from bot.flow import IntakeFlow, Understanding
from bot.inputs import normalize_phone
from bot.menus import COMMANDS, staff_commands
from bot.middlewares import ArrivalMiddleware, RateLimitMiddleware, TransactionMiddleware
from bot.outbox import Postman
from bot.polling import SafePollingDispatcher
from bot.routers import get_routers
from bot.texts import Texts
from dialogs.calendar import load_calendar
from dialogs.casework import Role, Staff
from dialogs.catalog import Catalog, load_catalog
from dialogs.vocabulary import LANGUAGES
from storage.casework import CaseRepository, StaffRepository
from storage.repositories import UserRepository

log = logging.getLogger(__name__)


def build_dispatcher(
    *,
    session_pool: async_sessionmaker[AsyncSession],
    understanding: Understanding,
    texts: Texts | None = None,
    catalog: Catalog | None = None,
    default_language: str = "ru",
    storage: BaseStorage | None = None,
    events_isolation: BaseEventIsolation | None = None,
    first_admin_ids: Sequence[int] = (),
    queue_chats: dict[str, int] | None = None,
    deadline_check_seconds: float | None = None,
    postman: Postman | None = None,
    outbox_sweep_seconds: float | None = None,
    retention_days: int = 0,
) -> Dispatcher:
    """Wire routers, middlewares and long-lived services into one Dispatcher.

    `deadline_check_seconds=None` leaves the deadline watcher off and
    `outbox_sweep_seconds=None` the outbox sweep (tests drive both directly).
    The watcher also runs the retention sweep once a day (`retention_days`: storage.retention).
    """
    postman = postman or Postman(session_pool)
    texts = texts or Texts()
    catalog = catalog or load_catalog()
    calendar = load_calendar()
    casework = Casework(
        texts=texts,
        calendar=calendar,
        queue_chats=dict(queue_chats or {}),
        language=default_language,
    )

    async def on_submitted(session: AsyncSession, number: str, copies: tuple[str, ...]):
        case = await CaseRepository(session).by_number(number)
        return await casework.announce_new(session, case, now=datetime.now(UTC), copies=copies)

    flow = IntakeFlow(
        texts=texts,
        catalog=catalog,
        understanding=understanding,
        normalize_phone=normalize_phone,
        calendar=calendar,
        on_submitted=on_submitted,
    )
    # Updates of one chat are handled one at a time, so a double click or two quick messages
    # cannot both advance the same draft. (The Redis isolation replaces this across processes.)
    dp = SafePollingDispatcher(
        storage=storage or MemoryStorage(),
        events_isolation=events_isolation or SimpleEventIsolation(),
        texts=texts,
        flow=flow,
        casework=casework,
        postman=postman,
        default_language=default_language,
    )
    # Order matters: a flood is cut before it costs a transaction, and messages go out only
    # after the transaction inside has committed.
    dp.update.outer_middleware(RateLimitMiddleware(texts, default_language))
    dp.update.outer_middleware(TransactionMiddleware(session_pool, postman))
    dp.update.outer_middleware(ArrivalMiddleware(default_language, postman))
    dp.include_routers(*get_routers())
    dp.startup.register(set_commands)

    async def register_first_admins() -> None:
        async with session_pool() as session, session.begin():
            staff = StaffRepository(session)
            for user_id in first_admin_ids:
                known = await staff.get(user_id)
                if known is None or known.role is not Role.ADMIN or not known.active:
                    await staff.upsert(Staff(user_id=user_id, role=Role.ADMIN), added_by=None)

    dp.startup.register(register_first_admins)

    async def staff_menus(bot: Bot) -> None:
        async with session_pool() as session:
            members = await StaffRepository(session).list_all()
            languages = {
                m.user_id: await UserRepository(session).get_language(m.user_id) for m in members
            }
        for member in members:
            if member.active:
                lang = languages[member.user_id] or default_language
                await set_staff_commands(bot, texts, member, lang)

    dp.startup.register(staff_menus)
    # The sweep is stopped between rounds (Postman.run says why); the watcher is cancelled.
    sweeps: list[asyncio.Task[None]] = []
    watchers: list[asyncio.Task[None]] = []

    async def start_background(bot: Bot) -> None:
        if outbox_sweep_seconds is not None:
            sweeps.append(asyncio.create_task(postman.run(bot, every=outbox_sweep_seconds)))
        if deadline_check_seconds is not None:
            watcher = watch_deadlines(
                session_pool,
                bot,
                casework,
                postman,
                every=deadline_check_seconds,
                retention_days=retention_days,
            )
            watchers.append(asyncio.create_task(watcher))

    async def stop_background() -> None:
        postman.stop()
        for task in watchers:
            task.cancel()
        await asyncio.gather(*sweeps, *watchers, return_exceptions=True)
        await postman.close()

    dp.startup.register(start_background)
    dp.shutdown.register(stop_background)
    return dp


def redis_state(url: str) -> tuple[RedisStorage, RedisEventIsolation]:
    """FSM state and per-chat locks in Redis: several processes behind one webhook then
    share pending inputs and never handle two updates of one chat at the same time."""
    storage = RedisStorage.from_url(url)
    return storage, RedisEventIsolation(redis=storage.redis)


@functools.cache
def _keep_response_models() -> tuple[type, ...]:
    """Build aiogram's `Response[<result type>]` models once and keep them for good.

    aiogram parses every Bot API answer with `Response[method.__returning__]`. pydantic holds
    parametrized generic models only weakly, so each time the garbage collector frees one,
    the next request rebuilds it: milliseconds of schema building, a tenth of the bot's CPU
    under load (docs/performance.md). Strong references make each one built once (~50 ms).
    """
    returning = {
        repr(method.__returning__): method.__returning__
        for method in vars(aiogram.methods).values()
        if isinstance(method, type)
        and issubclass(method, TelegramMethod)
        # Abstract bases declare it as a property; only the concrete methods have a type.
        and not isinstance(getattr(method, "__returning__", None), property | None)
    }
    return tuple(Response[result] for result in returning.values())


def bot_id_of(token: str) -> int:
    """The bot's id, the token's part before the colon, as `Bot.id` reads it (a malformed
    token is refused the way aiogram refuses it)."""
    validate_token(token)
    return extract_bot_id(token)


def build_bot(
    token: str, *, api_base: str | None = None, session: BaseSession | None = None
) -> Bot:
    """A Bot that talks HTML; `api_base` points it at another Bot API server."""
    _keep_response_models()
    if session is None:
        api = TelegramAPIServer.from_base(api_base) if api_base else None
        session = AiohttpSession(api=api) if api else AiohttpSession()
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


async def set_staff_commands(bot: Bot, texts: Texts, member: Staff, lang: str) -> None:
    """The staff member's own command menu. A chat the bot has never seen cannot get one:
    Telegram refuses, and the menu appears after their first message and the next start."""
    try:
        await bot.set_my_commands(
            staff_commands(texts, member, lang), scope=BotCommandScopeChat(chat_id=member.user_id)
        )
    except TelegramBadRequest as e:
        log.info("no command menu for staff user_id=%s: %s", member.user_id, e.message)


async def set_commands(bot: Bot, texts: Texts) -> None:
    """The command menu, in every language (Telegram picks by the user's app language)."""
    for lang in LANGUAGES:
        commands = [
            BotCommand(command=c, description=texts.get(lang, f"cmd-{c}")) for c in COMMANDS
        ]
        await bot.set_my_commands(commands, language_code=lang)
    await bot.set_my_commands(
        [BotCommand(command=c, description=texts.get("ru", f"cmd-{c}")) for c in COMMANDS]
    )
