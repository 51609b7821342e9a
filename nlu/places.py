"""Where it happened: the region from a place name, and a place of detention.

Kazakh adds suffixes to the stem (Қарағандыда, Павлодарға) and Russian changes endings
(в Караганде, из Павлодара), so names are matched as word-initial stems. Ambiguous short
names (Аксу, Шу, Алтай) are left out on purpose: a wrong region is worse than none, because
the citizen confirms the region anyway.
"""

import re
from functools import cache

from dialogs.vocabulary import Region

# Most specific first: "Алматинская область" must win over "Алматы".
REGION_PATTERNS: tuple[tuple[Region, str], ...] = (
    (Region.ALMATY_REGION, r"алматинск\w*\s+обл|алматы\s+облыс|almaty\s+(region|oblys)"),
    (Region.ALMATY_REGION, r"қонаев|конаев|qonaev|konaev|капчага|қапшағай|kapchaga|qapshaga"),
    (Region.ALMATY_REGION, r"есик|есік|esik\b|каскелен|қаскелең|kaskelen|талгар|talgar"),
    (Region.ABAY, r"абай\s+облыс|абайск\w*\s+обл|abai?\s+region|семипалатинск|semipalatinsk"),
    (Region.ABAY, r"семе[ея]\b|семеем|семейде|семейге|семейдің|семейден|г\.?\s*семей\b"),
    (Region.ABAY, r"semey|semei|аягоз|аякөз|ayagoz"),
    (Region.EAST_KAZAKHSTAN, r"восточно[-\s]казахстанск|шығыс\s+қазақстан|east\s+kazakhstan"),
    (Region.EAST_KAZAKHSTAN, r"\bвко\b|усть[-\s]каменогорск|өскемен|оскемен|[oö]skemen"),
    (Region.EAST_KAZAKHSTAN, r"ust[-\s]kamenogorsk|риддер|ridder"),
    (Region.WEST_KAZAKHSTAN, r"западно[-\s]казахстанск|батыс\s+қазақстан|west\s+kazakhstan"),
    (
        Region.WEST_KAZAKHSTAN,
        r"\bзко\b|уральск|uralsk|орал(?!ман)|oral\b|oralda|акса[йеюя]|ақсай|aksa[iy]",
    ),
    (Region.NORTH_KAZAKHSTAN, r"северо[-\s]казахстанск|солтүстік\s+қазақстан"),
    (Region.NORTH_KAZAKHSTAN, r"north\s+kazakhstan|\bско\b|петропавл|petropavl"),
    (Region.ASTANA, r"астан|нур[-\s]?султан|нұр[-\s]?сұлтан|nur[-\s]?sultan|astana"),
    (Region.ALMATY_CITY, r"алматы|алма[-\s]?ат|almaty|alma[-\s]?ata"),
    (Region.SHYMKENT, r"шымкент|чимкент|shymkent|chimkent"),
    (Region.AKMOLA, r"акмолинск|ақмола|akmola|aqmola|кокшетау|көкшетау|kokshetau|k[oö]kshetau"),
    (Region.AKMOLA, r"степногорск|stepnogorsk|щучинск|бурабай|burabay"),
    (Region.AKTOBE, r"актобе|ақтөбе|актюбинск|aktobe|aqtobe|aqtöbe"),
    (Region.ATYRAU, r"атырау|atyrau|кульсары|құлсары|kulsary"),
    (Region.ZHAMBYL, r"жамбыл|zhambyl|jambyl|тараз|taraz"),
    (Region.ZHETISU, r"жетісу|жетысу|zhetisu|jetisu|талдыкорган|талдықорған|taldykorgan"),
    (Region.ZHETISU, r"жаркент|zharkent|текели|tekeli"),
    (Region.KARAGANDA, r"караганд|қарағанд|karagand|qaragand|qaraghand|karaghand"),
    (Region.KARAGANDA, r"темиртау|теміртау|temirtau|балхаш|балқаш|balkhash|шахтинск|shakhtinsk"),
    (Region.KARAGANDA, r"сарань|сарани\b|саран(\b|да|ға|нан|ның|дағы)|saran\b"),
    (Region.KOSTANAY, r"костана|қостана|kostana|qostana|рудн(ый|ом|ого)|rudny|лисаковск"),
    (Region.KYZYLORDA, r"кызылорд|қызылорд|kyzylorda|qyzylorda|байконыр|байқоңыр|baikonur"),
    (Region.MANGYSTAU, r"мангист|маңғыста|mangystau|mangistau|актау|ақтау|aktau|aqtau"),
    (Region.MANGYSTAU, r"жанаозен|жаңаөзен|zhanaozen"),
    (Region.PAVLODAR, r"павлодар|pavlodar|экибастуз|екібастұз|ekibastuz"),
    (Region.TURKESTAN, r"туркестан|түркістан|turkistan|turkestan|кентау|kentau|сарыагаш"),
    (Region.ULYTAU, r"улытау|ұлытау|ulytau|жезказган|жезқазған|zhezkazgan|jezkazgan"),
    (Region.ULYTAU, r"сатпаев|сәтбаев|satpa[ey]?ev|s[aä]tbaev"),
)

# Colony codes like "ЕЦ-166/11", "ЛА-155/14", "АК 159/21"; then the kinds of places by name.
_COLONY_CODE = r"\b[А-ЯЁӘҒҚҢӨҰҮІA-Z]{2,3}\s?[-–‑]?\s?\d{2,3}\s?/\s?\d{1,3}\b"
_PLACE_NAMES = (
    r"\bсизо(\s?[-№]?\s?\d{1,2})?\b|\bsizo\b|следственн\w+\s+изолятор\w*|тергеу\s+изолятор\w*",
    r"\bивс\b|\bivs\b|изолятор\w*\s+временного\s+содержания|уақытша\s+ұстау\s+изолятор\w*",
    r"\bшизо\b|колони\w+|колония\w*|түзеу\s+мекеме\w*|penal\s+colony|\bprison\b|\bтүрме\w*",
    r"\bтюрьм\w+|pre[-\s]trial\s+detention|temporary\s+detention",
)


@cache
def _region_regexes() -> tuple[tuple[Region, re.Pattern[str]], ...]:
    return tuple((r, re.compile(rf"(?<!\w)(?:{p})", re.IGNORECASE)) for r, p in REGION_PATTERNS)


def find_region(text: str) -> Region | None:
    """The region of the first place in Kazakhstan the text names, or None."""
    text = text.replace("ё", "е").replace("Ё", "Е")
    best: tuple[int, Region] | None = None
    for region, regex in _region_regexes():
        m = regex.search(text)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), region)
    return best[1] if best else None


@cache
def _place_regexes() -> tuple[re.Pattern[str], ...]:
    return (
        re.compile(_COLONY_CODE),
        *(re.compile(p, re.IGNORECASE) for p in _PLACE_NAMES),
    )


def find_detention_place(text: str) -> str | None:
    """A place of detention as the citizen wrote it: a colony code first, else the kind."""
    for regex in _place_regexes():
        m = regex.search(text)
        if m:
            return re.sub(r"\s+", " ", m.group(0)).strip()
    return None
