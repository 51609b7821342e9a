"""Composition root: read settings, build the store, the NLU and the bot, and run it.

`python run_bot.py` polls (or serves a webhook when WEBHOOK_URL is set);
`python run_bot.py --sandbox` needs no Telegram: a local Bot API and a chat page.
"""

import argparse
import asyncio
import gc
import logging
import signal
import sys

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.factory import bot_id_of, build_bot, build_dispatcher, redis_state
from bot.flow import Understanding
from bot.logs import configure_logging
from bot.outbox import Postman, Throttle
from bot.webhook import serve_webhook
from nlu.places import find_region
from nlu.service import load_nlu
from sandbox.server import Sandbox, start_sandbox
from storage.crypto import KeyConfigError, Keyring, install_keyring
from storage.db import create_engine, create_session_pool, schema_is_current, upgrade_to_head
from storage.keys import development_keyring, development_keys_path
from storage.repositories import UpdateLog

log = logging.getLogger("run_bot")

NO_TOKEN = (
    "BOT_TOKEN is not set: put the token from @BotFather into a .env file (see .env.example) "
    "or the environment, or try the bot without Telegram: python run_bot.py --sandbox"
)
NOT_MIGRATED = (
    "The database schema is not up to date: run `alembic upgrade head` "
    "(or set AUTO_MIGRATE=true) and start again."
)
NO_KEYS = (
    "ENCRYPTION_KEYS and BLIND_INDEX_KEY must be set: make each with "
    "`python -m storage.keys generate` and put them into .env "
    "(see README, 'Encryption and retention')."
)
SANDBOX_TOKEN = "123456:SANDBOX"
# Deliveries are struck off the outbox in one transaction per this many seconds (bot.outbox).
RECORD_DELIVERIES_EVERY = 0.05
SANDBOX_DATABASE = "sqlite+aiosqlite:///./sandbox.db"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Ombudsman intake bot")
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="run against a local Bot API sandbox with a chat page (no Telegram, no token)",
    )
    parser.add_argument("--port", type=int, default=8081, help="the sandbox's port (0: any)")
    return parser.parse_args(argv)


def understanding() -> Understanding:
    """The NLU, trained on first start and loaded from its cache afterwards."""
    nlu = load_nlu(language_detector=False)
    return Understanding(suggest=nlu.rank, is_urgent=nlu.is_urgent, find_region=find_region)


def settle_heap() -> None:
    """Keep the garbage collector off what lives as long as the process.

    aiogram's models, the NLU's vocabulary and the rest of the start-up heap are ~280,000
    objects; every full collection walked them all, a pause of 100-200 ms in which no update
    was handled (docs/performance.md). Frozen, they are never scanned again.
    """
    gc.collect()
    gc.freeze()


async def run(settings: Settings, *, sandbox_port: int | None = None) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    api_base, sandbox_runner = settings.telegram_api_base, None
    token = settings.bot_token.get_secret_value() if settings.bot_token else SANDBOX_TOKEN
    if settings.auto_migrate:
        await upgrade_to_head(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        if not await schema_is_current(engine):
            print(NOT_MIGRATED, file=sys.stderr)
            return 2
        session_pool = create_session_pool(engine)
        if sandbox_port is not None:
            first = await first_sandbox_update_id(session_pool, token)
            sandbox = Sandbox(first_update_id=first)
            _, sandbox_runner, port = await start_sandbox(port=sandbox_port, sandbox=sandbox)
            api_base = f"http://127.0.0.1:{port}"
        storage, isolation = (
            redis_state(settings.redis_url) if settings.redis_url else (None, None)
        )
        postman = Postman(
            session_pool,
            throttle=Throttle(
                rate=settings.outbox_rate,
                per_chat=settings.outbox_chat_rate,
                per_group=settings.outbox_group_rate,
            ),
            lease=settings.outbox_lease_seconds,
            record_every=RECORD_DELIVERIES_EVERY,
        )
        dp = build_dispatcher(
            session_pool=session_pool,
            postman=postman,
            outbox_sweep_seconds=settings.outbox_sweep_seconds,
            storage=storage,
            events_isolation=isolation,
            understanding=understanding(),
            default_language=settings.default_language,
            first_admin_ids=settings.first_admin_ids,
            queue_chats=settings.queue_chats,
            deadline_check_seconds=settings.deadline_check_seconds,
            retention_days=settings.retention_days,
        )
        bot = build_bot(token, api_base=api_base)
        settle_heap()
        if sandbox_runner is not None:
            print(f"Sandbox ready: open {api_base}/ in a browser. Stop with Ctrl+C.", flush=True)
        async with bot.session:
            if settings.webhook_url:
                secret = settings.webhook_secret
                await serve_webhook(
                    dp,
                    bot,
                    url=settings.webhook_url,
                    secret=secret.get_secret_value() if secret else None,
                    host=settings.webhook_host,
                    port=settings.webhook_port,
                    stop=stop,
                    reuse_port=settings.webhook_reuse_port,
                    concurrent_updates=settings.concurrent_updates,
                )
            else:
                await bot.delete_webhook()
                polling = asyncio.create_task(
                    dp.start_polling(
                        bot,
                        handle_signals=False,
                        tasks_concurrency_limit=settings.concurrent_updates,
                    )
                )
                stopping = asyncio.create_task(stop.wait())
                await asyncio.wait([polling, stopping], return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                if not polling.done():
                    await dp.stop_polling()
                await polling
        log.info("bot stopped")
        return 0
    finally:
        await engine.dispose()
        if sandbox_runner is not None:
            await sandbox_runner.cleanup()


async def first_sandbox_update_id(
    session_pool: async_sessionmaker[AsyncSession], token: str
) -> int:
    """Where the sandbox's update ids start. Telegram never hands out an update id twice, but
    the sandbox forgets its count when it stops: it goes on after the highest update this
    database recorded for the bot, or a returning user's first messages after a restart would
    be skipped as already handled."""
    bot_id = bot_id_of(token)
    async with session_pool() as session:
        last = await UpdateLog(session).last_update_id(bot_id)
    return (last or 0) + 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level, log_updates=settings.log_updates)
    if args.sandbox:
        if "database_url" not in settings.model_fields_set:
            settings.database_url = SANDBOX_DATABASE  # keep sandbox data apart from real data
    elif settings.bot_token is None:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    try:
        keyring = load_keyring(settings, sandbox=args.sandbox)
    except KeyConfigError as error:
        # The message names the setting, never the key.
        print(f"{error}. {NO_KEYS}", file=sys.stderr)
        return 2
    if keyring is None:
        print(NO_KEYS, file=sys.stderr)
        return 2
    # Before migrating: migration 0005 encrypts the rows it finds in clear.
    install_keyring(keyring)
    return asyncio.run(run(settings, sandbox_port=args.port if args.sandbox else None))


def load_keyring(settings: Settings, *, sandbox: bool) -> Keyring | None:
    """The configured keys; in the sandbox without them, development keys kept in a file next
    to the sandbox's database (made on first start, and said so once). None: not configured."""
    keys, blind = settings.encryption_keys, settings.blind_index_key
    if keys is not None and blind is not None:
        return Keyring.from_strings(keys.get_secret_value(), blind.get_secret_value())
    if not sandbox or keys is not None or blind is not None:
        return None  # half a configuration is a mistake, even in the sandbox
    path = development_keys_path(settings.database_url)
    keyring, created = development_keyring(path)
    if created:
        print(f"Sandbox: development encryption keys made and kept in {path}.", flush=True)
    return keyring


if __name__ == "__main__":
    sys.exit(main())
