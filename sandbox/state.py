"""The sandbox's simulated Telegram: users, private chats, messages, files and the update queue.

Plain data and bookkeeping, no HTTP: ``sandbox.server`` turns Bot API requests and control API
calls into the operations here. Everything handed to a bot (messages, updates, files) is shaped
like the Bot API's own JSON, so any client library parses it.

Operations are synchronous; whoever changes the state from a request handler awaits
``notify()`` afterwards so that long polls (getUpdates, the chat page) wake up.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import itertools
import logging
import mimetypes
import re
import secrets
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

__all__ = [
    "DEFAULT_USER_ID",
    "FAULT_KINDS",
    "JSON",
    "ROLES",
    "ApiError",
    "CallbackRecord",
    "Chat",
    "ControlError",
    "EntityParseError",
    "Fault",
    "SandboxState",
    "SimUser",
    "StoredFile",
    "StoredMessage",
    "Webhook",
    "bad_request",
    "bot_user",
    "command_entities",
    "image_size",
    "parse_html",
    "placeholder_png",
    "prune",
    "utf16_length",
]

JSON = dict[str, Any]

log = logging.getLogger("sandbox")

DEFAULT_USER_ID = 1001
DEFAULT_FIRST_NAME = "Aigerim"
ROLES = ("citizen", "representative")
FAULT_KINDS = ("429", "500", "502", "slow", "drop")
# Telegram leaves these out unless a bot asks for them by name in allowed_updates.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# A chat action shows in the client for five seconds or until the bot's next message.
_ACTION_SECONDS = 5.0


class ApiError(Exception):
    """A Bot API error answer: Telegram's error_code, description and optional parameters."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        """Keep the parts of Telegram's ``{"ok": false, ...}`` body."""
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> JSON:
        """Return the JSON body Telegram answers with."""
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> ApiError:
    """Build Telegram's 400 answer, ``Bad Request: <detail>``."""
    return ApiError(400, f"Bad Request: {detail}")


class ControlError(ValueError):
    """A control API call that asks for something a person could not do in a Telegram app."""


@dataclass
class SimUser:
    """A simulated Telegram user; the sandbox only has private chats, so chat id == user id."""

    user_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "ru"
    role: str = "citizen"  # sandbox-only: who the tester plays, never sent to the bot

    def telegram(self) -> JSON:
        """Return the Bot API ``User`` object."""
        user: JSON = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if value := getattr(self, key):
                user[key] = value
        return user

    def chat(self) -> JSON:
        """Return the Bot API ``Chat`` object of the private chat with this user."""
        chat: JSON = {"id": self.user_id, "type": "private", "first_name": self.first_name}
        for key in ("last_name", "username"):
            if value := getattr(self, key):
                chat[key] = value
        return chat

    def control(self) -> JSON:
        """Return the user as the control API lists it."""
        return {"user_id": self.user_id, **self.telegram(), "role": self.role}


def bot_user(bot_id: int) -> JSON:
    """Return the ``User`` object of the bot whose token starts with ``bot_id``."""
    return {
        "id": bot_id,
        "is_bot": True,
        "first_name": "Sandbox Bot",
        "username": f"sandbox_{bot_id}_bot",
    }


# --- Files ----------------------------------------------------------------------------------

# Telegram's file_ids start with a kind-specific prefix; bots sometimes log them, so keep it.
_FILE_ID_PREFIX = {
    "photo": "AgACAgIAAxkBAAI",
    "document": "BQACAgIAAxkBAAI",
    "voice": "AwACAgIAAxkBAAI",
    "video": "BAACAgIAAxkBAAI",
    "sticker": "CAACAgIAAxkBAAI",
}
_FOLDER = {
    "photo": "photos",
    "document": "documents",
    "voice": "voice",
    "video": "videos",
    "sticker": "stickers",
}
_DEFAULT_MIME = {"voice": "audio/ogg", "video": "video/mp4"}
_DEFAULT_EXTENSION = {
    "photo": ".jpg",
    "document": "",
    "voice": ".oga",
    "video": ".mp4",
    "sticker": ".webp",
}
# A 1x1 lossless WebP: stickers need some bytes to download.
_STICKER_WEBP = base64.b64decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")


@dataclass
class StoredFile:
    """A file a user or the bot sent, downloadable through getFile and /file/bot<token>/."""

    file_id: str
    file_unique_id: str
    kind: str  # photo, document, voice, video or sticker
    data: bytes
    file_path: str
    fields: JSON  # what the media object carries besides ids and size: width, file_name, ...

    def media(self) -> JSON:
        """Return the ``PhotoSize``/``Document``/``Voice``/... object."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            **self.fields,
            "file_size": len(self.data),
        }

    def content(self) -> JSON:
        """Return the Message fields that carry this file (a photo is a list of sizes)."""
        # Telegram sends several sizes of a photo; the sandbox keeps one (the original).
        return {"photo": [self.media()]} if self.kind == "photo" else {self.kind: self.media()}

    def telegram_file(self) -> JSON:
        """Return the Bot API ``File`` object that getFile answers with."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }

    @property
    def mime_type(self) -> str:
        """Return the content type to serve the download with."""
        return (
            self.fields.get("mime_type")
            or mimetypes.guess_type(self.file_path)[0]
            or "application/octet-stream"
        )


def image_size(data: bytes) -> tuple[int, int] | None:
    """Read the width and height of a PNG or JPEG image from its header, if it is one."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data.startswith(b"\xff\xd8"):
        index = 2
        while index + 9 <= len(data) and data[index] == 0xFF:
            marker = data[index + 1]
            # Start-of-frame markers carry the size; C4, C8 and CC are other tables.
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[index + 5 : index + 9])
                return width, height
            (length,) = struct.unpack(">H", data[index + 2 : index + 4])
            index += 2 + length
    return None


def placeholder_png(width: int = 320, height: int = 240) -> bytes:
    """Draw a small gradient PNG for a photo the tester sends without choosing one."""
    rows = b"".join(
        b"\x00" + bytes((40 + 180 * y // height, 120, 200 - 120 * y // height)) * width
        for y in range(height)
    )

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload)
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# --- Text formatting --------------------------------------------------------------------------


class EntityParseError(ValueError):
    """Text that Telegram's parser rejects: ``Bad Request: can't parse entities: ...``."""


_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
}
_SPECIAL_TAGS = frozenset({"a", "span", "code", "pre", "blockquote", "tg-emoji", "tg-time"})
# Telegram decodes numeric references and only these four named ones; others stay literal.
_NAMED_REFERENCES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_REFERENCE = re.compile(r"&(#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);")
_TAG_NAME = re.compile(r"[a-zA-Z0-9_-]*")
_ATTRIBUTE_NAME = re.compile(r"[a-zA-Z0-9_-]+")
_UNQUOTED_VALUE = re.compile(r"[^\s>]*")


def utf16_length(text: str) -> int:
    """Count UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def command_entities(text: str) -> list[JSON]:
    """Return the bot_command entity Telegram adds to a text that starts with a /command."""
    match = _COMMAND.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": match.end()}]


def _decode_reference(name: str) -> str | None:
    """Decode the inside of ``&...;``, or return None to keep the reference as written."""
    if not name.startswith("#"):
        return _NAMED_REFERENCES.get(name)
    code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _unescape(text: str) -> str:
    """Decode the character references Telegram understands, e.g. in attribute values."""

    def replace(match: re.Match[str]) -> str:
        decoded = _decode_reference(match.group(1))
        return match.group(0) if decoded is None else decoded

    return _REFERENCE.sub(replace, text)


@dataclass
class _OpenTag:
    """A start tag waiting for its end tag, with the entity it will become (if any)."""

    name: str
    entity: JSON | None
    offset: int  # in UTF-16 code units of the parsed text


class _HtmlParser:
    """Telegram's parse_mode=HTML: the supported tags become entities, anything else fails."""

    def __init__(self, source: str) -> None:
        """Prepare to parse ``source``."""
        self.source = source
        self.pos = 0
        self.text: list[str] = []
        self.length = 0  # UTF-16 code units in self.text
        self.open: list[_OpenTag] = []
        self.entities: list[JSON] = []

    def parse(self) -> tuple[str, list[JSON]]:
        """Return the plain text and its entities, or raise EntityParseError."""
        source = self.source
        while self.pos < len(source):
            char = source[self.pos]
            if char == "<":
                if source.startswith("</", self.pos):
                    self._end_tag()
                else:
                    self._start_tag()
                continue
            if char == "&" and (match := _REFERENCE.match(source, self.pos)):
                decoded = _decode_reference(match.group(1))
                if decoded is not None:
                    self._emit(decoded)
                    self.pos = match.end()
                    continue
            self._emit(char)
            self.pos += 1
        if self.open:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.open[-1].name}"'
            )
        self.entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
        return "".join(self.text), self.entities

    def _emit(self, text: str) -> None:
        """Append plain text to the result."""
        self.text.append(text)
        self.length += utf16_length(text)

    def _byte_offset(self, index: int) -> int:
        """Telegram reports positions as UTF-8 byte offsets into the original text."""
        return len(self.source[:index].encode("utf-8"))

    def _skip_spaces(self) -> None:
        """Move past whitespace inside a tag."""
        while self.pos < len(self.source) and self.source[self.pos].isspace():
            self.pos += 1

    def _start_tag(self) -> None:
        """Parse ``<name attr="value" ...>`` and open the tag."""
        begin = self.pos
        offset = self._byte_offset(begin)
        match = _TAG_NAME.match(self.source, begin + 1)
        assert match is not None  # the pattern also matches the empty string
        name = match.group().lower()
        if name not in _SIMPLE_TAGS and name not in _SPECIAL_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
        self.pos = match.end()
        attributes = self._attributes(name, offset)
        self.open.append(_OpenTag(name, self._entity(name, attributes, offset), self.length))

    def _attributes(self, tag: str, offset: int) -> dict[str, str]:
        """Parse the attributes of a start tag up to and including its ``>``."""
        source = self.source
        attributes: dict[str, str] = {}
        while True:
            self._skip_spaces()
            if self.pos >= len(source):
                raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
            if source[self.pos] == ">":
                self.pos += 1
                return attributes
            match = _ATTRIBUTE_NAME.match(source, self.pos)
            if match is None:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {offset}'
                )
            name = match.group().lower()
            self.pos = match.end()
            self._skip_spaces()
            if self.pos >= len(source) or source[self.pos] != "=":
                attributes[name] = ""  # e.g. <blockquote expandable>
                continue
            self.pos += 1
            self._skip_spaces()
            if self.pos < len(source) and source[self.pos] in "'\"":
                end = source.find(source[self.pos], self.pos + 1)
                if end < 0:
                    raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
                value = source[self.pos + 1 : end]
                self.pos = end + 1
            else:
                value_match = _UNQUOTED_VALUE.match(source, self.pos)
                assert value_match is not None
                value = value_match.group()
                self.pos = value_match.end()
            attributes[name] = _unescape(value)

    def _entity(self, tag: str, attributes: dict[str, str], offset: int) -> JSON | None:
        """Return the entity a start tag opens, or None for a tag that only wraps text."""
        if tag in _SIMPLE_TAGS:
            return {"type": _SIMPLE_TAGS[tag]}
        if tag == "span":
            if attributes.get("class") != "tg-spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {offset}'
                )
            return {"type": "spoiler"}
        if tag == "a":
            href = attributes.get("href")
            return {"type": "text_link", "url": href} if href else None
        if tag == "code":
            language = attributes.get("class", "").removeprefix("language-")
            parent = self.open[-1] if self.open else None
            if language and parent and parent.name == "pre" and parent.entity is not None:
                # <pre><code class="language-x"> is one pre entity with a language.
                parent.entity["language"] = language
                return None
            return {"type": "code"}
        if tag == "pre":
            return {"type": "pre"}
        if tag == "blockquote":
            expandable = "expandable" in attributes
            return {"type": "expandable_blockquote" if expandable else "blockquote"}
        if tag == "tg-emoji":
            if not attributes.get("emoji-id"):
                raise EntityParseError(
                    f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {offset}'
                )
            return {"type": "custom_emoji", "custom_emoji_id": attributes["emoji-id"]}
        # tg-time
        unix = attributes.get("unix", "")
        if not unix.isdigit():
            raise EntityParseError(
                f'Tag "tg-time" must have attribute "unix" at byte offset {offset}'
            )
        entity: JSON = {"type": "date_time", "unix_time": int(unix)}
        if attributes.get("format"):
            entity["date_time_format"] = attributes["format"]
        return entity

    def _end_tag(self) -> None:
        """Parse ``</name>`` and close the innermost open tag."""
        begin = self.pos
        offset = self._byte_offset(begin)
        if not self.open:
            raise EntityParseError(f"Unexpected end tag at byte offset {offset}")
        match = _TAG_NAME.match(self.source, begin + 2)
        assert match is not None
        name = match.group().lower()
        expected = self.open[-1].name
        if name and name != expected:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {offset}, expected "</{expected}>", '
                f'found "</{name}>"'
            )
        self.pos = match.end()
        self._skip_spaces()
        if self.pos >= len(self.source) or self.source[self.pos] != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {offset}")
        self.pos += 1
        tag = self.open.pop()
        # Telegram drops entities that cover no text.
        if tag.entity is not None and self.length > tag.offset:
            self.entities.append(
                {**tag.entity, "offset": tag.offset, "length": self.length - tag.offset}
            )


def parse_html(source: str) -> tuple[str, list[JSON]]:
    """Parse Telegram HTML into plain text and entities; raise EntityParseError if invalid."""
    return _HtmlParser(source).parse()


# --- Chats ------------------------------------------------------------------------------------


def prune(value: Any) -> Any:
    """Drop null fields recursively: to the Bot API a null is the same as a missing field."""
    if isinstance(value, dict):
        return {key: prune(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [prune(item) for item in value]
    return value


@dataclass
class StoredMessage:
    """One message of a chat, as the Bot API's ``Message`` object, and who sent it."""

    data: JSON
    from_bot: bool

    @property
    def message_id(self) -> int:
        """Return the message's id within its chat."""
        return int(self.data["message_id"])

    @property
    def inline_markup(self) -> JSON | None:
        """Return the message's inline keyboard markup, if it has one."""
        return self.data.get("reply_markup")

    def set_inline_markup(self, markup: JSON | None) -> None:
        """Attach an inline keyboard; Telegram treats an empty one as none."""
        if markup and markup.get("inline_keyboard"):
            self.data["reply_markup"] = markup
        else:
            self.data.pop("reply_markup", None)

    def has_button(self, callback_data: str) -> bool:
        """Tell whether one of the message's inline buttons sends ``callback_data``."""
        rows = (self.inline_markup or {}).get("inline_keyboard", [])
        return any(button.get("callback_data") == callback_data for row in rows for button in row)

    def view(self) -> JSON:
        """Return the message as the chat page shows it."""
        data = self.data
        photo = data.get("photo")
        view: JSON = {
            "message_id": self.message_id,
            "from": "bot" if self.from_bot else "user",
            "text": data.get("text"),
            "caption": data.get("caption"),
            "entities": data.get("entities") or data.get("caption_entities") or [],
            "date": data["date"],
            "edit_date": data.get("edit_date"),
            "inline_keyboard": (self.inline_markup or {}).get("inline_keyboard"),
            "photo": _file_view(photo[-1]) if photo else None,
            "contact": data.get("contact"),
            "reply_to_message_id": data.get("reply_to_message", {}).get("message_id"),
        }
        for kind in ("document", "voice", "video", "sticker"):
            view[kind] = _file_view(data[kind]) if kind in data else None
        return view


def _file_view(media: JSON) -> JSON:
    """Describe a file for the chat page, with a link it can load the bytes from."""
    return {**media, "url": f"/api/sandbox/files/{media['file_id']}"}


def _keyboard_buttons(markup: JSON) -> list[JSON]:
    """Return a reply keyboard's buttons as objects (older clients may send plain strings)."""
    return [
        button if isinstance(button, dict) else {"text": str(button)}
        for row in markup.get("keyboard", [])
        for button in row
    ]


@dataclass
class Chat:
    """The private chat between the bot and one simulated user."""

    user: SimUser
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    reply_keyboard: JSON | None = None  # the custom keyboard the user currently sees
    edits: int = 0  # edits and deletions so far, so a long poll notices them
    action: tuple[str, float] | None = None  # the last chat action and when it was sent
    callback_answers: list[JSON] = field(default_factory=list)
    next_message_id: int = 1  # Telegram numbers messages per private chat

    @property
    def chat_id(self) -> int:
        """Return the chat's id, which is the user's id."""
        return self.user.user_id

    @property
    def instance(self) -> str:
        """Return the stable ``chat_instance`` of callback queries from this chat."""
        return str((self.chat_id * 0x9E3779B97F4A7C15) % (1 << 63))

    def add(self, sender: JSON, content: JSON, *, from_bot: bool) -> StoredMessage:
        """Append a message with the next message_id."""
        data: JSON = {
            "message_id": self.next_message_id,
            "from": sender,
            "chat": self.user.chat(),
            "date": int(time.time()),
            **content,
        }
        self.next_message_id += 1
        message = StoredMessage(data, from_bot)
        self.messages[message.message_id] = message
        if from_bot:
            self.action = None  # a message ends the "typing..." status
        return message

    def last_bot_message_id(self) -> int:
        """Return the id of the bot's latest message, or 0."""
        return max((m.message_id for m in self.messages.values() if m.from_bot), default=0)

    def apply_reply_markup(self, markup: JSON | None) -> None:
        """Show or hide the custom keyboard as a bot message's reply_markup asks."""
        if not markup:
            return
        if "keyboard" in markup:
            self.reply_keyboard = {
                **markup,
                "keyboard": [
                    [b if isinstance(b, dict) else {"text": str(b)} for b in row]
                    for row in markup["keyboard"]
                ],
            }
        elif markup.get("remove_keyboard"):
            self.reply_keyboard = None

    def press_reply_button(self, matches: Callable[[JSON], bool]) -> None:
        """Hide a one-time keyboard once the user has used one of its buttons."""
        keyboard = self.reply_keyboard
        if (
            keyboard
            and keyboard.get("one_time_keyboard")
            and any(matches(button) for button in _keyboard_buttons(keyboard))
        ):
            self.reply_keyboard = None

    def view(self) -> JSON:
        """Return the chat as ``GET /api/sandbox/chat/{user_id}`` shows it."""
        action = None
        if self.action and time.time() - self.action[1] < _ACTION_SECONDS:
            action = self.action[0]
        return {
            "user": self.user.control(),
            "messages": [message.view() for message in self.messages.values()],
            "reply_keyboard": self.reply_keyboard,
            "chat_action": action,
            "callback_answers": self.callback_answers,
            "edits": self.edits,
        }


# --- Bookkeeping ------------------------------------------------------------------------------


@dataclass
class Fault:
    """An injected failure for the next ``count`` Bot API requests to ``method`` (or ``*``)."""

    method: str
    kind: str
    count: int = 1
    retry_after: int = 2
    delay: float = 1.5

    def matches(self, method: str) -> bool:
        """Tell whether a request to ``method`` should get this fault."""
        return self.count > 0 and self.method.lower() in ("*", method.lower())

    def view(self) -> JSON:
        """Return the fault as the control API lists it."""
        return {
            "method": self.method,
            "kind": self.kind,
            "count": self.count,
            "retry_after": self.retry_after,
            "delay": self.delay,
        }


@dataclass
class Webhook:
    """The webhook a bot set, and how delivering to it went."""

    url: str
    bot_id: int
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None

    def info(self, pending: int, allowed_updates: list[str] | None) -> JSON:
        """Return the Bot API ``WebhookInfo`` object."""
        info: JSON = {
            "url": self.url,
            "has_custom_certificate": False,
            "pending_update_count": pending,
            "max_connections": self.max_connections,
        }
        optional = {
            "ip_address": self.ip_address,
            "last_error_date": self.last_error_date,
            "last_error_message": self.last_error_message,
            "allowed_updates": allowed_updates,
        }
        info.update({key: value for key, value in optional.items() if value})
        return info


@dataclass
class CallbackRecord:
    """A callback query the user caused, which the bot may answer once."""

    chat_id: int
    message_id: int
    answered: bool = False


class SandboxState:
    """Everything the simulated Telegram knows: users, chats, files, updates and the logs."""

    def __init__(self, first_update_id: int = 1) -> None:
        """Start empty; users appear when registered or first mentioned. Update ids start at
        `first_update_id` (Telegram's "start from a certain positive number")."""
        self.users: dict[int, SimUser] = {}
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.updates: list[JSON] = []  # not yet confirmed by getUpdates/delivered, oldest first
        self.allowed_updates: list[str] | None = None  # shared by getUpdates and setWebhook
        self.webhook: Webhook | None = None
        self.callback_queries: dict[str, CallbackRecord] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}  # (scope, language) -> commands
        self.profile: dict[tuple[str, str], str] = {}  # (name/description/..., language) -> text
        self.menu_buttons: dict[int | None, JSON] = {}
        self.violations: list[JSON] = []
        self.unsupported = 0
        self.faults: list[Fault] = []
        self.faults_served = 0
        self.requests: list[JSON] = []
        self.closing = False
        self.changed = asyncio.Condition()
        # Called with ("handed", {"updates", "time"}) when updates go to the bot (getUpdates
        # answer, webhook POST) and ("request", log entry) after each Bot API request: a
        # benchmark's clock, with no cost when nobody observes.
        self.observers: list[Callable[[str, JSON], None]] = []
        # Update ids keep growing across reset(), or a polling bot would ignore new updates
        # whose id is below the offset it already confirmed.
        self._update_ids = itertools.count(first_update_id)
        self._file_numbers = itertools.count(1)

    # Waiting ----------------------------------------------------------------------------------

    def observe(self, kind: str, event: JSON) -> None:
        """Tell every observer what just happened."""
        for observer in self.observers:
            observer(kind, event)

    async def notify(self) -> None:
        """Wake every long poll so it re-checks what it waits for."""
        async with self.changed:
            self.changed.notify_all()

    async def wait_for(self, predicate: Callable[[], bool], seconds: float | None) -> bool:
        """Wait up to ``seconds`` (None: no limit) for ``predicate``; return its final value."""
        if (seconds is None or seconds > 0) and not predicate():
            async with self.changed:
                try:
                    async with asyncio.timeout(seconds):
                        await self.changed.wait_for(lambda: self.closing or predicate())
                except TimeoutError:
                    pass
        return predicate()

    # Users and chats --------------------------------------------------------------------------

    def user(self, user_id: int | None = None) -> SimUser:
        """Return a simulated user, registering a default citizen on first mention."""
        user_id = DEFAULT_USER_ID if user_id is None else user_id
        if user_id not in self.users:
            name = DEFAULT_FIRST_NAME if user_id == DEFAULT_USER_ID else f"Citizen {user_id}"
            self.users[user_id] = SimUser(user_id, name)
        return self.users[user_id]

    def register_user(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        role: str | None = None,
    ) -> SimUser:
        """Add a user or update one in place; None keeps a field, "" clears an optional one."""
        if role is not None and role not in ROLES:
            raise ControlError(f"role must be one of {', '.join(ROLES)}")
        if first_name is not None and not first_name.strip():
            raise ControlError("first_name must not be empty")
        user = self.user(user_id)  # the chat keeps pointing at this same object
        user.first_name = first_name or user.first_name
        user.role = role or user.role
        for key, value in (
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
        ):
            if value is not None:
                setattr(user, key, value or None)
        return user

    def chat(self, user_id: int | None = None) -> Chat:
        """Return the chat with a user, creating both if needed."""
        user = self.user(user_id)
        if user.user_id not in self.chats:
            self.chats[user.user_id] = Chat(user)
        return self.chats[user.user_id]

    def bot_chat(self, chat_id: int | str | None) -> Chat:
        """Return the chat a bot addresses, which must be a known user's private chat."""
        # Telegram refuses chats the bot has never seen, so a bot that confuses ids fails here
        # too; groups and @usernames don't exist. The default citizen always exists.
        known = chat_id in self.chats or chat_id in self.users or chat_id == DEFAULT_USER_ID
        if isinstance(chat_id, int) and not isinstance(chat_id, bool) and known:
            return self.chat(chat_id)
        raise bad_request("chat not found")

    # Updates ----------------------------------------------------------------------------------

    def enqueue(self, kind: str, payload: JSON) -> int:
        """Queue an update of type ``kind`` (a snapshot of ``payload``); return its id."""
        update_id = next(self._update_ids)
        allowed = self.allowed_updates
        # Telegram doesn't even store updates of types the bot didn't ask for.
        if (kind in allowed) if allowed else (kind not in _OPT_IN_UPDATES):
            self.updates.append({"update_id": update_id, kind: copy.deepcopy(payload)})
        return update_id

    def confirm(self, offset: int) -> None:
        """Forget updates below ``offset``; a negative offset keeps only the last -offset."""
        if offset < 0:
            self.updates = self.updates[offset:]
        else:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]

    # What the simulated users do --------------------------------------------------------------

    def _user_message(self, chat: Chat, content: JSON) -> tuple[StoredMessage, int]:
        """Add a message from the chat's user and queue it as a ``message`` update."""
        message = chat.add(chat.user.telegram(), content, from_bot=False)
        return message, self.enqueue("message", message.data)

    def send_text(self, user_id: int | None, text: str) -> tuple[StoredMessage, int]:
        """The user types and sends ``text``."""
        if not text.strip():
            raise ControlError("text must not be empty")
        chat = self.chat(user_id)
        content: JSON = {"text": text}
        if entities := command_entities(text):
            content["entities"] = entities
        chat.press_reply_button(lambda button: button.get("text") == text)
        return self._user_message(chat, content)

    def send_contact(
        self, user_id: int | None, phone: str, first_name: str | None = None
    ) -> tuple[StoredMessage, int]:
        """The user shares their own phone number."""
        if not phone.strip():
            raise ControlError("phone must not be empty")
        chat = self.chat(user_id)
        user = chat.user
        contact: JSON = {
            "phone_number": phone,
            "first_name": first_name or user.first_name,
            "user_id": user.user_id,
        }
        if user.last_name:
            contact["last_name"] = user.last_name
        chat.press_reply_button(lambda button: bool(button.get("request_contact")))
        return self._user_message(chat, {"contact": contact})

    def send_file(
        self,
        user_id: int | None,
        kind: str,
        data: bytes,
        *,
        caption: str | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> tuple[StoredMessage, int]:
        """The user sends a photo, document or sticker."""
        chat = self.chat(user_id)
        stored = self.store_file(kind, data, file_name=file_name, mime_type=mime_type)
        content = stored.content()
        if caption:
            content["caption"] = caption
        return self._user_message(chat, content)

    def click(self, user_id: int | None, message_id: int, data: str) -> tuple[str, int]:
        """The user taps an inline button; return the callback query id and update id."""
        chat = self.chat(user_id)
        message = chat.messages.get(message_id)
        if message is None or not message.from_bot:
            raise ControlError(f"the bot has no message {message_id} in this chat")
        if not message.has_button(data):
            raise ControlError(f"message {message_id} has no inline button with this data")
        query_id = str(secrets.randbits(62))
        self.callback_queries[query_id] = CallbackRecord(chat.chat_id, message_id)
        query = {
            "id": query_id,
            "from": chat.user.telegram(),
            "message": message.data,
            "chat_instance": chat.instance,
            "data": data,
        }
        return query_id, self.enqueue("callback_query", query)

    # Files ------------------------------------------------------------------------------------

    def store_file(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        """Keep an uploaded file under a new file_id and file_path."""
        number = next(self._file_numbers)
        fields: JSON = {}
        extension = PurePosixPath(file_name or "").suffix or _DEFAULT_EXTENSION[kind]
        if kind == "photo":
            width, height = image_size(data) or (800, 600)
            fields = {"width": width, "height": height}
            extension = ".png" if data.startswith(b"\x89PNG") else ".jpg"
        elif kind == "sticker":
            fields = {
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "👍",
            }
        else:
            if kind in ("voice", "video"):
                # The sandbox does not decode media; every clip lasts one second.
                fields["duration"] = 1
            if kind == "video":
                fields.update(width=640, height=360)
            if file_name and kind != "voice":
                fields["file_name"] = file_name
            mime = mime_type or mimetypes.guess_type(file_name or "")[0] or _DEFAULT_MIME.get(kind)
            if mime:
                fields["mime_type"] = mime
        file_id = _FILE_ID_PREFIX[kind] + secrets.token_urlsafe(36)
        stored = StoredFile(
            file_id=file_id,
            file_unique_id="AgAD" + secrets.token_urlsafe(9),
            kind=kind,
            data=data,
            file_path=f"{_FOLDER[kind]}/file_{number}{extension.lower()}",
            fields=fields,
        )
        self.files[file_id] = stored
        return stored

    def file_by_path(self, file_path: str) -> StoredFile | None:
        """Find a stored file by the file_path that getFile gave out."""
        return next((f for f in self.files.values() if f.file_path == file_path), None)

    def sticker_bytes(self) -> bytes:
        """Return the bytes of the sandbox's only sticker."""
        return _STICKER_WEBP

    # Logs and faults --------------------------------------------------------------------------

    def record_violation(self, method: str, error: ApiError) -> None:
        """Remember a request Telegram would have refused."""
        self.violations.append(
            {
                "method": method,
                "error_code": error.code,
                "description": error.description,
                "time": time.time(),
            }
        )
        log.warning("violation in %s: %s", method, error.description)

    def add_fault(
        self,
        method: str = "*",
        kind: str = "429",
        count: int = 1,
        retry_after: int = 2,
        delay: float = 1.5,
    ) -> Fault:
        """Make the next ``count`` Bot API requests to ``method`` (or ``*``) fail as ``kind``."""
        if kind not in FAULT_KINDS:
            raise ControlError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        if count < 1 or retry_after < 1 or delay < 0:
            raise ControlError("count and retry_after must be positive, delay not negative")
        fault = Fault(method, kind, count, retry_after, delay)
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Forget every fault not yet served."""
        self.faults.clear()

    def take_fault(self, method: str) -> Fault | None:
        """Use up one serving of the first fault matching ``method``, if any."""
        fault = next((f for f in self.faults if f.matches(method)), None)
        if fault is not None:
            fault.count -= 1
            self.faults_served += 1
            if fault.count == 0:
                self.faults.remove(fault)
        return fault

    def reset(self) -> None:
        """Forget chats, updates, files, logs and faults; keep users, webhook and commands."""
        self.chats.clear()
        self.files.clear()
        self.updates.clear()
        self.callback_queries.clear()
        self.violations.clear()
        self.unsupported = 0
        self.faults.clear()
        self.faults_served = 0
        self.requests.clear()
