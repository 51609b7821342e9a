"""Long polling that never confirms an update before it has been handled.

aiogram's polling asks for the next updates (which confirms the previous ones to Telegram)
while the previous ones are still being handled in tasks: a process killed at that moment
loses them. Here each batch is handled (concurrently, each chat in order) before the next
getUpdates confirms it, so a killed process gets its unfinished updates again on restart, and
the processed-updates log (bot.middlewares.ArrivalMiddleware) skips the ones it had finished.
"""

import asyncio
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import GetUpdates
from aiogram.utils.backoff import Backoff, BackoffConfig

log = logging.getLogger(__name__)

DEFAULT_BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)


class SafePollingDispatcher(Dispatcher):
    """A Dispatcher whose polling confirms a batch of updates only once it is handled."""

    async def _polling(  # type: ignore[override]
        self,
        bot: Bot,
        polling_timeout: int = 30,
        handle_as_tasks: bool = True,
        backoff_config: BackoffConfig = DEFAULT_BACKOFF,
        allowed_updates: list[str] | None = None,
        tasks_concurrency_limit: int | None = None,
        **kwargs: Any,
    ) -> None:
        me = await bot.me()
        log.info("polling started bot_id=%s", me.id)
        backoff = Backoff(config=backoff_config)
        # A batch is at most `tasks_concurrency_limit` updates: they are handled side by side,
        # so this bounds the updates in flight (and the database connections they wait for).
        limit = min(100, tasks_concurrency_limit) if tasks_concurrency_limit else None
        get_updates = GetUpdates(
            timeout=polling_timeout, allowed_updates=allowed_updates, limit=limit
        )
        # The HTTP request must outlive the long poll, or every quiet poll would time out.
        timeout = int((bot.session.timeout or 0) + polling_timeout)
        try:
            while True:
                try:
                    updates = await bot(get_updates, request_timeout=timeout)
                except asyncio.CancelledError:
                    raise
                except Exception as e:  # Telegram or the network away: keep trying
                    log.warning("getUpdates failed: %s", type(e).__name__)
                    await backoff.asleep()
                    continue
                backoff.reset()
                if not updates:
                    continue
                await asyncio.gather(
                    *(self._process_update(bot=bot, update=u, **kwargs) for u in updates)
                )
                get_updates.offset = updates[-1].update_id + 1
        finally:
            log.info("polling stopped bot_id=%s", me.id)
