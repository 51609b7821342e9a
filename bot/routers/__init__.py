"""The bot's routers, in the order they see updates."""

from aiogram import F, Router
from aiogram.enums import ChatType

from bot.routers import commands, errors, intake


def get_routers() -> list[Router]:
    """Private chats get the citizen's routers; the errors router sees everything."""
    citizens = [commands.build_router(), intake.build_router()]
    for router in citizens:
        router.message.filter(F.chat.type == ChatType.PRIVATE)
    return [errors.build_router(), *citizens]
