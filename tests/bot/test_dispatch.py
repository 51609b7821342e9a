"""How updates travel through the production dispatcher: nothing on the way leaves the event
loop. aiogram runs a synchronous filter or handler in a worker thread, one hop per check."""

import asyncio
from typing import Any

from aiogram import Dispatcher
from aiogram.dispatcher.event.handler import CallableObject
from aiogram.dispatcher.event.telegram import TelegramEventObserver

from bot.factory import build_dispatcher
from bot.filters import Magic
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
