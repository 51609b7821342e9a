"""A local stand-in for the Telegram Bot API, and a control API to play the bot's users.

An unmodified bot talks to it over HTTP (aiogram:
``AiohttpSession(api=TelegramAPIServer.from_base("http://127.0.0.1:PORT"))``):

* ``POST /bot<token>/<method>`` answers like Telegram, with JSON bodies, urlencoded or
  multipart forms, or query strings. Every request is checked against the Bot API spec
  (``sandbox/spec.py``) and the checks Telegram makes itself (chat exists, message to edit
  exists and changed, callback query answered once, HTML parses, ...); each refusal is
  recorded in ``Sandbox.violations``. ``GET /file/bot<token>/<path>`` downloads files.
* ``/api/sandbox/...`` (JSON) lets a test or the chat page in ``sandbox/static/`` act as users,
  read chats, inject faults and inspect the logs.
* With a webhook set, a background task POSTs updates to it and executes a method the bot
  returns in the response body.

Deliberate differences from Telegram: plain-HTTP webhooks on any loopback port; one bot world
per sandbox (any token works, updates are not partitioned by token); private chats only;
Markdown parse modes are not parsed (HTML is); a photo has one size; voice and video clips
last one second; files cannot be sent by URL; inline-message edits are not supported.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import copy
import ipaddress
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from sandbox.spec import BotApiSpec, UploadedFile
from sandbox.state import (
    JSON,
    ApiError,
    Chat,
    ControlError,
    EntityParseError,
    Fault,
    SandboxState,
    StoredFile,
    StoredMessage,
    Webhook,
    bad_request,
    bot_user,
    parse_html,
    placeholder_png,
    prune,
)

__all__ = ["SANDBOX", "Sandbox", "start_sandbox"]

log = logging.getLogger("sandbox")

_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")
_INTEGER = re.compile(r"-?\d+")
_MAX_UPLOAD = 50 * 1024 * 1024  # Telegram's limit for files a bot sends
_MAX_DOWNLOAD = 20 * 1024 * 1024  # ... and for files a bot downloads
_MAX_TEXT = 4096
_MAX_CAPTION = 1024
_MAX_CHAT_POLL = 30.0
_STATIC_DIR = Path(__file__).with_name("static")
_WEBHOOK_PORTS = (80, 88, 443, 8443)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_MEDIA_METHODS = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendVoice": "voice",
    "sendVideo": "video",
    "sendSticker": "sticker",
}
_CAPTIONED = ("photo", "document", "voice", "video")
_COPIED = ("text", "entities", "caption", "caption_entities", "contact", *_MEDIA_METHODS.values())

_UNAUTHORIZED = ApiError(401, "Unauthorized")
_NOT_FOUND = ApiError(404, "Not Found")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


class Unsupported(Exception):
    """A valid request for something the sandbox does not simulate (not the bot's fault)."""


class _FaultError(ApiError):
    """An injected 429/500/502 answer, which is not a violation by the bot."""


class _Dropped(Exception):
    """An injected fault: close the connection without answering."""


def _error_response(error: ApiError) -> web.Response:
    """Answer with Telegram's error body and status."""
    return web.json_response(error.body(), status=error.code)


# --- Reading requests -------------------------------------------------------------------------


async def _read_multipart(reader: aiohttp.MultipartReader) -> dict[str, object]:
    """Read form fields as strings and file parts as ``UploadedFile``."""
    params: dict[str, object] = {}
    while (part := await reader.next()) is not None:
        if not isinstance(part, aiohttp.BodyPartReader) or not part.name:
            continue  # Bot API clients never nest multiparts
        if part.filename is not None:
            params[part.name] = UploadedFile(part.filename, bytes(await part.read(decode=True)))
        else:
            params[part.name] = await part.text()
    return params


async def _read_params(request: web.Request) -> dict[str, object]:
    """Collect a Bot API request's parameters from its query string and body."""
    params: dict[str, object] = dict(request.query)
    if not request.body_exists:
        return params
    if (request.content_length or 0) > _MAX_UPLOAD:
        raise ApiError(413, "Request Entity Too Large")
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise bad_request("can't parse request body as a JSON object")
        params.update(body)
    elif content_type == "multipart/form-data":
        params.update(await _read_multipart(await request.multipart()))
    else:
        params.update(await request.post())  # application/x-www-form-urlencoded
    return params


def _loggable(params: Mapping[str, object]) -> JSON:
    """Return request parameters with uploads summarised instead of their bytes."""
    return {
        key: {"file_name": value.name, "size": len(value.data)}
        if isinstance(value, UploadedFile)
        else value
        for key, value in params.items()
    }


class Params:
    """A validated request's parameters, read by type whatever the wire encoding was."""

    def __init__(self, raw: Mapping[str, object]) -> None:
        """Wrap parameters that passed ``BotApiSpec.validate``."""
        self.raw = raw

    def __contains__(self, name: str) -> bool:
        """Tell whether a parameter was given (a null counts as missing, as on Telegram)."""
        return self.raw.get(name) is not None

    def text(self, name: str) -> str | None:
        """Return a String parameter."""
        value = self.raw.get(name)
        return value if isinstance(value, str) else None

    def integer(self, name: str) -> int | None:
        """Return an Integer parameter, sent as a number or as form text."""
        value = self.raw.get(name)
        if isinstance(value, (int, str)) and not isinstance(value, bool):
            return int(value)
        return None

    def flag(self, name: str) -> bool:
        """Return a Boolean parameter, false when missing."""
        return self.raw.get(name) in (True, "true")

    def obj(self, name: str) -> Any:
        """Return an object or array parameter; form data carries it as JSON text."""
        value = self.raw.get(name)
        return json.loads(value) if isinstance(value, str) else value

    def chat_id(self, name: str = "chat_id") -> int | str | None:
        """Return a chat id: an integer, or a string such as ``@channel``."""
        value = self.raw.get(name)
        if isinstance(value, str):
            return int(value) if _INTEGER.fullmatch(value) else value
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def upload(self, name: str) -> UploadedFile | str | None:
        """Return an InputFile parameter: an upload (direct or attach://) or a file_id/URL."""
        value = self.raw.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = self.raw.get(value.removeprefix("attach://"))
        return value if isinstance(value, (str, UploadedFile)) else None


# --- Bot API methods --------------------------------------------------------------------------


@dataclass
class Call:
    """One Bot API request being executed."""

    sandbox: Sandbox
    method: str
    params: Params
    bot_id: int


_Handler = Callable[[Call], Awaitable[Any]]
_HANDLERS: dict[str, _Handler] = {}


def _bot_method(*names: str) -> Callable[[_Handler], _Handler]:
    """Register a coroutine as the implementation of Bot API methods."""

    def register(handler: _Handler) -> _Handler:
        for name in names:
            _HANDLERS[name] = handler
        return handler

    return register


def _chat(call: Call, name: str = "chat_id") -> Chat:
    """Return the chat a request addresses."""
    return call.sandbox.bot_chat(call.params.chat_id(name))


def _formatted(params: Params, text_key: str, entities_key: str) -> tuple[str | None, list[JSON]]:
    """Return a text or caption and its entities, parsing parse_mode=HTML like Telegram."""
    text = params.text(text_key)
    if text is None:
        return None, []
    if entities_key in params:  # explicit entities win over parse_mode
        return text, prune(params.obj(entities_key))
    if params.text("parse_mode") == "HTML":
        try:
            return parse_html(text)
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
    # Markdown and MarkdownV2 are not parsed: the text is kept as sent.
    return text, []


def _text_content(params: Params) -> JSON:
    """Return the Message fields of a bot's text."""
    text, entities = _formatted(params, "text", "entities")
    if text is None or not text.strip():
        raise bad_request("message text is empty")
    if len(text) > _MAX_TEXT:
        raise bad_request("message is too long")
    return {"text": text, "entities": entities} if entities else {"text": text}


def _add_caption(params: Params, content: JSON) -> None:
    """Add a bot's caption and its entities to a media message's fields."""
    caption, entities = _formatted(params, "caption", "caption_entities")
    if caption:
        if len(caption) > _MAX_CAPTION:
            raise bad_request("message caption is too long")
        content["caption"] = caption
        if entities:
            content["caption_entities"] = entities


def _replied(chat: Chat, reply: JSON) -> JSON | None:
    """Return the message a bot replies to, as the reply_to_message field shows it."""
    message = chat.messages.get(int(reply["message_id"]))
    if message is None:
        if reply.get("allow_sending_without_reply") in (True, "true"):
            return None
        raise bad_request("message to be replied not found")
    data = copy.deepcopy(message.data)
    data.pop("reply_to_message", None)  # Telegram nests replies one level deep only
    return data


def _post(call: Call, chat: Chat, content: JSON) -> StoredMessage:
    """Add the bot's message to a chat, with its reply_parameters and reply_markup."""
    params = call.params
    reply = params.obj("reply_parameters") if "reply_parameters" in params else None
    if reply and (replied := _replied(chat, reply)):
        content = {"reply_to_message": replied, **content}
    message = chat.add(bot_user(call.bot_id), content, from_bot=True)
    markup = prune(params.obj("reply_markup")) if "reply_markup" in params else None
    if markup and "inline_keyboard" in markup:
        message.set_inline_markup(markup)
    chat.apply_reply_markup(markup)
    return message


def _input_file(call: Call, kind: str) -> StoredFile:
    """Return the file a send* request carries: a new upload or a known file_id."""
    value = call.params.upload(kind)
    if isinstance(value, UploadedFile):
        if not value.data:
            raise bad_request("file must be non-empty")
        return call.sandbox.store_file(kind, value.data, file_name=value.name or None)
    if not value:
        raise bad_request(f"there is no {kind} in the request")
    if value.startswith(("http://", "https://")):
        raise Unsupported("sending files by URL is not supported by the sandbox")
    stored = call.sandbox.files.get(value)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    if stored.kind != kind:
        raise bad_request(f"can't use file of type {stored.kind.title()} as {kind.title()}")
    return stored


def _editable(call: Call) -> tuple[Chat, StoredMessage]:
    """Return the bot message an edit request addresses."""
    if "inline_message_id" in call.params:
        raise Unsupported("inline messages are not supported by the sandbox")
    chat = _chat(call)
    message = chat.messages.get(call.params.integer("message_id") or 0)
    if message is None:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return chat, message


def _new_inline_markup(params: Params) -> JSON | None:
    """Return the inline keyboard an edit sets; leaving it out removes the keyboard."""
    markup = prune(params.obj("reply_markup")) if "reply_markup" in params else None
    return markup if markup and markup.get("inline_keyboard") else None


def _commit_edit(chat: Chat, message: StoredMessage, changes: JSON, markup: JSON | None) -> JSON:
    """Apply an edit, refusing one that changes nothing as Telegram does."""
    data = message.data
    if all(data.get(key) == value for key, value in changes.items()) and (
        message.inline_markup == markup
    ):
        raise bad_request(_NOT_MODIFIED)
    for key, value in changes.items():
        if value:
            data[key] = value
        else:
            data.pop(key, None)
    message.set_inline_markup(markup)
    data["edit_date"] = int(time.time())
    chat.edits += 1
    return data


@_bot_method("getMe")
async def _get_me(call: Call) -> JSON:
    """Describe the bot; its id is the number before the token's colon."""
    return {
        **bot_user(call.bot_id),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@_bot_method("getUpdates")
async def _get_updates(call: Call) -> list[JSON]:
    """Return pending updates, long polling up to ``timeout`` seconds for the first one."""
    sandbox, params = call.sandbox, call.params
    if sandbox.webhook is not None:
        raise ApiError(409, _WEBHOOK_CONFLICT)
    # A newer getUpdates ends an older one still waiting, as when two bot instances run.
    sandbox.poll_generation += 1
    generation = sandbox.poll_generation
    await sandbox.notify()
    if "allowed_updates" in params:
        sandbox.allowed_updates = params.obj("allowed_updates")
    if (offset := params.integer("offset")) is not None:
        sandbox.confirm(offset)
    limit = min(max(params.integer("limit") or 100, 1), 100)
    await sandbox.wait_for(
        lambda: (
            bool(sandbox.updates)
            or sandbox.webhook is not None
            or sandbox.poll_generation != generation
        ),
        max(params.integer("timeout") or 0, 0),
    )
    if sandbox.poll_generation != generation:
        raise ApiError(409, _POLL_CONFLICT)
    handed = [] if sandbox.webhook is not None else sandbox.updates[:limit]
    if handed:
        sandbox.observe("handed", {"updates": handed, "time": time.time()})
    return handed


def _is_loopback(host: str) -> bool:
    """Tell whether a webhook host is this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_webhook_url(url: str) -> None:
    """Refuse webhook URLs Telegram refuses, except plain HTTP on loopback (see below)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise bad_request("bad webhook: Unsupported URL protocol")
    if not parts.hostname:
        raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise bad_request("bad webhook: Wrong port number specified in the URL") from None
    # Deviation on purpose: Telegram wants HTTPS on port 443, 80, 88 or 8443. A bot under test
    # listens on plain HTTP on some free local port, so loopback URLs may use either; any
    # other host still gets Telegram's rules, so a production URL that Telegram would refuse
    # fails here too.
    if _is_loopback(parts.hostname):
        return
    if parts.scheme != "https":
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if port not in _WEBHOOK_PORTS:
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")


@_bot_method("setWebhook")
async def _set_webhook(call: Call) -> bool:
    """Set (or, with an empty url, remove) the webhook the sandbox delivers updates to."""
    sandbox, params = call.sandbox, call.params
    url = params.text("url") or ""
    if url:
        _check_webhook_url(url)
    if params.flag("drop_pending_updates"):
        sandbox.updates.clear()
    if "allowed_updates" in params:
        sandbox.allowed_updates = params.obj("allowed_updates")
    sandbox.webhook = (
        Webhook(
            url=url,
            bot_id=call.bot_id,
            secret_token=params.text("secret_token") or None,
            max_connections=params.integer("max_connections") or 40,
            ip_address=params.text("ip_address"),
        )
        if url
        else None
    )
    return True


@_bot_method("deleteWebhook")
async def _delete_webhook(call: Call) -> bool:
    """Remove the webhook, so getUpdates works again."""
    if call.params.flag("drop_pending_updates"):
        call.sandbox.updates.clear()
    call.sandbox.webhook = None
    return True


@_bot_method("getWebhookInfo")
async def _get_webhook_info(call: Call) -> JSON:
    """Describe the webhook and how many updates wait for it."""
    sandbox = call.sandbox
    pending = len(sandbox.updates)
    if sandbox.webhook is None:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": pending}
    return sandbox.webhook.info(pending, sandbox.allowed_updates)


@_bot_method("sendMessage")
async def _send_message(call: Call) -> JSON:
    """Send a text message."""
    chat = _chat(call)
    return _post(call, chat, _text_content(call.params)).data


@_bot_method(*_MEDIA_METHODS)
async def _send_media(call: Call) -> JSON:
    """Send a photo, document, voice message, video or sticker."""
    kind = _MEDIA_METHODS[call.method]
    chat = _chat(call)
    content = _input_file(call, kind).content()
    if kind != "sticker":
        _add_caption(call.params, content)
    return _post(call, chat, content).data


@_bot_method("copyMessage")
async def _copy_message(call: Call) -> JSON:
    """Send a copy of a message, optionally with a new caption."""
    source = _chat(call, "from_chat_id").messages.get(call.params.integer("message_id") or 0)
    if source is None:
        raise bad_request("message to copy not found")
    chat = _chat(call)
    content = {key: copy.deepcopy(source.data[key]) for key in _COPIED if key in source.data}
    if "caption" in call.params and any(kind in content for kind in _CAPTIONED):
        content.pop("caption", None)
        content.pop("caption_entities", None)
        _add_caption(call.params, content)
    return {"message_id": _post(call, chat, content).message_id}


@_bot_method("editMessageText")
async def _edit_message_text(call: Call) -> JSON:
    """Replace a bot message's text (and its inline keyboard, removed if not given)."""
    chat, message = _editable(call)
    if "text" not in message.data:
        raise bad_request("there is no text in the message to edit")
    content = _text_content(call.params)
    changes = {"text": content["text"], "entities": content.get("entities")}
    return _commit_edit(chat, message, changes, _new_inline_markup(call.params))


@_bot_method("editMessageCaption")
async def _edit_message_caption(call: Call) -> JSON:
    """Replace a bot media message's caption (and its inline keyboard)."""
    chat, message = _editable(call)
    if not any(kind in message.data for kind in _CAPTIONED):
        raise bad_request("there is no caption in the message to edit")
    content: JSON = {}
    _add_caption(call.params, content)
    changes = {key: content.get(key) for key in ("caption", "caption_entities")}
    return _commit_edit(chat, message, changes, _new_inline_markup(call.params))


@_bot_method("editMessageReplyMarkup")
async def _edit_message_reply_markup(call: Call) -> JSON:
    """Replace (or, without reply_markup, remove) a bot message's inline keyboard."""
    chat, message = _editable(call)
    return _commit_edit(chat, message, {}, _new_inline_markup(call.params))


@_bot_method("deleteMessage")
async def _delete_message(call: Call) -> bool:
    """Delete a message; in private chats a bot may delete the user's messages too."""
    chat = _chat(call)
    if chat.messages.pop(call.params.integer("message_id") or 0, None) is None:
        raise bad_request("message to delete not found")
    chat.edits += 1
    return True


@_bot_method("deleteMessages")
async def _delete_messages(call: Call) -> bool:
    """Delete several messages, skipping those that don't exist (as Telegram does)."""
    chat = _chat(call)
    for message_id in call.params.obj("message_ids"):
        if chat.messages.pop(int(message_id), None) is not None:
            chat.edits += 1
    return True


@_bot_method("answerCallbackQuery")
async def _answer_callback_query(call: Call) -> bool:
    """Answer a button press; each callback query can be answered once."""
    sandbox, params = call.sandbox, call.params
    record = sandbox.callback_queries.get(params.text("callback_query_id") or "")
    if record is None or record.answered:
        raise bad_request(_QUERY_INVALID)
    record.answered = True
    if chat := sandbox.chats.get(record.chat_id):
        chat.callback_answers.append(
            {
                "message_id": record.message_id,
                "text": params.text("text"),
                "show_alert": params.flag("show_alert"),
                "url": params.text("url"),
                "time": time.time(),
            }
        )
        chat.edits += 1  # the chat page shows the answer, so wake its long poll
    return True


@_bot_method("sendChatAction")
async def _send_chat_action(call: Call) -> bool:
    """Show "typing..." and the like until the bot's next message or five seconds pass."""
    chat = _chat(call)
    action = call.params.text("action")
    if action not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat.action = (action, time.time())
    return True


@_bot_method("getFile")
async def _get_file(call: Call) -> JSON:
    """Describe a file and give the file_path to download it from."""
    stored = call.sandbox.files.get(call.params.text("file_id") or "")
    if stored is None:
        raise bad_request("invalid file_id")
    if len(stored.data) > _MAX_DOWNLOAD:
        raise bad_request("file is too big")
    return stored.telegram_file()


def _commands_key(params: Params) -> tuple[str, str]:
    """Return the (scope, language) a command list is stored under."""
    scope = prune(params.obj("scope")) if "scope" in params else {"type": "default"}
    # Only these fields identify a scope; numbers may arrive quoted inside JSON.
    key = {name: str(scope[name]) for name in ("type", "chat_id", "user_id") if name in scope}
    return json.dumps(key, sort_keys=True), params.text("language_code") or ""


@_bot_method("setMyCommands")
async def _set_my_commands(call: Call) -> bool:
    """Set the command menu for a scope and language (an empty list deletes it)."""
    key = _commands_key(call.params)
    commands = prune(call.params.obj("commands"))
    if commands:
        call.sandbox.commands[key] = commands
    else:
        call.sandbox.commands.pop(key, None)
    return True


@_bot_method("getMyCommands")
async def _get_my_commands(call: Call) -> list[JSON]:
    """Return the command menu of exactly this scope and language."""
    return call.sandbox.commands.get(_commands_key(call.params), [])


@_bot_method("deleteMyCommands")
async def _delete_my_commands(call: Call) -> bool:
    """Delete the command menu of a scope and language."""
    call.sandbox.commands.pop(_commands_key(call.params), None)
    return True


def _profile_methods(suffix: str, field: str) -> None:
    """Register setMy<suffix>/getMy<suffix>, which store one text per language."""

    @_bot_method(f"setMy{suffix}")
    async def set_text(call: Call) -> bool:
        """Store the text for a language; an empty text removes it."""
        key = (field, call.params.text("language_code") or "")
        if text := call.params.text(field):
            call.sandbox.profile[key] = text
        else:
            call.sandbox.profile.pop(key, None)
        return True

    @_bot_method(f"getMy{suffix}")
    async def get_text(call: Call) -> JSON:
        """Return the text for a language, falling back to the default one."""
        profile = call.sandbox.profile
        language = call.params.text("language_code") or ""
        default = "Sandbox Bot" if field == "name" else ""
        return {field: profile.get((field, language)) or profile.get((field, "")) or default}


_profile_methods("Name", "name")
_profile_methods("Description", "description")
_profile_methods("ShortDescription", "short_description")


@_bot_method("setChatMenuButton")
async def _set_chat_menu_button(call: Call) -> bool:
    """Set the menu button of one chat, or the default one."""
    button = prune(call.params.obj("menu_button")) if "menu_button" in call.params else None
    call.sandbox.menu_buttons[call.params.integer("chat_id")] = button or {"type": "default"}
    return True


@_bot_method("getChatMenuButton")
async def _get_chat_menu_button(call: Call) -> JSON:
    """Return the menu button of one chat, or the default one."""
    buttons = call.sandbox.menu_buttons
    return buttons.get(call.params.integer("chat_id")) or buttons.get(None) or {"type": "commands"}


# --- The sandbox ------------------------------------------------------------------------------


class Sandbox(SandboxState):
    """The Bot API stand-in: the simulated Telegram state plus the HTTP app that serves it."""

    def __init__(
        self,
        *,
        spec: BotApiSpec | None = None,
        static_dir: Path | None = None,
        webhook_retry_delays: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0),
        webhook_timeout: float = 30.0,
        webhook_concurrency: int = 1,
        first_update_id: int = 1,
    ) -> None:
        """Create an empty sandbox; webhook deliveries are retried after each delay in turn.

        ``webhook_concurrency`` updates of different chats may be in flight to the webhook at
        once, as Telegram opens up to max_connections; one chat's updates still go one at a
        time, in order. One (the default) keeps delivery strictly sequential.
        ``first_update_id``: where update ids start (Telegram never reuses one).
        """
        super().__init__(first_update_id)
        if webhook_concurrency < 1:
            raise ValueError("webhook_concurrency must be at least 1")
        self.spec = spec or BotApiSpec.load()
        self.static_dir = static_dir or _STATIC_DIR
        self.webhook_retry_delays = webhook_retry_delays
        self.webhook_timeout = webhook_timeout
        self.webhook_concurrency = webhook_concurrency
        self.poll_generation = 0
        self._client: aiohttp.ClientSession | None = None
        self._worker: asyncio.Task[None] | None = None

    def app(self) -> web.Application:
        """Build the aiohttp application: Bot API, file downloads, control API, chat page."""
        app = web.Application(client_max_size=_MAX_UPLOAD, middlewares=[_control_middleware])
        app[SANDBOX] = self
        app.router.add_route("*", "/bot{token}/{method}", self._handle_bot_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_download)
        app.add_routes(_control)
        app.on_startup.append(self._start_webhook_worker)
        app.on_shutdown.append(self._shut_down)
        return app

    async def execute(
        self,
        method: str,
        params: Mapping[str, object],
        *,
        bot_id: int,
        via: str = "http",
        faults: bool = False,
    ) -> JSON:
        """Run one Bot API request as Telegram would and return the response body."""
        name = self.spec.canonical_method(method) or method
        entry: JSON = {"method": name, "params": _loggable(params), "via": via}
        entry.update(time=time.time(), error_code=None)
        self.requests.append(entry)
        try:
            body = await self._run(name, params, bot_id=bot_id, entry=entry, faults=faults)
        except Unsupported as exc:
            self.unsupported += 1
            log.info("unsupported: %s", exc)
            body = bad_request(str(exc)).body()
        except _FaultError as exc:
            body = exc.body()
        except ApiError as exc:
            self.record_violation(name, exc)
            body = exc.body()
        finally:
            await self.notify()
        entry["error_code"] = body.get("error_code")
        self.observe("request", entry)
        return body

    async def _run(
        self,
        method: str,
        params: Mapping[str, object],
        *,
        bot_id: int,
        entry: JSON,
        faults: bool,
    ) -> JSON:
        """Validate, apply a pending fault if ``faults``, then execute one request."""
        if self.spec.canonical_method(method) is None:
            raise _NOT_FOUND
        # A request the bot got wrong is refused even when a fault is pending, so a fault
        # never hides a violation.
        if errors := self.spec.validate(method, params):
            raise bad_request(errors[0])
        if faults and (fault := self.take_fault(method)):
            entry["fault"] = fault.kind
            await _serve_fault(fault)
        handler = _HANDLERS.get(method)
        if handler is None:
            raise Unsupported(f"method {method} is not supported by the sandbox")
        return {"ok": True, "result": await handler(Call(self, method, Params(params), bot_id))}

    async def _handle_bot_api(self, request: web.Request) -> web.StreamResponse:
        """Serve ``/bot<token>/<method>``."""
        token = request.match_info["token"]
        if not _TOKEN.fullmatch(token):
            return _error_response(_UNAUTHORIZED)
        method = request.match_info["method"]
        try:
            params = await _read_params(request)
        except ApiError as exc:
            self.record_violation(method, exc)
            return _error_response(exc)
        bot_id = int(token.partition(":")[0])
        try:
            body = await self.execute(method, params, bot_id=bot_id, faults=True)
        except _Dropped:
            if request.transport is not None:
                request.transport.close()
            # The connection is gone, so this answer never reaches the bot.
            raise web.HTTPInternalServerError() from None
        return web.json_response(body, status=body.get("error_code", 200))

    async def _handle_download(self, request: web.Request) -> web.StreamResponse:
        """Serve ``/file/bot<token>/<file_path>``."""
        if not _TOKEN.fullmatch(request.match_info["token"]):
            return _error_response(_UNAUTHORIZED)
        stored = self.file_by_path(request.match_info["file_path"])
        if stored is None:
            return _error_response(_NOT_FOUND)
        return web.Response(body=stored.data, content_type=stored.mime_type)

    # Webhook delivery -------------------------------------------------------------------------

    async def _start_webhook_worker(self, app: web.Application) -> None:
        """Start posting updates to the webhook, whenever one is set."""
        timeout = aiohttp.ClientTimeout(total=self.webhook_timeout)
        self._client = aiohttp.ClientSession(timeout=timeout)
        self._worker = asyncio.create_task(self._deliver_updates())

    async def _shut_down(self, app: web.Application) -> None:
        """End long polls and webhook delivery so the server can stop at once."""
        self.closing = True
        await self.notify()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        if self._client is not None:
            await self._client.close()

    async def _deliver_updates(self) -> None:
        """Post pending updates to the webhook, oldest first, up to ``webhook_concurrency`` at
        once but never two of the same chat."""
        sending: dict[int, object] = {}  # update_id -> chat of the updates being delivered
        tasks: set[asyncio.Task[None]] = set()

        def next_update() -> JSON | None:
            if self.webhook is None:
                return None
            if len(sending) >= min(self.webhook_concurrency, self.webhook.max_connections):
                return None
            busy = set(sending.values())
            for update in self.updates:
                if update["update_id"] not in sending and _update_chat(update) not in busy:
                    return update
            return None

        async def deliver(webhook: Webhook, update: JSON) -> None:
            try:
                if await self._post_with_retries(webhook, update):
                    # The queue may have changed meanwhile (reset, drop_pending_updates).
                    self.updates = [u for u in self.updates if u is not update]
            finally:
                sending.pop(update["update_id"], None)
                await self.notify()

        try:
            while not self.closing:
                await self.wait_for(lambda: next_update() is not None, None)
                webhook, update = self.webhook, next_update()
                if self.closing or webhook is None or update is None:
                    continue
                sending[update["update_id"]] = _update_chat(update)
                task = asyncio.create_task(deliver(webhook, update))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _post_with_retries(self, webhook: Webhook, update: JSON) -> bool:
        """Deliver one update, retrying with backoff; False if the webhook changed meanwhile."""
        for delay in (*self.webhook_retry_delays, None):
            error = await self._post_update(webhook, update)
            if error is None:
                return True
            webhook.last_error_date = int(time.time())
            webhook.last_error_message = error
            await self.notify()
            log.warning("webhook delivery of update %s failed: %s", update["update_id"], error)
            if delay is None:
                break
            # Back off, but stop early if the bot changes or deletes the webhook.
            if await self.wait_for(lambda: self.webhook is not webhook, delay) or self.closing:
                return False
        log.warning("gave up delivering update %s", update["update_id"])
        return True  # Telegram, too, drops an update it cannot deliver

    async def _post_update(self, webhook: Webhook, update: JSON) -> str | None:
        """POST one update; return Telegram's wording of the error, or None on success."""
        assert self._client is not None
        headers = {}
        self.observe("handed", {"updates": [update], "time": time.time()})
        if webhook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook.secret_token
        try:
            async with self._client.post(webhook.url, json=update, headers=headers) as response:
                if not 200 <= response.status < 300:
                    reason = response.reason or ""
                    return f"Wrong response from the webhook: {response.status} {reason}".strip()
                reply = await _read_webhook_reply(response)
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientError as exc:
            return f"Connection failed: {exc}"
        if reply is not None:
            method = reply.pop("method")
            await self.execute(str(method), reply, bot_id=webhook.bot_id, via="webhook reply")
        return None


def _update_chat(update: JSON) -> object:
    """Return the chat (or, failing that, the user) an update comes from."""
    payload = next((value for key, value in update.items() if key != "update_id"), None)
    if not isinstance(payload, dict):
        return None
    chat = payload.get("chat") or (payload.get("message") or {}).get("chat")
    return chat["id"] if chat else (payload.get("from") or {}).get("id")


async def _serve_fault(fault: Fault) -> None:
    """Make the current request fail (or lag) as an injected fault says."""
    log.info("serving fault %s for %s", fault.kind, fault.method)
    if fault.kind == "slow":
        await asyncio.sleep(fault.delay)
    elif fault.kind == "drop":
        raise _Dropped
    elif fault.kind == "429":
        raise _FaultError(
            429,
            f"Too Many Requests: retry after {fault.retry_after}",
            {"retry_after": fault.retry_after},
        )
    elif fault.kind == "500":
        raise _FaultError(500, "Internal Server Error")
    else:
        raise _FaultError(502, "Bad Gateway")


async def _read_webhook_reply(response: aiohttp.ClientResponse) -> dict[str, object] | None:
    """Return the Bot API call a webhook answered with (JSON or multipart), if any."""
    if response.content_type == "application/json":
        try:
            body = await response.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) and "method" in body else None
    if response.content_type == "multipart/form-data":
        reply = await _read_multipart(aiohttp.MultipartReader(response.headers, response.content))
        return reply if "method" in reply else None
    return None


SANDBOX = web.AppKey("sandbox", Sandbox)


async def start_sandbox(
    host: str = "127.0.0.1", port: int = 0, *, sandbox: Sandbox | None = None
) -> tuple[Sandbox, web.AppRunner, int]:
    """Serve a sandbox on ``host:port`` (0 picks a free port); return it, its runner, the port."""
    sandbox = sandbox or Sandbox()
    # Long polls end as soon as shutdown starts, so a short grace period is enough.
    runner = web.AppRunner(sandbox.app(), shutdown_timeout=5.0)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return sandbox, runner, int(runner.addresses[0][1])


# --- Control API ------------------------------------------------------------------------------

_control = web.RouteTableDef()


@web.middleware
async def _control_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Answer control API mistakes with 400 and wake long polls after every change."""
    if not request.path.startswith("/api/sandbox/"):
        return await handler(request)
    try:
        response = await handler(request)
    except ControlError as exc:
        return web.json_response({"ok": False, "error": str(exc)}, status=400)
    if request.method != "GET":
        await request.app[SANDBOX].notify()
    return response


async def _body(request: web.Request) -> JSON:
    """Return a control request's JSON object."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ControlError("the request body must be a JSON object")
    return body


def _optional_integer(body: Mapping[str, Any], name: str) -> int | None:
    """Read an optional integer field (a number or numeric text)."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        return int(value)
    raise ControlError(f"{name} must be an integer")


def _integer(body: Mapping[str, Any], name: str) -> int:
    """Read a required integer field."""
    value = _optional_integer(body, name)
    if value is None:
        raise ControlError(f"{name} is required")
    return value


def _optional_text(body: Mapping[str, Any], name: str) -> str | None:
    """Read an optional string field."""
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ControlError(f"{name} must be a string")
    return value


def _text(body: Mapping[str, Any], name: str) -> str:
    """Read a required string field."""
    value = _optional_text(body, name)
    if value is None:
        raise ControlError(f"{name} is required")
    return value


def _user_id(body: Mapping[str, Any]) -> int | None:
    """Read the user_id a call acts for (the default citizen when missing)."""
    user_id = _optional_integer(body, "user_id")
    if user_id is not None and user_id <= 0:
        raise ControlError("user_id must be positive")
    return user_id


def _base64(text: str, name: str) -> bytes:
    """Decode a base64 field."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ControlError(f"{name} is not valid base64") from None


def _sent(message: StoredMessage, update_id: int) -> web.Response:
    """Answer a call that made the user send a message."""
    return web.json_response(
        {"ok": True, "message_id": message.message_id, "update_id": update_id}
    )


@_control.get("/api/sandbox/users")
async def _list_users(request: web.Request) -> web.Response:
    """List the simulated users (the default citizen appears on first use)."""
    sandbox = request.app[SANDBOX]
    sandbox.user()
    return web.json_response({"users": [user.control() for user in sandbox.users.values()]})


@_control.post("/api/sandbox/users")
async def _register_user(request: web.Request) -> web.Response:
    """Register a simulated user or change one; fields left out stay as they were."""
    body = await _body(request)
    user_id = _user_id(body)
    if user_id is None:
        raise ControlError("user_id is required")
    user = request.app[SANDBOX].register_user(
        user_id,
        first_name=_optional_text(body, "first_name"),
        last_name=_optional_text(body, "last_name"),
        username=_optional_text(body, "username"),
        language_code=_optional_text(body, "language_code"),
        role=_optional_text(body, "role"),
    )
    return web.json_response({"ok": True, "user": user.control()})


@_control.post("/api/sandbox/send")
async def _send(request: web.Request) -> web.Response:
    """The user sends a text (a /command gets its bot_command entity)."""
    body = await _body(request)
    return _sent(*request.app[SANDBOX].send_text(_user_id(body), _text(body, "text")))


@_control.post("/api/sandbox/click")
async def _click(request: web.Request) -> web.Response:
    """The user taps an inline button that exists on one of the bot's messages."""
    body = await _body(request)
    query_id, update_id = request.app[SANDBOX].click(
        _user_id(body), _integer(body, "message_id"), _text(body, "data")
    )
    return web.json_response({"ok": True, "callback_query_id": query_id, "update_id": update_id})


@_control.post("/api/sandbox/contact")
async def _contact(request: web.Request) -> web.Response:
    """The user shares their own phone number."""
    body = await _body(request)
    first_name = _optional_text(body, "first_name")
    sent = request.app[SANDBOX].send_contact(_user_id(body), _text(body, "phone"), first_name)
    return _sent(*sent)


@_control.post("/api/sandbox/photo")
async def _photo(request: web.Request) -> web.Response:
    """The user sends a photo (a generated picture unless data_base64 is given)."""
    body = await _body(request)
    encoded = _optional_text(body, "data_base64")
    data = _base64(encoded, "data_base64") if encoded else placeholder_png()
    caption = _optional_text(body, "caption")
    return _sent(*request.app[SANDBOX].send_file(_user_id(body), "photo", data, caption=caption))


@_control.post("/api/sandbox/document")
async def _document(request: web.Request) -> web.Response:
    """The user sends a file as a document."""
    body = await _body(request)
    sent = request.app[SANDBOX].send_file(
        _user_id(body),
        "document",
        _base64(_text(body, "data_base64"), "data_base64"),
        caption=_optional_text(body, "caption"),
        file_name=_text(body, "file_name"),
        mime_type=_text(body, "mime_type"),
    )
    return _sent(*sent)


@_control.post("/api/sandbox/sticker")
async def _sticker(request: web.Request) -> web.Response:
    """The user sends a sticker."""
    body = await _body(request)
    sandbox = request.app[SANDBOX]
    return _sent(*sandbox.send_file(_user_id(body), "sticker", sandbox.sticker_bytes()))


@_control.get("/api/sandbox/chat/{user_id}")
async def _chat_view(request: web.Request) -> web.Response:
    """Show a chat; with ``after``, wait up to ``timeout`` s for a newer bot message or edit."""
    sandbox = request.app[SANDBOX]
    query = request.query
    user_id = _user_id({"user_id": request.match_info["user_id"]})
    after = _optional_integer(query, "after")
    try:
        timeout = min(max(float(query.get("timeout", "0")), 0.0), _MAX_CHAT_POLL)
    except ValueError:
        raise ControlError("timeout must be a number") from None
    chat = sandbox.chat(user_id)
    if after is not None:
        edits = chat.edits
        await sandbox.wait_for(
            lambda: (
                sandbox.chats.get(chat.chat_id) is not chat
                or chat.last_bot_message_id() > after
                or chat.edits != edits
            ),
            timeout,
        )
    return web.json_response(sandbox.chat(user_id).view())


@_control.get("/api/sandbox/files/{file_id}")
async def _file(request: web.Request) -> web.StreamResponse:
    """Serve a file's bytes to the chat page, which has no bot token."""
    stored = request.app[SANDBOX].files.get(request.match_info["file_id"])
    if stored is None:
        raise web.HTTPNotFound()
    return web.Response(body=stored.data, content_type=stored.mime_type)


@_control.get("/api/sandbox/violations")
async def _violations(request: web.Request) -> web.Response:
    """Report the requests Telegram would have refused, and the other counters."""
    sandbox = request.app[SANDBOX]
    return web.json_response(
        {
            "count": len(sandbox.violations),
            "violations": sandbox.violations,
            "unsupported": sandbox.unsupported,
            "faults_served": sandbox.faults_served,
        }
    )


@_control.get("/api/sandbox/requests")
async def _requests(request: web.Request) -> web.Response:
    """List the Bot API requests received, optionally for one method."""
    wanted = request.query.get("method", "").lower()
    found = [
        entry
        for entry in request.app[SANDBOX].requests
        if not wanted or entry["method"].lower() == wanted
    ]
    return web.json_response({"count": len(found), "requests": found})


@_control.post("/api/sandbox/reset")
async def _reset(request: web.Request) -> web.Response:
    """Forget chats, updates, files, logs and faults; users stay."""
    request.app[SANDBOX].reset()
    return web.json_response({"ok": True})


@_control.get("/api/sandbox/faults")
async def _list_faults(request: web.Request) -> web.Response:
    """List the faults not yet served."""
    return web.json_response({"faults": [f.view() for f in request.app[SANDBOX].faults]})


@_control.post("/api/sandbox/faults")
async def _add_fault(request: web.Request) -> web.Response:
    """Make the next Bot API requests to a method (or ``*``) fail in a chosen way."""
    sandbox = request.app[SANDBOX]
    body = await _body(request)
    method = _optional_text(body, "method") or "*"
    if method != "*":
        canonical = sandbox.spec.canonical_method(method)
        if canonical is None:
            raise ControlError(f"{method} is not a Bot API method")
        method = canonical
    try:
        delay = float(body.get("delay", 1.5))
    except (TypeError, ValueError):
        raise ControlError("delay must be a number") from None
    fault = sandbox.add_fault(
        method,
        str(body.get("kind", "429")),
        count=_optional_integer(body, "count") or 1,
        retry_after=_optional_integer(body, "retry_after") or 2,
        delay=delay,
    )
    return web.json_response({"ok": True, "fault": fault.view()})


@_control.delete("/api/sandbox/faults")
async def _clear_faults(request: web.Request) -> web.Response:
    """Forget every fault not yet served."""
    request.app[SANDBOX].clear_faults()
    return web.json_response({"ok": True})


@_control.get("/")
async def _index(request: web.Request) -> web.StreamResponse:
    """Serve the chat page, or say where it would be."""
    index = request.app[SANDBOX].static_dir / "index.html"
    if index.is_file():
        return web.FileResponse(index)
    return web.Response(
        text="Telegram Bot API sandbox. The chat page (sandbox/static/index.html) is not "
        "installed; the control API is under /api/sandbox/.\n"
    )


@_control.get("/static/{path:.+}")
async def _static(request: web.Request) -> web.StreamResponse:
    """Serve the chat page's files, never anything outside the static folder."""
    root = request.app[SANDBOX].static_dir.resolve()
    path = (root / request.match_info["path"]).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path)
