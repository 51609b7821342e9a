"""The intake's orchestration for one update: load the draft, advance it, store, queue replies.

Handlers call `IntakeFlow.handle`; it is the only place that knows the order of these steps.
"""

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.keyboards import render
from bot.middlewares import Outbox, Who
from bot.texts import Texts
from dialogs.calendar import WorkCalendar, load_calendar
from dialogs.catalog import Catalog
from dialogs.intake import (
    Choice,
    Context,
    Event,
    IntakeState,
    Reply,
    TextInput,
    Transition,
    advance,
    current_buttons,
    submitted_reply,
)
from dialogs.routing import route
from dialogs.script import Kind
from dialogs.vocabulary import Category, Region
from storage.repositories import (
    AppealRepository,
    DraftRepository,
    StoredDraft,
    UserRepository,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Understanding:
    """What the bot can read from free text; the NLU package plugs in here."""

    suggest: Callable[[str], Sequence[tuple[Category, float]]]
    is_urgent: Callable[[str], bool]
    find_region: Callable[[str], Region | None]


class IntakeFlow:
    def __init__(
        self,
        *,
        texts: Texts,
        catalog: Catalog,
        understanding: Understanding,
        normalize_phone: Callable[[str], str | None],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        calendar: WorkCalendar | None = None,
        on_submitted: Callable[..., Awaitable[list[Any]]] | None = None,
    ) -> None:
        self.calendar = calendar or load_calendar()
        # Called with (session, number, copies) after an appeal is stored: returns the
        # notifications for staff, sent with the citizen's receipt after the commit.
        self.on_submitted = on_submitted
        self.texts = texts
        self.catalog = catalog
        self.understanding = understanding
        self.normalize_phone = normalize_phone
        self.clock = clock

    async def load(self, session: AsyncSession, user_id: int) -> IntakeState | None:
        stored = await DraftRepository(session).load(user_id)
        return IntakeState.from_dict(stored.data) if stored else None

    async def context(
        self, session: AsyncSession, who: Who, stored: StoredDraft | None
    ) -> Context:
        now = self.clock()
        return Context(
            now=now,
            idle_seconds=(now - stored.updated_at).total_seconds() if stored else 0.0,
            user_id=who.user_id,
            chat_id=who.chat_id,
            suggest=self.understanding.suggest,
            is_urgent=self.understanding.is_urgent,
            find_region=self.understanding.find_region,
            normalize_phone=self.normalize_phone,
            known_language=who.stored_language,
            guessed_language=who.guessed_language,
            catalog=self.catalog,
        )

    async def handle(
        self,
        event: Event,
        *,
        who: Who,
        session: AsyncSession,
        outbox: Outbox,
        button: tuple[int, str] | None = None,
    ) -> Transition | None:
        """Advance the citizen's draft by one event and queue what to say.

        `button` is the (revision, step) a clicked button was drawn for: if the draft has moved
        on since (a double click, an old message), nothing happens and None is returned.
        """
        stored = await DraftRepository(session).load(who.user_id)
        state = IntakeState.from_dict(stored.data) if stored else None
        if button is not None and (state is None or button != (state.revision, state.step)):
            return None
        ctx = await self.context(session, who, stored)
        if state is not None and isinstance(event, TextInput):
            event = self.match_label(state, ctx, event)
        transition = advance(state, event, ctx)
        replies, notifications = await self._store(transition, who, session, ctx)
        lang = (
            transition.state.language
            if transition.state
            else ctx.known_language or transition.language_chosen or ctx.guessed_language
        )
        if transition.submit is not None:
            lang = transition.submit.language
        revision = transition.state.revision if transition.state else 0
        for reply in replies:
            outbox.extend(
                render(reply, lang=lang, texts=self.texts, chat_id=who.chat_id, revision=revision)
            )
        outbox.extend(notifications)
        return transition

    def match_label(self, state: IntakeState, ctx: Context, event: TextInput) -> Event:
        """Typing a button's label (or its number in the list) is the same as pressing it."""
        typed = event.text.strip().casefold()
        buttons = current_buttons(state, ctx)
        for i, button in enumerate(buttons, start=1):
            label = self.texts.render(state.language, button.label).casefold()
            if typed == label or (typed == str(i) and state.current.kind in _NUMBERED):
                return Choice(button.value)
        return event

    async def _store(
        self, t: Transition, who: Who, session: AsyncSession, ctx: Context
    ) -> tuple[tuple[Reply, ...], list[Any]]:
        users, drafts = UserRepository(session), DraftRepository(session)
        notifications: list[Any] = []
        if t.language_chosen:
            await users.ensure(who.user_id)
            await users.set_language(who.user_id, t.language_chosen)
        if t.consent_given:
            await users.ensure(who.user_id)
            await users.set_consent(who.user_id, t.consent_given)
        replies = t.replies
        if t.submit is not None:
            appeal = t.submit
            where = route(appeal.category, appeal.region, urgent=appeal.urgent)
            due = self.calendar.due_at(ctx.now, self.catalog.response_working_days)
            number = await AppealRepository(session).create(
                appeal, now=ctx.now, queue=where.queue, due_at=due
            )
            log.info("appeal submitted user_id=%s number=%s", who.user_id, number)
            replies = (*replies, submitted_reply(number, appeal.urgent, self.catalog))
            if self.on_submitted is not None:
                notifications = await self.on_submitted(session, number, where.copies)
        if t.state is None:
            await drafts.delete(who.user_id)
        elif t.accepted:
            await drafts.save(who.user_id, t.state.to_dict(), t.state.revision)
        return replies, notifications


# Steps answered only by buttons: there a typed "3" means the third button. On steps that take
# free text a lone number is an answer, so it is not read as a button.
_NUMBERED = {Kind.CHOICE, Kind.CATEGORY, Kind.REGION, Kind.SUMMARY}
