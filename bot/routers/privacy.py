"""/forget: a citizen erases what the bot keeps about them; /clear: deletes this chat's messages.
Both after one confirmation.

What is erased at once: the unsent draft, the stored language and consent, the conversation
state, and the personal data, texts and files of the citizen's closed appeals (the figures
stay for the statistics). Open appeals stay as they are until the office closes them, so it
can still answer, and are erased storage.retention.FORGET_GRACE after closing. The reply says
exactly this, with the numbers, and that Telegram keeps the chat itself: never more than is
done. The policy and its legal basis are in README, "Encryption and retention".
"""

import logging
from datetime import UTC, datetime, timedelta

from aiogram import Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.methods import DeleteMessages, EditMessageReplyMarkup, SendMessage
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import COMMAND_LIKE
from bot.middlewares import Outbox, Who
from bot.texts import Texts
from storage.repositories import ChatMessages
from storage.retention import FORGET_GRACE, forget_citizen, forget_preview

log = logging.getLogger(__name__)


class ForgetCb(CallbackData, prefix="p1"):
    """The /forget confirmation: `erase` is 1 for "yes", 0 for "no"."""

    erase: int


async def forget(
    message: Message, session: AsyncSession, texts: Texts, lang: str, who: Who, outbox: Outbox
):
    preview = await forget_preview(session, who.user_id)
    markup = _yes_no(texts, lang, "privacy-forget", ForgetCb(erase=1), ForgetCb(erase=0))
    text = texts.get(
        lang,
        "privacy-forget-ask",
        closed=preview.anonymised,
        open=preview.still_open,
        days=FORGET_GRACE.days,
    )
    outbox.append(SendMessage(chat_id=who.chat_id, text=text, reply_markup=markup))


async def forget_chosen(
    query: CallbackQuery,
    callback_data: ForgetCb,
    session: AsyncSession,
    state: FSMContext,
    texts: Texts,
    lang: str,
    who: Who,
    outbox: Outbox,
):
    outbox.append(query.answer())
    if query.message is not None:
        # The question is answered: its buttons go, so it cannot be pressed again by mistake.
        outbox.append(
            EditMessageReplyMarkup(chat_id=who.chat_id, message_id=query.message.message_id)
        )
    if not callback_data.erase:
        outbox.append(
            SendMessage(chat_id=who.chat_id, text=texts.get(lang, "privacy-forget-kept"))
        )
        return
    result = await forget_citizen(session, who.user_id, now=datetime.now(UTC))
    # A pending question or answer would otherwise outlive the data it is about.
    await state.clear()
    log.info(
        "citizen data erased user_id=%s anonymised=%s still_open=%s",
        who.user_id,
        result.anonymised,
        result.still_open,
    )
    lines = [texts.get(lang, "privacy-forget-done", closed=result.anonymised)]
    if result.still_open:
        lines.append(
            texts.get(
                lang, "privacy-forget-open-left", open=result.still_open, days=FORGET_GRACE.days
            )
        )
    lines.append(texts.get(lang, "privacy-forget-chat"))
    outbox.append(SendMessage(chat_id=who.chat_id, text="\n\n".join(lines)))


class ClearCb(CallbackData, prefix="x1"):
    """The /clear confirmation: `erase` is 1 for "yes", 0 for "no"."""

    erase: int


# Telegram lets a bot delete messages (its own, and the user's in a private chat) for 48 hours;
# a little margin, so that no request is refused for being a minute too late.
DELETABLE_FOR = timedelta(hours=47, minutes=50)
DELETE_AT_ONCE = 100  # deleteMessages takes at most 100 ids


async def clear(message: Message, texts: Texts, lang: str, who: Who, outbox: Outbox):
    """/clear: delete this conversation from the phone, for people whose phone others read."""
    outbox.append(
        SendMessage(
            chat_id=who.chat_id,
            text=texts.get(lang, "privacy-clear-ask"),
            reply_markup=_yes_no(texts, lang, "privacy-clear", ClearCb(erase=1), ClearCb(erase=0)),
        )
    )


async def clear_chosen(
    query: CallbackQuery,
    callback_data: ClearCb,
    session: AsyncSession,
    texts: Texts,
    lang: str,
    who: Who,
    outbox: Outbox,
):
    if not callback_data.erase:
        outbox.append(query.answer())
        if query.message is not None:
            outbox.append(
                EditMessageReplyMarkup(chat_id=who.chat_id, message_id=query.message.message_id)
            )
        outbox.append(SendMessage(chat_id=who.chat_id, text=texts.get(lang, "privacy-clear-kept")))
        return
    # A short notice on the button, not a message: nothing new should stay in the chat.
    outbox.append(query.answer(text=texts.get(lang, "privacy-clear-done")))
    messages = ChatMessages(session)
    ids = await messages.since(who.chat_id, datetime.now(UTC) - DELETABLE_FOR)
    if query.message is not None and query.message.message_id not in ids:
        ids.append(query.message.message_id)
    for start in range(0, len(ids), DELETE_AT_ONCE):
        chunk = sorted(ids)[start : start + DELETE_AT_ONCE]
        outbox.append(DeleteMessages(chat_id=who.chat_id, message_ids=chunk))
    await messages.forget_chat(who.chat_id)
    log.info("conversation deleted user_id=%s messages=%s", who.user_id, len(ids))


def _yes_no(
    texts: Texts, lang: str, key: str, yes: CallbackData, no: CallbackData
) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=texts.get(lang, f"{key}-yes"), callback_data=yes.pack()),
                InlineKeyboardButton(text=texts.get(lang, f"{key}-no"), callback_data=no.pack()),
            ]
        ]
    )


def build_router() -> Router:
    """A new router each time: aiogram attaches a router to one dispatcher only."""
    router = Router(name=__name__)
    router.message.filter(COMMAND_LIKE)  # its message handlers are all commands
    router.message.register(forget, Command("forget"))
    router.callback_query.register(forget_chosen, ForgetCb.filter())
    router.message.register(clear, Command("clear"))
    router.callback_query.register(clear_chosen, ClearCb.filter())
    return router
