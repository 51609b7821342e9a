"""The command menus: a citizen's, and a staff member's own (set per chat)."""

from aiogram.types import BotCommand

from bot.texts import Texts
from dialogs.casework import Role, Staff

COMMANDS = ("start", "new", "status", "language", "help", "cancel", "forget", "clear")
# Staff see these too, in their own chat's menu (a citizen's menu never shows them).
STAFF_COMMANDS = ("queue", "appeal", "stats")
ADMIN_COMMANDS = ("staff", "staff_add", "staff_remove")


def staff_commands(texts: Texts, member: Staff, lang: str) -> list[BotCommand]:
    names = COMMANDS + STAFF_COMMANDS + (ADMIN_COMMANDS if member.role is Role.ADMIN else ())
    return [BotCommand(command=c, description=texts.get(lang, f"cmd-{c}")) for c in names]
