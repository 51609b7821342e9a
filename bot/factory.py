"""Build the production Dispatcher and Bot; run_bot.py and the tests both use these."""

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.types import BotCommand
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.flow import IntakeFlow, Understanding
from bot.inputs import normalize_phone
from bot.middlewares import DbSessionMiddleware, OutboxMiddleware, WhoMiddleware
from bot.routers import get_routers
from bot.texts import Texts
from dialogs.catalog import Catalog, load_catalog
from dialogs.vocabulary import LANGUAGES

COMMANDS = ("start", "new", "status", "language", "help", "cancel")


def build_dispatcher(
    *,
    session_pool: async_sessionmaker[AsyncSession],
    understanding: Understanding,
    texts: Texts | None = None,
    catalog: Catalog | None = None,
    default_language: str = "ru",
    storage: BaseStorage | None = None,
    events_isolation: BaseEventIsolation | None = None,
) -> Dispatcher:
    """Wire routers, middlewares and long-lived services into one Dispatcher."""
    texts = texts or Texts()
    catalog = catalog or load_catalog()
    flow = IntakeFlow(
        texts=texts, catalog=catalog, understanding=understanding, normalize_phone=normalize_phone
    )
    # Updates of one chat are handled one at a time, so a double click or two quick messages
    # cannot both advance the same draft. (The Redis isolation replaces this across processes.)
    dp = Dispatcher(
        storage=storage or MemoryStorage(),
        events_isolation=events_isolation or SimpleEventIsolation(),
        texts=texts,
        flow=flow,
        default_language=default_language,
    )
    # Order matters: messages go out only after the transaction inside has committed.
    dp.update.outer_middleware(OutboxMiddleware())
    dp.update.outer_middleware(DbSessionMiddleware(session_pool))
    dp.update.outer_middleware(WhoMiddleware(default_language))
    dp.include_routers(*get_routers())
    dp.startup.register(set_commands)
    return dp


def build_bot(
    token: str, *, api_base: str | None = None, session: BaseSession | None = None
) -> Bot:
    """A Bot that talks HTML; `api_base` points it at another Bot API server."""
    if session is None:
        api = TelegramAPIServer.from_base(api_base) if api_base else None
        session = AiohttpSession(api=api) if api else AiohttpSession()
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


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
