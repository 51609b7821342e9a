"""Failures around the conversation: the database, Telegram's refusals and flood control."""

import logging

import pytest
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import SendMessage
from aiogram.types import Update
from sqlalchemy import func, select, text

from bot.texts import Texts
from storage.db import create_engine, create_session_pool
from storage.models import DraftRow
from tests.conftest import Harness, fresh_postgres, terminate_backend

T = Texts()


async def test_database_down_gets_a_polite_apology_and_nothing_else(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/missing-dir/none.db")
    h = Harness(create_session_pool(engine))
    c = h.citizen(language_code="kk")
    sent = await c.send("/start")
    assert sent == [T.get("kk", "error-generic")]
    assert h.recording.violations == []
    await engine.dispose()


async def test_a_failed_commit_sends_none_of_the_replies(harness, monkeypatch):
    c = harness.citizen(language_code="en")
    await c.send("/start")
    await c.click("English")

    async def broken_save(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("storage.repositories.DraftRepository.save", broken_save)
    sent = await c.click(T.get("en", "choice-consent-agree"))
    # Only the apology: the next question is not shown, because nothing was stored.
    assert sent == [T.get("en", "error-generic")]
    monkeypatch.undo()
    # The draft is as it was: the same button works once the database is back.
    sent = await c.click(T.get("en", "choice-consent-agree"))
    assert T.get("en", "ask-filer") in sent[-1]


@pytest.mark.postgres
async def test_a_database_connection_that_died_costs_the_citizen_nothing(caplog):
    """A PostgreSQL restart or a dropped NAT entry kills a pooled connection that was in use
    a moment ago (the pool pings only idle ones): the next update runs again on a new one."""
    url = await fresh_postgres()
    engine = create_engine(url, pool_size=1)  # the bot's one connection, reused each time
    try:
        h = Harness(create_session_pool(engine))
        c = h.citizen(language_code="en")
        await c.send("/start")
        async with engine.connect() as connection:
            pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await terminate_backend(url, pid)

        with caplog.at_level(logging.WARNING, logger="bot.middlewares"):
            sent = await c.click("English")
        assert T.get("en", "error-generic") not in sent
        assert T.get("en", "ask-consent").splitlines()[0] in sent[-1]
        assert "database connection found dead" in caplog.text
        assert h.recording.violations == []
    finally:
        await engine.dispose()


async def test_an_edit_telegram_refuses_does_not_disturb_the_conversation(harness):
    c = harness.citizen(language_code="en")
    await c.send("/start")
    harness.recording.queue_api_error(
        "editMessageReplyMarkup",
        400,
        "Bad Request: message is not modified: specified new message content and reply "
        "markup are exactly the same as a current content and reply markup of the message",
    )
    sent = await c.click("English")
    assert T.get("en", "error-generic") not in sent
    assert T.get("en", "ask-consent").splitlines()[0] in sent[-1]


async def test_flood_control_is_waited_out_and_the_message_still_goes(harness):
    c = harness.citizen(language_code="en")
    harness.recording.queue_error(
        "sendMessage",
        TelegramRetryAfter(
            method=SendMessage(chat_id=c.user_id, text="x"),
            message="Too Many Requests",
            retry_after=0,
        ),
    )
    sent = await c.send("/start")
    # The first attempt was refused, the second delivered the same text.
    assert len(sent) == 2 and sent[0] == sent[1] == T.get("en", "ask-language")
    async with harness.session_pool() as s:
        assert await s.scalar(select(func.count()).select_from(DraftRow)) == 1


async def test_an_update_delivered_twice_is_handled_once(harness):
    c = harness.citizen(language_code="en")
    payload = {
        "update_id": 777,
        "message": {
            "message_id": 1,
            "date": 0,
            "text": "/start",
            "chat": c.chat,
            "from": c.user,
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    for _ in range(2):  # Telegram redelivers, or two processes see the same update
        await harness.dp.feed_update(harness.bot, Update.model_validate(payload))
    assert harness.recording.sent_texts() == [T.get("en", "ask-language")]


async def test_an_update_whose_handling_failed_is_handled_again(harness, monkeypatch):
    c = harness.citizen(language_code="en")
    payload = {
        "update_id": 778,
        "message": {
            "message_id": 1,
            "date": 0,
            "text": "/start",
            "chat": c.chat,
            "from": c.user,
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }

    async def broken_save(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("storage.repositories.DraftRepository.save", broken_save)
    await harness.dp.feed_update(harness.bot, Update.model_validate(payload))
    monkeypatch.undo()
    await harness.dp.feed_update(harness.bot, Update.model_validate(payload))
    assert harness.recording.sent_texts() == [
        T.get("en", "error-generic"),
        T.get("en", "ask-language"),
    ]


async def test_a_flood_gets_one_polite_answer_and_is_cut(harness):
    c = harness.citizen(language_code="en")
    await c.send("/start")
    harness.recording.clear()
    for i in range(50):  # far faster than anyone types or taps
        await c.send(f"spam {i}")
    sent = harness.recording.sent_texts()
    assert sent.count(T.get("en", "flood-slow-down")) == 1
    # 40 updates a window: /start and 39 of the spam were handled, the rest cut.
    assert len([s for s in sent if s != T.get("en", "flood-slow-down")]) == 39 * 2
