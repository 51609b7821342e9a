"""An unmodified aiogram Bot against the sandbox: polling, webhooks, faults and files."""

import asyncio
import base64
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from sandbox.server import SANDBOX, Sandbox

CITIZEN = 1001
WAIT = 5.0


@dataclass
class Env:
    """A sandbox, a control client for it and an aiogram Bot pointed at it."""

    sandbox: Sandbox
    client: TestClient
    bot: Bot

    async def control(self, path: str, **body: Any) -> dict[str, Any]:
        async with self.client.post(f"/api/sandbox/{path}", json=body) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def chat(self, user_id: int = CITIZEN, **query: Any) -> dict[str, Any]:
        async with self.client.get(f"/api/sandbox/chat/{user_id}", params=query) as response:
            return await response.json()


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    sandbox = Sandbox(webhook_retry_delays=(0.05, 0.05))
    async with TestClient(TestServer(sandbox.app())) as client:
        base = f"http://{client.host}:{client.port}"
        bot = Bot("42:TEST", session=AiohttpSession(api=TelegramAPIServer.from_base(base)))
        try:
            yield Env(client.app[SANDBOX], client, bot)
        finally:
            await bot.session.close()


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=d.title(), callback_data=d) for d in data]]
    )


async def test_get_me(env: Env) -> None:
    me = await env.bot.get_me()
    assert (me.id, me.is_bot, me.username) == (42, True, "sandbox_42_bot")


async def test_a_message_with_an_inline_keyboard_appears_in_the_chat(env: Env) -> None:
    sent = await env.bot.send_message(
        CITIZEN, "<b>Agree?</b>", parse_mode="HTML", reply_markup=keyboard("yes", "no")
    )
    assert isinstance(sent, Message)
    assert sent.text == "Agree?"
    assert sent.entities is not None and sent.entities[0].type == "bold"
    [message] = (await env.chat())["messages"]
    assert message["message_id"] == sent.message_id
    assert message["inline_keyboard"] == [
        [{"text": "Yes", "callback_data": "yes"}, {"text": "No", "callback_data": "no"}]
    ]
    assert env.sandbox.violations == []


async def test_long_polling_delivers_a_command_that_aiogram_parses(env: Env) -> None:
    poll = asyncio.create_task(env.bot.get_updates(timeout=10))
    await asyncio.sleep(0.2)
    assert not poll.done()
    sent = await env.control("send", user_id=CITIZEN, text="/start")
    [update] = await asyncio.wait_for(poll, WAIT)
    assert isinstance(update, Update)
    assert update.update_id == sent["update_id"]
    assert update.message is not None and update.message.text == "/start"
    assert update.message.from_user is not None and update.message.from_user.id == CITIZEN
    assert update.message.chat.type == "private"
    [entity] = update.message.entities or []
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 6)
    # The next call with offset confirms it.
    assert await env.bot.get_updates(offset=update.update_id + 1) == []


async def test_a_callback_query_can_be_answered_once(env: Env) -> None:
    sent = await env.bot.send_message(CITIZEN, "Agree?", reply_markup=keyboard("yes"))
    clicked = await env.control("click", user_id=CITIZEN, message_id=sent.message_id, data="yes")
    [update] = await env.bot.get_updates()
    query = update.callback_query
    assert query is not None and query.id == clicked["callback_query_id"]
    assert query.data == "yes"
    assert isinstance(query.message, Message) and query.message.message_id == sent.message_id
    assert await env.bot.answer_callback_query(query.id, text="Saved") is True
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await env.bot.answer_callback_query(query.id)
    assert len(env.sandbox.violations) == 1


async def test_a_text_over_the_limit_is_a_bad_request_and_a_violation(env: Env) -> None:
    with pytest.raises(TelegramBadRequest, match="the limit is 4096"):
        await env.bot.send_message(CITIZEN, "a" * 4097)
    assert [v["method"] for v in env.sandbox.violations] == ["sendMessage"]
    assert (await env.chat())["messages"] == []


async def test_callback_data_over_64_bytes_is_a_bad_request(env: Env) -> None:
    with pytest.raises(TelegramBadRequest, match="callback_data is 65 bytes"):
        await env.bot.send_message(CITIZEN, "Pick", reply_markup=keyboard("x" * 65))


async def test_edit_reply_markup_that_changes_nothing_is_a_bad_request(env: Env) -> None:
    sent = await env.bot.send_message(CITIZEN, "Agree?", reply_markup=keyboard("yes"))
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await env.bot.edit_message_reply_markup(
            chat_id=CITIZEN, message_id=sent.message_id, reply_markup=keyboard("yes")
        )
    edited = await env.bot.edit_message_reply_markup(
        chat_id=CITIZEN, message_id=sent.message_id, reply_markup=keyboard("yes", "no")
    )
    assert isinstance(edited, Message) and edited.reply_markup is not None
    assert [b.callback_data for b in edited.reply_markup.inline_keyboard[0]] == ["yes", "no"]
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await env.bot.edit_message_text("x", chat_id=CITIZEN, message_id=404)


# --- Faults ------------------------------------------------------------------------------------


async def test_a_429_fault_is_telegram_retry_after(env: Env) -> None:
    await env.control("faults", method="sendMessage", kind="429", retry_after=3)
    with pytest.raises(TelegramRetryAfter) as caught:
        await env.bot.send_message(CITIZEN, "hi")
    assert caught.value.retry_after == 3
    assert (await env.bot.send_message(CITIZEN, "hi")).text == "hi"
    assert (env.sandbox.faults_served, env.sandbox.violations) == (1, [])


@pytest.mark.parametrize("kind", ["500", "502"])
async def test_a_5xx_fault_is_a_telegram_server_error(env: Env, kind: str) -> None:
    env.sandbox.add_fault("*", kind)
    with pytest.raises(TelegramServerError):
        await env.bot.get_me()
    await env.bot.get_me()


async def test_a_dropped_connection_is_a_network_error(env: Env) -> None:
    env.sandbox.add_fault("getMe", "drop")
    with pytest.raises(TelegramNetworkError):
        await env.bot.get_me()
    await env.bot.get_me()


async def test_a_slow_answer_arrives_late_but_intact(env: Env) -> None:
    env.sandbox.add_fault("sendMessage", "slow", delay=0.4)
    started = time.monotonic()
    sent = await asyncio.wait_for(env.bot.send_message(CITIZEN, "late"), WAIT)
    assert time.monotonic() - started >= 0.4
    assert sent.text == "late"
    started = time.monotonic()
    await env.bot.send_message(CITIZEN, "fast")
    assert time.monotonic() - started < 0.4


# --- Files -------------------------------------------------------------------------------------


async def test_an_uploaded_document_downloads_byte_for_byte(env: Env) -> None:
    data = bytes(range(256)) * 40
    sent = await env.bot.send_document(
        CITIZEN,
        BufferedInputFile(data, filename="receipt.pdf"),
        caption="Your <i>receipt</i>",
        parse_mode="HTML",
    )
    assert sent.document is not None
    assert (sent.document.file_name, sent.document.mime_type) == ("receipt.pdf", "application/pdf")
    assert (sent.caption, sent.document.file_size) == ("Your receipt", len(data))
    file = await env.bot.get_file(sent.document.file_id)
    assert file.file_path and file.file_size == len(data)
    downloaded = await env.bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == data
    # The file_id can be sent again; a wrong kind or unknown id cannot.
    again = await env.bot.send_document(CITIZEN, sent.document.file_id)
    assert again.document is not None and again.document.file_id == sent.document.file_id
    with pytest.raises(TelegramBadRequest, match="can't use file of type Document as Photo"):
        await env.bot.send_photo(CITIZEN, sent.document.file_id)
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await env.bot.send_photo(CITIZEN, "AgACnonexistent")


async def test_a_photo_the_user_sends_can_be_downloaded_by_the_bot(env: Env) -> None:
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAIAAAADCAIAAAA2iEnWAAAAEklEQVR4nGP4z8DAwMDAxMDAAAAdCQIBRoCX2QAAAABJRU5ErkJggg=="
    )
    await env.control(
        "photo", user_id=CITIZEN, caption="my passport", data_base64=base64.b64encode(png).decode()
    )
    [update] = await env.bot.get_updates()
    message = update.message
    assert message is not None and message.photo and message.caption == "my passport"
    largest = message.photo[-1]
    assert (largest.width, largest.height) == (2, 3)
    file = await env.bot.get_file(largest.file_id)
    assert file.file_path is not None
    downloaded = await env.bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == png
    # The chat page can show it too.
    url = (await env.chat())["messages"][0]["photo"]["url"]
    async with env.client.get(url) as response:
        assert await response.read() == png


async def test_a_photo_and_voice_the_bot_sends(env: Env) -> None:
    photo = await env.bot.send_photo(CITIZEN, BufferedInputFile(b"\xff\xd8jpeg", "p.jpg"))
    voice = await env.bot.send_voice(CITIZEN, BufferedInputFile(b"OggS", "v.ogg"))
    assert photo.photo and photo.photo[-1].file_size == 6
    assert voice.voice is not None and voice.voice.mime_type == "audio/ogg"
    messages = (await env.chat())["messages"]
    assert [bool(m["photo"]) for m in messages] == [True, False]
    assert messages[1]["voice"]["file_id"] == voice.voice.file_id


# --- Webhooks ----------------------------------------------------------------------------------


class Receiver:
    """A local webhook endpoint that records what the sandbox POSTs and answers as told."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[tuple[dict[str, Any], str | None]] = asyncio.Queue()
        self.replies: list[web.StreamResponse] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        await self.received.put((await request.json(), secret))
        return self.replies.pop(0) if self.replies else web.json_response({})

    async def next(self) -> tuple[dict[str, Any], str | None]:
        return await asyncio.wait_for(self.received.get(), WAIT)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    async with TestServer(app) as server:
        yield receiver, str(server.make_url("/hook"))


async def test_updates_are_posted_to_the_webhook_with_the_secret(
    env: Env, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    await env.control("send", user_id=CITIZEN, text="before")
    assert await env.bot.set_webhook(url, secret_token="s3cret-token") is True
    first, secret = await hook.next()
    assert secret == "s3cret-token"
    assert first["message"]["text"] == "before"
    await env.control("send", user_id=CITIZEN, text="after")
    second, _ = await hook.next()
    assert second["update_id"] == first["update_id"] + 1
    Update.model_validate(second)  # parses as a Telegram update
    with pytest.raises(TelegramConflictError):
        await env.bot.get_updates()
    assert await env.sandbox.wait_for(lambda: not env.sandbox.updates, WAIT)
    info = await env.bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == (url, 0)
    await env.bot.delete_webhook()
    await env.control("send", user_id=CITIZEN, text="polled")
    [update] = await env.bot.get_updates()
    assert update.message is not None and update.message.text == "polled"


async def test_a_method_in_the_webhook_response_is_executed(
    env: Env, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    hook.replies.append(
        web.json_response({"method": "sendMessage", "chat_id": CITIZEN, "text": "Echo"})
    )
    hook.replies.append(
        web.json_response({"method": "sendMessage", "chat_id": CITIZEN, "text": "x" * 5000})
    )
    await env.bot.set_webhook(url)
    await env.control("send", user_id=CITIZEN, text="one")
    chat = await env.chat(after=1, timeout=WAIT)
    assert [(m["from"], m["text"]) for m in chat["messages"]] == [("user", "one"), ("bot", "Echo")]
    # A reply that breaks the spec is refused and counted like any request.
    await env.control("send", user_id=CITIZEN, text="two")
    assert await env.sandbox.wait_for(lambda: bool(env.sandbox.violations), WAIT)
    assert env.sandbox.violations[0]["method"] == "sendMessage"
    [entry] = [r for r in env.sandbox.requests if r["via"] == "webhook reply"][:1]
    assert entry["params"]["text"] == "Echo"


async def test_aiogram_webhook_replies_in_multipart_are_executed(env: Env) -> None:
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> SendMessage:
        return message.answer(f"You said: {message.text}", reply_markup=keyboard("ok"))

    app = web.Application()
    handler = SimpleRequestHandler(dispatcher, env.bot, handle_in_background=False)
    handler.register(app, path="/tg")
    async with TestServer(app) as server:
        await env.bot.set_webhook(str(server.make_url("/tg")))
        await env.control("send", user_id=CITIZEN, text="hello")
        chat = await env.chat(after=1, timeout=WAIT)
    reply = chat["messages"][-1]
    assert (reply["from"], reply["text"]) == ("bot", "You said: hello")
    assert reply["inline_keyboard"] == [[{"text": "Ok", "callback_data": "ok"}]]
    assert env.sandbox.violations == []


async def test_a_failing_webhook_is_retried_then_skipped(
    env: Env, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    hook.replies += [web.Response(status=500), web.Response(status=502)]
    await env.bot.set_webhook(url)
    await env.control("send", user_id=CITIZEN, text="persistent")
    attempts = [await hook.next() for _ in range(3)]
    assert len({update["update_id"] for update, _ in attempts}) == 1
    assert await env.sandbox.wait_for(lambda: not env.sandbox.updates, WAIT)
    info = await env.bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 502 Bad Gateway"

    # Three failures in a row (with two retry delays configured) give the update up.
    hook.replies += [web.Response(status=500) for _ in range(3)]
    await env.control("send", user_id=CITIZEN, text="doomed")
    await env.control("send", user_id=CITIZEN, text="next")
    texts = [(await hook.next())[0]["message"]["text"] for _ in range(4)]
    assert texts == ["doomed", "doomed", "doomed", "next"]


async def test_an_unreachable_webhook_keeps_updates_for_polling(env: Env) -> None:
    server = TestServer(web.Application())
    await server.start_server()
    url = str(server.make_url("/gone"))
    await server.close()  # nothing listens there any more
    env.sandbox.webhook_retry_delays = (5.0,)
    await env.bot.set_webhook(url)
    await env.control("send", user_id=CITIZEN, text="kept")
    assert await env.sandbox.wait_for(
        lambda: env.sandbox.webhook and env.sandbox.webhook.last_error_message, WAIT
    )
    await env.bot.delete_webhook()  # during the backoff
    [update] = await asyncio.wait_for(env.bot.get_updates(), WAIT)
    assert update.message is not None and update.message.text == "kept"


# --- Observers and concurrent webhook delivery (what bench/ measures with) ---------------------


async def test_observers_see_updates_handed_out_and_requests_arriving(env: Env) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []
    env.sandbox.observers.append(lambda kind, event: seen.append((kind, event)))
    sent = await env.control("send", user_id=CITIZEN, text="hello")
    before = time.time()
    [update] = await env.bot.get_updates()
    await env.bot.send_message(CITIZEN, "Hi")
    handed = [e for k, e in seen if k == "handed"]
    assert [u["update_id"] for e in handed for u in e["updates"]] == [sent["update_id"]]
    assert handed[0]["time"] >= before
    requests = [e for k, e in seen if k == "request"]
    assert [e["method"] for e in requests] == ["getUpdates", "sendMessage"]
    reply = requests[-1]
    assert reply["time"] >= handed[0]["time"]
    assert (int(reply["params"]["chat_id"]), reply["error_code"]) == (CITIZEN, None)
    assert update.update_id == sent["update_id"]


async def test_concurrent_webhook_delivery_keeps_each_chats_updates_in_order() -> None:
    sandbox = Sandbox(webhook_concurrency=4)
    in_flight: list[int] = []  # chat ids being handled, in arrival order
    most_at_once = 0
    release = asyncio.Event()
    order: list[str] = []

    async def slow_hook(request: web.Request) -> web.Response:
        nonlocal most_at_once
        update = await request.json()
        chat = update["message"]["chat"]["id"]
        assert chat not in in_flight, "two updates of one chat in flight at once"
        in_flight.append(chat)
        most_at_once = max(most_at_once, len(in_flight))
        order.append(update["message"]["text"])
        await release.wait()
        in_flight.remove(chat)
        return web.json_response({})

    hook = web.Application()
    hook.router.add_post("/hook", slow_hook)
    async with TestServer(hook) as hook_server, TestClient(TestServer(sandbox.app())) as client:
        base = f"http://{client.host}:{client.port}"
        bot = Bot("42:TEST", session=AiohttpSession(api=TelegramAPIServer.from_base(base)))
        try:
            await bot.set_webhook(str(hook_server.make_url("/hook")))
            for text, user in (("a1", 1), ("a2", 1), ("b1", 2), ("c1", 3)):
                sandbox.send_text(user, text)
            await sandbox.notify()
            # a1, b1 and c1 go out together; a2 waits for a1.
            assert await sandbox.wait_for(lambda: len(order) == 3, WAIT)
            assert sorted(order) == ["a1", "b1", "c1"]
            release.set()
            assert await sandbox.wait_for(lambda: not sandbox.updates, WAIT)
            assert order[-1] == "a2"
            assert most_at_once == 3
        finally:
            await bot.session.close()
