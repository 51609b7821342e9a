"""How updates travel through the production dispatcher: nothing on the way leaves the event
loop (aiogram runs a synchronous filter or handler in a worker thread, one hop per check), and
behind a webhook the callback answer rides back in the HTTP answer."""

import asyncio
from typing import Any

from aiogram import Dispatcher
from aiogram.dispatcher.event.handler import CallableObject
from aiogram.dispatcher.event.telegram import TelegramEventObserver
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import Update

from bot.factory import build_dispatcher
from bot.filters import Magic
from bot.middlewares import REPLY_IN_RESPONSE
from tests.conftest import Harness, plain_understanding


def _callables(dp: Dispatcher) -> list[tuple[str, CallableObject]]:
    found: list[tuple[str, CallableObject]] = []
    for router in dp.chain_tail:
        for name, observer in router.observers.items():
            where = f"{router.name}.{name}"
            filters = []
            if isinstance(observer, TelegramEventObserver):
                # The router's own .filter(...), kept on a placeholder that is never called.
                filters.extend(observer._handler.filters or ())
            for handler in observer.handlers:
                found.append((f"{where} handler {handler.callback!r}", handler))
                filters.extend(handler.filters or ())
            found.extend((f"{where} filter {f.callback!r}", f) for f in filters)
    return found


def test_every_filter_and_handler_is_awaited_in_the_event_loop(session_pool):
    dp = build_dispatcher(session_pool=session_pool, understanding=plain_understanding())
    found = _callables(dp)
    # Sanity: the walk saw the intake's filters and the routers' private-chat filter.
    assert sum(isinstance(obj.callback, Magic) for _, obj in found) >= 4
    in_threads = [what for what, obj in found if not obj.awaitable]
    assert in_threads == []


async def test_a_message_is_handled_without_a_worker_thread(session_pool, monkeypatch):
    calls: list[Any] = []
    to_thread = asyncio.to_thread

    async def spy(func: Any, /, *args: Any, **kwargs: Any) -> Any:
        calls.append(func)
        return await to_thread(func, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", spy)
    h = Harness(session_pool)
    citizen = h.citizen()
    await citizen.send("/start")
    await citizen.send("hello")
    assert h.recording.requests, "the bot answered"
    assert calls == []


def _press(citizen: Any, label: str, query_id: str) -> Update:
    target, data = citizen.find_button(label)
    query = {
        "id": query_id,
        "from": citizen.user,
        "chat_instance": "ci",
        "data": data,
        "message": {k: target[k] for k in ("message_id", "date", "chat", "from", "text")},
    }
    return Update.model_validate({"update_id": 9000 + int(query_id), "callback_query": query})


async def test_behind_a_webhook_the_callback_answer_rides_in_the_http_answer(harness):
    citizen = harness.citizen()
    await citizen.send("/start")
    before = len(harness.recording.requests)
    update = _press(citizen, "Русский", "1")
    answer = await harness.dp.feed_webhook_update(harness.bot, update, **{REPLY_IN_RESPONSE: True})
    assert isinstance(answer, AnswerCallbackQuery) and answer.callback_query_id == "1"
    sent = [r.method_name for r in harness.recording.requests[before:]]
    assert "answerCallbackQuery" not in sent and "sendMessage" in sent
    # Telegram would run it; the recording checks it against the Bot API spec.
    await harness.bot(answer)
    # A stale button's alert goes the same way; without a webhook the bot sends it itself.
    stale = await harness.dp.feed_webhook_update(
        harness.bot, _press(citizen, "Русский", "2"), **{REPLY_IN_RESPONSE: True}
    )
    assert isinstance(stale, AnswerCallbackQuery) and stale.text
    before = len(harness.recording.requests)
    assert await harness.dp.feed_update(harness.bot, _press(citizen, "Русский", "3")) is None
    assert [r.method_name for r in harness.recording.requests[before:]] == ["answerCallbackQuery"]
