"""/start, /new, /cancel, /help, /language, /status."""

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.methods import SendMessage
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import Casework
from bot.filters import COMMAND_LIKE
from bot.flow import IntakeFlow
from bot.keyboards import LanguageCb, language_keyboard
from bot.middlewares import Outbox, Who
from bot.texts import Texts
from bot.views import status_text
from dialogs.intake import Cancel, SetLanguage, Start
from dialogs.vocabulary import AppealStatus
from storage.repositories import AppealRepository, UserRepository


async def start(
    message: Message, flow: IntakeFlow, who: Who, session: AsyncSession, outbox: Outbox
):
    await flow.handle(Start(), who=who, session=session, outbox=outbox)


async def cancel(
    message: Message, flow: IntakeFlow, who: Who, session: AsyncSession, outbox: Outbox
):
    await flow.handle(Cancel(), who=who, session=session, outbox=outbox)


async def help_(message: Message, texts: Texts, lang: str, outbox: Outbox):
    outbox.append(message.answer(texts.get(lang, "help")))


async def language(message: Message, texts: Texts, lang: str, outbox: Outbox):
    outbox.append(
        message.answer(texts.get(lang, "ask-language"), reply_markup=language_keyboard(texts))
    )


async def language_chosen(
    query: CallbackQuery,
    callback_data: LanguageCb,
    flow: IntakeFlow,
    who: Who,
    session: AsyncSession,
    texts: Texts,
    outbox: Outbox,
):
    outbox.append(query.answer())
    if await flow.load(session, who.user_id) is not None:
        await flow.handle(SetLanguage(callback_data.lang), who=who, session=session, outbox=outbox)
        return
    users = UserRepository(session)
    await users.ensure(who.user_id)
    await users.set_language(who.user_id, callback_data.lang)
    outbox.append(
        SendMessage(chat_id=who.chat_id, text=texts.get(callback_data.lang, "language-changed"))
    )


async def status(
    message: Message,
    casework: Casework,
    flow: IntakeFlow,
    who: Who,
    session: AsyncSession,
    texts: Texts,
    lang: str,
    outbox: Outbox,
):
    appeals = await AppealRepository(session).list_for_user(who.user_id)
    has_draft = await flow.load(session, who.user_id) is not None
    # Each open appeal can get more information or be withdrawn, from here.
    rows = [
        [
            casework.follow_button(lang, "add", a.id, "button-add-info", number=a.number),
            casework.follow_button(lang, "withdraw", a.id, "button-withdraw", number=a.number),
        ]
        for a in appeals[:5]
        if a.id is not None and a.status is not AppealStatus.CLOSED
    ]
    outbox.append(
        SendMessage(
            chat_id=who.chat_id,
            text=status_text(texts, lang, appeals, has_draft=has_draft),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=rows) if rows else None,
        )
    )


def build_router() -> Router:
    """A new router each time: aiogram attaches a router to one dispatcher only."""
    router = Router(name=__name__)
    router.message.filter(COMMAND_LIKE)  # its message handlers are all commands
    router.message.register(start, CommandStart())
    router.message.register(start, Command("new"))
    router.message.register(cancel, Command("cancel"))
    router.message.register(help_, Command("help"))
    router.message.register(language, Command("language"))
    router.message.register(status, Command("status"))
    router.callback_query.register(language_chosen, LanguageCb.filter())
    return router
