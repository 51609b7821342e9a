"""Which of our three languages a text is in: Kazakh, Russian or English."""

import re
from functools import cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from dialogs.vocabulary import DEFAULT_LANGUAGE

# Letters only Kazakh uses among our languages: one of them settles it.
_KAZAKH_LETTERS = re.compile(r"[әғқңөұүһі]", re.IGNORECASE)
# Frequent Kazakh words and endings in informal Latin spelling ("menin ulymdy urdy"), which
# lingua, trained on standard texts, takes for English.
_LATIN_KAZAKH = re.compile(
    r"\b(men|menin|meni|bizdin|ulym|qyzym|kyzym|balam|anam|akem|äkem|zhane|jane|kerek|"
    r"emes|joq|zhok|bar|kömek|komek|kómek|ótinish|otinish|turmede|sotta|policiya|"
    r"\w+(dy|di|ty|ti|gan|gen|qan|ken|myn|min|pyz|piz|lar|ler|dar|der|tar|ter)dy)\b",
    re.IGNORECASE,
)
_CODES = {Language.KAZAKH: "kk", Language.RUSSIAN: "ru", Language.ENGLISH: "en"}


@cache
def _detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(*_CODES).with_preloaded_language_models().build()


def detect_language(text: str, default: str = DEFAULT_LANGUAGE) -> str:
    """ "kk", "ru" or "en"; `default` when the text gives no clue (digits, emoji)."""
    if _KAZAKH_LETTERS.search(text):
        return "kk"
    if not re.search(r"[^\W\d_]", text):
        return default
    latin = re.search(r"[a-z]", text, re.IGNORECASE) and not re.search(r"[а-яё]", text, re.I)
    if latin and len(_LATIN_KAZAKH.findall(text)) >= 2:
        return "kk"
    found = _detector().detect_language_of(text)
    return _CODES.get(found, default) if found else default
