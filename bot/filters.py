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
from aiogram.fsm.state import StatesGroup
from aiogram.types import Message, TelegramObject
from magic_filter import MagicFilter

from dialogs.casework import Staff


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


# Router-wide gates. Each router checks its handlers' filters one by one, and a citizen's
# ordinary message passes the staff, follow-up, privacy and command routers (eighteen
# handlers, most with a command to parse) before it reaches the intake. A gate on a router
# passes exactly what at least one of its handlers could accept, so it changes no outcome
# and spares the rest of the checks.


class CommandLike(Filter):
    """A message whose text or caption starts with "/" (after blanks), as any aiogram
    `Command` requires: the gate of a router whose message handlers are all commands."""

    async def __call__(self, message: Message) -> bool:
        text = message.text or message.caption
        return bool(text) and text.lstrip().startswith("/")


class StaffOrInState(Filter):
    """A registered staff member (active or not), or anyone in one of `group`'s states: the
    gate of a router whose message handlers each need one of the two."""

    def __init__(self, group: type[StatesGroup], *, staff: bool) -> None:
        self.states = frozenset(state.state for state in group.__all_states__)
        self.staff = staff

    async def __call__(
        self, event: TelegramObject, staff: Staff | None = None, raw_state: str | None = None
    ) -> bool:
        return (self.staff and staff is not None) or raw_state in self.states


COMMAND_LIKE = CommandLike()
