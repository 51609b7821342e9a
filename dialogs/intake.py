"""The intake's pure transition function: `advance(state, event, ctx) -> Transition`.

Nothing here sends, stores or reads the clock: the bot hands in the event and a `Context`
(the time, the classifier's guesses, a phone normaliser) and renders the `Reply` values that
come back. The same inputs always give the same outputs, which is what the tests rely on.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any

from dialogs.appeal import Attachment, NewAppeal
from dialogs.catalog import Catalog, load_catalog
from dialogs.script import (
    ALL_CATEGORIES,
    BACK,
    CANCEL_NO,
    CANCEL_YES,
    EDIT_GROUPS,
    EDIT_PREFIX,
    KEEP,
    RESUME_CONTINUE,
    RESUME_RESTART,
    SKIP,
    STEP_BY_ID,
    STEP_INDEX,
    STEPS,
    STORY_DONE,
    SUBMIT,
    Kind,
    Step,
)
from dialogs.validation import clean_text, normalize_iin
from dialogs.vocabulary import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    AttachmentKind,
    Category,
    DetentionKind,
    FilerType,
    IncidentAge,
    Region,
)

# --- what the bot renders -------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A Fluent key with its arguments; an argument may itself be a Text or a tuple of them."""

    key: str
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Button:
    label: Text
    value: str


@dataclass(frozen=True)
class Reply:
    parts: tuple[Text, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()
    # The step the buttons answer; carried in callback data to spot stale buttons.
    step: str | None = None
    # Phone step: a reply keyboard with Telegram's "share contact" button instead of inline.
    contact_keyboard: bool = False
    # Take away a reply keyboard left by an earlier step.
    remove_keyboard: bool = False
    separator: str = "\n\n"


# --- what the bot feeds in ------------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    """/start or /new."""


@dataclass(frozen=True)
class Cancel:
    """/cancel."""


@dataclass(frozen=True)
class Show:
    """Show the current step again (after /language, or when the citizen is lost)."""


@dataclass(frozen=True)
class SetLanguage:
    """/language: show the same step in another language."""

    language: str


@dataclass(frozen=True)
class Choice:
    value: str


@dataclass(frozen=True)
class TextInput:
    text: str


@dataclass(frozen=True)
class MediaInput:
    attachment: Attachment


@dataclass(frozen=True)
class ContactInput:
    phone: str
    # Telegram says whether the shared contact is the sender's own.
    own: bool


Event = Start | Cancel | Show | SetLanguage | Choice | TextInput | MediaInput | ContactInput


def _no_suggestions(_: str) -> Sequence[tuple[Category, float]]:
    return ()


def _never(_: str) -> bool:
    return False


def _no_region(_: str) -> Region | None:
    return None


def _no_phone(_: str) -> str | None:
    return None


@dataclass(frozen=True)
class Context:
    now: datetime
    user_id: int
    chat_id: int
    suggest: Callable[[str], Sequence[tuple[Category, float]]] = _no_suggestions
    is_urgent: Callable[[str], bool] = _never
    find_region: Callable[[str], Region | None] = _no_region
    normalize_phone: Callable[[str], str | None] = _no_phone
    # The language the user chose before (stored per user); None on a first visit.
    known_language: str | None = None
    # Telegram's language_code mapped to ours: only a first guess.
    guessed_language: str = DEFAULT_LANGUAGE
    catalog: Catalog = field(default_factory=load_catalog)
    # Seconds since the draft was last saved: after a long pause the citizen is welcomed back.
    idle_seconds: float = 0.0
    confident: float = 0.6
    max_attachments: int = 20


# --- the state kept in the draft ------------------------------------------------------------


@dataclass
class IntakeState:
    language: str
    step: str = STEPS[0].id
    revision: int = 0
    answers: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    suggestions: list[list[Any]] = field(default_factory=list)
    suggested_region: str | None = None
    urgent: bool = False
    urgent_shown: bool = False
    old_complaint: bool = False
    edit_group: str | None = None
    # A question asked over the current step: "resume" (continue or start over) or "cancel".
    overlay: str | None = None
    all_categories: bool = False
    consent_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {name: _json_copy(getattr(self, name)) for name in _STATE_FIELDS}

    def copy(self) -> "IntakeState":
        """A deep copy, for a transition to change while the old state stays as it was."""
        return IntakeState(**self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "IntakeState":
        known = {f for f in cls.__dataclass_fields__}
        state = cls(**{k: v for k, v in data.items() if k in known})
        if state.step not in STEP_BY_ID:  # a step renamed by a newer version: start the group
            state.step = STEPS[0].id
        return state

    @property
    def current(self) -> Step:
        return STEP_BY_ID[self.step]


_STATE_FIELDS = tuple(f.name for f in fields(IntakeState))
_JSON_LEAVES = (str, int, float, type(None))


def _json_copy(value: Any) -> Any:
    """A deep copy of the JSON data a draft holds (it is stored as JSON). Both ran on every
    update: copy.deepcopy and dataclasses.asdict, which deep-copies every string too, took 40
    and 140 µs for a draft midway through the intake; this takes 25 for either."""
    if isinstance(value, dict):
        return {key: _json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_copy(item) for item in value]
    if isinstance(value, _JSON_LEAVES):
        return value
    raise TypeError(f"a draft holds JSON data only, not {type(value).__name__}")


@dataclass(frozen=True)
class Transition:
    # None: the draft is gone (submitted, cancelled or consent declined).
    state: IntakeState | None
    replies: tuple[Reply, ...]
    submit: NewAppeal | None = None
    language_chosen: str | None = None
    consent_given: datetime | None = None
    # False when the input did not fit the step: the state is unchanged.
    accepted: bool = True


# A draft untouched this long gets a "welcome back" before the answer is taken.
RESUME_AFTER_SECONDS = 12 * 3600


class _Invalid(Exception):
    """The input does not fit the step; carries the polite explanation."""

    def __init__(self, key: str, **args: Any) -> None:
        super().__init__(key)
        self.text = Text(key, args)


# --- the transition function ----------------------------------------------------------------


def new_state(ctx: Context) -> IntakeState:
    """Begin an intake: ask the language only if we do not know it yet."""
    if ctx.known_language in LANGUAGES:
        state = IntakeState(language=ctx.known_language, step="consent")
        state.answers["language"] = ctx.known_language
        return state
    return IntakeState(language=ctx.guessed_language, step="language")


def advance(state: IntakeState | None, event: Event, ctx: Context) -> Transition:
    """Apply one citizen input to the draft and say what to show next."""
    t = _advance(state, event, ctx)
    typed = isinstance(event, TextInput | MediaInput | ContactInput)
    if typed and state is not None and ctx.idle_seconds >= RESUME_AFTER_SECONDS and t.replies:
        t = replace(t, replies=(Reply((Text("resume-welcome-back"),)), *t.replies))
    if not t.accepted and state is not None:
        # A refused input leaves the draft exactly as it was (not even a new revision), so the
        # buttons already on screen stay valid.
        return replace(t, state=state)
    return t


def _advance(state: IntakeState | None, event: Event, ctx: Context) -> Transition:
    if state is None:
        if isinstance(event, Cancel):
            return Transition(None, (Reply((Text("cancel-nothing"),)),), accepted=False)
        fresh = new_state(ctx)
        fresh.revision = 1
        return Transition(fresh, (view(fresh, ctx),))
    s = state.copy()
    s.revision += 1
    if isinstance(event, Start):
        return _on_start(s, ctx)
    if isinstance(event, Cancel):
        s.overlay = "cancel"
        return Transition(s, (view(s, ctx),))
    if isinstance(event, Show):
        return Transition(s, (view(s, ctx),))
    if isinstance(event, SetLanguage):
        s.language = event.language
        s.answers["language"] = event.language
        return Transition(s, (view(s, ctx),), language_chosen=event.language)
    if s.overlay is not None:
        overlay = _on_overlay(s, event, ctx)
        if overlay is not None:
            return overlay
    if isinstance(event, MediaInput) and s.step != "story":
        return _attach(s, event.attachment, ctx, stay=True)
    if isinstance(event, Choice) and event.value == BACK:
        return _back(s, ctx)
    try:
        before = _accept(s, event, ctx)
    except _Invalid as bad:
        return Transition(state, (Reply((bad.text,)), view(state, ctx)), accepted=False)
    if isinstance(before, Transition):
        return before
    return _move_on(s, ctx, before)


def _on_start(s: IntakeState, ctx: Context) -> Transition:
    if s.step in ("language", "consent"):
        # Nothing worth keeping yet: begin again quietly.
        fresh = new_state(ctx)
        fresh.revision = s.revision
        return Transition(fresh, (view(fresh, ctx),))
    s.overlay = "resume"
    return Transition(s, (view(s, ctx),))


def _on_overlay(s: IntakeState, event: Event, ctx: Context) -> Transition | None:
    overlay, s.overlay = s.overlay, None
    value = event.value if isinstance(event, Choice) else None
    if overlay == "resume" and value == RESUME_RESTART:
        fresh = new_state(ctx)
        fresh.revision = s.revision
        fresh.answers.setdefault("language", s.language)
        fresh.language = s.language
        if fresh.step == "language":  # language is known from the old draft
            fresh.step = "consent"
        return Transition(fresh, (Reply((Text("resume-restarted"),)), view(fresh, ctx)))
    if overlay == "cancel" and value == CANCEL_YES:
        return Transition(None, (Reply((Text("cancel-done"),), remove_keyboard=True),))
    if value in (RESUME_CONTINUE, CANCEL_NO):
        return Transition(s, (view(s, ctx),))
    # Anything else (typing, a button of the step) answers the step as usual.
    return None


def _back(s: IntakeState, ctx: Context) -> Transition:
    if s.history:
        s.step = s.history.pop()
    s.all_categories = False
    return Transition(s, (view(s, ctx),))


def _attach(s: IntakeState, attachment: Attachment, ctx: Context, *, stay: bool) -> Transition:
    if "consent" not in s.answers:
        # Before consent nothing personal may be kept.
        return Transition(s, (Reply((Text("consent-first"),)),), accepted=False)
    if any(a["file_unique_id"] == attachment.file_unique_id for a in s.attachments):
        return Transition(s, (Reply((Text("attachment-duplicate"),)),), accepted=False)
    if len(s.attachments) >= ctx.max_attachments:
        return Transition(
            s,
            (Reply((Text("attachment-too-many", {"max": ctx.max_attachments}),)),),
            accepted=False,
        )
    s.attachments.append(_attachment_to_dict(attachment))
    reply = Reply((Text("attachment-saved", {"count": len(s.attachments)}),))
    if stay and s.step == "story":
        return Transition(s, (reply, view(s, ctx)))
    return Transition(s, (reply,))


def _accept(s: IntakeState, event: Event, ctx: Context) -> list[Reply] | Transition:
    """Store the answer to the current step; return replies to show before the next step."""
    step = s.current
    value = event.value if isinstance(event, Choice) else None
    if value == KEEP and step.id in s.answers:
        return []
    if value == SKIP and step.optional:
        s.answers[step.id] = None
        return []
    handler = _HANDLERS[step.kind]
    return handler(s, step, event, ctx)


def _need_choice(step: Step, event: Event) -> str:
    if isinstance(event, Choice) and event.value in step.choices:
        return event.value
    raise _Invalid("input-use-buttons")


def _need_text(step: Step, event: Event) -> str:
    if not isinstance(event, TextInput):
        raise _Invalid("input-need-text")
    text = clean_text(event.text)
    if len(text) < step.min_len:
        raise _Invalid("input-too-short", min=step.min_len)
    if len(text) > step.max_len:
        raise _Invalid("input-too-long", max=step.max_len, length=len(text))
    return text


def _on_choice(s: IntakeState, step: Step, event: Event, ctx: Context) -> list[Reply] | Transition:
    value = _need_choice(step, event)
    s.answers[step.id] = value
    if step.id == "language":
        s.language = value
        return _language_chosen(s, ctx, value)
    if step.id == "consent":
        if value == "decline":
            return Transition(None, (Reply((Text("consent-declined"),)),))
        s.consent_at = ctx.now.isoformat()
        state, replies = _forward(s, ctx, [])
        return Transition(state, replies, consent_given=ctx.now)
    if step.id == "jurisdiction":
        if value == "stop":
            return Transition(None, (Reply((Text("jurisdiction-stopped"),)),))
        if value == "change":
            s.answers.pop("jurisdiction", None)
            s.history.append(s.step)
            s.step = "category"
            s.all_categories = True
            return Transition(s, (view(s, ctx),))
    return []


def _language_chosen(s: IntakeState, ctx: Context, value: str) -> Transition:
    state, replies = _forward(s, ctx, [])
    return Transition(state, replies, language_chosen=value)


def _on_open_choice(s: IntakeState, step: Step, event: Event, ctx: Context) -> list[Reply]:
    replies: list[Reply] = []
    if isinstance(event, Choice):
        value = _need_choice(step, event)
        s.answers[step.id] = value
        if step.id == "incident_age":
            s.answers["incident_date"] = None
    else:
        text = _need_text(step, event)
        if step.id == "incident_age":
            s.answers["incident_date"] = text
            s.answers[step.id] = _age_of_typed_date(text, ctx.now.date())
        else:
            s.answers[step.id] = text
    if step.id == "incident_age":
        old = s.answers[step.id] == IncidentAge.OLDER
        if old and not s.old_complaint:
            replies.append(Reply((Text("old-complaint-note"),)))
        s.old_complaint = old
    return replies


def _on_text(s: IntakeState, step: Step, event: Event, ctx: Context) -> list[Reply]:
    s.answers[step.id] = _need_text(step, event)
    return []


def _on_story(s: IntakeState, step: Step, event: Event, ctx: Context) -> list[Reply] | Transition:
    if isinstance(event, MediaInput):
        return _attach(s, event.attachment, ctx, stay=True)
    if isinstance(event, Choice) and event.value == STORY_DONE and s.attachments:
        s.answers["story"] = s.answers.get("story") or ""
        return _story_understood(s, ctx)
    s.answers["story"] = _need_text(step, event)
    return _story_understood(s, ctx)


def _story_understood(s: IntakeState, ctx: Context) -> list[Reply]:
    """Classify the story, look for urgency and a region; say so if it is urgent."""
    story = s.answers.get("story") or ""
    s.suggestions = [[c.value, round(float(p), 4)] for c, p in ctx.suggest(story)] if story else []
    s.all_categories = False
    region = ctx.find_region(story) if story else None
    s.suggested_region = region.value if region else None
    if story and ctx.is_urgent(story):
        s.urgent = True
    return _urgent_replies(s, ctx)


def _urgent_replies(s: IntakeState, ctx: Context) -> list[Reply]:
    if not s.urgent or s.urgent_shown:
        return []
    s.urgent_shown = True
    return [emergency_reply(ctx.catalog)]


def emergency_reply(catalog: Catalog) -> Reply:
    """What to do right now: the emergency hotlines, from data."""
    lines = tuple(
        Text(
            "hotline-line",
            {"name": Text(f"hotline-{h}"), "number": catalog.hotlines[h].number},
        )
        for h in catalog.emergency_hotlines
    )
    return Reply(
        (Text("urgent-title"), Text("urgent-hotlines", {"lines": lines}), Text("urgent-marked"))
    )


def _on_category(
    s: IntakeState, step: Step, event: Event, ctx: Context
) -> list[Reply] | Transition:
    if isinstance(event, Choice) and event.value == ALL_CATEGORIES:
        s.all_categories = True
        return Transition(s, (view(s, ctx),))
    if isinstance(event, TextInput):
        # A long story often arrives as several messages: more text here adds to the story.
        addition = _need_text(STEP_BY_ID["story"], event)
        story = "\n\n".join(p for p in (s.answers.get("story"), addition) if p)
        if len(story) > STEP_BY_ID["story"].max_len:
            raise _Invalid("input-too-long", max=STEP_BY_ID["story"].max_len, length=len(story))
        s.answers["story"] = story
        replies = [Reply((Text("story-added"),)), *_story_understood(s, ctx)]
        return Transition(s, (*replies, view(s, ctx)))
    category = Category(_need_choice(step, event))
    s.answers["category"] = category.value
    s.answers.pop("jurisdiction", None)
    if ctx.catalog.info(category).urgent:
        s.urgent = True
    return _urgent_replies(s, ctx)


def _on_region(s: IntakeState, step: Step, event: Event, ctx: Context) -> list[Reply]:
    if isinstance(event, TextInput):
        region = ctx.find_region(event.text)
        if region is None:
            raise _Invalid("input-use-buttons")
        s.answers[step.id] = region.value
        return []
    s.answers[step.id] = _need_choice(step, event)
    return []


def _on_phone(s: IntakeState, step: Step, event: Event, ctx: Context) -> list[Reply]:
    if isinstance(event, ContactInput):
        if not event.own:
            raise _Invalid("phone-not-own")
        phone = ctx.normalize_phone(event.phone)
    else:
        phone = ctx.normalize_phone(_need_text(step, event))
    if phone is None:
        raise _Invalid("phone-invalid")
    s.answers[step.id] = phone
    return []


def _on_iin(s: IntakeState, step: Step, event: Event, ctx: Context) -> list[Reply]:
    iin = normalize_iin(_need_text(step, event))
    if iin is None:
        raise _Invalid("iin-invalid")
    s.answers[step.id] = iin
    return []


def _on_summary(s: IntakeState, step: Step, event: Event, ctx: Context) -> Transition:
    value = event.value if isinstance(event, Choice) else None
    if value == SUBMIT:
        missing = [x.id for x in STEPS if _required_missing(s, x)]
        if missing:
            s.step = missing[0]
            return Transition(s, (Reply((Text("summary-missing"),)), view(s, ctx)))
        return Transition(None, (), submit=build_appeal(s, ctx))
    if value and value.startswith(EDIT_PREFIX):
        steps = _group_steps(s, value.removeprefix(EDIT_PREFIX))
        if not steps:
            raise _Invalid("input-use-buttons")
        first, group = steps[0], steps[0].group
        s.history.append(s.step)
        s.edit_group = group.value
        s.step = first.id
        return Transition(s, (view(s, ctx),))
    raise _Invalid("input-use-buttons")


_HANDLERS: dict[Kind, Callable[..., list[Reply] | Transition]] = {
    Kind.CHOICE: _on_choice,
    Kind.OPEN_CHOICE: _on_open_choice,
    Kind.TEXT: _on_text,
    Kind.STORY: _on_story,
    Kind.CATEGORY: _on_category,
    Kind.REGION: _on_region,
    Kind.PHONE: _on_phone,
    Kind.IIN: _on_iin,
    Kind.SUMMARY: _on_summary,
}


def _group_steps(s: IntakeState, group: str) -> list[Step]:
    """The steps of a group that apply to this draft (a custody appeal has no region step)."""
    return [x for x in STEPS if x.group.value == group and x.when(s.answers)]


def _required_missing(s: IntakeState, step: Step) -> bool:
    if step.kind is Kind.SUMMARY or not step.when(s.answers):
        return False
    return step.id not in s.answers


def _move_on(s: IntakeState, ctx: Context, before: list[Reply]) -> Transition:
    state, replies = _forward(s, ctx, before)
    return Transition(state, replies)


def _forward(
    s: IntakeState, ctx: Context, before: list[Reply]
) -> tuple[IntakeState, tuple[Reply, ...]]:
    """Go to the next step that applies; while editing, skip steps answered outside the group."""
    leaving = s.current
    nxt = next_step(s)
    s.history.append(s.step)
    s.step = nxt
    if nxt == "summary":
        s.edit_group = None
    replies = list(before)
    if leaving.kind is Kind.PHONE:
        replies.insert(0, Reply((Text("phone-saved"),), remove_keyboard=True))
    return s, (*replies, view(s, ctx))


def next_step(s: IntakeState) -> str:
    """The id of the step after the current one, given the answers so far."""
    for step in STEPS[STEP_INDEX[s.step] + 1 :]:
        if not step.when(s.answers):
            continue
        if s.edit_group and step.group.value != s.edit_group and step.id in s.answers:
            continue
        return step.id
    return "summary"


# --- turning the draft into an appeal -------------------------------------------------------

_TYPED_DATE = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})|(\d{1,2})[./-](\d{4})|(\d{4})")


def _age_of_typed_date(text: str, today: date) -> str | None:
    """Read "12.03.2024", "03.2024" or "2024" in a typed answer; None if there is no date."""
    m = _TYPED_DATE.search(text)
    if not m:
        return None
    try:
        if m.group(3):
            when = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        elif m.group(5):
            when = date(int(m.group(5)), int(m.group(4)), 28)
        else:
            when = date(int(m.group(6)), 12, 31)
    except ValueError:
        return None
    days = (today - when).days
    if days > 365:
        return IncidentAge.OLDER.value
    if days > 31:
        return IncidentAge.YEAR.value
    return IncidentAge.MONTH.value


def _attachment_to_dict(a: Attachment) -> dict[str, Any]:
    return {
        "kind": a.kind.value,
        "file_id": a.file_id,
        "file_unique_id": a.file_unique_id,
        "mime_type": a.mime_type,
        "file_size": a.file_size,
    }


def _answer(s: IntakeState, step_id: str) -> Any:
    """An answer only if its step applies to this filer (stale answers stay out)."""
    step = STEP_BY_ID[step_id]
    return s.answers.get(step_id) if step.when(s.answers) else None


def build_appeal(s: IntakeState, ctx: Context) -> NewAppeal:
    """Collect the answers of the steps that apply into a NewAppeal."""
    filer = FilerType(s.answers["filer"])
    institution_region = _answer(s, "institution_region")
    region = institution_region if filer is FilerType.CUSTODY else _answer(s, "region")
    suggested = s.suggestions[0][0] if s.suggestions else None
    detention = _answer(s, "detention_kind")
    age = _answer(s, "incident_age")
    return NewAppeal(
        user_id=ctx.user_id,
        chat_id=ctx.chat_id,
        language=s.language,
        consent_at=datetime.fromisoformat(s.consent_at) if s.consent_at else ctx.now,
        filer_type=filer,
        category=Category(s.answers["category"]),
        story=s.answers.get("story") or "",
        region=Region(region),
        full_name=s.answers["full_name"],
        urgent=s.urgent,
        old_complaint=s.old_complaint,
        category_suggested=Category(suggested) if suggested else None,
        subject_name=_answer(s, "subject_name"),
        relation=_answer(s, "relation"),
        detention_kind=DetentionKind(detention) if detention else None,
        institution=_answer(s, "institution"),
        institution_region=Region(institution_region) if institution_region else None,
        body_complained=_answer(s, "body_complained"),
        incident_age=IncidentAge(age) if age else None,
        incident_date=_answer(s, "incident_age") and s.answers.get("incident_date"),
        prior_complaint=_answer(s, "prior_details"),
        request=_answer(s, "request"),
        phone=_answer(s, "phone"),
        iin=_answer(s, "iin"),
        address=_answer(s, "address"),
        confidential=_answer(s, "confidential") == "yes",
        attachments=tuple(
            Attachment(
                kind=AttachmentKind(a["kind"]),
                file_id=a["file_id"],
                file_unique_id=a["file_unique_id"],
                mime_type=a.get("mime_type"),
                file_size=a.get("file_size"),
            )
            for a in s.attachments
        ),
    )


def submitted_reply(number: str, urgent: bool, catalog: Catalog) -> Reply:
    """The receipt: the number, the expected response time and what happens next."""
    parts = [
        Text("submitted", {"number": number, "days": catalog.response_working_days}),
        Text("submitted-next"),
    ]
    if urgent:
        parts.append(Text("submitted-urgent"))
    return Reply(tuple(parts), remove_keyboard=True)


# --- views ----------------------------------------------------------------------------------


def _btn(key: str, value: str, **args: Any) -> Button:
    return Button(Text(key, args), value)


def _rows(buttons: Sequence[Button], columns: int) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(buttons[i : i + columns]) for i in range(0, len(buttons), columns))


def view(s: IntakeState, ctx: Context) -> Reply:
    """The message that asks the current question (or the overlay's question)."""
    if s.overlay == "resume":
        return Reply(
            (Text("resume-ask"),),
            (
                (_btn("button-continue", RESUME_CONTINUE),),
                (_btn("button-restart", RESUME_RESTART),),
            ),
            step=s.step,
        )
    if s.overlay == "cancel":
        return Reply(
            (Text("cancel-ask"),),
            ((_btn("button-cancel-yes", CANCEL_YES), _btn("button-cancel-no", CANCEL_NO)),),
            step=s.step,
        )
    step = s.current
    render = _STEP_VIEWS.get(step.id) or _VIEWS[step.kind]
    parts, rows = render(s, step, ctx)
    extra: list[Button] = []
    if step.optional:
        extra.append(_btn("button-skip", SKIP))
    if step.id in s.answers and step.kind in (Kind.TEXT, Kind.OPEN_CHOICE, Kind.IIN, Kind.PHONE):
        extra.append(_btn("button-keep", KEEP))
    if s.history:
        extra.append(_btn("button-back", BACK))
    if extra:
        rows = (*rows, tuple(extra))
    return Reply(tuple(parts), rows, step=step.id, contact_keyboard=step.kind is Kind.PHONE)


def _choice_view(s: IntakeState, step: Step, ctx: Context):
    buttons = [Button(Text(step.label_key(v)), v) for v in step.choices]
    return [Text(step.prompt_key)], _rows(buttons, step.columns)


def _text_view(s: IntakeState, step: Step, ctx: Context):
    return [Text(step.prompt_key, {"max": step.max_len})], ()


def _story_view(s: IntakeState, step: Step, ctx: Context):
    rows: tuple[tuple[Button, ...], ...] = ()
    if s.attachments and not s.answers.get("story"):
        rows = ((_btn("button-story-done", STORY_DONE),),)
    return [Text(step.prompt_key)], rows


def _category_view(s: IntakeState, step: Step, ctx: Context):
    ranked = [Category(c) for c, _ in s.suggestions]
    if ranked and not s.all_categories:
        top, p = Category(s.suggestions[0][0]), s.suggestions[0][1]
        if p >= ctx.confident:
            rows = (
                (_btn("button-category-yes", top.value, category=Text(f"category-{top}")),),
                (_btn("button-category-other", ALL_CATEGORIES),),
            )
            return [Text("ask-category-confident", {"category": Text(f"category-{top}")})], rows
        buttons = [Button(Text(f"category-{c}"), c.value) for c in ranked[:3]]
        rows = (*_rows(buttons, 1), (_btn("button-category-other", ALL_CATEGORIES),))
        return [Text("ask-category-top")], rows
    hints = tuple(
        Text(
            "category-hint-line",
            {"name": Text(f"category-{c}"), "hint": Text(f"category-{c}-hint")},
        )
        for c in Category
    )
    buttons = [Button(Text(f"category-{c}"), c.value) for c in Category]
    return [Text("ask-category"), Text("category-hints", {"lines": hints})], _rows(buttons, 1)


def _jurisdiction_view(s: IntakeState, step: Step, ctx: Context):
    category = Category(s.answers["category"])
    info = ctx.catalog.info(category)
    bodies = tuple(Text("bullet", {"item": Text(f"body-{b}")}) for b in info.bodies)
    parts = [
        Text("juris-title", {"category": Text(f"category-{category}")}),
        Text(f"juris-{category}-can"),
        Text(f"juris-{category}-cannot"),
        Text("juris-bodies", {"lines": bodies}),
        Text(f"juris-{category}-next"),
    ]
    if info.hotlines:
        lines = tuple(
            Text(
                "hotline-line",
                {"name": Text(f"hotline-{h}"), "number": ctx.catalog.hotlines[h].number},
            )
            for h in info.hotlines
        )
        parts.append(Text("juris-hotlines", {"lines": lines}))
    parts.append(Text(step.prompt_key))
    buttons = [Button(Text(step.label_key(v)), v) for v in step.choices]
    return parts, _rows(buttons, 1)


def _region_view(s: IntakeState, step: Step, ctx: Context):
    buttons = [Button(Text(step.label_key(v)), v) for v in step.choices]
    rows = (*_rows(buttons[:-1], step.columns), (buttons[-1],))
    parts = [Text(step.prompt_key)]
    if s.suggested_region and step.id == "region":
        suggested = Region(s.suggested_region)
        label = Text("button-region-suggested", {"region": Text(f"region-{suggested}")})
        rows = ((Button(label, suggested.value),), *rows)
    return parts, rows


def _phone_view(s: IntakeState, step: Step, ctx: Context):
    return [Text(step.prompt_key)], ()


def _iin_view(s: IntakeState, step: Step, ctx: Context):
    return [Text(step.prompt_key)], ()


def _summary_view(s: IntakeState, step: Step, ctx: Context):
    a = s.answers
    no = Text("value-none")

    def line(label: str, value: Any) -> Text:
        return Text("summary-line", {"label": Text(label), "value": value if value else no})

    def pick(prefix: str, key: str) -> Text | None:
        value = _answer(s, key)
        return Text(f"{prefix}-{value}") if value else None

    story = a.get("story") or ""
    excerpt = story if len(story) <= 300 else story[:300].rstrip() + "…"
    lines = [
        line("field-filer", pick("choice-filer", "filer")),
        *(
            [line("field-subject-name", _answer(s, "subject_name"))]
            if _answer(s, "subject_name")
            else []
        ),
    ]
    relation = _answer(s, "relation")
    if relation:
        rel = (
            Text(f"choice-relation-{relation}")
            if relation in STEP_BY_ID["relation"].choices
            else relation
        )
        lines.append(line("field-relation", rel))
    if a.get("filer") == FilerType.CUSTODY:
        lines += [
            line("field-detention-kind", pick("choice-detention-kind", "detention_kind")),
            line("field-institution", _answer(s, "institution")),
            line("field-institution-region", pick("region", "institution_region")),
        ]
    else:
        lines.append(line("field-region", pick("region", "region")))
    lines += [
        line("field-category", pick("category", "category")),
        line("field-story", excerpt),
        line("field-attachments", str(len(s.attachments))),
        line("field-body-complained", _answer(s, "body_complained")),
        line(
            "field-incident-age",
            a.get("incident_date") or pick("choice-incident-age", "incident_age"),
        ),
        line("field-prior", _answer(s, "prior_details") or Text("choice-prior-complaint-no")),
        line("field-request", _answer(s, "request")),
        line("field-full-name", _answer(s, "full_name")),
        line("field-phone", _answer(s, "phone")),
        line("field-iin", _answer(s, "iin")),
        line("field-address", _answer(s, "address")),
        line("field-confidential", pick("choice-confidential", "confidential")),
    ]
    if s.urgent:
        lines.append(Text("summary-urgent"))
    if s.old_complaint:
        lines.append(Text("summary-old"))
    parts = [Text("ask-summary"), Text("summary-lines", {"lines": tuple(lines)})]
    edits = [
        _btn(f"button-edit-{g.value}", EDIT_PREFIX + g.value)
        for g in EDIT_GROUPS
        if _group_steps(s, g.value)
    ]
    rows = ((_btn("button-submit", SUBMIT),), *_rows(edits, 2))
    return parts, rows


_VIEWS: dict[Kind, Callable[..., tuple[list[Text], tuple[tuple[Button, ...], ...]]]] = {
    Kind.CHOICE: _choice_view,
    Kind.OPEN_CHOICE: _choice_view,
    Kind.TEXT: _text_view,
    Kind.STORY: _story_view,
    Kind.CATEGORY: _category_view,
    Kind.REGION: _region_view,
    Kind.PHONE: _phone_view,
    Kind.IIN: _iin_view,
    Kind.SUMMARY: _summary_view,
}


def _confidential_view(s: IntakeState, step: Step, ctx: Context):
    parts, rows = _choice_view(s, step, ctx)
    return [Text("anonymity-note"), *parts], rows


_STEP_VIEWS = {"jurisdiction": _jurisdiction_view, "confidential": _confidential_view}


def current_buttons(s: IntakeState, ctx: Context) -> tuple[Button, ...]:
    """Every button the citizen can see now, so typed labels can be matched to them."""
    return tuple(b for row in view(s, ctx).buttons for b in row)
