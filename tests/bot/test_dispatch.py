"""How updates travel through the production dispatcher: nothing on the way leaves the event
loop (aiogram runs a synchronous filter or handler in a worker thread, one hop per check), and
behind a webhook the callback answer rides back in the HTTP answer."""

import asyncio
from typing import Any

import pytest
from aiogram import Dispatcher
from aiogram.dispatcher.event.handler import CallableObject
from aiogram.dispatcher.event.telegram import TelegramEventObserver
from aiogram.filters import Command, StateFilter
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import Message, Update

from bot.factory import build_dispatcher
from bot.filters import COMMAND_LIKE, CommandLike, Magic, StaffOrInState
from bot.middlewares import REPLY_IN_RESPONSE
from bot.routers.followup import CitizenInput
from bot.routers.staff import StaffFilter, StaffInput
from dialogs.casework import Role, Staff
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


# --- router gates (bot/filters.py) ----------------------------------------------------------


def _message(text: str | None = None, caption: str | None = None) -> Message:
    return Message.model_validate(
        {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 5, "type": "private"},
            "text": text,
            "caption": caption,
        }
    )


@pytest.mark.parametrize(
    ("text", "caption", "passes"),
    [
        ("/start", None, True),
        ("  /help me", None, True),  # aiogram's Command splits off leading blanks too
        ("/forget@OmbudsmanBot", None, True),
        (None, "/appeal PAV-2026-000001", True),  # Command reads a caption as well
        ("hello /start", None, False),
        ("", None, False),
        (None, None, False),
    ],
)
async def test_the_command_gate_passes_what_a_command_could_match(text, caption, passes):
    assert await COMMAND_LIKE(_message(text, caption)) is passes
    # The gate never hides a message an aiogram Command would take.
    if not passes:
        assert not await Command("start", "forget", "help")(_message(text, caption), bot=None)


async def test_the_state_gate_passes_staff_or_the_groups_states():
    staff_gate = StaffOrInState(StaffInput, staff=True)
    citizen_gate = StaffOrInState(CitizenInput, staff=False)
    member = Staff(user_id=7, role=Role.CENTRAL, active=False)
    message = _message("text")
    assert await staff_gate(message, staff=member, raw_state=None)
    assert await staff_gate(message, staff=None, raw_state=StaffInput.note.state)
    assert not await staff_gate(message, staff=None, raw_state=CitizenInput.answer.state)
    assert not await staff_gate(message, staff=None, raw_state=None)
    assert await citizen_gate(message, staff=None, raw_state=CitizenInput.add_info.state)
    assert not await citizen_gate(message, staff=member, raw_state=None)


def test_every_message_handler_behind_a_gate_needs_what_the_gate_lets_through(session_pool):
    """A handler added later to a gated router without the gate's condition would never run:
    this names it."""
    dp = build_dispatcher(session_pool=session_pool, understanding=plain_understanding())
    needs = {
        CommandLike: lambda f: isinstance(f, Command),  # CommandStart is a Command
        StaffOrInState: lambda f: isinstance(f, StateFilter | StaffFilter),
    }
    gated = 0
    for router in dp.chain_tail:
        gates = [f.callback for f in router.message._handler.filters or ()]
        for gate in gates:
            need = needs.get(type(gate))
            if need is None:
                continue
            gated += 1
            for handler in router.message.handlers:
                own = [f.callback for f in handler.filters or ()]
                assert any(need(f) for f in own), f"{router.name}: {handler.callback.__name__}"
    assert gated == 4  # staff, follow-up, privacy and commands
