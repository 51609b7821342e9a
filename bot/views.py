"""Texts built from stored data (not from the intake table)."""

from bot.texts import Texts
from dialogs.appeal import AppealSummary


def status_text(texts: Texts, lang: str, appeals: list[AppealSummary], *, has_draft: bool) -> str:
    """The citizen's /status: numbers, topics and states, with no personal details."""
    lines = [texts.get(lang, "status-title")] if appeals else [texts.get(lang, "status-empty")]
    lines += [
        texts.get(
            lang,
            "status-line",
            number=a.number,
            category=texts.get(lang, f"category-{a.category}"),
            status=texts.get(lang, f"status-{a.status}"),
            date=a.created_at.strftime("%d.%m.%Y"),
        )
        for a in appeals
    ]
    if has_draft:
        lines.append(texts.get(lang, "status-draft"))
    return "\n".join(lines)
