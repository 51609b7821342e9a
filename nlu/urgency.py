"""Urgency by words: a missed torture case is far worse than a false alarm.

The recall-first layer: word stems in Kazakh, Russian and English (and common Latin
spellings), kept as data in `urgency.yml`. The classifier adds to it (see nlu.service),
never replaces it.
"""

import re
from functools import cache
from pathlib import Path

import yaml

TERMS_FILE = Path(__file__).with_name("urgency.yml")


@cache
def urgent_terms() -> tuple[str, ...]:
    data = yaml.safe_load(TERMS_FILE.read_text(encoding="utf-8"))
    return tuple(
        str(term).lower()
        for groups in data.values()
        for terms in groups.values()
        for term in terms
    )


@cache
def _pattern() -> re.Pattern[str]:
    alternatives = "|".join(re.escape(s) for s in sorted(urgent_terms(), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})", re.IGNORECASE)


def is_urgent(text: str) -> bool:
    """True if the text mentions torture, violence, a threat to life or denied urgent care."""
    # A trailing space in a term means "whole word": let the end of the text count as one.
    return _pattern().search(text.replace("ё", "е") + " ") is not None
