import pytest

from dialogs.validation import clean_text, normalize_iin


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("900101300017", "900101300017"),
        ("9001 0130 0017", "900101300017"),
        ("900101300018", None),  # wrong check digit
        ("90010130001", None),  # 11 digits
        ("ABCDEFGHIJKL", None),
        # A "date" that is not a date is fine since 2013: only the check digit counts.
        ("991399000019", "991399000019"),
    ],
)
def test_iin_is_checked_by_its_check_digit_only(typed, expected):
    assert normalize_iin(typed) == expected


def test_second_pass_weights_are_used_when_the_first_gives_ten():
    digits = [0] * 11
    digits[9] = 1  # weight 10 in the first pass -> 10, so the second pass decides (weight 1)
    body = "".join(map(str, digits))
    assert normalize_iin(body + "1") == body + "1"
    assert normalize_iin(body + "0") is None


def test_clean_text_keeps_words_and_folds_blank_lines():
    assert clean_text("  a\r\n\n\n\nb  ") == "a\n\nb"
