"""Private-chat input that is not a command: buttons, text, files, contacts, everything else."""

import logging

from aiogram import F, Router
from aiogram.methods import AnswerCallbackQuery, EditMessageReplyMarkup, SendMessage
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import Magic
from bot.flow import IntakeFlow
from bot.inputs import FileRejected, attachment_of
from bot.keyboards import IntakeCb
from bot.middlewares import Outbox, Who
from bot.texts import Texts
from dialogs.intake import Choice, ContactInput, MediaInput, TextInput

log = logging.getLogger(__name__)


async def button(
    query: CallbackQuery,
    callback_data: IntakeCb,
    flow: IntakeFlow,
    who: Who,
    session: AsyncSession,
    texts: Texts,
    lang: str,
    outbox: Outbox,
):
    if isinstance(query.message, Message) and query.message.reply_markup:
        # Take the keyboard off the clicked message: an answered question cannot be answered
        # twice, and old buttons do not clutter the chat. (Only if it still has one: editing
        # to the same markup is an error on Telegram's side.)
        outbox.append(
            EditMessageReplyMarkup(chat_id=who.chat_id, message_id=query.message.message_id)
        )
    done = await flow.handle(
        Choice(callback_data.value),
        who=who,
        session=session,
        outbox=outbox,
        button=(callback_data.rev, callback_data.step),
    )
    if done is None:
        log.info("stale button user_id=%s", who.user_id)
        alert = AnswerCallbackQuery(
            callback_query_id=query.id, text=texts.get(lang, "stale-button-alert")
        )
        outbox.insert(0, alert)
    else:
        outbox.insert(0, AnswerCallbackQuery(callback_query_id=query.id))


async def contact(
    message: Message, flow: IntakeFlow, who: Who, session: AsyncSession, outbox: Outbox
):
    c = message.contact
    phone = c.phone_number if c.phone_number.startswith("+") else "+" + c.phone_number
    own = c.user_id is not None and c.user_id == who.user_id
    await flow.handle(ContactInput(phone, own), who=who, session=session, outbox=outbox)


async def text(
    message: Message, flow: IntakeFlow, who: Who, session: AsyncSession, outbox: Outbox
):
    await flow.handle(TextInput(message.text), who=who, session=session, outbox=outbox)


async def media(
    message: Message,
    flow: IntakeFlow,
    who: Who,
    session: AsyncSession,
    texts: Texts,
    lang: str,
    outbox: Outbox,
):
    try:
        attachment = attachment_of(message)
    except FileRejected as rejected:
        outbox.append(
            SendMessage(chat_id=who.chat_id, text=texts.get(lang, rejected.key, max_mb=20))
        )
        return
    await flow.handle(MediaInput(attachment), who=who, session=session, outbox=outbox)
    if message.caption:
        # A caption is part of the story: treat it as if typed after the file.
        await flow.handle(TextInput(message.caption), who=who, session=session, outbox=outbox)


async def unsupported(message: Message, texts: Texts, lang: str, who: Who, outbox: Outbox):
    """Stickers, locations, polls and the like: say what we can take, lose nothing."""
    outbox.append(SendMessage(chat_id=who.chat_id, text=texts.get(lang, "unsupported-content")))


def build_router() -> Router:
    """A new router each time: aiogram attaches a router to one dispatcher only."""
    router = Router(name=__name__)
    router.callback_query.register(button, IntakeCb.filter())
    router.message.register(contact, Magic(F.contact))
    router.message.register(text, Magic(F.text))
    router.message.register(
        media, Magic(F.photo | F.voice | F.audio | F.video | F.video_note | F.document)
    )
    # Last: stickers, locations, polls and anything else.
    router.message.register(unsupported)
    return router
