import pytest

from dialogs.vocabulary import Region
from nlu.language import detect_language
from nlu.places import find_detention_place, find_region
from nlu.urgency import is_urgent


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("Меня уволили в Караганде", Region.KARAGANDA),
        ("Қарағандыда жұмыстан шығарды", Region.KARAGANDA),
        ("I live in Taraz", Region.ZHAMBYL),
        ("приехала из Петропавловска", Region.NORTH_KAZAKHSTAN),
        ("живу в Алматинской области, г. Конаев", Region.ALMATY_REGION),
        ("Алматы облысы, Қаскелең", Region.ALMATY_REGION),
        ("в Алматы", Region.ALMATY_CITY),
        ("Алматыда тұрамын", Region.ALMATY_CITY),
        ("Oskemende turamyn", Region.EAST_KAZAKHSTAN),
        ("в Усть-Каменогорске", Region.EAST_KAZAKHSTAN),
        ("в Семее", Region.ABAY),
        ("Nur-Sultan, 2019", Region.ASTANA),
        ("Астанада", Region.ASTANA),
        ("Шымкентте", Region.SHYMKENT),
        ("в Экибастузе", Region.PAVLODAR),
        ("Жезқазғанда", Region.ULYTAU),
        ("в Уральске", Region.WEST_KAZAKHSTAN),
        ("Оралда", Region.WEST_KAZAKHSTAN),
        ("в Актау", Region.MANGYSTAU),
        ("Талдықорғанда", Region.ZHETISU),
        ("в Кызылорде", Region.KYZYLORDA),
        ("в Рудном", Region.KOSTANAY),
        ("Kokshetau", Region.AKMOLA),
        ("Ақтөбеде", Region.AKTOBE),
        ("Атырауда", Region.ATYRAU),
        ("в Туркестане", Region.TURKESTAN),
        ("в Сарани", Region.KARAGANDA),
        ("Саран қалалық сотында", Region.KARAGANDA),
        ("Qaraghandyda", Region.KARAGANDA),
        ("Сәтбаевта", Region.ULYTAU),
        ("работаю в Аксае", Region.WEST_KAZAKHSTAN),  # Aksay: its locative drops the й
        ("приехал из Аксая", Region.WEST_KAZAKHSTAN),
        ("Aksay", Region.WEST_KAZAKHSTAN),
    ],
)
def test_a_named_place_gives_its_region_in_any_spelling_and_case(text, region):
    assert find_region(text) is region


@pytest.mark.parametrize(
    "text",
    [
        "пособие для многодетных семей",  # "семей" is "families", not Semey
        "я оралман, вернулся на родину",  # a returnee, not Oral
        "мне не платят зарплату",
    ],
)
def test_words_that_look_like_places_are_not_places(text):
    assert find_region(text) is None


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("сын отбывает в ЕЦ-166/11", "ЕЦ-166/11"),
        ("ұлым ЛА-155/14 мекемесінде", "ЛА-155/14"),
        ("АК 159/21 колониясында", "АК 159/21"),
        ("его держат в СИЗО-1", "СИЗО-1"),
        ("3 күн ИВС-те ұстады", "ИВС"),
        ("held in SIZO for a month", "SIZO"),
        ("тергеу изоляторында отыр", "тергеу изоляторында"),
    ],
)
def test_places_of_detention_are_found_as_written(text, place):
    assert find_detention_place(text) == place


def test_no_place_of_detention_in_an_ordinary_complaint():
    assert find_detention_place("Не выплачивают пособие по уходу за ребенком") is None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Менің ұлымды ұрып тастады", "kk"),
        ("зарплата 3 ай төленбейді", "kk"),  # mixed, but Kazakh letters decide
        ("menin ulymdy policiya urdy, komek kerek", "kk"),  # Latin-script Kazakh
        ("Моего сына избили в полиции", "ru"),
        ("My son was beaten by the police", "en"),
        ("12345", "ru"),  # no letters: the default
    ],
)
def test_language_is_one_of_ours(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize(
    "text",
    [
        "Мужа избили в ИВС",
        "Ұлымды полицияда ұрып-соқты",
        "they beat my brother at the station",
        "Сын в колонии объявил голодовку",
        "угрожает убить меня и детей",
        "ол өзін-өзі өлтіремін деп жазды",
        "в СИЗО не оказывают медицинскую помощь, он умирает",
    ],
)
def test_urgent_words_in_three_languages_are_recognised(text):
    assert is_urgent(text)


@pytest.mark.parametrize(
    "text",
    ["Не выплачивают пособие на ребенка", "Жалақы төленбейді", "My pension was reduced"],
)
def test_ordinary_complaints_are_not_urgent_by_keywords(text):
    assert not is_urgent(text)
