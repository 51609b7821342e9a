"""Urgency by keywords: a missed torture case is far worse than a false alarm.

This is the recall-first layer: word stems in Kazakh, Russian and English (Cyrillic and the
common Latin spellings). A statistical model may add to it, never replace it.
"""

import re
from functools import cache

# Stems matched at the start of a word, case-insensitively. Kept broad on purpose.
URGENT_STEMS: tuple[str, ...] = (
    # Russian
    "пыт",
    "избил",
    "избив",
    "избие",
    "бьют",
    "били ",
    "побо",
    "изнасил",
    "насил",
    "угрожа",
    "угроз",
    "убь",
    "убит",
    "убива",
    "суицид",
    "самоубий",
    "покончить с собой",
    "повесит",
    "вскрыл вены",
    "голодовк",
    "задыха",
    "умира",
    "при смерти",
    "истека",
    "не оказыва",
    "отказыва в медицин",
    "без медицинск",
    "не дают лекарств",
    "кровь",
    "электрошок",
    "противогаз",
    "пакет на голов",
    "сломал",
    "переломы",
    "синяк",
    # Kazakh
    "азапта",
    "азаптау",
    "ұрып",
    "ұрды",
    "соққы",
    "зорлық",
    "зорла",
    "өлтір",
    "қорқыт",
    "өзін-өзі өлтір",
    "өз-өзіне қол",
    "аштық жариял",
    "өліп бара",
    "дәрі бермей",
    "медициналық көмек көрсетпей",
    "қан ",
    "қинау",
    "қинап",
    "таяқ",
    # English
    "tortur",
    "beat",
    "beaten",
    "rape",
    "raped",
    "violence",
    "violent",
    "threat",
    "kill",
    "murder",
    "suicid",
    "hang myself",
    "hunger strike",
    "dying",
    "bleeding",
    "no medical",
    "denied medical",
    "broken bone",
    "bruise",
    "abuse",
    # Latin-script Kazakh and transliterated Russian
    "azapta",
    "urip",
    "uryp",
    "zorlyk",
    "oltir",
    "pytk",
    "izbil",
    "izbiva",
)


@cache
def _pattern() -> re.Pattern[str]:
    alternatives = "|".join(re.escape(s) for s in sorted(URGENT_STEMS, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})", re.IGNORECASE)


def is_urgent(text: str) -> bool:
    """True if the text mentions torture, violence, a threat to life or denied urgent care."""
    return _pattern().search(text.replace("ё", "е")) is not None
