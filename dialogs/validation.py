"""Checks of typed values that need no outside library."""

import re

_W1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_W2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def normalize_iin(text: str) -> str | None:
    """Return the 12 IIN digits if the text is a valid IIN, else None.

    Only length, digits and the check digit are checked: since 2013 the first six digits are
    not bound to the birth date, so a "wrong" date is not an error.
    """
    digits = re.sub(r"[\s\-]", "", text)
    if not re.fullmatch(r"\d{12}", digits):
        return None
    d = [int(c) for c in digits]
    check = sum(x * w for x, w in zip(d[:11], _W1, strict=True)) % 11
    if check == 10:
        check = sum(x * w for x, w in zip(d[:11], _W2, strict=True)) % 11
        if check == 10:
            return None  # such numbers are never issued
    return digits if check == d[11] else None


def clean_text(text: str) -> str:
    """Trim a typed answer and fold runs of blank lines; keep the citizen's words as they are."""
    text = text.replace("\r\n", "\n").strip()
    return re.sub(r"\n{3,}", "\n\n", text)
