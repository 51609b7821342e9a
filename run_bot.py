"""Composition root: read settings, build the store, the NLU and the bot, and run it."""

import argparse
import asyncio
import logging
import sys

from bot.config import Settings
from bot.factory import build_bot, build_dispatcher
from bot.flow import Understanding
from nlu.urgency import is_urgent
from storage.db import create_engine, create_session_pool, schema_is_current, upgrade_to_head

log = logging.getLogger("run_bot")

NO_TOKEN = (
    "BOT_TOKEN is not set: put the token from @BotFather into a .env file "
    "(see .env.example) or the environment, then run again."
)
NOT_MIGRATED = (
    "The database schema is not up to date: run `alembic upgrade head` "
    "(or set AUTO_MIGRATE=true) and start again."
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Ombudsman intake bot")
    return parser.parse_args(argv)


def understanding() -> Understanding:
    # Until the classifier lands the citizen picks the category from the full list; urgency
    # already works on keywords.
    return Understanding(suggest=lambda _: (), is_urgent=is_urgent, find_region=lambda _: None)


async def run(settings: Settings) -> int:
    if settings.auto_migrate:
        await upgrade_to_head(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        if not await schema_is_current(engine):
            print(NOT_MIGRATED, file=sys.stderr)
            return 2
        dp = build_dispatcher(
            session_pool=create_session_pool(engine),
            understanding=understanding(),
            default_language=settings.default_language,
        )
        assert settings.bot_token is not None
        bot = build_bot(settings.bot_token.get_secret_value(), api_base=settings.telegram_api_base)
        log.info("bot starting (long polling)")
        async with bot.session:
            await dp.start_polling(bot)
        return 0
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parse_args(argv)
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    if settings.bot_token is None:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    return asyncio.run(run(settings))


if __name__ == "__main__":
    sys.exit(main())
