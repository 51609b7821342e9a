"""/stats: the annual report's figures for staff, in their language."""

from datetime import date, datetime

from aiogram.filters import CommandObject
from aiogram.methods import SendMessage
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.middlewares import Outbox, Who
from bot.texts import Texts
from dialogs.vocabulary import KAZAKHSTAN_TIME
from storage.report import build_report


def period(args: str | None, today: date) -> tuple[date, date] | None:
    """`/stats` (this year), `/stats 2025`, or `/stats 2026-01-01 2026-03-31`."""
    parts = (args or "").split()
    try:
        if not parts:
            return date(today.year, 1, 1), today
        if len(parts) == 1:
            year = int(parts[0])
            return date(year, 1, 1), date(year, 12, 31)
        start, end = date.fromisoformat(parts[0]), date.fromisoformat(parts[1])
    except ValueError:
        return None
    return (start, end) if start <= end else None


async def stats_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    texts: Texts,
    lang: str,
    who: Who,
    outbox: Outbox,
):
    # Today in Kazakhstan, as the report counts days: the server's own date (often UTC) is
    # still yesterday from 00:00 to 05:00 there, and today's appeals would be missed.
    span = period(command.args, datetime.now(KAZAKHSTAN_TIME).date())
    if span is None:
        outbox.append(SendMessage(chat_id=who.chat_id, text=texts.get(lang, "stats-usage")))
        return
    report = await build_report(session, *span)
    t = texts

    def lines(title: str, items: list[tuple[str, int]]) -> list[str]:
        shown = [
            t.get(lang, "stats-line", name=name, count=count) for name, count in items if count
        ]
        return [t.get(lang, title), *(shown or [t.get(lang, "stats-none")])]

    out = [
        t.get(
            lang,
            "stats-title",
            start=span[0].strftime("%d.%m.%Y"),
            end=span[1].strftime("%d.%m.%Y"),
        ),
        t.get(lang, "stats-total", count=report.total),
        t.get(lang, "stats-urgent", count=report.urgent),
        t.get(lang, "stats-custody", count=report.custody),
        t.get(lang, "stats-satisfied-share", share=f"{report.satisfied_share * 100:.1f}"),
        "",
        *lines(
            "stats-by-category",
            [(t.get(lang, f"category-{k}"), v) for k, v in report.by_category.items()],
        ),
        "",
        *lines(
            "stats-by-region",
            [(t.get(lang, f"region-{k}"), v) for k, v in report.by_region.items()],
        ),
        "",
        *lines(
            "stats-by-outcome",
            [(t.get(lang, f"stats-outcome-{k}"), v) for k, v in report.by_outcome.items()],
        ),
    ]
    outbox.append(SendMessage(chat_id=who.chat_id, text="\n".join(out)[:4000]))
