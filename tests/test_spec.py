"""Tests for the Bot API request validator and the recording aiogram session."""

from __future__ import annotations

import json

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.exceptions import TelegramForbiddenError
from aiogram.methods import SendMessage
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from sandbox.spec import BotApiSpec, UploadedFile
from tests.recording import RecordingSession

KEYBOARD = {
    "inline_keyboard": [
        [
            {"text": "Yes", "callback_data": "answer:yes"},
            {"text": "Docs", "url": "https://example.org"},
        ]
    ]
}


@pytest.fixture
def spec() -> BotApiSpec:
    """The vendored Bot API spec."""
    return BotApiSpec.load()


@pytest.fixture
def session() -> RecordingSession:
    """A fresh recording session."""
    return RecordingSession()


@pytest.fixture
def bot(session: RecordingSession) -> Bot:
    """A bot whose every request goes to the recording session."""
    return Bot(token="42:TEST", session=session)


# -- the validator ---------------------------------------------------------------------------


def test_load_is_cached_and_is_the_vendored_version(spec: BotApiSpec) -> None:
    assert BotApiSpec.load() is spec
    assert spec.version == "Bot API 10.1"


def test_valid_send_message_with_inline_keyboard(spec: BotApiSpec) -> None:
    params = {"chat_id": 1, "text": "hi", "reply_markup": KEYBOARD}
    assert spec.validate("sendMessage", params) == []


def test_method_names_are_case_insensitive(spec: BotApiSpec) -> None:
    assert spec.validate("sendmessage", {"chat_id": 1, "text": "hi"}) == []


def test_unknown_method_is_rejected(spec: BotApiSpec) -> None:
    assert spec.validate("sendTelegram", {"chat_id": 1}) == ["sendTelegram: unknown method"]


def test_missing_required_parameter_is_rejected(spec: BotApiSpec) -> None:
    assert spec.validate("sendMessage", {"text": "hi"}) == ["sendMessage: chat_id is required"]


def test_unknown_parameter_is_rejected(spec: BotApiSpec) -> None:
    violations = spec.validate("sendMessage", {"chat_id": 1, "text": "hi", "colour": "red"})
    assert violations == ["sendMessage: colour is not a parameter of sendMessage"]


def test_text_limit_is_4096_characters(spec: BotApiSpec) -> None:
    assert spec.validate("sendMessage", {"chat_id": 1, "text": "я" * 4096}) == []
    violations = spec.validate("sendMessage", {"chat_id": 1, "text": "я" * 4097})
    assert violations == ["sendMessage: text is 4097 characters, the limit is 4096"]


def test_html_markup_is_not_counted_towards_the_text_limit(spec: BotApiSpec) -> None:
    text = "<b>" + "a" * 4095 + "</b>&amp;"
    assert spec.validate("sendMessage", {"chat_id": 1, "text": text, "parse_mode": "HTML"}) == []
    violations = spec.validate("sendMessage", {"chat_id": 1, "text": text})
    assert violations == [f"sendMessage: text is {len(text)} characters, the limit is 4096"]


def test_text_that_is_only_markup_is_empty(spec: BotApiSpec) -> None:
    violations = spec.validate(
        "sendMessage", {"chat_id": 1, "text": "<b></b>", "parse_mode": "HTML"}
    )
    assert violations == [
        "sendMessage: text is 0 characters after entity parsing, the minimum is 1"
    ]


def test_callback_data_limit_counts_utf8_bytes(spec: BotApiSpec) -> None:
    # 32 Cyrillic letters are 32 characters but 64 bytes.
    fits = {"inline_keyboard": [[{"text": "ok", "callback_data": "я" * 32}]]}
    too_long = {"inline_keyboard": [[{"text": "ok", "callback_data": "я" * 32 + "a"}]]}
    assert spec.validate("sendMessage", {"chat_id": 1, "text": "t", "reply_markup": fits}) == []
    violations = spec.validate(
        "sendMessage", {"chat_id": 1, "text": "t", "reply_markup": too_long}
    )
    assert violations == [
        "sendMessage: reply_markup.inline_keyboard[0][0].callback_data is 65 bytes, "
        "the limit is 64"
    ]


def test_wrong_type_is_rejected(spec: BotApiSpec) -> None:
    violations = spec.validate("sendMessage", {"chat_id": [1], "text": "hi"})
    assert violations == ["sendMessage: chat_id must be Integer or String, got array [1]"]


def test_form_encoded_values_are_accepted(spec: BotApiSpec) -> None:
    params = {
        "chat_id": "1",
        "text": "hi",
        "disable_notification": "true",
        "message_thread_id": "7",
        "reply_markup": json.dumps(KEYBOARD),
    }
    assert spec.validate("sendMessage", params) == []
    violations = spec.validate("sendMessage", {**params, "message_thread_id": "seven"})
    assert violations == ["sendMessage: message_thread_id must be Integer, got string 'seven'"]


def test_json_string_reply_markup_is_decoded_and_checked(spec: BotApiSpec) -> None:
    markup = json.dumps({"inline_keyboard": [[{"text": "No action"}]]})
    violations = spec.validate("sendMessage", {"chat_id": 1, "text": "t", "reply_markup": markup})
    assert violations == [
        "sendMessage: reply_markup.inline_keyboard[0][0] must set exactly one action field "
        "besides text, icon_custom_emoji_id and style, got none"
    ]
    broken = spec.validate("sendMessage", {"chat_id": 1, "text": "t", "reply_markup": "{"})
    assert len(broken) == 1
    assert broken[0].startswith("sendMessage: reply_markup is not valid JSON")


def test_nested_violation_reports_the_field_path(spec: BotApiSpec) -> None:
    markup = {"inline_keyboard": [[KEYBOARD["inline_keyboard"][0][0], {"text": "x", "cb": "1"}]]}
    violations = spec.validate("sendMessage", {"chat_id": 1, "text": "t", "reply_markup": markup})
    assert "sendMessage: reply_markup.inline_keyboard[0][1].cb is not a field of " in violations[0]
    assert violations[-1].startswith("sendMessage: reply_markup.inline_keyboard[0][1] must set")


def test_abstract_types_are_told_apart_by_their_discriminator(spec: BotApiSpec) -> None:
    media = [{"type": "photo", "media": "file-1"}, {"type": "gif", "media": "file-2"}]
    violations = spec.validate("sendMediaGroup", {"chat_id": 1, "media": media})
    assert violations == [
        "sendMediaGroup: media[1].type is 'gif', expected one of "
        "'audio', 'document', 'live_photo', 'photo', 'video'"
    ]
    scope = {"type": "chat"}
    violations = spec.validate("setMyCommands", {"commands": [], "scope": scope})
    assert violations == ["setMyCommands: scope.chat_id is required"]


def test_uploads_are_referenced_with_attach(spec: BotApiSpec) -> None:
    params = {"chat_id": "1", "photo": "attach://part1", "part1": UploadedFile("a.jpg", b"\xff")}
    assert spec.validate("sendPhoto", params) == []
    assert spec.validate("sendPhoto", {"chat_id": 1, "photo": UploadedFile("a.jpg")}) == []
    violations = spec.validate("sendPhoto", {"chat_id": 1, "photo": "attach://missing"})
    assert violations == [
        "sendPhoto: attach://missing refers to a file part that was not uploaded"
    ]


@pytest.mark.parametrize(
    ("method", "params", "violation"),
    [
        (
            "setMyCommands",
            {"commands": [{"command": "Start", "description": "Begin"}]},
            "commands[0].command may contain only lowercase English letters, digits and "
            "underscores, got 'Start'",
        ),
        (
            "setMyCommands",
            {"commands": [{"command": "a" * 33, "description": "Begin"}]},
            "commands[0].command is 33 characters, the limit is 32",
        ),
        (
            "setMyCommands",
            {"commands": [{"command": "start", "description": "x" * 257}]},
            "commands[0].description is 257 characters, the limit is 256",
        ),
        (
            "answerCallbackQuery",
            {"callback_query_id": "1", "text": "x" * 201},
            "text is 201 characters, the limit is 200",
        ),
        (
            "sendPhoto",
            {"chat_id": 1, "photo": "file-1", "caption": "x" * 1025},
            "caption is 1025 characters, the limit is 1024",
        ),
        (
            "setWebhook",
            {"url": "https://example.org/hook", "secret_token": "not secret"},
            "secret_token may contain only A-Z, a-z, 0-9, _ and -, got 'not secret'",
        ),
        (
            "sendMessage",
            {"chat_id": 1, "text": "hi", "parse_mode": "html"},
            "parse_mode is 'html', expected one of HTML, Markdown, MarkdownV2",
        ),
        (
            "sendMessage",
            {"chat_id": 1, "text": "hi", "reply_markup": {"keyboard": [[{"text": ""}]]}},
            "reply_markup.keyboard[0][0].text is 0 characters, the minimum is 1",
        ),
    ],
)
def test_prose_limits(spec: BotApiSpec, method: str, params: dict, violation: str) -> None:
    assert spec.validate(method, params) == [f"{method}: {violation}"]


# -- the recording session -------------------------------------------------------------------


async def test_bot_request_is_recorded_validated_and_answered(
    bot: Bot, session: RecordingSession
) -> None:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Yes", callback_data="answer:yes")]]
    )
    message = await bot.send_message(1, "hi", reply_markup=markup)

    assert len(session.requests) == 1
    request = session.last_request("sendMessage")
    assert request.violations == []
    assert session.violations == []
    # Form encoding: every value is a string, objects are JSON text, None is left out.
    assert request.params == {
        "chat_id": "1",
        "text": "hi",
        "reply_markup": json.dumps(markup.model_dump(exclude_none=True)),
    }
    assert isinstance(request.method_obj, SendMessage)

    assert isinstance(message, Message)
    assert message.text == "hi"
    assert message.message_id == 1
    assert message.chat.id == 1
    assert message.from_user is not None
    assert message.from_user.id == 42
    assert message.from_user.is_bot
    assert message.reply_markup is not None
    assert message.reply_markup.model_dump() == markup.model_dump()
    assert message.bot is bot  # bound, so handlers can call message.answer()

    second = await message.answer("again")
    assert second.message_id == 2
    assert session.sent_texts(chat_id=1) == ["hi", "again"]
    assert session.sent_texts(chat_id=2) == []


async def test_too_long_text_through_the_bot_is_a_violation(
    bot: Bot, session: RecordingSession
) -> None:
    await bot.send_message(1, "x" * 5000)
    assert session.violations == ["sendMessage: text is 5000 characters, the limit is 4096"]
    assert session.last_request().violations == session.violations


async def test_empty_text_is_dropped_by_aiogram(bot: Bot, session: RecordingSession) -> None:
    # aiogram leaves every falsy form value out, so "" arrives as a missing parameter.
    await bot.send_message(1, "")
    assert "text" not in session.last_request().params
    assert session.violations == ["sendMessage: text is required"]


async def test_reply_keyboards_pass(bot: Bot, session: RecordingSession) -> None:
    share = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="Share", request_contact=True)]], resize_keyboard=True
    )
    message = await bot.send_message(1, "Your phone?", reply_markup=share)
    await bot.send_message(1, "Thanks", reply_markup=ReplyKeyboardRemove())
    assert session.violations == []
    assert len(session.requests_of("sendMessage")) == 2
    assert message.reply_markup is None  # only inline keyboards come back in a Message


async def test_callback_answer_edit_and_commands_pass(bot: Bot, session: RecordingSession) -> None:
    sent = await bot.send_message(
        5,
        "Pick one",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="a")]]
        ),
    )
    assert await bot.answer_callback_query("cq-1", text="Saved", show_alert=False) is True
    edited = await bot.edit_message_text("Picked A", chat_id=5, message_id=sent.message_id)
    commands = [BotCommand(command="start", description="Start over")]
    assert await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=5)) is True

    assert session.violations == []
    assert isinstance(edited, Message)
    assert edited.message_id == sent.message_id
    assert edited.text == "Picked A"
    assert edited.reply_markup is None  # an edit without a keyboard removes it
    assert [r.method_name for r in session.requests] == [
        "sendMessage",
        "answerCallbackQuery",
        "editMessageText",
        "setMyCommands",
    ]
    assert session.last_request("answerCallbackQuery").params["show_alert"] == "false"


async def test_default_bot_properties_pass(session: RecordingSession) -> None:
    bot = Bot(
        token="42:TEST",
        session=session,
        default=DefaultBotProperties(
            parse_mode="HTML", link_preview=LinkPreviewOptions(is_disabled=True)
        ),
    )
    await bot.send_message(1, "<b>bold</b>")
    await bot.send_message(
        1, "<i>link</i>", link_preview_options=LinkPreviewOptions(url="https://example.org")
    )
    await bot.edit_message_text("<s>bold</s>", chat_id=1, message_id=1)
    assert session.violations == []
    params = session.requests[0].params
    assert params["parse_mode"] == "HTML"
    assert json.loads(params["link_preview_options"]) == {"is_disabled": True}
    assert json.loads(session.requests[1].params["link_preview_options"]) == {
        "url": "https://example.org"
    }


async def test_link_preview_is_disabled_default_sends_a_removed_parameter(
    session: RecordingSession,
) -> None:
    # aiogram still fills the deprecated disable_web_page_preview from this shortcut, next to
    # link_preview_options; Bot API 7.0 replaced that parameter, so the spec no longer has it.
    bot = Bot(
        token="42:TEST",
        session=session,
        default=DefaultBotProperties(link_preview_is_disabled=True),
    )
    await bot.send_message(1, "hi")
    assert session.violations == [
        "sendMessage: disable_web_page_preview is not a parameter of sendMessage"
    ]


async def test_uploads_are_recorded_as_attached_parts(bot: Bot, session: RecordingSession) -> None:
    photo = BufferedInputFile(b"\x89PNG", filename="scan.png")
    message = await bot.send_photo(1, photo, caption="Scan")
    await bot.send_media_group(
        1, [InputMediaPhoto(media=photo), InputMediaPhoto(media="file-1", caption="Second")]
    )
    assert session.violations == []
    params = session.requests[0].params
    part = params["photo"].removeprefix("attach://")
    assert params[part] == UploadedFile("scan.png", b"\x89PNG")
    assert message.photo is not None
    assert message.caption == "Scan"


async def test_queued_results_and_errors(bot: Bot, session: RecordingSession) -> None:
    session.queue_api_error("sendMessage", 403, "Forbidden: bot was blocked by the user")
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(1, "hi")
    assert len(session.requests) == 1  # a failed request is still recorded

    session.queue_error("getMe", RuntimeError("network down"))
    with pytest.raises(RuntimeError, match="network down"):
        await bot.get_me()
    me = await bot.get_me()
    assert me.is_bot
    assert me.username == "test_bot"


async def test_download_serves_queued_file(bot: Bot, session: RecordingSession) -> None:
    session.queue_file("doc-1", b"appeal text")
    data = await bot.download("doc-1")
    assert data is not None
    assert data.read() == b"appeal text"


async def test_clear_forgets_requests(bot: Bot, session: RecordingSession) -> None:
    await bot.send_message(1, "x" * 5000)
    session.clear()
    assert session.requests == []
    assert session.violations == []
    with pytest.raises(LookupError):
        session.last_request()
