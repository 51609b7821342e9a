"""The Bot API sandbox over plain HTTP: wire formats, Telegram's checks, the control API."""

import asyncio
import base64
import json
import re
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer

from sandbox.server import SANDBOX, Sandbox, start_sandbox

ROOT = Path(__file__).resolve().parents[2]
BOT = "/bot42:TEST"
CITIZEN = 1001
INLINE = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}


class Api:
    """A test's handle on one sandbox: Bot API calls, control API calls and the state."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.sandbox: Sandbox = client.app[SANDBOX]

    async def call(self, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        """Call a Bot API method with a JSON body."""
        async with self.client.post(f"{BOT}/{method}", json=params) as response:
            return response.status, await response.json()

    async def ok(self, method: str, **params: Any) -> Any:
        """Call a Bot API method that must succeed and return its result."""
        status, body = await self.call(method, **params)
        assert (status, body["ok"]) == (200, True), body
        return body["result"]

    async def control(self, path: str, **body: Any) -> tuple[int, dict[str, Any]]:
        """POST to the control API."""
        async with self.client.post(f"/api/sandbox/{path}", json=body) as response:
            return response.status, await response.json()

    async def get(self, path: str, **query: Any) -> dict[str, Any]:
        """GET a control API resource."""
        async with self.client.get(f"/api/sandbox/{path}", params=query) as response:
            assert response.status == 200
            return await response.json()

    async def chat(self, user_id: int = CITIZEN, **query: Any) -> dict[str, Any]:
        """Return the chat as the chat page sees it."""
        return await self.get(f"chat/{user_id}", **query)

    async def send(self, text: str, user_id: int = CITIZEN) -> dict[str, Any]:
        """Make a user send a text."""
        status, body = await self.control("send", user_id=user_id, text=text)
        assert status == 200, body
        return body


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    sandbox = Sandbox(webhook_retry_delays=(0.05,))
    async with TestClient(TestServer(sandbox.app())) as client:
        yield Api(client)


async def within(awaitable: Any, seconds: float = 5.0) -> Any:
    """Await with a bound, so a broken long poll fails the test instead of hanging it."""
    return await asyncio.wait_for(awaitable, seconds)


# --- Tokens, methods, wire formats -------------------------------------------------------------


async def test_get_me_takes_the_bot_id_from_the_token(api: Api) -> None:
    async with api.client.get("/bot777:Secret-Token_x/getMe") as response:
        body = await response.json()
    assert response.status == 200
    assert body["result"]["id"] == 777
    assert body["result"]["is_bot"] is True


@pytest.mark.parametrize("token", ["abc", "42", "42:", ":TEST", "42:TE ST", "x42:TEST"])
async def test_a_malformed_token_is_unauthorized(api: Api, token: str) -> None:
    async with api.client.post(f"/bot{token}/getMe") as response:
        body = await response.json()
    assert response.status == 401
    assert body == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_an_unknown_method_is_telegrams_404_and_a_violation(api: Api) -> None:
    status, body = await api.call("sendMesage", chat_id=CITIZEN, text="hi")
    assert status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert [v["method"] for v in api.sandbox.violations] == ["sendMesage"]


async def test_method_names_match_case_insensitively_like_telegram(api: Api) -> None:
    assert (await api.ok("GETME"))["id"] == 42


async def test_an_unknown_parameter_is_a_bad_request_and_a_violation(api: Api) -> None:
    status, body = await api.call("sendMessage", chat_id=CITIZEN, text="hi", colour="red")
    assert status == 400
    assert body["description"] == (
        "Bad Request: sendMessage: colour is not a parameter of sendMessage"
    )
    violations = await api.get("violations")
    assert violations["count"] == 1
    assert violations["violations"][0]["description"] == body["description"]
    assert (await api.chat())["messages"] == []


async def test_json_urlencoded_multipart_and_query_string_are_all_accepted(api: Api) -> None:
    markup = json.dumps(INLINE)
    async with api.client.post(f"{BOT}/sendMessage", json={"chat_id": CITIZEN, "text": "json"}):
        pass
    async with api.client.post(
        f"{BOT}/sendMessage",
        data={"chat_id": str(CITIZEN), "text": "form", "reply_markup": markup},
    ):
        pass
    multipart = FormData()
    multipart.add_field("chat_id", str(CITIZEN))
    multipart.add_field("text", "multipart")
    multipart.add_field("disable_notification", "true")
    multipart.add_field("file", b"unused", filename="unused.bin")  # forces multipart encoding
    async with api.client.post(f"{BOT}/sendMessage", data=multipart) as response:
        # An uploaded part that no parameter refers to is itself an unknown parameter.
        assert response.status == 400
    multipart = FormData()
    multipart.add_field("chat_id", str(CITIZEN))
    multipart.add_field("document", b"%PDF-1.4", filename="a.pdf")
    async with api.client.post(f"{BOT}/sendDocument", data=multipart) as response:
        assert response.status == 200
    async with api.client.get(f"{BOT}/sendMessage", params={"chat_id": CITIZEN, "text": "q"}):
        pass
    messages = (await api.chat())["messages"]
    assert [m["text"] for m in messages] == ["json", "form", None, "q"]
    assert messages[1]["inline_keyboard"] == INLINE["inline_keyboard"]
    assert messages[2]["document"]["file_name"] == "a.pdf"


async def test_a_body_that_is_not_json_is_a_bad_request(api: Api) -> None:
    async with api.client.post(
        f"{BOT}/getMe", data="{oops", headers={"Content-Type": "application/json"}
    ) as response:
        assert response.status == 400
    assert len(api.sandbox.violations) == 1


async def test_a_valid_method_the_sandbox_lacks_is_unsupported_not_a_violation(api: Api) -> None:
    status, body = await api.call("getChat", chat_id=CITIZEN)
    assert status == 400
    assert body["description"] == "Bad Request: method getChat is not supported by the sandbox"
    report = await api.get("violations")
    assert (report["count"], report["unsupported"]) == (0, 1)


async def test_sending_to_a_chat_nobody_opened_is_chat_not_found(api: Api) -> None:
    status, body = await api.call("sendMessage", chat_id=555, text="hi")
    assert (status, body["description"]) == (400, "Bad Request: chat not found")
    await api.control("users", user_id=555, first_name="Dana")
    assert (await api.ok("sendMessage", chat_id=555, text="hi"))["chat"]["first_name"] == "Dana"


# --- Telegram's checks -------------------------------------------------------------------------


async def test_a_text_over_4096_characters_is_refused_and_counted(api: Api) -> None:
    status, body = await api.call("sendMessage", chat_id=CITIZEN, text="я" * 4097)
    assert status == 400
    assert "4097" in body["description"] and "4096" in body["description"]
    assert (await api.get("violations"))["count"] == 1
    await api.ok("sendMessage", chat_id=CITIZEN, text="я" * 4096)


async def test_callback_data_over_64_bytes_is_refused(api: Api) -> None:
    # 33 two-byte letters: 33 characters but 66 bytes.
    button = {"text": "Go", "callback_data": "ж" * 33}
    status, body = await api.call(
        "sendMessage", chat_id=CITIZEN, text="hi", reply_markup={"inline_keyboard": [[button]]}
    )
    assert status == 400
    assert "callback_data is 66 bytes, the limit is 64" in body["description"]


async def test_html_becomes_entities_with_utf16_offsets(api: Api) -> None:
    message = await api.ok(
        "sendMessage",
        chat_id=CITIZEN,
        text='😀 <b>Bold &amp; <i>both</i></b> <a href="https://e.kz">link</a> &lt;3',
        parse_mode="HTML",
    )
    assert message["text"] == "😀 Bold & both link <3"
    assert message["entities"] == [
        {"type": "bold", "offset": 3, "length": 11},
        {"type": "italic", "offset": 10, "length": 4},
        {"type": "text_link", "offset": 15, "length": 4, "url": "https://e.kz"},
    ]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("a<br>b", 'Unsupported start tag "br" at byte offset 1'),
        ("<b>a</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
async def test_html_telegram_cannot_parse_is_refused(api: Api, text: str, error: str) -> None:
    status, body = await api.call("sendMessage", chat_id=CITIZEN, text=text, parse_mode="HTML")
    assert status == 400
    assert body["description"] == f"Bad Request: can't parse entities: {error}"


async def test_pre_with_a_language_and_markup_free_text(api: Api) -> None:
    message = await api.ok(
        "sendMessage",
        chat_id=CITIZEN,
        text='<pre><code class="language-python">x = 1</code></pre> <tg-spoiler>s</tg-spoiler>',
        parse_mode="HTML",
    )
    assert message["entities"] == [
        {"type": "pre", "language": "python", "offset": 0, "length": 5},
        {"type": "spoiler", "offset": 6, "length": 1},
    ]
    plain = await api.ok("sendMessage", chat_id=CITIZEN, text="<b>as is</b>")
    assert (plain["text"], "entities" in plain) == ("<b>as is</b>", False)


async def test_a_text_that_is_only_markup_is_empty(api: Api) -> None:
    status, body = await api.call(
        "sendMessage", chat_id=CITIZEN, text="<b> </b>", parse_mode="HTML"
    )
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")


# --- The chat model ----------------------------------------------------------------------------


async def test_a_message_with_an_inline_keyboard_shows_in_the_chat(api: Api) -> None:
    sent = await api.ok("sendMessage", chat_id=CITIZEN, text="Agree?", reply_markup=INLINE)
    assert sent["reply_markup"] == INLINE
    chat = await api.chat()
    assert chat["user"]["first_name"] == "Aigerim"
    [message] = chat["messages"]
    assert message["message_id"] == sent["message_id"] == 1
    assert (message["from"], message["text"]) == ("bot", "Agree?")
    assert message["inline_keyboard"] == INLINE["inline_keyboard"]


async def test_message_ids_count_per_chat(api: Api) -> None:
    await api.control("users", user_id=2002, first_name="Bolat")
    await api.send("/start")
    await api.send("/start", user_id=2002)
    first = await api.ok("sendMessage", chat_id=CITIZEN, text="a")
    second = await api.ok("sendMessage", chat_id=2002, text="b")
    assert (first["message_id"], second["message_id"]) == (2, 2)


async def test_a_reply_keyboard_stays_until_removed(api: Api) -> None:
    keyboard = {
        "keyboard": [[{"text": "Share phone", "request_contact": True}], [{"text": "Skip"}]],
        "resize_keyboard": True,
    }
    await api.ok("sendMessage", chat_id=CITIZEN, text="Phone?", reply_markup=keyboard)
    await api.ok("sendMessage", chat_id=CITIZEN, text="Still there")
    chat = await api.chat()
    assert chat["reply_keyboard"]["keyboard"] == keyboard["keyboard"]
    assert chat["messages"][0]["inline_keyboard"] is None  # not part of the message
    await api.send("Skip")  # not one-time: stays after use
    assert (await api.chat())["reply_keyboard"] is not None
    await api.ok(
        "sendMessage", chat_id=CITIZEN, text="Thanks", reply_markup={"remove_keyboard": True}
    )
    assert (await api.chat())["reply_keyboard"] is None


async def test_a_one_time_keyboard_hides_once_used(api: Api) -> None:
    keyboard = {
        "keyboard": [[{"text": "Share", "request_contact": True}]],
        "one_time_keyboard": True,
    }
    await api.ok("sendMessage", chat_id=CITIZEN, text="Phone?", reply_markup=keyboard)
    await api.send("something else")
    assert (await api.chat())["reply_keyboard"] is not None
    status, _ = await api.control("contact", user_id=CITIZEN, phone="+77011234567")
    assert status == 200
    assert (await api.chat())["reply_keyboard"] is None


async def test_edits_change_the_message_and_an_edit_without_markup_drops_the_keyboard(
    api: Api,
) -> None:
    sent = await api.ok("sendMessage", chat_id=CITIZEN, text="Agree?", reply_markup=INLINE)
    edited = await api.ok(
        "editMessageText", chat_id=CITIZEN, message_id=sent["message_id"], text="Agreed"
    )
    assert edited["text"] == "Agreed"
    assert "reply_markup" not in edited and "edit_date" in edited
    [message] = (await api.chat())["messages"]
    assert (message["text"], message["inline_keyboard"]) == ("Agreed", None)


async def test_an_edit_that_changes_nothing_or_misses_is_refused(api: Api) -> None:
    sent = await api.ok("sendMessage", chat_id=CITIZEN, text="Agree?", reply_markup=INLINE)
    mid = sent["message_id"]
    status, body = await api.call(
        "editMessageReplyMarkup", chat_id=CITIZEN, message_id=mid, reply_markup=INLINE
    )
    assert status == 400
    assert body["description"] == (
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message"
    )
    status, body = await api.call(
        "editMessageText", chat_id=CITIZEN, message_id=mid, text="Agree?", reply_markup=INLINE
    )
    assert body["description"].startswith("Bad Request: message is not modified")
    status, body = await api.call("editMessageReplyMarkup", chat_id=CITIZEN, message_id=99)
    assert (status, body["description"]) == (400, "Bad Request: message to edit not found")
    user_message = (await api.send("hello"))["message_id"]
    status, body = await api.call(
        "editMessageText", chat_id=CITIZEN, message_id=user_message, text="forged"
    )
    assert body["description"] == "Bad Request: message can't be edited"
    assert len(api.sandbox.violations) == 4
    # Removing the keyboard is a change.
    assert "reply_markup" not in await api.ok(
        "editMessageReplyMarkup", chat_id=CITIZEN, message_id=mid
    )


async def test_delete_message(api: Api) -> None:
    sent = await api.ok("sendMessage", chat_id=CITIZEN, text="oops")
    assert await api.ok("deleteMessage", chat_id=CITIZEN, message_id=sent["message_id"]) is True
    assert (await api.chat())["messages"] == []
    _status, body = await api.call("deleteMessage", chat_id=CITIZEN, message_id=sent["message_id"])
    assert body["description"] == "Bad Request: message to delete not found"


async def test_reply_parameters_embed_the_replied_message(api: Api) -> None:
    asked = await api.send("question")
    reply = await api.ok(
        "sendMessage",
        chat_id=CITIZEN,
        text="answer",
        reply_parameters={"message_id": asked["message_id"]},
    )
    assert reply["reply_to_message"]["text"] == "question"
    _status, body = await api.call(
        "sendMessage", chat_id=CITIZEN, text="x", reply_parameters={"message_id": 77}
    )
    assert body["description"] == "Bad Request: message to be replied not found"


async def test_chat_actions_are_checked_and_shown(api: Api) -> None:
    assert await api.ok("sendChatAction", chat_id=CITIZEN, action="typing") is True
    assert (await api.chat())["chat_action"] == "typing"
    await api.ok("sendMessage", chat_id=CITIZEN, text="done")
    assert (await api.chat())["chat_action"] is None
    _status, body = await api.call("sendChatAction", chat_id=CITIZEN, action="dancing")
    assert body["description"] == "Bad Request: wrong parameter action in request"


async def test_commands_are_kept_per_scope_and_language(api: Api) -> None:
    ru = [{"command": "start", "description": "Начать"}]
    default = [{"command": "start", "description": "Start"}]
    await api.ok("setMyCommands", commands=ru, language_code="ru")
    await api.ok("setMyCommands", commands=default)
    assert await api.ok("getMyCommands", language_code="ru") == ru
    assert await api.ok("getMyCommands") == default
    assert await api.ok("getMyCommands", scope={"type": "all_private_chats"}) == []
    await api.ok("deleteMyCommands", language_code="ru")
    assert await api.ok("getMyCommands", language_code="ru") == []
    status, _ = await api.call(
        "setMyCommands", commands=[{"command": "Start", "description": "x"}]
    )
    assert status == 400  # commands are lower case


async def test_copy_message_sends_the_same_content(api: Api) -> None:
    _status, sent = await api.control("photo", user_id=CITIZEN, caption="evidence")
    copied = await api.ok(
        "copyMessage", chat_id=CITIZEN, from_chat_id=CITIZEN, message_id=sent["message_id"]
    )
    messages = (await api.chat())["messages"]
    assert messages[-1]["message_id"] == copied["message_id"]
    assert messages[-1]["photo"]["file_id"] == messages[0]["photo"]["file_id"]
    assert (messages[-1]["from"], messages[-1]["caption"]) == ("bot", "evidence")


# --- Updates -----------------------------------------------------------------------------------


async def test_get_updates_long_polls_until_a_user_writes(api: Api) -> None:
    poll = asyncio.create_task(api.call("getUpdates", timeout=10))
    await asyncio.sleep(0.2)
    assert not poll.done()
    sent = await api.send("/start@sandbox_42_bot hello")
    status, body = await within(poll)
    assert status == 200
    [update] = body["result"]
    assert update["update_id"] == sent["update_id"]
    message = update["message"]
    assert message["message_id"] == sent["message_id"]
    assert message["from"] == {
        "id": CITIZEN,
        "is_bot": False,
        "first_name": "Aigerim",
        "language_code": "ru",
    }
    assert message["chat"] == {"id": CITIZEN, "type": "private", "first_name": "Aigerim"}
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 21}]
    assert isinstance(message["date"], int)


async def test_get_updates_without_timeout_answers_at_once(api: Api) -> None:
    started = time.monotonic()
    assert await api.ok("getUpdates") == []
    assert time.monotonic() - started < 1


async def test_offset_confirms_earlier_updates_and_limit_caps(api: Api) -> None:
    ids = [(await api.send(f"m{i}"))["update_id"] for i in range(3)]
    assert [u["update_id"] for u in await api.ok("getUpdates", limit=2)] == ids[:2]
    # Without a higher offset nothing is confirmed.
    assert [u["update_id"] for u in await api.ok("getUpdates")] == ids
    assert [u["update_id"] for u in await api.ok("getUpdates", offset=ids[1] + 1)] == ids[2:]
    assert await api.ok("getUpdates", offset=ids[2] + 1) == []
    ids += [(await api.send(f"n{i}"))["update_id"] for i in range(3)]
    assert [u["update_id"] for u in await api.ok("getUpdates", offset=-1)] == ids[-1:]


async def test_allowed_updates_filters_what_is_queued(api: Api) -> None:
    await api.ok("getUpdates", allowed_updates=["callback_query"])
    await api.send("ignored")
    assert await api.ok("getUpdates") == []


async def test_a_second_get_updates_ends_the_first_with_a_conflict(api: Api) -> None:
    first = asyncio.create_task(api.call("getUpdates", timeout=10))
    await asyncio.sleep(0.1)
    assert await api.ok("getUpdates") == []
    status, body = await within(first)
    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")


async def test_a_click_becomes_a_callback_query_with_the_full_message(api: Api) -> None:
    sent = await api.ok("sendMessage", chat_id=CITIZEN, text="Agree?", reply_markup=INLINE)
    status, clicked = await api.control(
        "click", user_id=CITIZEN, message_id=sent["message_id"], data="yes"
    )
    assert status == 200
    [update] = await api.ok("getUpdates")
    query = update["callback_query"]
    assert update["update_id"] == clicked["update_id"]
    assert query["id"] == clicked["callback_query_id"]
    assert (query["data"], query["from"]["id"]) == ("yes", CITIZEN)
    assert query["message"] == sent
    assert isinstance(query["chat_instance"], str)


@pytest.mark.parametrize(("message_id", "data"), [(1, "no"), (2, "yes"), (99, "yes")])
async def test_a_person_can_only_click_what_exists(api: Api, message_id: int, data: str) -> None:
    await api.ok("sendMessage", chat_id=CITIZEN, text="Agree?", reply_markup=INLINE)
    await api.ok("sendMessage", chat_id=CITIZEN, text="no keyboard")
    status, body = await api.control("click", user_id=CITIZEN, message_id=message_id, data=data)
    assert status == 400
    assert body["ok"] is False and body["error"]
    assert api.sandbox.updates == []


async def test_a_callback_query_can_be_answered_once(api: Api) -> None:
    sent = await api.ok("sendMessage", chat_id=CITIZEN, text="Agree?", reply_markup=INLINE)
    _, clicked = await api.control("click", message_id=sent["message_id"], data="yes")
    query_id = clicked["callback_query_id"]
    assert await api.ok("answerCallbackQuery", callback_query_id=query_id, text="Saved") is True
    status, body = await api.call("answerCallbackQuery", callback_query_id=query_id)
    assert (status, body["description"]) == (
        400,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    )
    status, _ = await api.call("answerCallbackQuery", callback_query_id="12345")
    assert status == 400
    assert [a["text"] for a in (await api.chat())["callback_answers"]] == ["Saved"]


async def test_a_contact_is_the_users_own(api: Api) -> None:
    await api.control("users", user_id=3003, first_name="Dana", language_code="kk")
    status, _sent = await api.control("contact", user_id=3003, phone="77011234567")
    assert status == 200
    [update] = await api.ok("getUpdates")
    message = update["message"]
    assert message["contact"] == {
        "phone_number": "77011234567",
        "first_name": "Dana",
        "user_id": 3003,
    }
    assert message["from"]["language_code"] == "kk"
    assert (await api.chat(3003))["messages"][0]["contact"]["user_id"] == 3003


async def test_a_sticker_and_a_document_from_the_user(api: Api) -> None:
    await api.control("sticker", user_id=CITIZEN)
    status, _ = await api.control(
        "document",
        user_id=CITIZEN,
        file_name="claim.pdf",
        mime_type="application/pdf",
        data_base64=base64.b64encode(b"%PDF-1.7").decode(),
        caption="my claim",
    )
    assert status == 200
    sticker, document = (u["message"] for u in await api.ok("getUpdates"))
    assert sticker["sticker"]["type"] == "regular"
    assert document["document"]["file_name"] == "claim.pdf"
    assert document["document"]["mime_type"] == "application/pdf"
    assert (document["document"]["file_size"], document["caption"]) == (8, "my claim")


async def test_control_api_rejects_what_is_malformed(api: Api) -> None:
    assert (await api.control("send", user_id=CITIZEN))[0] == 400  # no text
    assert (await api.control("send", user_id="x", text="hi"))[0] == 400
    assert (await api.control("users", user_id=5, first_name="A", role="judge"))[0] == 400
    assert (await api.control("document", file_name="a", mime_type="b", data_base64="!"))[0] == 400
    async with api.client.post("/api/sandbox/send", data="not json") as response:
        assert response.status == 400


async def test_users_are_listed_with_the_default_citizen(api: Api) -> None:
    await api.control("users", user_id=4004, first_name="Yerlan", role="representative")
    users = {u["user_id"]: u for u in (await api.get("users"))["users"]}
    assert users[CITIZEN]["first_name"] == "Aigerim"
    assert users[4004]["role"] == "representative"
    await api.control("users", user_id=4004, first_name="Yerlan B.")
    users = {u["user_id"]: u for u in (await api.get("users"))["users"]}
    assert (users[4004]["first_name"], users[4004]["role"]) == ("Yerlan B.", "representative")


# --- Long polls, logs, reset, faults -----------------------------------------------------------


async def test_the_chat_long_poll_returns_when_the_bot_writes(api: Api) -> None:
    await api.send("/start")
    poll = asyncio.create_task(api.chat(after=0, timeout=10))
    await asyncio.sleep(0.2)
    assert not poll.done()
    await api.ok("sendMessage", chat_id=CITIZEN, text="Welcome")
    chat = await within(poll)
    assert [m["text"] for m in chat["messages"]] == ["/start", "Welcome"]
    # An edit also ends the poll.
    poll = asyncio.create_task(api.chat(after=2, timeout=10))
    await asyncio.sleep(0.1)
    await api.ok("editMessageText", chat_id=CITIZEN, message_id=2, text="Welcome!")
    assert (await within(poll))["messages"][1]["edit_date"] is not None


async def test_the_chat_long_poll_gives_up_after_its_timeout(api: Api) -> None:
    started = time.monotonic()
    chat = await within(api.chat(after=0, timeout=0.3))
    assert 0.25 < time.monotonic() - started < 3
    assert chat["messages"] == []


async def test_requests_are_logged_without_file_bytes(api: Api) -> None:
    await api.ok("getMe")
    form = FormData()
    form.add_field("chat_id", str(CITIZEN))
    form.add_field("document", "attach://f1")
    form.add_field("f1", b"secret bytes", filename="notes.txt")
    async with api.client.post(f"{BOT}/sendDocument", data=form) as response:
        assert response.status == 200
    log = await api.get("requests", method="senddocument")
    assert log["count"] == 1
    [entry] = log["requests"]
    assert entry["method"] == "sendDocument"
    assert entry["params"]["f1"] == {"file_name": "notes.txt", "size": 12}
    assert entry["error_code"] is None
    assert (await api.get("requests"))["count"] == 2


async def test_reset_clears_the_world_but_keeps_users_and_update_ids_growing(api: Api) -> None:
    await api.control("users", user_id=2002, first_name="Bolat")
    first = await api.send("/start")
    await api.call("sendMessage", chat_id=CITIZEN, text="x" * 5000)  # a violation
    await api.control("faults", method="getMe", kind="500")
    assert (await api.control("reset"))[0] == 200
    assert (await api.chat())["messages"] == []
    assert (await api.get("violations")) == {
        "count": 0,
        "violations": [],
        "unsupported": 0,
        "faults_served": 0,
    }
    assert (await api.get("faults"))["faults"] == []
    assert await api.ok("getUpdates") == []
    await api.ok("getMe")  # the fault is gone
    assert 2002 in {u["user_id"] for u in (await api.get("users"))["users"]}
    assert (await api.send("/start"))["update_id"] > first["update_id"]


async def test_faults_are_served_the_given_number_of_times(api: Api) -> None:
    status, _ = await api.control(
        "faults", method="sendmessage", kind="429", count=2, retry_after=7
    )
    assert status == 200
    for _ in range(2):
        status, body = await api.call("sendMessage", chat_id=CITIZEN, text="hi")
        assert status == 429
        assert body == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7},
        }
    await api.ok("getMe")  # other methods are untouched
    await api.ok("sendMessage", chat_id=CITIZEN, text="hi")
    report = await api.get("violations")
    assert (report["faults_served"], report["count"]) == (2, 0)


@pytest.mark.parametrize(
    ("kind", "description"), [("500", "Internal Server Error"), ("502", "Bad Gateway")]
)
async def test_server_error_faults(api: Api, kind: str, description: str) -> None:
    await api.control("faults", kind=kind)  # method "*"
    status, body = await api.call("getMe")
    assert (status, body["description"]) == (int(kind), description)


async def test_faults_can_be_cleared_and_are_checked(api: Api) -> None:
    await api.control("faults", method="*", kind="500", count=5)
    async with api.client.delete("/api/sandbox/faults") as response:
        assert response.status == 200
    await api.ok("getMe")
    assert (await api.control("faults", kind="teapot"))[0] == 400
    assert (await api.control("faults", method="sendMesage", kind="500"))[0] == 400


async def test_a_drop_fault_closes_the_connection_without_an_answer(api: Api) -> None:
    api.sandbox.add_fault("getMe", "drop")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.call("getMe")
    await api.ok("getMe")
    assert api.sandbox.faults_served == 1


async def test_an_invalid_request_is_refused_before_a_fault_is_used(api: Api) -> None:
    api.sandbox.add_fault("sendMessage", "429")
    status, _ = await api.call("sendMessage", chat_id=CITIZEN)  # no text
    assert status == 400
    status, _ = await api.call("sendMessage", chat_id=CITIZEN, text="hi")
    assert status == 429


# --- Webhook settings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://bot.example.kz/hook", "An HTTPS URL must be provided for webhook"),
        ("https://bot.example.kz:5000/hook", "Webhook can be set up only on ports"),
        ("ftp://bot.example.kz/hook", "Unsupported URL protocol"),
    ],
)
async def test_webhook_urls_follow_telegram_except_on_loopback(
    api: Api, url: str, error: str
) -> None:
    status, body = await api.call("setWebhook", url=url)
    assert status == 400
    assert error in body["description"]
    assert await api.ok("setWebhook", url="https://bot.example.kz:8443/hook") is True
    assert await api.ok("setWebhook", url="http://127.0.0.1:5555/hook") is True
    assert await api.ok("setWebhook", url="http://localhost:1/x") is True


async def test_webhook_info_and_get_updates_conflict(api: Api) -> None:
    await api.send("queued")
    await api.ok("setWebhook", url="https://bot.example.kz/hook", secret_token="s3cret")
    info = await api.ok("getWebhookInfo")
    assert info["url"] == "https://bot.example.kz/hook"
    assert info["has_custom_certificate"] is False
    status, body = await api.call("getUpdates")
    assert status == 409
    assert body["description"] == (
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first"
    )
    await api.ok("deleteWebhook", drop_pending_updates=True)
    assert await api.ok("getWebhookInfo") == {
        "url": "",
        "has_custom_certificate": False,
        "pending_update_count": 0,
    }
    assert await api.ok("getUpdates") == []


# --- Serving -----------------------------------------------------------------------------------


async def test_start_sandbox_serves_on_a_free_port() -> None:
    sandbox, runner, port = await start_sandbox()
    try:
        assert port > 0
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}{BOT}/getMe") as response,
        ):
            assert (await response.json())["result"]["id"] == 42
        assert [r["method"] for r in sandbox.requests] == ["getMe"]
    finally:
        await runner.cleanup()


async def test_cleanup_ends_a_pending_long_poll_at_once() -> None:
    _sandbox, runner, port = await start_sandbox()
    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{port}{BOT}/getUpdates"
        poll = asyncio.create_task(session.post(url, json={"timeout": 30}))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await runner.cleanup()
        async with await within(poll) as response:
            assert (await response.json())["result"] == []
    assert time.monotonic() - started < 3


async def test_the_page_is_served_when_present(tmp_path: Path) -> None:
    sandbox = Sandbox(static_dir=tmp_path / "static")
    async with TestClient(TestServer(sandbox.app())) as client:
        async with client.get("/") as response:
            assert "sandbox" in await response.text()
        (tmp_path / "static").mkdir()
        (tmp_path / "static" / "index.html").write_text("<h1>chat</h1>")
        (tmp_path / "static" / "app.js").write_text("1;")
        (tmp_path / "secret.txt").write_text("no")
        async with client.get("/") as response:
            assert await response.text() == "<h1>chat</h1>"
        async with client.get("/static/app.js") as response:
            assert await response.text() == "1;"
        async with client.get("/static/..%2Fsecret.txt") as response:
            assert response.status == 404


async def test_python_m_sandbox_prints_its_address_and_stops_on_sigint() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox",
        "--port",
        "0",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        line = (await within(process.stdout.readline(), 30)).decode()
        address = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert address, line
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{address.group(0)}{BOT}/getMe") as response,
        ):
            assert response.status == 200
        process.send_signal(signal.SIGINT)
        await within(process.communicate(), 10)
        assert process.returncode == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.communicate()
