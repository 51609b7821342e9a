"""Filters checked in the event loop.

aiogram runs every synchronous callable it is given, a magic filter (`F.text`) included, in a
worker thread (`asyncio.to_thread`): a thread hop and a wake-up of the loop per check. A
citizen's message passes five or six such checks on its way to the intake, and under load
those hops were a tenth of the bot's CPU (docs/performance.md). `Magic` wraps a magic filter
in an asynchronous one, which aiogram awaits in place; tests/bot/test_dispatch.py checks that
no synchronous filter or handler is registered.
"""

from typing import Any

from aiogram import F
from aiogram.enums import ChatType
from aiogram.filters import Filter
from aiogram.types import TelegramObject
from magic_filter import MagicFilter


class Magic(Filter):
    """A magic filter (`F.contact`, `F.chat.type == ...`) resolved in the event loop."""

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject) -> Any:
        # As aiogram itself treats a magic filter's result: falsy fails, a dict adds data.
        return self.magic.resolve(event)

    def __str__(self) -> str:
        return f"Magic({self.magic!r})"


PRIVATE_CHAT = Magic(F.chat.type == ChatType.PRIVATE)
