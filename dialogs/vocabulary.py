"""The domain's words: categories, regions, filer types, appeal states.

The string values are stable ids: they are stored in the database, carried in callback data
and used as suffixes of Fluent keys (`category-<id>`, `region-<id>`), so never rename one.
"""

from datetime import timedelta, timezone
from enum import StrEnum


class Category(StrEnum):
    TORTURE_ILL_TREATMENT = "torture_ill_treatment"
    CONVICTS_RIGHTS = "convicts_rights"
    PRETRIAL_INVESTIGATION = "pretrial_investigation"
    COURT_DECISION = "court_decision"
    HEALTH_CARE = "health_care"
    SOCIAL_SECURITY = "social_security"
    LABOUR = "labour"
    HOUSING = "housing"
    DISABILITY = "disability"
    WOMEN_RIGHTS = "women_rights"
    CHILDREN_RIGHTS = "children_rights"
    RELIGION = "religion"
    OTHER = "other"


class Region(StrEnum):
    # Cities of republican significance first, then the 17 regions, as in the Ombudsman's
    # report; "outside" covers appeals from abroad and citizens who are not sure.
    ASTANA = "astana"
    ALMATY_CITY = "almaty_city"
    SHYMKENT = "shymkent"
    ABAY = "abay"
    AKMOLA = "akmola"
    AKTOBE = "aktobe"
    ALMATY_REGION = "almaty_region"
    ATYRAU = "atyrau"
    EAST_KAZAKHSTAN = "east_kazakhstan"
    ZHAMBYL = "zhambyl"
    ZHETISU = "zhetisu"
    WEST_KAZAKHSTAN = "west_kazakhstan"
    KARAGANDA = "karaganda"
    KOSTANAY = "kostanay"
    KYZYLORDA = "kyzylorda"
    MANGYSTAU = "mangystau"
    PAVLODAR = "pavlodar"
    NORTH_KAZAKHSTAN = "north_kazakhstan"
    TURKESTAN = "turkestan"
    ULYTAU = "ulytau"
    OUTSIDE = "outside"


KAZAKHSTAN_REGIONS: tuple[Region, ...] = tuple(r for r in Region if r is not Region.OUTSIDE)

# Prefixes of appeal numbers (e.g. PAV-2026-000123). Latin, three letters, unique; the
# central office's prefix is used when there is no region.
REGION_CODES: dict[Region, str] = {
    Region.ASTANA: "AST",
    Region.ALMATY_CITY: "ALA",
    Region.SHYMKENT: "SHY",
    Region.ABAY: "ABA",
    Region.AKMOLA: "AKM",
    Region.AKTOBE: "AKT",
    Region.ALMATY_REGION: "ALM",
    Region.ATYRAU: "ATY",
    Region.EAST_KAZAKHSTAN: "EKZ",
    Region.ZHAMBYL: "ZHA",
    Region.ZHETISU: "ZHT",
    Region.WEST_KAZAKHSTAN: "WKZ",
    Region.KARAGANDA: "KAR",
    Region.KOSTANAY: "KOS",
    Region.KYZYLORDA: "KZO",
    Region.MANGYSTAU: "MAN",
    Region.PAVLODAR: "PAV",
    Region.NORTH_KAZAKHSTAN: "NKZ",
    Region.TURKESTAN: "TUR",
    Region.ULYTAU: "ULY",
    Region.OUTSIDE: "CEN",
}


class FilerType(StrEnum):
    SELF = "self"
    OTHER_PERSON = "other_person"
    CUSTODY = "custody"
    LAWYER_NGO = "lawyer_ngo"


class DetentionKind(StrEnum):
    PRETRIAL = "pretrial"  # СИЗО / тергеу изоляторы
    TEMPORARY = "temporary"  # ИВС / уақытша ұстау изоляторы
    COLONY = "colony"  # penal colony (мекеме)
    OTHER = "other"


class IncidentAge(StrEnum):
    MONTH = "month"
    YEAR = "year"
    OLDER = "older"
    ONGOING = "ongoing"


class AppealStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


class Outcome(StrEnum):
    # The outcome classes of the Ombudsman's annual report.
    EXPLAINED = "explained"
    FORWARDED = "forwarded"
    SATISFIED = "satisfied"


class AttachmentKind(StrEnum):
    PHOTO = "photo"
    VOICE = "voice"
    DOCUMENT = "document"
    VIDEO = "video"
    AUDIO = "audio"


LANGUAGES: tuple[str, ...] = ("kk", "ru", "en")
DEFAULT_LANGUAGE = "ru"

# Kazakhstan has one time zone, UTC+5, since 1 March 2024.
KAZAKHSTAN_TIME = timezone(timedelta(hours=5), "KZT")
