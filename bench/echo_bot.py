"""The baseline: a minimal aiogram bot that answers every update with one message.

Started like the real bot (`python -m bench.echo_bot`, same environment variables: BOT_TOKEN,
TELEGRAM_API_BASE, WEBHOOK_URL/WEBHOOK_PORT/WEBHOOK_SECRET/WEBHOOK_REUSE_PORT, LOG_LEVEL) and
driven by the same citizens, so its cost per update is aiogram's and the HTTP round trip's
alone: the floor against which the real bot's cost is a ratio. Its one inline button lets the
driver send callback queries, as it does to the real bot. What run_bot does to aiogram itself
it does too (the response models kept, the start-up heap frozen): without that, aiogram's
rebuilding of pydantic models took an eighth of the echo bot's CPU and flattered the ratio.

With `--intake-traffic` it makes the Bot API requests the intake makes, and nothing else (no
database, no state, no texts to look up): on a button press it takes the keyboard off the
pressed message, sends the next question (a text and a keyboard of the intake's average size,
in HTML) and answers the callback query (in the webhook's HTTP answer, as the intake does); on
a message it sends the next question, and on a shared contact it first takes the reply
keyboard away. That is 19 sendMessage, 11 editMessageReplyMarkup and 11 answerCallbackQuery
per citizen, the intake's own count: what its requests alone cost, a rung between the echo
bot and the intake.
"""

import asyncio
import gc
import logging
import os
import signal
import sys
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher, Router, methods
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import Response
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardRemove,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Echo", callback_data="echo")]]
)

echo = Router(name="echo")


@echo.message()
async def on_message(message: Message, bot: Bot) -> None:
    await bot.send_message(message.chat.id, message.text or "…", reply_markup=KEYBOARD)


@echo.callback_query()
async def on_click(query: CallbackQuery, bot: Bot) -> None:
    await bot.send_message(query.from_user.id, query.data or "…", reply_markup=KEYBOARD)


# The intake's questions average 218 characters and 5 buttons (measured on the bench's
# journey); the button the driver presses is the first.
QUESTION = "<b>Next question.</b> " + "Please tell us a little more about it. " * 5
QUESTION_KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[
        [InlineKeyboardButton(text="Echo", callback_data="echo")],
        [
            InlineKeyboardButton(text="Another answer", callback_data="v1:other:1"),
            InlineKeyboardButton(text="A third one", callback_data="v1:other:2"),
        ],
        [InlineKeyboardButton(text="Not sure", callback_data="v1:other:3")],
        [InlineKeyboardButton(text="« Back", callback_data="v1:back")],
    ]
)
intake_traffic = Router(name="intake_traffic")


@intake_traffic.message()
async def ask_next(message: Message, bot: Bot) -> None:
    if message.contact is not None:
        await bot.send_message(message.chat.id, "Thank you.", reply_markup=ReplyKeyboardRemove())
    await bot.send_message(
        message.chat.id, QUESTION, parse_mode="HTML", reply_markup=QUESTION_KEYBOARD
    )


@intake_traffic.callback_query()
async def answer_and_ask_next(
    query: CallbackQuery, bot: Bot, **data: Any
) -> AnswerCallbackQuery | None:
    # In the intake's order: the answer first, unless it rides back in the webhook's HTTP
    # answer; then the keyboard off the pressed message, then the next question.
    answer = query.answer()
    in_response = bool(data.get("in_response"))
    if not in_response:
        await bot(answer)
    chat_id = query.from_user.id
    if query.message is not None:
        await bot.edit_message_reply_markup(chat_id=chat_id, message_id=query.message.message_id)
    await bot.send_message(chat_id, QUESTION, parse_mode="HTML", reply_markup=QUESTION_KEYBOARD)
    return answer if in_response else None


def keep_response_models() -> list[type]:
    """What run_bot does to aiogram, and nothing about the intake (bot/factory.py says why):
    build each `Response[<result type>]` model once and hold it. pydantic holds them weakly
    and rebuilds them after each garbage collection: an eighth of the echo bot's CPU under
    load, a quarter with the intake's requests (py-spy, 2026-12-06)."""
    results = {
        repr(method.__returning__): method.__returning__
        for method in vars(methods).values()
        if isinstance(method, type) and issubclass(method, TelegramMethod)
        if not isinstance(getattr(method, "__returning__", None), property | None)
    }
    return [Response[result] for result in results.values()]


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
    traffic = "--intake-traffic" in sys.argv[1:]
    kept = keep_response_models()  # noqa: F841 (held until the bot stops)
    gc.freeze()  # as run_bot does once everything is loaded
    dispatcher = Dispatcher()
    dispatcher.include_router(intake_traffic if traffic else echo)
    api = TelegramAPIServer.from_base(env["TELEGRAM_API_BASE"])
    bot = Bot(env["BOT_TOKEN"], session=AiohttpSession(api=api))
    async with bot.session:
        if url := env.get("WEBHOOK_URL"):
            app = web.Application()
            secret = env.get("WEBHOOK_SECRET") or None
            # The intake answers Telegram's POST once the update is handled, so that a
            # request can ride back in the answer; the echo bot has nothing to send back.
            handler = SimpleRequestHandler(
                dispatcher=dispatcher,
                bot=bot,
                secret_token=secret,
                handle_in_background=not traffic,
                in_response=traffic,
            )
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
