"""Callback data and the rendering of `dialogs.Reply` values into Bot API methods."""

from aiogram.filters.callback_data import CallbackData
from aiogram.methods import SendMessage
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.texts import Texts
from dialogs.intake import Reply
from dialogs.vocabulary import LANGUAGES

MESSAGE_LIMIT = 4096


class IntakeCb(CallbackData, prefix="i1"):
    """A button of the intake. `rev` is the draft's revision when the button was drawn: a
    click with an older revision is stale (a double click, or an old message)."""

    rev: int
    step: str
    value: str


class LanguageCb(CallbackData, prefix="l1"):
    lang: str


def language_keyboard(texts: Texts) -> InlineKeyboardMarkup:
    row = [
        InlineKeyboardButton(
            text=texts.get(lang, f"choice-language-{lang}"),
            callback_data=LanguageCb(lang=lang).pack(),
        )
        for lang in LANGUAGES
    ]
    return InlineKeyboardMarkup(inline_keyboard=[row])


def render(
    reply: Reply, *, lang: str, texts: Texts, chat_id: int, revision: int
) -> list[SendMessage]:
    """Turn one Reply into one message (or several, if the text is over Telegram's limit)."""
    chunks = _split([texts.render(lang, p) for p in reply.parts], reply.separator)
    markup = None
    if reply.contact_keyboard:
        rows = [[KeyboardButton(text=texts.get(lang, "button-share-phone"), request_contact=True)]]
        rows += [
            [KeyboardButton(text=texts.render(lang, b.label)) for b in row]
            for row in reply.buttons
        ]
        markup = ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, is_persistent=True)
    elif reply.buttons:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=texts.render(lang, b.label),
                        callback_data=IntakeCb(
                            rev=revision, step=reply.step or "", value=b.value
                        ).pack(),
                    )
                    for b in row
                ]
                for row in reply.buttons
            ]
        )
    elif reply.remove_keyboard:
        markup = ReplyKeyboardRemove()
    messages = [SendMessage(chat_id=chat_id, text=chunk) for chunk in chunks]
    messages[-1].reply_markup = markup
    return messages


def _split(parts: list[str], separator: str) -> list[str]:
    """Join parts into messages of at most MESSAGE_LIMIT characters, cutting between parts so
    that HTML tags are never split."""
    chunks: list[str] = []
    current = ""
    for part in parts:
        while len(part) > MESSAGE_LIMIT:  # one part alone is too long: only user text can be
            cut = part.rfind("\n", 0, MESSAGE_LIMIT)
            cut = cut if cut > 0 else MESSAGE_LIMIT
            chunks.append(part[:cut])
            part = part[cut:].lstrip("\n")
        candidate = f"{current}{separator}{part}" if current else part
        if len(candidate) > MESSAGE_LIMIT:
            chunks.append(current)
            current = part
        else:
            current = candidate
    if current or not chunks:
        chunks.append(current)
    return chunks
