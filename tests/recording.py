"""An aiogram session for tests: records every Bot API request, validates it, fakes the reply."""

from __future__ import annotations

import datetime
import json
import time
import zlib
from collections import defaultdict, deque
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from types import NoneType, UnionType
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, cast, get_args, get_origin

from aiogram.client.session.base import BaseSession
from aiogram.methods.base import TelegramType
from aiogram.types import InputFile, Message
from pydantic import BaseModel

from sandbox.spec import BotApiSpec, UploadedFile

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import TelegramMethod

__all__ = ["RecordedRequest", "RecordingSession"]

# The parameter of each send* method that carries its media, and the fields Telegram adds.
_MEDIA: dict[str, dict[str, Any]] = {
    "photo": {"width": 1280, "height": 720},
    "video": {"width": 1280, "height": 720, "duration": 1},
    "animation": {"width": 320, "height": 240, "duration": 1},
    "audio": {"duration": 1},
    "voice": {"duration": 1},
    "video_note": {"length": 240, "duration": 1},
    "document": {},
    "sticker": {
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    },
}


@dataclass
class RecordedRequest:
    """One Bot API call, with its parameters exactly as aiogram would send them."""

    method_name: str
    params: dict[str, Any]
    violations: list[str]
    method_obj: TelegramMethod[Any]


def _decode(value: object) -> Any:
    """Return a form value's JSON content (objects travel as JSON text), or None."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _jsonable(value: Any) -> Any:
    """Turn a queued result (aiogram objects allowed) into what Telegram would put in JSON."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    return value


def _placeholder(annotation: Any, *, top: bool = True) -> Any:
    """Build the smallest JSON value that aiogram parses as ``annotation``."""
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation is bool:
        return top  # a bool-returning method reports success; a nested flag is simply off
    if annotation in (int, float):
        return 0
    if annotation is str:
        return ""
    if annotation is datetime.datetime:
        return int(time.time())
    if origin is Annotated:
        return _placeholder(args[0], top=top)
    if origin is Literal:
        return args[0]
    if origin in (Union, UnionType):
        return _placeholder(next(arg for arg in args if arg is not NoneType), top=top)
    if origin is list:
        return []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {
            field.alias or name: _placeholder(field.annotation, top=False)
            for name, field in annotation.model_fields.items()
            if field.is_required()
        }
    msg = f"no placeholder for {annotation!r}; queue a result with queue_result()"
    raise TypeError(msg)


def _returns_message(annotation: Any) -> bool:
    """Tell whether a method's ``__returning__`` is Message or a union containing it."""
    return annotation is Message or Message in get_args(annotation)


# Answers come from queue_result/queue_error/queue_api_error (first in, first out per method)
# or are made up: sent messages get per-chat message ids and echo the request's text, caption,
# media and inline keyboard; edits and deletions update the stored messages; bool methods return
# True; getMe returns the bot user "test_bot"; anything else gets the smallest valid object.
# Every answer goes through check_response like a real reply, so objects are bound to the bot.
class RecordingSession(BaseSession):
    """An aiogram session that records and validates each request instead of sending it."""

    def __init__(self, spec: BotApiSpec | None = None, **kwargs: Any) -> None:
        """Create a session validating against ``spec`` (default: the vendored api.json)."""
        super().__init__(**kwargs)
        self.spec = spec or BotApiSpec.load()
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self._queued: defaultdict[str, deque[tuple[str, Any]]] = defaultdict(deque)
        self._files: dict[str, bytes] = {}
        self._last_message_id: defaultdict[int, int] = defaultdict(int)
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._file_counter = 0

    # -- test helpers ------------------------------------------------------------------------

    def queue_result(self, method_name: str, result: Any) -> None:
        """Make the next call of ``method_name`` return ``result`` (JSON or aiogram objects)."""
        self._queued[method_name.lower()].append(("result", result))

    def queue_error(self, method_name: str, exc: BaseException) -> None:
        """Make the next call of ``method_name`` raise ``exc``."""
        self._queued[method_name.lower()].append(("error", exc))

    def queue_api_error(self, method_name: str, error_code: int, description: str) -> None:
        """Make the next call fail as Telegram would, e.g. 403 "Forbidden: bot was blocked"."""
        self._queued[method_name.lower()].append(("api_error", (error_code, description)))

    def queue_file(self, path: str, data: bytes) -> None:
        """Serve ``data`` for downloads of ``path``; getFile gives a file_id as its own path."""
        self._files[path] = data

    @property
    def messages(self) -> dict[tuple[int, int], dict[str, Any]]:
        """The bot's messages as JSON, edits applied, keyed by (chat id, message id)."""
        return self._messages

    def sent_texts(self, chat_id: int | str | None = None) -> list[str]:
        """Return the texts of sendMessage and editMessageText requests, optionally to one chat."""
        return [
            request.params["text"]
            for request in self.requests
            if request.method_name in ("sendMessage", "editMessageText")
            and "text" in request.params
            and (chat_id is None or request.params.get("chat_id") == str(chat_id))
        ]

    def requests_of(self, method_name: str) -> list[RecordedRequest]:
        """Return the recorded requests to one method (matched case-insensitively)."""
        return [r for r in self.requests if r.method_name.lower() == method_name.lower()]

    def last_request(self, method_name: str | None = None) -> RecordedRequest:
        """Return the latest request (to ``method_name`` if given); LookupError if none."""
        requests = self.requests if method_name is None else self.requests_of(method_name)
        if not requests:
            msg = f"no {method_name or 'Bot API'} request was recorded"
            raise LookupError(msg)
        return requests[-1]

    def clear(self) -> None:
        """Forget the recorded requests and violations; queued answers and files stay."""
        self.requests.clear()
        self.violations.clear()

    # -- BaseSession -------------------------------------------------------------------------

    async def close(self) -> None:
        """Nothing to close: no connection is ever opened."""

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - BaseSession's signature
    ) -> TelegramType:
        """Record and validate the request, then answer it from the queue or a made-up result."""
        params = await self._wire_params(bot, method)
        name = method.__api_method__
        violations = self.spec.validate(name, params)
        self.requests.append(RecordedRequest(name, params, violations, method))
        self.violations.extend(violations)

        queue = self._queued.get(name.lower())
        kind, payload = queue.popleft() if queue else ("default", None)
        status, reply = 200, {"ok": True}
        if kind == "error":
            raise payload
        if kind == "api_error":
            status = payload[0]
            reply = {"ok": False, "error_code": payload[0], "description": payload[1]}
        elif kind == "result":
            reply["result"] = _jsonable(payload)
        else:
            reply["result"] = self._default_result(bot, method, params)
        # Parse the answer like a real reply, so results are bound to the bot and errors typed.
        response = self.check_response(
            bot=bot, method=method, status_code=status, content=self.json_dumps(reply)
        )
        return cast(TelegramType, response.result)

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 - BaseSession's signature
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        """Yield the bytes queued for the file path that ``url`` ends with (b"" if none)."""
        data = next(
            (
                data
                for path, data in self._files.items()
                if url == path or url.endswith(f"/{path}")
            ),
            b"",
        )
        for start in range(0, len(data), chunk_size):
            yield data[start : start + chunk_size]
        if not data:
            yield b""

    # -- internals ---------------------------------------------------------------------------

    async def _wire_params(self, bot: Bot, method: TelegramMethod[Any]) -> dict[str, Any]:
        """Serialise a method the way ``AiohttpSession.build_form_data`` builds its form."""
        files: dict[str, InputFile] = {}
        params: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files)
            # aiogram skips every falsy form value: None, but also an empty string.
            if not prepared:
                continue
            params[key] = prepared
        # Each file is a part of its own, named by a random key that the parameter (or the
        # JSON inside it) references as attach://<key>.
        for key, file in files.items():
            data = b"".join([chunk async for chunk in file.read(bot)])
            params[key] = UploadedFile(name=file.filename or key, data=data)
        return params

    def _default_result(
        self, bot: Bot, method: TelegramMethod[Any], params: dict[str, Any]
    ) -> Any:
        """Make up a plausible JSON result for a request nothing was queued for."""
        name = method.__api_method__
        if name == "getMe":
            return self._bot_user(bot)
        if name == "getFile":
            file_id = params.get("file_id", "")
            # The file_id doubles as the file_path, so queue_file(file_id, ...) serves downloads.
            result = {"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_path": file_id}
            if file_id in self._files:
                result["file_size"] = len(self._files[file_id])
            return result
        if name == "sendMediaGroup":
            items = _decode(params.get("media")) or []
            return [
                self._new_message(bot, params.get("chat_id"), self._media_item(item, params))
                for item in items
            ]
        if name in ("deleteMessage", "deleteMessages"):
            chat_id = self._chat(params.get("chat_id"))["id"]
            for message_id in _decode(params.get("message_ids")) or [params.get("message_id")]:
                self._messages.pop((chat_id, int(str(message_id or 0))), None)
            return True
        if name in ("copyMessages", "forwardMessages"):
            source_ids = _decode(params.get("message_ids")) or []
            copies = [self._copy(bot, name, params, source) for source in source_ids]
            return [{"message_id": copy["message_id"]} for copy in copies]
        if name == "copyMessage":
            copy = self._copy(bot, name, params, params.get("message_id"))
            return {"message_id": copy["message_id"]}
        if name == "forwardMessage":
            return self._copy(bot, name, params, params.get("message_id"))
        if _returns_message(method.__returning__):
            if "inline_message_id" in params:
                return True
            if "message_id" in params and name.startswith(("edit", "stop")):
                return self._edit(bot, name, params)
            return self._new_message(bot, params.get("chat_id"), self._content(name, params))
        return _placeholder(method.__returning__)

    @staticmethod
    def _bot_user(bot: Bot) -> dict[str, Any]:
        """The bot's own User, with the id from its token."""
        return {"id": bot.id, "is_bot": True, "first_name": "Test Bot", "username": "test_bot"}

    @staticmethod
    def _chat(chat_id: object) -> dict[str, Any]:
        """A Chat for a chat_id parameter: positive ids are private chats, @names channels."""
        text = str(chat_id or 0)
        if text.lstrip("-").isdigit():
            number = int(text)
            return {"id": number, "type": "private" if number > 0 else "supergroup"}
        # A stable made-up id, so messages to the same @channel share a counter.
        number = -(10**12 + zlib.crc32(text.encode()))
        return {"id": number, "type": "channel", "username": text.lstrip("@")}

    def _new_message(self, bot: Bot, chat_id: object, content: dict[str, Any]) -> dict[str, Any]:
        """Store and return a new message from the bot, numbered per chat like Telegram does."""
        chat = self._chat(chat_id)
        self._last_message_id[chat["id"]] += 1
        message = {
            "message_id": self._last_message_id[chat["id"]],
            "date": int(time.time()),
            "chat": chat,
            "from": self._bot_user(bot),
            **content,
        }
        self._messages[chat["id"], message["message_id"]] = message
        return message

    def _edit(self, bot: Bot, name: str, params: dict[str, Any]) -> dict[str, Any]:
        """Apply an edit* request to the stored message (or a blank one) and return it."""
        chat = self._chat(params.get("chat_id"))
        message_id = int(params["message_id"])
        message = dict(
            self._messages.get((chat["id"], message_id))
            or {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": chat,
                "from": self._bot_user(bot),
            }
        )
        if name == "editMessageMedia":
            content = self._media_item(_decode(params.get("media")) or {}, params)
            for field in _MEDIA:
                message.pop(field, None)
            markup = self._content(name, params).get("reply_markup")
            if markup is not None:
                content["reply_markup"] = markup
        else:
            content = self._content(name, params)
        # Telegram drops an inline keyboard that the edit does not repeat.
        message.pop("reply_markup", None)
        message.update(content, edit_date=int(time.time()))
        self._messages[chat["id"], message_id] = message
        return message

    def _copy(
        self, bot: Bot, name: str, params: dict[str, Any], source_id: object
    ) -> dict[str, Any]:
        """Copy or forward a stored message (its content if known) to the target chat."""
        source_chat = self._chat(params.get("from_chat_id"))
        source = self._messages.get((source_chat["id"], int(str(source_id or 0))), {})
        skip = {"message_id", "date", "chat", "from", "edit_date"}
        if name.startswith("copy"):
            skip.add("reply_markup")  # a copy gets only the keyboard passed with the request
        content = {key: value for key, value in source.items() if key not in skip}
        content.update(self._content(name, params))
        return self._new_message(bot, params.get("chat_id"), content)

    def _content(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        """The message fields a request sets: text, caption, media and an inline keyboard."""
        content = {key: params[key] for key in ("text", "caption") if key in params}
        markup = _decode(params.get("reply_markup"))
        # A sent message only ever shows an inline keyboard; reply keyboards live in the client.
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            content["reply_markup"] = markup
        if name.startswith("send"):
            for field in _MEDIA:
                if field in params:
                    content.update(self._media(field, params[field], params))
        return content

    def _media_item(self, item: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        """Message fields for one InputMedia of sendMediaGroup or editMessageMedia."""
        content = self._media(item.get("type", "document"), item.get("media"), params)
        if "caption" in item:
            content["caption"] = item["caption"]
        return content

    def _media(self, field: str, source: object, params: dict[str, Any]) -> dict[str, Any]:
        """The message field describing a sent file, reusing a file_id the request passed."""
        self._file_counter += 1
        upload = None
        if isinstance(source, str) and source.startswith("attach://"):
            upload = params.get(source.removeprefix("attach://"))
        reuse = isinstance(source, str) and upload is None and "://" not in source
        file: dict[str, Any] = {
            "file_id": source if reuse else f"file-{self._file_counter}",
            "file_unique_id": f"unique-{self._file_counter}",
            **_MEDIA.get(field, {}),
        }
        if isinstance(upload, UploadedFile):
            file["file_size"] = len(upload.data)
            if field == "document":
                file["file_name"] = upload.name
        # Telegram describes a photo as a list of sizes.
        return {field: [file] if field == "photo" else file}
