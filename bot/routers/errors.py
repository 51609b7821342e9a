"""The last line: an unexpected error is logged by ids only, and the citizen gets an apology."""

import logging

from aiogram import Bot, Router
from aiogram.types import ErrorEvent

from bot.inputs import guess_language
from bot.texts import Texts

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent, bot: Bot, texts: Texts, default_language: str) -> bool:
    update = event.update
    # exc_info only: an exception's message could quote what the citizen wrote, so we log
    # the type and the traceback through the handler's formatter, never update contents.
    log.error(
        "update failed update_id=%s error=%s",
        update.update_id,
        type(event.exception).__name__,
        exc_info=event.exception,
    )
    query = update.callback_query
    message = update.message or (query.message if query else None)
    user = (query.from_user if query else None) or (
        update.message.from_user if update.message else None
    )
    lang = guess_language(user.language_code if user else None, default_language)
    try:
        if query is not None:
            await bot.answer_callback_query(query.id)
        if message is not None:
            await bot.send_message(message.chat.id, texts.get(lang, "error-generic"))
    except Exception as e:  # Telegram itself may be what failed: nothing more to do here
        log.warning(
            "could not apologise update_id=%s error=%s", update.update_id, type(e).__name__
        )
    return True


def build_router() -> Router:
    """A new router each time: aiogram attaches a router to one dispatcher only."""
    router = Router(name=__name__)
    router.errors.register(on_error)
    return router
