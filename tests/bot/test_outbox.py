"""The persistent outbox as the bot uses it: nothing owed to a person is lost to a crash, an
outage or Telegram's flood control, and each chat reads the bot's messages in order."""

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter
from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.outbox import Postman, Throttle, pack, unpack
from bot.texts import Texts
from storage.outbox import OutboxEntry, OutboxRepository
from storage.repositories import ChatMessages
from tests.conftest import UNTHROTTLED, Harness

T = Texts()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_chat_gets_a_short_burst_then_one_message_a_second():
    clock = FakeClock()
    throttle = Throttle(clock=clock)
    waits = [throttle.reserve(42, "sendMessage") for _ in range(5)]
    assert waits == [0.0, 0.0, 0.0, 1.0, 2.0]
    # Another chat is not held back by the first one's pace.
    assert throttle.reserve(43, "sendMessage") == 0.0
    # Edits and callback answers do not count against the chat.
    assert throttle.reserve(42, "editMessageReplyMarkup") == 0.0


def test_a_group_gets_twenty_messages_a_minute_and_everyone_thirty_a_second():
    clock = FakeClock()
    throttle = Throttle(clock=clock, burst=1)
    assert [throttle.reserve(-100, "sendMessage") for _ in range(3)] == [0.0, 3.0, 6.0]
    busy = Throttle(clock=clock)
    waits = [busy.reserve(chat, "sendMessage") for chat in range(1, 62)]
    # 30 at once (the burst), then one every 1/30 s.
    assert waits[:30] == [0.0] * 30
    assert abs(waits[-1] - 31 / 30) < 1e-9


def test_retry_after_pauses_the_chat():
    clock = FakeClock()
    throttle = Throttle(clock=clock)
    throttle.pause(42, 7)
    assert throttle.peek(42) == 7.0
    clock.now += 7
    assert throttle.peek(42) == 0.0


def test_a_stored_request_is_the_same_request_with_the_bots_defaults():
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Да", callback_data="i1:3:x:y")]]
    )
    method = SendMessage(chat_id=5, text="<b>Привет</b> & 'ok'", reply_markup=markup)
    letter = pack(method)
    assert letter is not None and letter.method == "sendMessage"
    back = unpack(OutboxEntry(1, letter.chat_id, letter.method, letter.payload, 0))
    assert back.model_dump(exclude_none=True) == method.model_dump(exclude_none=True)
    # Requests without a chat (callback answers) are not stored: they only make sense now.
    assert pack(SendMessage.model_construct(chat_id="@channel", text="x")) is None


async def waiting(harness: Harness) -> dict[str, int]:
    async with harness.session_pool() as s:
        return await OutboxRepository(s).counts()


async def test_a_reply_refused_by_the_network_is_delivered_later_and_in_order(harness):
    c = harness.citizen(language_code="en")
    harness.recording.queue_error(
        "sendMessage", TelegramNetworkError(SendMessage(chat_id=1, text="x"), "down")
    )
    sent = await c.send("/start")
    assert sent == [T.get("en", "ask-language")]  # tried once, and failed
    assert harness.bot_messages(c.user_id) == []
    assert await waiting(harness) == {"waiting": 1, "failed": 0}
    # The citizen tries again before the network is back: the new answer queues behind.
    await c.send("/help")
    assert harness.bot_messages(c.user_id) == []
    later = Postman(
        harness.session_pool,
        throttle=UNTHROTTLED,
        clock=lambda: datetime.now(UTC) + timedelta(minutes=10),
    )
    while await later.sweep(harness.bot):
        pass
    texts = [m["text"] for m in harness.bot_messages(c.user_id)]
    assert texts == [T.get("en", "ask-language"), T.get("en", "help")]
    assert await waiting(harness) == {"waiting": 0, "failed": 0}


async def test_a_process_that_dies_after_the_commit_leaves_its_letters_to_the_others(
    harness, monkeypatch
):
    c = harness.citizen(language_code="en")

    async def died(self, *args):  # the process is killed before it can deliver
        raise SystemExit

    monkeypatch.setattr(Postman, "deliver", died)
    with contextlib.suppress(SystemExit):
        await c.send("/start")
    monkeypatch.undo()
    assert harness.bot_messages(c.user_id) == []
    now = datetime.now(UTC)
    other = Postman(harness.session_pool, throttle=UNTHROTTLED, clock=lambda: now)
    # Still leased to the dead process: nobody sends it twice at the same time...
    assert await other.sweep(harness.bot) == 0
    # ...until its lease runs out.
    other.clock = lambda: now + timedelta(seconds=31)
    assert await other.sweep(harness.bot) == 1
    assert [m["text"] for m in harness.bot_messages(c.user_id)] == [T.get("en", "ask-language")]


async def test_letters_delivered_at_once_go_out_as_built_and_swept_ones_as_stored(
    harness, monkeypatch
):
    """Right after the commit the handler's own requests are sent (rebuilding them from the
    stored payload would cost CPU on every update); the sweep rebuilds them from the row."""
    rebuilt = []

    def counting_unpack(entry):
        rebuilt.append(entry.method)
        return unpack(entry)

    monkeypatch.setattr("bot.outbox.unpack", counting_unpack)
    c = harness.citizen(language_code="en")
    await c.send("/start")
    await c.click("English")
    assert rebuilt == []
    assert (
        T.get("en", "ask-consent").splitlines()[0] in harness.bot_messages(c.user_id)[-1]["text"]
    )

    # A letter the process could not deliver at once: the sweep sends it from the row.
    harness.recording.queue_error(
        "sendMessage", TelegramNetworkError(method=SendMessage(chat_id=1, text="x"), message="x")
    )
    await c.click(T.get("en", "choice-consent-agree"))
    assert rebuilt == []  # the failed attempt used the handler's request too
    later = datetime.now(UTC) + timedelta(minutes=10)
    sweeper = Postman(harness.session_pool, throttle=UNTHROTTLED, clock=lambda: later)
    assert await sweeper.sweep(harness.bot) == 1
    assert rebuilt == ["sendMessage"]
    assert T.get("en", "ask-filer") in harness.bot_messages(c.user_id)[-1]["text"]


async def test_a_long_retry_after_is_kept_not_waited_for_and_a_blocked_chat_blocks_nobody(
    harness,
):
    c, d = harness.citizen(2001, "en"), harness.citizen(2002, "en")
    retry = TelegramRetryAfter(SendMessage(chat_id=1, text="x"), "Too Many Requests", 60)
    harness.recording.queue_error("sendMessage", retry)
    await c.send("/start")
    assert harness.bot_messages(c.user_id) == []
    async with harness.session_pool() as s:
        [entry] = await OutboxRepository(s).claim(
            now=datetime.now(UTC) + timedelta(seconds=59),
            lease_until=datetime.now(UTC) + timedelta(minutes=2),
            limit=5,
        ) or [None]
    assert entry is None  # not before Telegram's retry_after
    harness.recording.queue_api_error("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await d.send("/start")
    await d.send("/help")
    # The blocked message is kept aside; the next one to that chat still goes.
    assert [m["text"] for m in harness.bot_messages(d.user_id)] == [T.get("en", "help")]
    assert await waiting(harness) == {"waiting": 1, "failed": 1}


async def test_deliveries_struck_off_later_keep_nobody_waiting(harness):
    """With the bookkeeping batched (as in production), quick answers in one chat still go
    out at once, in order; the outbox is emptied when the batch is recorded."""
    postman = Postman(harness.session_pool, throttle=UNTHROTTLED, record_every=3600)
    h = Harness(harness.session_pool, postman=postman)
    c = h.citizen(2101, "en")
    await c.send("/start")
    await c.send("/help")
    await c.send("/help")
    assert [m["text"] for m in h.bot_messages(c.user_id)] == [
        T.get("en", "ask-language"),
        T.get("en", "help"),
        T.get("en", "help"),
    ]
    assert (await waiting(h))["waiting"] == 3  # delivered, not yet struck off
    await postman.close()
    assert await waiting(h) == {"waiting": 0, "failed": 0}
    async with h.session_pool() as s:
        # The citizen's own messages' ids were noted too, for /clear.
        ids = await ChatMessages(s).since(c.user_id, datetime.now(UTC) - timedelta(hours=1))
    assert len(ids) == 6


async def test_stopping_waits_for_bookkeeping_under_way_and_loses_none_of_it(harness):
    """At shutdown the sweep ends between rounds and a bookkeeping round already under way
    is finished, not cancelled: cancelled inside its transaction it could leave SQLite's write
    lock held (the last round then waited out the 15 s busy timeout) and its deliveries would
    be sent again."""
    postman = Postman(harness.session_pool, throttle=UNTHROTTLED, record_every=0.0)
    h = Harness(harness.session_pool, postman=postman)
    c = h.citizen(2201, "en")
    sweep = asyncio.create_task(postman.run(h.bot, every=3600))
    await c.send("/start")
    await c.send("/help")
    # The bookkeeping of the last answer has started (its transaction is open) or is due.
    postman.stop()
    async with asyncio.timeout(5):
        await sweep  # returns by itself: the wait between rounds ends, nothing is cancelled
        await postman.close()
    assert await waiting(h) == {"waiting": 0, "failed": 0}
    async with h.session_pool() as s:
        ids = await ChatMessages(s).since(c.user_id, datetime.now(UTC) - timedelta(hours=1))
    assert len(ids) == 4
