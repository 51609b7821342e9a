"""Webhook mode: an aiohttp server that Telegram (or the sandbox) POSTs updates to."""

import asyncio
import logging
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.middlewares import REPLY_IN_RESPONSE

log = logging.getLogger(__name__)


async def serve_webhook(
    dp: Dispatcher,
    bot: Bot,
    *,
    url: str,
    secret: str | None,
    host: str,
    port: int,
    stop: asyncio.Event,
    reuse_port: bool = False,
    concurrent_updates: int = 40,
) -> None:
    """Register the webhook with the Bot API and serve updates until `stop` is set."""
    path = urlsplit(url).path or "/"
    app = web.Application()
    # Telegram sends the secret in X-Telegram-Bot-Api-Secret-Token; a request without it is
    # answered 401 by aiogram's handler, so nobody else can feed us forged updates.
    # Each update is answered only once it is handled and committed: if the process dies
    # first, Telegram delivers it again (the processed-updates log skips it if the work was
    # done), so no update is lost; and Telegram never has more than max_connections of them
    # in flight here (backpressure, where handling in the background would accept any burst
    # and then starve for database connections).
    SimpleRequestHandler(
        dispatcher=dp,
        bot=bot,
        secret_token=secret,
        handle_in_background=False,
        **{REPLY_IN_RESPONSE: True},
    ).register(app, path=path)
    setup_application(app, dp, bot=bot)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, host, port, reuse_port=reuse_port or None).start()
    try:
        await bot.set_webhook(
            url,
            secret_token=secret,
            allowed_updates=dp.resolve_used_update_types(),
            max_connections=concurrent_updates,
        )
        log.info("webhook serving on %s:%s%s", host, port, path)
        await stop.wait()
    finally:
        await runner.cleanup()
