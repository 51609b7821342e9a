"""The bot's routers, in the order they see updates."""

from aiogram import Router

from bot.filters import PRIVATE_CHAT
from bot.routers import commands, errors, followup, intake, privacy, staff


def get_routers() -> list[Router]:
    """Staff first (their commands and typed replies), then a citizen's pending reply to a
    question, then /forget, the other commands and the intake. Citizens' routers see private
    chats only."""
    citizens = [
        followup.build_router(),
        privacy.build_router(),
        commands.build_router(),
        intake.build_router(),
    ]
    for router in citizens:
        router.message.filter(PRIVATE_CHAT)
    staff_router = staff.build_router()
    staff_router.message.filter(PRIVATE_CHAT)
    return [errors.build_router(), staff_router, *citizens]
