"""The conversation table, walked without Telegram: every step is reachable, every path ends,
every category has its texts, its data and a route."""

import dataclasses
from collections import deque
from datetime import UTC, datetime

import pytest

from bot.texts import Texts
from dialogs.appeal import Attachment
from dialogs.catalog import load_catalog
from dialogs.intake import (
    Choice,
    ContactInput,
    Context,
    Event,
    IntakeState,
    MediaInput,
    Start,
    TextInput,
    Transition,
    advance,
    current_buttons,
)
from dialogs.routing import CENTRAL, TRIAGE, route
from dialogs.script import BACK, KEEP, STEPS, SUBMIT, Kind
from dialogs.vocabulary import KAZAKHSTAN_REGIONS, AttachmentKind, Category, Region

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CTX = Context(
    now=NOW,
    user_id=1,
    chat_id=1,
    normalize_phone=lambda text: "+77012345678" if "701" in text else None,
)
TYPED = {
    Kind.TEXT: "Some typed answer",
    Kind.OPEN_CHOICE: "Last spring",
    Kind.STORY: "Something happened to me and I need help.",
    Kind.IIN: "900101300017",
}


def inputs_for(state: IntakeState) -> list[Event]:
    """Every kind of answer the current step accepts: each button, and typing where allowed."""
    events: list[Event] = [Choice(b.value) for b in current_buttons(state, CTX)]
    kind = state.current.kind
    if kind in TYPED:
        events.append(TextInput(TYPED[kind]))
    if kind is Kind.PHONE:
        events.append(ContactInput("+77012345678", own=True))
    return [e for e in events if not (isinstance(e, Choice) and e.value in (BACK, KEEP))]


def forward(state: IntakeState) -> Event:
    """The first answer that moves forward: what a hurried citizen would do."""
    return inputs_for(state)[0]


def explore() -> tuple[set[str], list[IntakeState]]:
    """Breadth-first over every answer of every step, one state per shape of the draft."""
    first = advance(None, Start(), CTX).state
    seen: set[tuple] = set()
    states: list[IntakeState] = []
    queue = deque([first])
    steps: set[str] = set()
    while queue:
        state = queue.popleft()
        # Answers that change the path (who files, whether complained before) are kept in the
        # key; which region or category was picked does not change the path, so it is not.
        a = state.answers
        key = (
            state.step,
            state.edit_group,
            a.get("filer"),
            a.get("prior_complaint"),
            a.get("consent"),
            frozenset(a),
        )
        if key in seen:
            continue
        seen.add(key)
        states.append(state)
        steps.add(state.step)
        for event in inputs_for(state):
            t = advance(state, event, CTX)
            if t.state is not None and t.accepted:
                queue.append(t.state)
    return steps, states


STEPS_SEEN, STATES = explore()


def test_every_step_of_the_table_is_reachable():
    assert {s.id for s in STEPS} == STEPS_SEEN


def test_from_every_reachable_state_answering_forward_ends_in_a_submission_or_a_stop():
    for state in STATES:
        t = Transition(state, ())
        for _ in range(3 * len(STEPS)):
            t = advance(t.state, forward(t.state), CTX)
            if t.state is None:
                break
        assert t.state is None, f"stuck from {state.step} at {t.state.step}"


def test_a_hurried_citizen_submits_a_complete_appeal():
    state = advance(None, Start(), CTX).state
    submitted = None
    for _ in range(len(STEPS) * 2):
        event = Choice(SUBMIT) if state.step == "summary" else forward(state)
        t = advance(state, event, CTX)
        if t.submit is not None:
            submitted = t.submit
            break
        state = t.state
    assert submitted is not None
    assert submitted.full_name
    assert submitted.story
    assert submitted.category in Category


def test_back_from_every_state_returns_to_the_step_before():
    for state in STATES:
        if not state.history:
            continue
        t = advance(state, Choice(BACK), CTX)
        assert t.state.step == state.history[-1]


def test_a_wrong_answer_never_changes_the_draft():
    for state in STATES:
        for bad in (
            Choice("no-such-button"),
            MediaInput(Attachment(AttachmentKind.PHOTO, "f", "u"))
            if state.step == "language"
            else None,
        ):
            if bad is None:
                continue
            t = advance(state, bad, CTX)
            assert not t.accepted
            assert t.state == state


def test_advance_is_pure_and_does_not_touch_its_input():
    state = STATES[len(STATES) // 2]
    snapshot = state.to_dict()
    a = advance(state, forward(state), CTX)
    b = advance(state, forward(state), CTX)
    assert state.to_dict() == snapshot
    assert a == b


def test_a_draft_survives_serialisation():
    for state in STATES[:200]:
        assert IntakeState.from_dict(state.to_dict()) == state


def _containers(value, found):
    if isinstance(value, dict | list):
        found.append(value)
        for item in value.values() if isinstance(value, dict) else value:
            _containers(item, found)
    return found


def test_a_drafts_copy_is_deep_and_its_dict_is_what_asdict_gives():
    for state in STATES[:200]:
        assert state.to_dict() == dataclasses.asdict(state)  # the library's reading
        copied = state.copy()
        assert copied == state
        # Not one list or dict shared with the original, in the copy or in the dict.
        original = {id(c) for c in _containers(vars(state), [])}
        made = _containers(vars(copied), []) + _containers(state.to_dict(), [])
        assert not {id(c) for c in made} & original


def test_a_draft_refuses_what_json_could_not_store():
    state = IntakeState(language="en")
    state.answers["when"] = datetime(2026, 1, 1)
    with pytest.raises(TypeError, match="JSON data only, not datetime"):
        state.to_dict()


CATALOG = load_catalog()
TEXTS = Texts()


@pytest.mark.parametrize("category", list(Category))
def test_every_category_has_jurisdiction_texts_bodies_and_a_route(category):
    info = CATALOG.info(category)
    assert info.bodies, "at least one competent body besides the Ombudsman"
    for lang in ("kk", "ru", "en"):
        keys = TEXTS.keys(lang)
        for suffix in ("", "-hint", "-can", "-cannot", "-next"):
            prefix = "category" if suffix in ("", "-hint") else "juris"
            assert f"{prefix}-{category}{suffix}" in keys
        assert {f"body-{b}" for b in info.bodies} <= keys
        assert {f"hotline-{h}" for h in info.hotlines} <= keys
    for region in Region:
        for urgent in (False, True):
            r = route(category, region, urgent=urgent)
            assert r.queue
            assert not urgent or CENTRAL in (r.queue, *r.copies)


def test_routing_sends_each_region_to_its_own_queue_and_the_rest_to_central_or_triage():
    queues = {route(Category.LABOUR, r, urgent=False).queue for r in KAZAKHSTAN_REGIONS}
    assert len(queues) == 20
    assert route(Category.LABOUR, Region.OUTSIDE, urgent=False).queue == CENTRAL
    assert route(Category.LABOUR, None, urgent=False).queue == TRIAGE


def test_only_torture_is_urgent_by_its_category_and_court_decisions_cannot_be_overturned():
    assert {c for c in Category if CATALOG.info(c).urgent} == {Category.TORTURE_ILL_TREATMENT}
    assert {c for c in Category if CATALOG.info(c).cannot_overturn} == {Category.COURT_DECISION}
    assert set(CATALOG.emergency_hotlines) >= {"police", "family", "trafficking"}
    assert {CATALOG.hotlines[h].number for h in CATALOG.emergency_hotlines} >= {
        "102",
        "111",
        "11616",
    }
