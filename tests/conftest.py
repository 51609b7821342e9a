"""Shared fixtures: a migrated SQLite database and the production dispatcher on a recording
session, driven by simulated citizens."""

import itertools
import json
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Update
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.factory import build_bot, build_dispatcher
from bot.flow import Understanding
from bot.outbox import Postman, Throttle
from dialogs.vocabulary import Category, Region
from nlu.urgency import is_urgent
from storage.crypto import Keyring, generate_key, install_keyring
from storage.db import (
    create_engine,
    create_session_pool,
    empty_postgres_database,
    upgrade_to_head,
)
from tests.recording import RecordingSession

BOT_TOKEN = "42:TEST"
# The tests' keys, fixed per run: a failure can be replayed, and none is a real key.
TEST_ENCRYPTION_KEY, TEST_BLIND_INDEX_KEY = generate_key(), generate_key()
TEST_KEYRING = Keyring([TEST_ENCRYPTION_KEY], TEST_BLIND_INDEX_KEY)


@pytest.fixture(autouse=True)
def keyring() -> Iterator[Keyring]:
    """Every test runs with encryption keys installed, as the composition root does; a test
    may install others (rotation) and gets the default back afterwards."""
    install_keyring(TEST_KEYRING)
    yield TEST_KEYRING
    install_keyring(TEST_KEYRING)


@pytest.fixture(scope="session")
def test_keyring() -> Keyring:
    """The tests' keys for fixtures wider than one test (a database seeded once per module),
    which are set up before the per-test `keyring` and must encrypt with the same keys."""
    return TEST_KEYRING


@pytest.fixture
def keyring_environment() -> dict[str, str]:
    """The installed test keys as a command-line tool reads them from the environment.

    A fixture, not an import: pytest may load this file under another module name than a test's
    `import tests.conftest` would, and each load makes its own keys.
    """
    return {"ENCRYPTION_KEYS": TEST_ENCRYPTION_KEY, "BLIND_INDEX_KEY": TEST_BLIND_INDEX_KEY}


POSTGRES_URL_VARIABLE = "TEST_POSTGRES_URL"


def postgres_url() -> str:
    """The test PostgreSQL database's URL; skips the test when TEST_POSTGRES_URL is not set
    (a laptop without the service)."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set: PostgreSQL tests need a server")
    return url


async def fresh_postgres() -> str:
    """The URL of the test PostgreSQL database, emptied and migrated (skips as above)."""
    url = postgres_url()
    await empty_postgres_database(url)
    await upgrade_to_head(url)
    return url


async def terminate_backend(url: str, pid: int) -> None:
    """What a server restart or a NAT timeout does to a pooled connection: the server side of
    connection `pid` is gone, the client does not know yet."""
    killer = create_engine(url)
    try:
        async with killer.begin() as connection:
            stmt = text("SELECT pg_terminate_backend(:pid)")
            assert (await connection.execute(stmt, {"pid": pid})).scalar_one()
    finally:
        await killer.dispose()


@pytest.fixture
async def db_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await upgrade_to_head(url)
    return url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def session_pool(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_pool(engine)


def plain_understanding(
    suggestions: tuple[tuple[Category, float], ...] = (),
    region: Region | None = None,
) -> Understanding:
    """The bot's understanding with fixed classifier answers, so tests choose what is proposed."""
    return Understanding(
        suggest=lambda _: suggestions, is_urgent=is_urgent, find_region=lambda _: region
    )


UNTHROTTLED = Throttle(rate=1e6, per_chat=1e6, per_group=1e6)


class Harness:
    """The production dispatcher with a Bot whose session records and checks every request."""

    def __init__(self, session_pool: async_sessionmaker[AsyncSession], **kw: Any) -> None:
        self.session_pool = session_pool
        self.recording = RecordingSession()
        self.bot: Bot = build_bot(BOT_TOKEN, session=self.recording)
        self.understanding = kw.pop("understanding", plain_understanding())
        # A scripted citizen answers faster than any person: Telegram's per-chat pace (tested
        # in tests/bot/test_outbox.py) would only make these tests slow.
        kw.setdefault("postman", Postman(session_pool, throttle=UNTHROTTLED))
        self.dispatcher_options = kw
        self.dp: Dispatcher = self.new_dispatcher()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(10_000)

    def new_dispatcher(self) -> Dispatcher:
        """A fresh dispatcher on the same database: what a restarted process would have."""
        return build_dispatcher(
            session_pool=self.session_pool,
            understanding=self.understanding,
            **self.dispatcher_options,
        )

    def restart(self) -> None:
        self.dp = self.new_dispatcher()

    async def feed(self, payload: dict[str, Any]) -> None:
        payload = {"update_id": next(self._update_ids), **payload}
        await self.dp.feed_update(
            self.bot, Update.model_validate(payload, context={"bot": self.bot})
        )

    def citizen(self, user_id: int = 1001, language_code: str | None = "ru") -> "Citizen":
        return Citizen(self, user_id, language_code)

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in a chat as they stand now (edits applied), oldest first."""
        stored = self.recording.messages  # the recording session's model of the chat
        return [m for (c, _), m in sorted(stored.items()) if c == chat_id]


class Citizen:
    """A simulated Telegram user in a private chat with the bot."""

    def __init__(self, harness: Harness, user_id: int, language_code: str | None) -> None:
        self.h = harness
        self.user_id = user_id
        self.user = {"id": user_id, "is_bot": False, "first_name": "Test"}
        if language_code:
            self.user["language_code"] = language_code
        self.chat = {"id": user_id, "type": "private", "first_name": "Test"}

    # --- what the citizen does ---

    async def send(self, text: str) -> list[str]:
        message = self._message(text=text)
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return await self._feed({"message": message})

    async def click(self, label: str, *, message: dict[str, Any] | None = None) -> list[str]:
        """Press the inline button whose text contains `label` on the newest message with it."""
        target, data = self.find_button(label, message=message)
        query = {
            "id": str(next(self.h._update_ids)),
            "from": self.user,
            "chat_instance": "ci",
            "data": data,
            "message": {k: target[k] for k in ("message_id", "date", "chat", "from", "text")},
        }
        return await self._feed({"callback_query": query})

    async def contact(self, phone: str, *, own: bool = True) -> list[str]:
        contact = {"phone_number": phone, "first_name": "Test"}
        if own:
            contact["user_id"] = self.user_id
        return await self._feed({"message": self._message(contact=contact)})

    async def photo(self, unique: str = "ph1", caption: str | None = None) -> list[str]:
        sizes = [
            {"file_id": f"{unique}-s", "file_unique_id": f"{unique}s", "width": 90, "height": 90},
            {
                "file_id": unique,
                "file_unique_id": unique,
                "width": 800,
                "height": 600,
                "file_size": 50_000,
            },
        ]
        extra = {"caption": caption} if caption else {}
        return await self._feed({"message": self._message(photo=sizes, **extra)})

    async def voice(self, unique: str = "v1") -> list[str]:
        voice = {"file_id": unique, "file_unique_id": unique, "duration": 12}
        return await self._feed({"message": self._message(voice=voice)})

    async def document(self, mime: str, size: int = 1000, unique: str = "d1") -> list[str]:
        doc = {
            "file_id": unique,
            "file_unique_id": unique,
            "mime_type": mime,
            "file_size": size,
            "file_name": "f",
        }
        return await self._feed({"message": self._message(document=doc)})

    async def sticker(self) -> list[str]:
        sticker = {
            "file_id": "st",
            "file_unique_id": "st",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return await self._feed({"message": self._message(sticker=sticker)})

    # --- what the citizen sees ---

    def messages(self) -> list[dict[str, Any]]:
        return self.h.bot_messages(self.user_id)

    def last_text(self) -> str:
        return self.messages()[-1]["text"]

    def buttons(self, message: dict[str, Any] | None = None) -> list[str]:
        """Labels of the inline keyboard of the newest message that has one."""
        message = message or self._newest_with_keyboard()
        markup = message.get("reply_markup") or {}
        return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]

    def reply_keyboard(self) -> list[str]:
        """Labels of the reply keyboard last sent (the phone step's keyboard)."""
        for request in reversed(self.h.recording.requests_of("sendMessage")):
            markup = json.loads(request.params.get("reply_markup") or "{}")
            if "keyboard" in markup:
                return [b["text"] for row in markup["keyboard"] for b in row]
            if "remove_keyboard" in markup:
                return []
        return []

    def find_button(
        self, label: str, *, message: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], str]:
        candidates = [message] if message else reversed(self.messages())
        for m in candidates:
            for row in (m.get("reply_markup") or {}).get("inline_keyboard", []):
                for b in row:
                    if label.casefold() in b["text"].casefold():
                        return m, b["callback_data"]
        raise AssertionError(f"no button {label!r}; last buttons: {self.buttons()}")

    def _newest_with_keyboard(self) -> dict[str, Any]:
        for m in reversed(self.messages()):
            if (m.get("reply_markup") or {}).get("inline_keyboard"):
                return m
        raise AssertionError("no message with an inline keyboard")

    def _message(self, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self.h._message_ids),
            "date": int(time.time()),
            "chat": self.chat,
            "from": self.user,
            **content,
        }

    async def _feed(self, payload: dict[str, Any]) -> list[str]:
        before = len(self.h.recording.requests)
        await self.h.feed(payload)
        new = self.h.recording.requests[before:]
        return [r.params["text"] for r in new if r.method_name == "sendMessage"]


@pytest.fixture
def harness(session_pool: async_sessionmaker[AsyncSession]) -> Iterator[Harness]:
    h = Harness(session_pool)
    yield h
    # Whatever the test checked, every request the bot sent must be one the Bot API accepts.
    assert h.recording.violations == [], h.recording.violations


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """In CI (REQUIRE_SERVICES=1) a skipped postgres or redis test is a failure, not a pass."""
    report = yield
    needs_service = any(any(item.iter_markers(name)) for name in ("postgres", "redis"))
    if report.skipped and os.environ.get("REQUIRE_SERVICES") == "1" and needs_service:
        report.outcome = "failed"
        report.longrepr = f"{item.nodeid}: skipped although CI requires its service"
    return report
