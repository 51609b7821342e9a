"""Delivering the outbox (storage.outbox): at once after a commit, and by a sweep.

Telegram's limits are honoured here: about 30 messages a second overall, one a second per chat
(short bursts are tolerated), 20 a minute per group, and any `retry_after` it answers with.
The limits are kept per process: with several processes, set OUTBOX_RATE to 30 divided by
their number. A 429 that still happens is waited out, never dropped.
"""

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import aiogram.methods
from aiogram import Bot
from aiogram.client.default import Default
from aiogram.enums import ChatType
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.methods import TelegramMethod
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.outbox import Letter, OutboxEntry, OutboxRepository
from storage.repositories import ChatMessages

log = logging.getLogger(__name__)

METHODS: dict[str, type[TelegramMethod[Any]]] = {
    cls.__api_method__: cls
    for name in aiogram.methods.__all__
    if isinstance(cls := getattr(aiogram.methods, name), type)
    and issubclass(cls, TelegramMethod)
    and hasattr(cls, "__api_method__")
}
# Requests that only tidy the screen: if Telegram refuses one (the message is already like
# that, too old or deleted; a staff menu for a chat it does not know), nothing is lost.
COSMETIC = frozenset(
    {
        "editMessageReplyMarkup",
        "answerCallbackQuery",
        "deleteMessage",
        "deleteMessages",
        "setMyCommands",
        "deleteMyCommands",
    }
)


def pack(method: TelegramMethod[Any]) -> Letter | None:
    """The storable form of a request to a chat; None for requests not addressed to one
    (callback answers, menus), which are sent at once on a best-effort basis."""
    chat_id = getattr(method, "chat_id", None)
    if not isinstance(chat_id, int):
        return None
    # Only what was set, and not aiogram's "use the bot's default" markers (parse_mode=HTML
    # and the like): those are filled in again from the bot when the letter is sent.
    fields = {
        name for name in method.model_fields_set if not isinstance(getattr(method, name), Default)
    }
    payload = method.model_dump(mode="json", include=fields, exclude_none=True)
    return Letter(chat_id=chat_id, method=method.__api_method__, payload=payload)


def unpack(entry: OutboxEntry) -> TelegramMethod[Any]:
    return METHODS[entry.method].model_validate(entry.payload)


class Staged(NamedTuple):
    """What `Postman.stage` stored, and what the caller sends."""

    direct: list[TelegramMethod[Any]]  # not addressed to a chat: send now, best effort
    leased: list[OutboxEntry]  # stored and leased to the caller: `deliver` them
    # The leased letters' requests as the handler built them, by outbox id: delivering these
    # skips rebuilding each request from its stored payload (pydantic, ~2% of the CPU).
    requests: dict[int, TelegramMethod[Any]]


class _Gcra:
    """A generic cell-rate limiter: `rate` per second on average, bursts of `burst`."""

    def __init__(self, rate: float, burst: int) -> None:
        self.interval = 1.0 / rate
        self.tolerance = self.interval * (burst - 1)
        self.tat = 0.0  # theoretical arrival time of the next request

    def delay(self, now: float) -> float:
        return max(0.0, max(self.tat, now) - self.tolerance - now)

    def take(self, now: float) -> None:
        self.tat = max(self.tat, now) + self.interval

    def pause(self, until: float) -> None:
        self.tat = max(self.tat, until + self.tolerance)


@dataclass
class Throttle:
    """Telegram's sending limits, per process."""

    rate: float = 30.0
    per_chat: float = 1.0
    per_group: float = 20 / 60
    burst: int = 3
    clock: Callable[[], float] = time.monotonic
    _global: _Gcra = field(init=False)
    _chats: dict[int, _Gcra] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._global = _Gcra(self.rate, max(1, int(self.rate)))

    def _chat(self, chat_id: int) -> _Gcra:
        limiter = self._chats.get(chat_id)
        if limiter is None:
            if len(self._chats) > 50_000:
                self._forget_idle()
            # Group and channel ids are negative.
            rate = self.per_chat if chat_id > 0 else self.per_group
            limiter = self._chats[chat_id] = _Gcra(rate, self.burst)
        return limiter

    def _forget_idle(self) -> None:
        now = self.clock()
        self._chats = {k: v for k, v in self._chats.items() if v.tat > now}

    def reserve(self, chat_id: int, method: str) -> float:
        """Take a slot and return how long to wait for it."""
        now = self.clock()
        counted = [self._global]
        # Only new messages count against a chat's limit; edits and answers do not.
        if method.startswith(("send", "copy", "forward")):
            counted.append(self._chat(chat_id))
        # Each limiter books its own earliest slot: a chat waiting for its turn must not
        # push back everybody else's share of the global rate.
        waits = [limiter.delay(now) for limiter in counted]
        for limiter, wait in zip(counted, waits, strict=True):
            limiter.take(now + wait)
        return max(waits)

    def peek(self, chat_id: int) -> float:
        now = self.clock()
        return max(self._global.delay(now), self._chat(chat_id).delay(now))

    def pause(self, chat_id: int, seconds: float) -> None:
        self._chat(chat_id).pause(self.clock() + seconds)


def backoff(attempts: int) -> timedelta:
    """Wait longer after each failed attempt, up to five minutes."""
    return timedelta(seconds=min(300, 2 ** min(attempts, 9)))


class Postman:
    """Delivers outbox letters, keeping each chat's letters in order."""

    def __init__(
        self,
        session_pool: async_sessionmaker[AsyncSession],
        *,
        throttle: Throttle | None = None,
        lease: float = 30.0,
        max_wait: float = 2.0,
        batch: int = 100,
        concurrency: int = 8,
        record_every: float | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.session_pool = session_pool
        self.throttle = throttle or Throttle()
        self.lease = timedelta(seconds=lease)
        # A letter whose slot is further away than this is left to the sweep, so an update's
        # handling is never held up for long by someone else's limits.
        self.max_wait = max_wait
        self.batch = batch
        self.concurrency = concurrency
        # What was delivered is struck off in one transaction every `record_every` seconds
        # rather than one per update: under load that halves the commits. A crash in between
        # only means those letters are sent again (at least once). None: at once.
        self.record_every = record_every
        self.clock = clock
        self._pending = _Report()
        self._recording: list[_Report] = []
        self._recorder: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def stage(
        self, session: AsyncSession, methods: Iterable[TelegramMethod[Any]], *, lease: bool
    ) -> Staged:
        """Store the letters in the caller's transaction; return the requests to send
        straight away (not addressed to a chat) and the letters leased to the caller."""
        direct: list[TelegramMethod[Any]] = []
        letters: list[Letter] = []
        # A leased entry carries its letter's payload object: that finds its request.
        built: dict[int, TelegramMethod[Any]] = {}
        for method in methods:
            letter = pack(method)
            if letter is None:
                direct.append(method)
            else:
                letters.append(letter)
                built[id(letter.payload)] = method
        now = self.clock()
        leased = await OutboxRepository(session).add(
            letters,
            now=now,
            lease_until=now + self.lease if lease else None,
            delivered=self.undeleted({letter.chat_id for letter in letters}),
        )
        requests = {
            entry.id: method
            for entry in leased
            if (method := built.get(id(entry.payload))) is not None
        }
        return Staged(direct, leased, requests)

    def undeleted(self, chats: Iterable[int]) -> list[int]:
        """Letters to these chats this process delivered but has not struck off yet: they
        keep nobody waiting."""
        return [
            i
            for report in (self._pending, *self._recording)
            for chat in chats
            for i in report.done_by_chat.get(chat, ())
        ]

    def note_incoming(self, chat_id: int, message_id: int) -> None:
        """Remember a citizen's message id (for "delete this conversation") with the next
        bookkeeping, outside the update's transaction: losing one to a crash costs little."""
        self._pending.sent.append((chat_id, message_id))
        self._schedule()

    async def sweep(self, bot: Bot) -> int:
        """Deliver what is due and waiting; return how many letters were tried."""
        now = self.clock()
        async with self.session_pool() as session, session.begin():
            entries = await OutboxRepository(session).claim(
                now=now, lease_until=now + self.lease, limit=self.batch
            )
        if entries:
            await self.deliver(bot, entries)
        return len(entries)

    async def run(self, bot: Bot, *, every: float = 1.0) -> None:
        """Sweep until `stop()`; a failed round (the database away) is logged and retried.

        A stop ends the wait between rounds, never a round: cancelled inside its transaction,
        a round could leave SQLite's write lock held, and the last bookkeeping (`close`) would
        wait out the busy timeout."""
        while not self._stopping.is_set():
            try:
                tried = await self.sweep(bot)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warning("outbox sweep failed: %s", type(e).__name__)
                tried = 0
            # A full batch means more is waiting: go on at once.
            if tried < self.batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), every)

    def stop(self) -> None:
        """Let `run` finish the round under way and return."""
        self._stopping.set()

    async def deliver(
        self,
        bot: Bot,
        entries: list[OutboxEntry],
        requests: Mapping[int, TelegramMethod[Any]] | None = None,
    ) -> None:
        """Send leased letters (chats side by side, each chat in order), then record it.
        `requests`: requests already built for some of them (Staged.requests)."""
        built = requests or {}
        by_chat: dict[int, list[OutboxEntry]] = defaultdict(list)
        for entry in entries:
            by_chat[entry.chat_id].append(entry)
        report = _Report()
        gate = asyncio.Semaphore(self.concurrency)

        async def one_chat(chat: list[OutboxEntry]) -> None:
            async with gate:
                await self._deliver_chat(bot, chat, report, built)

        await asyncio.gather(*(one_chat(chat) for chat in by_chat.values()))
        self._pending.merge(report)
        if self.record_every is None:
            await self.flush()
        else:
            self._schedule()

    def _schedule(self) -> None:
        if self.record_every is not None and (self._recorder is None or self._recorder.done()):
            self._recorder = asyncio.create_task(self._flush_soon(self.record_every))

    async def _flush_soon(self, delay: float) -> None:
        await asyncio.sleep(delay)
        await self.flush()

    async def flush(self) -> None:
        """Record what was delivered, retried or refused since the last time."""
        report, self._pending = self._pending, _Report()
        if report.empty():
            return
        # Until the deletions commit, these letters still count as delivered (see stage).
        self._recording.append(report)
        try:
            await self._record(report)
        except Exception as e:
            # The database went away after Telegram took the letters: they stay leased and are
            # sent again when the lease runs out (at least once, never lost).
            log.warning("outbox bookkeeping failed: %s", type(e).__name__)
        finally:
            self._recording = [r for r in self._recording if r is not report]

    async def close(self) -> None:
        """Record what is pending before the process stops. Bookkeeping under way is waited
        for, not cancelled (for the same reason as in `run`)."""
        recorder = self._recorder
        if recorder is not None and not recorder.done():
            if self._recording:  # inside flush(): its transaction is open
                await asyncio.gather(recorder, return_exceptions=True)
            else:  # still waiting to start
                recorder.cancel()
        await self.flush()

    async def _record(self, report: "_Report") -> None:
        async with self.session_pool() as session, session.begin():
            outbox = OutboxRepository(session)
            await outbox.delivered(report.done)
            await outbox.release(report.untried)
            for entry_id, not_before in report.retry.items():
                await outbox.retry_later(entry_id, not_before=not_before)
            for entry_id in report.failed:
                await outbox.failed(entry_id, now=self.clock())
            await ChatMessages(session).record(report.sent, now=self.clock())

    async def _deliver_chat(
        self,
        bot: Bot,
        chat: list[OutboxEntry],
        report: "_Report",
        built: Mapping[int, TelegramMethod[Any]],
    ) -> None:
        for i, entry in enumerate(chat):
            if self.throttle.peek(entry.chat_id) > self.max_wait:
                report.untried += [e.id for e in chat[i:]]
                return
            await asyncio.sleep(self.throttle.reserve(entry.chat_id, entry.method))
            if not await self._try(bot, entry, built.get(entry.id), report):
                # Later letters to this chat wait for this one, to keep the order.
                report.untried += [e.id for e in chat[i + 1 :]]
                return

    async def _try(
        self,
        bot: Bot,
        entry: OutboxEntry,
        request: TelegramMethod[Any] | None,
        report: "_Report",
        *,
        retried: bool = False,
    ) -> bool:
        """Send one letter (`request`: its Bot API request if already built); False if it
        must be tried again later."""
        try:
            if request is None:
                request = unpack(entry)
            # Shorter than the lease, so nobody else takes the letter while we still wait.
            result = await bot(request, request_timeout=int(self.lease.total_seconds() / 2) or 1)
        except TelegramRetryAfter as e:
            log.warning("flood control outbox_id=%s retry_after=%s", entry.id, e.retry_after)
            self.throttle.pause(entry.chat_id, e.retry_after)
            if e.retry_after <= self.max_wait and not retried:
                # A short pause: wait it out here rather than make the citizen wait a sweep.
                await asyncio.sleep(e.retry_after)
                return await self._try(bot, entry, request, report, retried=True)
            report.retry[entry.id] = self.clock() + timedelta(seconds=e.retry_after)
            return False
        except (TelegramForbiddenError, TelegramUnauthorizedError) as e:
            # Blocked by the user, or the chat is gone: it can never be delivered.
            log.warning("undeliverable outbox_id=%s chat_id=%s: %s", entry.id, entry.chat_id, e)
            report.failed.append(entry.id)
            return True
        except (TelegramBadRequest, TelegramMigrateToChat) as e:
            if entry.method in COSMETIC:
                log.info("cosmetic request refused outbox_id=%s: %s", entry.id, e.message)
                report.done.append(entry.id)
                report.done_by_chat.setdefault(entry.chat_id, set()).add(entry.id)
            else:
                log.error("refused outbox_id=%s method=%s: %s", entry.id, entry.method, e)
                report.failed.append(entry.id)
            return True
        except Exception as e:  # the network, Telegram's 5xx, a timeout: try again later
            log.warning(
                "delivery failed outbox_id=%s attempt=%s error=%s",
                entry.id,
                entry.attempts + 1,
                type(e).__name__,
            )
            report.retry[entry.id] = self.clock() + backoff(entry.attempts)
            return False
        report.done.append(entry.id)
        report.done_by_chat.setdefault(entry.chat_id, set()).add(entry.id)
        if isinstance(result, Message) and result.chat.type == ChatType.PRIVATE:
            report.sent.append((result.chat.id, result.message_id))
        return True


@dataclass
class _Report:
    done: list[int] = field(default_factory=list)
    untried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retry: dict[int, datetime] = field(default_factory=dict)
    # (chat, message) ids of what went out in private chats, for "delete this conversation".
    sent: list[tuple[int, int]] = field(default_factory=list)
    done_by_chat: dict[int, set[int]] = field(default_factory=dict)

    def merge(self, other: "_Report") -> None:
        self.done += other.done
        self.untried += other.untried
        self.failed += other.failed
        self.retry |= other.retry
        self.sent += other.sent
        for chat_id, ids in other.done_by_chat.items():
            self.done_by_chat.setdefault(chat_id, set()).update(ids)

    def empty(self) -> bool:
        return not (self.done or self.untried or self.failed or self.retry or self.sent)
