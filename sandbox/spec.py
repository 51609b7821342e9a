"""Validate Telegram Bot API requests against the machine-readable spec in ``api.json``.

Standard library only: the test session (``tests/recording.py``) and the fake Bot API server
both use it, and neither should drag a framework into the other.

Requests are checked as they travel over the wire. A multipart/form-data request carries
every parameter as a string (``"42"``, ``"true"``, JSON text for objects and arrays), while a
JSON body or a webhook reply carries native values; both are accepted. Uploaded files are
``UploadedFile`` markers, either directly under the parameter name or under a separate part
that the parameter references as ``attach://<part name>`` (aiogram always does the latter).
"""

from __future__ import annotations

import functools
import html
import json
import math
import os
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["PARSE_MODES", "BotApiSpec", "UploadedFile"]

_DEFAULT_PATH = Path(__file__).with_name("api.json")

PARSE_MODES = frozenset({"HTML", "Markdown", "MarkdownV2"})

_ARRAY = "Array of "
_SCALARS = frozenset({"Integer", "String", "Boolean", "Float", "InputFile"})
_INTEGER = re.compile(r"-?\d+")
_ATTACH = re.compile(r"attach://(.+)")
# An attach:// reference inside form-encoded JSON text is a whole JSON string literal.
_ATTACH_IN_JSON = re.compile(r'"attach://([^"\\]+)"')
# The discriminator of a subtype, e.g. 'Type of the media, must be photo' or
# 'Source of the boost, always "premium"'.
_DISCRIMINATOR = re.compile(r', (?:must be|always) "?([a-z0-9_]+)"?$')


@dataclass(frozen=True)
class UploadedFile:
    """A file sent as a multipart/form-data part of its own rather than as a text value."""

    name: str
    data: bytes = b""


@dataclass(frozen=True)
class _Limit:
    """A length limit that Telegram states only in a field's prose description."""

    low: int
    high: int | None
    unit: str = "characters"  # or "bytes"
    entity_parsing: bool = False  # counted after parse_mode markup is removed


# (method or type name, field name) -> limit, as written in the descriptions of Bot API 10.1.
_LIMITS: dict[tuple[str, str], _Limit] = {
    ("sendMessage", "text"): _Limit(1, 4096, entity_parsing=True),
    ("editMessageText", "text"): _Limit(1, 4096, entity_parsing=True),
    ("InputTextMessageContent", "message_text"): _Limit(1, 4096, entity_parsing=True),
    ("answerCallbackQuery", "text"): _Limit(0, 200),
    ("postStory", "caption"): _Limit(0, 2048, entity_parsing=True),
    ("editStory", "caption"): _Limit(0, 2048, entity_parsing=True),
    ("InlineKeyboardButton", "callback_data"): _Limit(1, 64, unit="bytes"),
    ("KeyboardButton", "text"): _Limit(1, None),
    ("BotCommand", "command"): _Limit(1, 32),
    ("BotCommand", "description"): _Limit(1, 256),
    ("setWebhook", "secret_token"): _Limit(1, 256),
}
# Every other ``caption`` a bot sends (send*/copy*/edit* methods, InputMedia*, InlineQueryResult*)
# is "0-1024 characters after entities parsing"; captions of received objects have no limit.
_CAPTION_LIMIT = _Limit(0, 1024, entity_parsing=True)
_CAPTIONED_TYPES = ("InputMedia", "InlineQueryResult")

_PATTERNS: dict[tuple[str, str], tuple[re.Pattern[str], str]] = {
    ("BotCommand", "command"): (
        re.compile(r"[a-z0-9_]*"),
        "lowercase English letters, digits and underscores",
    ),
    ("setWebhook", "secret_token"): (re.compile(r"[A-Za-z0-9_-]*"), "A-Z, a-z, 0-9, _ and -"),
}

# "Exactly one of the fields other than text, icon_custom_emoji_id, and style must be used to
# specify the type of the button."
_BUTTON_DECORATIONS = frozenset({"text", "icon_custom_emoji_id", "style"})


def _join(path: str, key: str) -> str:
    """Extend a field path such as ``reply_markup.inline_keyboard[0]`` by one field."""
    return f"{path}.{key}" if path else key


def _describe(value: object) -> str:
    """Name a wire value's JSON kind and show it briefly, for violation messages."""
    kinds: list[tuple[type | tuple[type, ...], str]] = [
        (bool, "boolean"),
        (int, "integer"),
        (float, "number"),
        (str, "string"),
        ((list, tuple), "array"),
        (dict, "object"),
        (UploadedFile, "uploaded file"),
    ]
    kind = next((name for cls, name in kinds if isinstance(value, cls)), type(value).__name__)
    if isinstance(value, UploadedFile):
        return f"{kind} {value.name!r}"
    shown = repr(value) if value is None or isinstance(value, str) else json.dumps(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{kind} {shown}"


def _visible_length(text: str, parse_mode: object) -> int:
    """Approximate a text's length after Telegram parses its parse_mode markup."""
    # HTML: tags are stripped and entities unescaped. Markdown(V2): an escaped character counts
    # once, link targets and markup characters are not counted, so a literal * or _ is missed.
    # Both err towards accepting a text Telegram might reject, never the other way round.
    if parse_mode == "HTML":
        return len(html.unescape(re.sub(r"<[^>]*>", "", text)))
    if parse_mode in ("Markdown", "MarkdownV2"):
        text = re.sub(r"\\.", "x", text)
        text = re.sub(r"\]\([^)]*\)", "]", text)
        return len(re.sub(r"[*_~|`\[\]]", "", text))
    return len(text)


def _attach_references(value: object) -> Iterator[str]:
    """Yield every ``attach://<name>`` reference in a request, including inside JSON text."""
    if isinstance(value, str):
        if match := _ATTACH.fullmatch(value):
            yield match.group(1)
        elif value.startswith(("{", "[")):
            yield from _ATTACH_IN_JSON.findall(value)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _attach_references(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _attach_references(item)


class BotApiSpec:
    """The Bot API methods and types from ``api.json``, and a validator for requests."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        """Index the parsed ``api.json``; use ``BotApiSpec.load()`` for the cached instance."""
        self.version: str = data["version"]
        self.methods: dict[str, dict[str, Any]] = data["methods"]
        self.types: dict[str, dict[str, Any]] = data["types"]
        # Telegram matches method names case-insensitively (``sendmessage`` works).
        self._method_names = {name.lower(): name for name in self.methods}
        self._discriminators = {
            name: {
                field["name"]: match.group(1)
                for field in spec.get("fields", [])
                if (match := _DISCRIMINATOR.search(field["description"]))
            }
            for name, spec in self.types.items()
            if spec.get("subtype_of")
        }

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> BotApiSpec:
        """Return the spec parsed from ``path`` (default: api.json beside this module), cached."""
        return cls._load_resolved(Path(path or _DEFAULT_PATH).resolve())

    @classmethod
    @functools.cache
    def _load_resolved(cls, path: Path) -> BotApiSpec:
        """Parse one api.json; cached per resolved path, so instances are shared: don't mutate."""
        with path.open(encoding="utf-8") as file:
            return cls(json.load(file))

    def canonical_method(self, name: str) -> str | None:
        """Return the spec's spelling of a method name matched case-insensitively, or None."""
        return self._method_names.get(name.lower())

    def validate(self, method: str, params: Mapping[str, object]) -> list[str]:
        """Return the violations of a request to ``method``; an empty list means it is valid."""
        name = self.canonical_method(method)
        if name is None:
            return [f"{method}: unknown method"]
        uploads = {key for key, value in params.items() if isinstance(value, UploadedFile)}
        references = set(_attach_references(dict(params)))
        errors = [
            f"attach://{ref} refers to a file part that was not uploaded"
            for ref in sorted(references - uploads)
        ]
        # Parts that are only referenced by attach:// are not parameters of their own.
        fields = {key: value for key, value in params.items() if key not in uploads & references}
        errors += self._check_fields(name, self.methods[name], fields, "", wire=True)
        return [f"{name}: {error}" for error in errors]

    def _check_fields(
        self, owner: str, spec: Mapping[str, Any], obj: Mapping[str, Any], path: str, *, wire: bool
    ) -> list[str]:
        """Check the parameters of a method or the fields of an object of type ``owner``."""
        fields = {field["name"]: field for field in spec.get("fields", [])}
        errors = [
            f"{_join(path, name)} is required"
            for name, field in fields.items()
            if field["required"] and obj.get(name) is None
        ]
        for key, value in obj.items():
            field_path = _join(path, key)
            field = fields.get(key)
            if field is None:
                kind = "parameter" if wire else "field"
                errors.append(f"{field_path} is not a {kind} of {owner}")
                continue
            # JSON null means "not set" to the Bot API server, just like leaving a field out.
            if value is None:
                continue
            if wire and isinstance(value, str) and not self._accepts_string(field["types"]):
                # Form data carries objects and arrays as JSON text.
                try:
                    value = json.loads(value)
                except ValueError as exc:
                    errors.append(f"{field_path} is not valid JSON ({exc})")
                    continue
            errors += self._check_value(value, field["types"], field_path)
        errors += self._check_prose(owner, obj, path, fields.keys())
        return errors

    def _accepts_string(self, types: list[str]) -> bool:
        """Tell whether a plain string is a valid value for one of ``types``."""
        for name in types:
            if name in _SCALARS:
                return True
            subtypes = self.types.get(name, {}).get("subtypes")
            if subtypes and self._accepts_string(subtypes):
                return True
        return False

    def _concrete(self, types: list[str]) -> list[str]:
        """Replace abstract types by their subtypes, recursively, keeping the order."""
        result: list[str] = []
        for name in types:
            subtypes = self.types.get(name, {}).get("subtypes")
            for concrete in self._concrete(subtypes) if subtypes else [name]:
                if concrete not in result:
                    result.append(concrete)
        return result

    def _check_value(self, value: object, types: list[str], path: str) -> list[str]:
        """Check a value that must match at least one of the alternatives in ``types``."""
        alternatives = self._concrete(types)
        if isinstance(value, dict):
            objects = [n for n in alternatives if n in self.types and n not in _SCALARS]
            if objects:
                return self._check_object_alternatives(value, objects, path)
        elif isinstance(value, (list, tuple)):
            items = [name.removeprefix(_ARRAY) for name in alternatives if name.startswith(_ARRAY)]
            if items:
                # One union of item types rather than a union of arrays: sendMediaGroup lists
                # "Array of InputMediaPhoto", "Array of InputMediaVideo", ..., yet an album may
                # mix photos and videos.
                errors: list[str] = []
                for index, item in enumerate(value):
                    errors += self._check_value(item, items, f"{path}[{index}]")
                return errors
        elif any(self._is_scalar(value, name) for name in alternatives if name in _SCALARS):
            return []
        return [f"{path} must be {' or '.join(types)}, got {_describe(value)}"]

    def _check_object_alternatives(
        self, value: dict[str, Any], names: list[str], path: str
    ) -> list[str]:
        """Check an object against the object types it may be, reporting the closest match."""
        candidates = [
            name
            for name in names
            if all(
                value.get(key) == const
                for key, const in self._discriminators.get(name, {}).items()
            )
        ]
        if not candidates:
            expected: dict[str, list[str]] = {}
            for name in names:
                for key, const in self._discriminators.get(name, {}).items():
                    expected.setdefault(key, []).append(repr(const))
            # Name the discriminator the value does set, if any, e.g. a wrong "type".
            present = [key for key in expected if value.get(key) is not None]
            key = present[0] if present else next(iter(expected))
            got = "missing" if value.get(key) is None else f"{value[key]!r}"
            choices = expected[key]
            wanted = choices[0] if len(choices) == 1 else f"one of {', '.join(choices)}"
            return [f"{_join(path, key)} is {got}, expected {wanted}"]
        attempts = []
        for name in candidates:
            errors = self._check_fields(name, self.types[name], value, path, wire=False)
            if not errors:
                return []
            known = {field["name"] for field in self.types[name].get("fields", [])}
            attempts.append((len(known & value.keys()), -len(errors), errors))
        # Without a discriminator (reply_markup, InputMessageContent) the alternative sharing
        # the most field names with the value is the one the sender meant.
        return max(attempts, key=lambda attempt: attempt[:2])[2]

    @staticmethod
    def _is_scalar(value: object, name: str) -> bool:
        """Tell whether ``value`` is a valid ``Integer``/``String``/... wire value."""
        # bool is a subclass of int, but JSON true is not a number.
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        # Form data makes every value a string, so "42", "1.5" and "true" stand for numbers
        # and booleans; inside JSON the Bot API server parses quoted numbers too, and aiogram
        # relies on that when it nests a datetime (it sends str(timestamp)).
        if name == "String":
            return isinstance(value, str)
        if name == "Integer":
            if isinstance(value, str):
                return _INTEGER.fullmatch(value) is not None
            return isinstance(value, int) and not isinstance(value, bool)
        if name == "Float":
            if isinstance(value, str):
                try:
                    return math.isfinite(float(value))
                except ValueError:
                    return False
            return number
        if name == "Boolean":
            return isinstance(value, bool) or value in ("true", "false")
        # InputFile: an upload, or a string file_id, HTTP URL or attach:// reference.
        return isinstance(value, UploadedFile) or (isinstance(value, str) and value != "")

    @staticmethod
    def _check_prose(
        owner: str, obj: Mapping[str, Any], path: str, known: Collection[str]
    ) -> list[str]:
        """Apply the limits that Telegram states only in prose to one method call or object."""
        errors = []
        for key, value in obj.items():
            if not isinstance(value, str):
                continue
            field_path = _join(path, key)
            if key.endswith("parse_mode") and value not in PARSE_MODES:
                modes = ", ".join(sorted(PARSE_MODES))
                errors.append(f"{field_path} is {value!r}, expected one of {modes}")
            limit = _LIMITS.get((owner, key))
            # Method names start in lower case, type names in upper case.
            sent = owner[0].islower() or owner.startswith(_CAPTIONED_TYPES)
            if limit is None and key == "caption" and sent:
                limit = _CAPTION_LIMIT
            if limit is not None:
                errors += _check_limit(limit, value, obj.get("parse_mode"), field_path)
            pattern = _PATTERNS.get((owner, key))
            if pattern is not None and not pattern[0].fullmatch(value):
                errors.append(f"{field_path} may contain only {pattern[1]}, got {value!r}")
        if owner == "InlineKeyboardButton":
            actions = sorted(
                key
                for key, value in obj.items()
                if value is not None and key in known and key not in _BUTTON_DECORATIONS
            )
            if len(actions) != 1:
                used = ", ".join(actions) if actions else "none"
                errors.append(
                    f"{path} must set exactly one action field besides text, "
                    f"icon_custom_emoji_id and style, got {used}"
                )
        return errors


def _check_limit(limit: _Limit, value: str, parse_mode: object, path: str) -> list[str]:
    """Check one string against a prose length limit."""
    if limit.unit == "bytes":
        size = len(value.encode("utf-8"))
    elif limit.entity_parsing:
        size = _visible_length(value, parse_mode)
    else:
        size = len(value)
    unit = limit.unit
    if limit.entity_parsing and parse_mode in PARSE_MODES:
        unit += " after entity parsing"
    if size < limit.low:
        return [f"{path} is {size} {unit}, the minimum is {limit.low}"]
    if limit.high is not None and size > limit.high:
        return [f"{path} is {size} {unit}, the limit is {limit.high}"]
    return []
