"""The intake conversation as data: one row per step, in the order a citizen meets them.

`dialogs.intake.advance` walks this table; `bot/` renders it. A step's prompt is the Fluent
key `ask-<step-id>` (underscores become hyphens) and a choice's label is
`choice-<step-id>-<value>`, except categories and regions, whose labels are `category-<id>` and
`region-<id>`. The diagram beside this file (`intake.mmd`) draws the same table.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from dialogs.vocabulary import (
    LANGUAGES,
    Category,
    DetentionKind,
    FilerType,
    IncidentAge,
    Region,
)

Answers = Mapping[str, Any]


class Kind(StrEnum):
    CHOICE = "choice"  # buttons only (typing a button's label also works)
    OPEN_CHOICE = "open_choice"  # buttons, or a typed answer kept as text
    TEXT = "text"
    STORY = "story"  # free text plus attachments
    CATEGORY = "category"
    REGION = "region"
    PHONE = "phone"
    IIN = "iin"
    SUMMARY = "summary"


class Group(StrEnum):
    """What the summary's edit buttons jump to: each edits every step of its group."""

    START = "start"
    FILER = "filer"
    STORY = "story"
    CATEGORY = "category"
    REGION = "region"
    DETAILS = "details"
    CONTACT = "contact"
    SUMMARY = "summary"


RELATIONS: tuple[str, ...] = ("parent", "child", "spouse", "sibling", "relative", "other")
YES_NO: tuple[str, ...] = ("no", "yes")

# Limits are in characters. Telegram caps one message at 4096; a story may grow over several
# messages, so it has a larger total.
NAME_MAX = 200
SHORT_TEXT_MAX = 500
LONG_TEXT_MAX = 2000
STORY_MAX = 12000
TEXT_MIN = 2
STORY_MIN = 10


def _always(_: Answers) -> bool:
    return True


def _not_self(a: Answers) -> bool:
    return a.get("filer") not in (None, FilerType.SELF)


def _has_relation(a: Answers) -> bool:
    return a.get("filer") in (FilerType.OTHER_PERSON, FilerType.CUSTODY)


def _custody(a: Answers) -> bool:
    return a.get("filer") == FilerType.CUSTODY


def _not_custody(a: Answers) -> bool:
    return not _custody(a)


def _prior_yes(a: Answers) -> bool:
    return a.get("prior_complaint") == "yes"


@dataclass(frozen=True)
class Step:
    id: str
    kind: Kind
    group: Group
    choices: tuple[str, ...] = ()
    when: Callable[[Answers], bool] = _always
    optional: bool = False
    min_len: int = TEXT_MIN
    max_len: int = SHORT_TEXT_MAX
    # A column count for the keyboard: long labels need one column on a phone.
    columns: int = 1

    @property
    def prompt_key(self) -> str:
        return "ask-" + self.id.replace("_", "-")

    def label_key(self, value: str) -> str:
        if self.kind is Kind.CATEGORY:
            return f"category-{value}"
        if self.kind is Kind.REGION:
            return f"region-{value}"
        return f"choice-{self.id.replace('_', '-')}-{value}"


STEPS: tuple[Step, ...] = (
    Step("language", Kind.CHOICE, Group.START, choices=LANGUAGES, columns=3),
    Step("consent", Kind.CHOICE, Group.START, choices=("agree", "decline")),
    Step("filer", Kind.CHOICE, Group.FILER, choices=tuple(FilerType)),
    Step("subject_name", Kind.TEXT, Group.FILER, when=_not_self, max_len=NAME_MAX),
    Step(
        "relation",
        Kind.OPEN_CHOICE,
        Group.FILER,
        choices=RELATIONS,
        when=_has_relation,
        max_len=100,
        columns=2,
    ),
    Step("detention_kind", Kind.CHOICE, Group.FILER, choices=tuple(DetentionKind), when=_custody),
    Step("institution", Kind.TEXT, Group.FILER, when=_custody, max_len=NAME_MAX),
    Step(
        "institution_region",
        Kind.REGION,
        Group.FILER,
        choices=tuple(Region),
        when=_custody,
        columns=2,
    ),
    Step("story", Kind.STORY, Group.STORY, min_len=STORY_MIN, max_len=STORY_MAX),
    Step("category", Kind.CATEGORY, Group.CATEGORY, choices=tuple(Category)),
    Step("jurisdiction", Kind.CHOICE, Group.CATEGORY, choices=("continue", "change", "stop")),
    Step("region", Kind.REGION, Group.REGION, choices=tuple(Region), when=_not_custody, columns=2),
    Step("body_complained", Kind.TEXT, Group.DETAILS, optional=True),
    Step("incident_age", Kind.OPEN_CHOICE, Group.DETAILS, choices=tuple(IncidentAge), max_len=100),
    Step("prior_complaint", Kind.CHOICE, Group.DETAILS, choices=YES_NO, columns=2),
    Step("prior_details", Kind.TEXT, Group.DETAILS, when=_prior_yes, max_len=LONG_TEXT_MAX),
    Step("request", Kind.TEXT, Group.DETAILS, optional=True, max_len=LONG_TEXT_MAX),
    Step("full_name", Kind.TEXT, Group.CONTACT, max_len=NAME_MAX),
    Step("phone", Kind.PHONE, Group.CONTACT, optional=True, max_len=40),
    Step("iin", Kind.IIN, Group.CONTACT, optional=True, max_len=40),
    Step("address", Kind.TEXT, Group.CONTACT, max_len=SHORT_TEXT_MAX),
    Step("confidential", Kind.CHOICE, Group.CONTACT, choices=YES_NO, columns=2),
    Step("summary", Kind.SUMMARY, Group.SUMMARY),
)

STEP_BY_ID: dict[str, Step] = {s.id: s for s in STEPS}
STEP_INDEX: dict[str, int] = {s.id: i for i, s in enumerate(STEPS)}

# Where each edit button on the summary starts.
EDIT_GROUPS: tuple[Group, ...] = (
    Group.FILER,
    Group.STORY,
    Group.CATEGORY,
    Group.REGION,
    Group.DETAILS,
    Group.CONTACT,
)

# Special button values shared by many steps; they cannot collide with a choice id because
# choice ids never start with an underscore.
BACK = "_back"
SKIP = "_skip"
KEEP = "_keep"
SUBMIT = "_submit"
ALL_CATEGORIES = "_all"
STORY_DONE = "_done"
RESUME_CONTINUE = "_continue"
RESUME_RESTART = "_restart"
CANCEL_YES = "_cancel_yes"
CANCEL_NO = "_cancel_no"
EDIT_PREFIX = "edit_"
