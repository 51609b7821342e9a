"""Which of our three languages a text is in: Kazakh, Russian or English."""

import re
from functools import cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from dialogs.vocabulary import DEFAULT_LANGUAGE

# Letters only Kazakh uses among our languages: a strong signal, though people mix Kazakh
# words into Russian sentences ("жәрдемақы", "акимат"), so it is weighed, not decisive.
_KAZAKH_LETTERS = re.compile(r"[әғқңөұүһі]", re.IGNORECASE)
_CYRILLIC_WORD = re.compile(r"\b[а-яёәғқңөұүһі]{2,}\b", re.IGNORECASE)
# Frequent Russian words in Latin transliteration ("moego brata pytali v otdele").
_LATIN_RUSSIAN = re.compile(
    r"\b(ne|na|ya|uzhe|chto|kak|dlya|net|eto|menya|mne|moego|moy|moya|moj|potomu|govoryat|"
    r"esli|tolko|ochen|budet|nam|nas|vse|bez|ego|ee|muzh|syna|brata|otca|rebenok|pomogite)\b",
    re.IGNORECASE,
)
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
def load_detector() -> LanguageDetector:
    # Low-accuracy mode (trigrams only) is as accurate on our golden and hold-out texts (0.936
    # vs 0.935, the rules above decide most texts) and loads in 0.03 s and 11 MB instead of
    # 0.33 s and 85 MB (docs/nlu.md).
    return (
        LanguageDetectorBuilder.from_languages(*_CODES)
        .with_low_accuracy_mode()
        .with_preloaded_language_models()
        .build()
    )


def detect_language(text: str, default: str = DEFAULT_LANGUAGE) -> str:
    """ "kk", "ru" or "en"; `default` when the text gives no clue (digits, emoji)."""
    if not re.search(r"[^\W\d_]", text):
        return default
    words = _CYRILLIC_WORD.findall(text)
    if words:
        kazakh = sum(bool(_KAZAKH_LETTERS.search(w)) for w in words)
        if kazakh / len(words) >= 0.25 or (kazakh and len(words) <= 3):
            return "kk"
    latin = re.search(r"[a-z]", text, re.IGNORECASE) and not words
    if latin:
        kazakh, russian = len(_LATIN_KAZAKH.findall(text)), len(_LATIN_RUSSIAN.findall(text))
        if kazakh >= 2 and kazakh >= russian:
            return "kk"
        if russian >= 2:
            return "ru"
    found = load_detector().detect_language_of(text)
    return _CODES.get(found, default) if found else default
