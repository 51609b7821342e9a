"""The baseline: a minimal aiogram bot that answers every update with one message.

Started like the real bot (`python -m bench.echo_bot`, same environment variables: BOT_TOKEN,
TELEGRAM_API_BASE, WEBHOOK_URL/WEBHOOK_PORT/WEBHOOK_SECRET/WEBHOOK_REUSE_PORT, LOG_LEVEL) and
driven by the same citizens, so its cost per update is aiogram's and the HTTP round trip's
alone: the floor against which the real bot's cost is a ratio. Its one inline button lets the
driver send callback queries, as it does to the real bot.
"""

import asyncio
import logging
import os
import signal
import sys
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Echo", callback_data="echo")]]
)

dispatcher = Dispatcher()


@dispatcher.message()
async def on_message(message: Message, bot: Bot) -> None:
    await bot.send_message(message.chat.id, message.text or "…", reply_markup=KEYBOARD)


@dispatcher.callback_query()
async def on_click(query: CallbackQuery, bot: Bot) -> None:
    await bot.send_message(query.from_user.id, query.data or "…", reply_markup=KEYBOARD)


async def main() -> int:
    env = os.environ
    # The same log format and level as the real bot, so both pay for the same log lines.
    logging.basicConfig(
        level=env.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    api = TelegramAPIServer.from_base(env["TELEGRAM_API_BASE"])
    bot = Bot(env["BOT_TOKEN"], session=AiohttpSession(api=api))
    async with bot.session:
        if url := env.get("WEBHOOK_URL"):
            app = web.Application()
            secret = env.get("WEBHOOK_SECRET") or None
            handler = SimpleRequestHandler(dispatcher=dispatcher, bot=bot, secret_token=secret)
            handler.register(app, path=urlsplit(url).path or "/")
            setup_application(app, dispatcher, bot=bot)
            runner = web.AppRunner(app)
            await runner.setup()
            reuse = env.get("WEBHOOK_REUSE_PORT", "").lower() in ("1", "true")
            port = int(env.get("WEBHOOK_PORT", "8080"))
            await web.TCPSite(runner, "127.0.0.1", port, reuse_port=reuse or None).start()
            try:
                await bot.set_webhook(url, secret_token=secret)
                logging.info("webhook serving on %s", port)
                await stop.wait()
            finally:
                await runner.cleanup()
        else:
            await bot.delete_webhook()
            polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False))
            await stop.wait()
            await dispatcher.stop_polling()
            await polling
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
