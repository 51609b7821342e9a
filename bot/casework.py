"""The representatives' side: cards, notifications and the rules applied to button presses.

Everything here returns Bot API methods for the outbox, so they go out only after the
update's transaction has committed (a notification never announces a change that did not
happen).
"""

from dataclasses import dataclass
from datetime import datetime

from aiogram.filters.callback_data import CallbackData
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.texts import Texts
from dialogs.calendar import WorkCalendar
from dialogs.casework import CITIZEN_NOTICE, Action, CaseView, EventKind, Role, Staff
from dialogs.routing import CENTRAL, TRIAGE, queue_of_region
from dialogs.vocabulary import KAZAKHSTAN_TIME, AppealStatus, Region
from storage.casework import StaffRepository
from storage.repositories import UserRepository

Method = TelegramMethod[object]
EXCERPT = 200


class StaffCb(CallbackData, prefix="s1"):
    """A representative's button on an appeal card. The card is re-read on every press."""

    action: str
    appeal: int
    arg: str = ""


class FollowCb(CallbackData, prefix="f1"):
    """A citizen's button on a notice about a submitted appeal."""

    action: str
    appeal: int
    event: int = 0


def queue_name(texts: Texts, lang: str, queue: str) -> str:
    if queue == CENTRAL:
        return texts.get(lang, "queue-central")
    if queue == TRIAGE:
        return texts.get(lang, "queue-triage")
    return texts.get(lang, f"region-{queue.removeprefix('region:')}")


def queue_from_arg(arg: str) -> str:
    """Callback data cannot carry ':' (aiogram's separator), so queues travel as plain ids."""
    return arg if arg in (CENTRAL, TRIAGE) else queue_of_region(Region(arg))


@dataclass
class Casework:
    texts: Texts
    calendar: WorkCalendar
    queue_chats: dict[str, int]
    # For group chats (a group has no one language) and staff who never chose one.
    language: str = "ru"

    # --- cards ---------------------------------------------------------------------------

    def card_text(self, case: CaseView, lang: str, *, now: datetime, assignee: str = "") -> str:
        t = self.texts
        lines = []
        if case.urgent:
            lines.append(t.get(lang, "card-urgent"))
        lines.append(
            t.get(
                lang,
                "card-title",
                number=case.number,
                category=t.get(lang, f"category-{case.category}"),
            )
        )
        lines.append(t.get(lang, "card-region", region=queue_name(t, lang, case.queue)))
        lines.append(
            t.get(lang, "card-filer", filer=t.get(lang, f"choice-filer-{case.filer_type}"))
        )
        if case.subject_name:
            lines.append(t.get(lang, "card-about", name=case.subject_name))
        if case.institution:
            lines.append(t.get(lang, "card-institution", institution=case.institution))
        excerpt = case.story_excerpt[:EXCERPT] + ("…" if len(case.story_excerpt) > EXCERPT else "")
        if excerpt:
            lines.append(t.get(lang, "card-excerpt", excerpt=excerpt))
        lines.append(t.get(lang, "card-attachments", count=case.attachments))
        if case.due_at and case.status is not AppealStatus.CLOSED:
            due = case.due_at.astimezone(KAZAKHSTAN_TIME).strftime("%d.%m.%Y")
            key = "card-overdue" if case.due_at < now else "card-due"
            lines.append(t.get(lang, key, date=due))
        if case.old_complaint:
            lines.append(t.get(lang, "card-old"))
        if case.withdrawn:
            lines.append(t.get(lang, "card-withdrawn"))
        if case.forwarded_to:
            lines.append(t.get(lang, "card-forwarded", body=case.forwarded_to))
        if case.status is AppealStatus.CLOSED:
            outcome = t.get(lang, f"outcome-{case.outcome}") if case.outcome else "—"
            lines.append(t.get(lang, "card-status-closed", outcome=outcome))
        elif case.assignee_id:
            lines.append(
                t.get(lang, "card-status-in_progress", who=assignee or str(case.assignee_id))
            )
        else:
            lines.append(t.get(lang, "card-status-new"))
        return "\n".join(lines)

    def card_buttons(self, case: CaseView, lang: str, staff: Staff) -> InlineKeyboardMarkup:
        def b(action: str, key: str, **args: object) -> InlineKeyboardButton:
            return InlineKeyboardButton(
                text=self.texts.get(lang, key, **args),
                callback_data=StaffCb(action=action, appeal=case.id).pack(),
            )

        rows: list[list[InlineKeyboardButton]] = []
        if case.status is AppealStatus.CLOSED:
            rows.append([b("thread", "staff-btn-thread"), b(Action.NOTE, "staff-btn-note")])
        elif case.assignee_id is None:
            rows.append(
                [b(Action.TAKE, "staff-btn-take"), b(Action.REASSIGN, "staff-btn-reassign")]
            )
            rows.append([b(Action.NOTE, "staff-btn-note"), b("thread", "staff-btn-thread")])
        else:
            rows.append([b(Action.ASK, "staff-btn-ask"), b(Action.CLOSE, "staff-btn-close")])
            rows.append([b(Action.FORWARD, "staff-btn-forward"), b(Action.NOTE, "staff-btn-note")])
            rows.append(
                [b(Action.RELEASE, "staff-btn-release"), b(Action.REASSIGN, "staff-btn-reassign")]
            )
            rows.append([b("thread", "staff-btn-thread")])
        if case.attachments:
            rows.append([b("files", "staff-btn-files", count=case.attachments)])
        return InlineKeyboardMarkup(inline_keyboard=rows)

    def card(
        self,
        chat_id: int,
        case: CaseView,
        lang: str,
        staff: Staff,
        *,
        now: datetime,
        header: str | None = None,
        assignee: str = "",
    ) -> SendMessage:
        text = self.card_text(case, lang, now=now, assignee=assignee)
        if header:
            text = f"{header}\n\n{text}"
        return SendMessage(
            chat_id=chat_id, text=text, reply_markup=self.card_buttons(case, lang, staff)
        )

    # --- notifications -------------------------------------------------------------------

    async def announce_new(
        self, session: AsyncSession, case: CaseView, *, now: datetime, copies: tuple[str, ...]
    ) -> list[Method]:
        """Post a new appeal's card to everyone watching its queue (and urgent copies)."""
        staff_repo, users = StaffRepository(session), UserRepository(session)
        methods: list[Method] = []
        seen: set[int] = set()
        for queue in (case.queue, *copies):
            for member in await recipients(staff_repo, queue):
                if member.user_id in seen:
                    continue
                seen.add(member.user_id)
                lang = await users.get_language(member.user_id) or self.language
                header = self.texts.get(
                    lang, "staff-new-appeal", queue=queue_name(self.texts, lang, case.queue)
                )
                methods.append(
                    self.card(member.user_id, case, lang, member, now=now, header=header)
                )
            chat = self.queue_chats.get(queue)
            if chat is not None:
                group = Staff(user_id=0, role=Role.CENTRAL)
                lang = self.language
                header = self.texts.get(
                    lang, "staff-new-appeal", queue=queue_name(self.texts, lang, case.queue)
                )
                methods.append(self.card(chat, case, lang, group, now=now, header=header))
        return methods

    def citizen_notice(self, case: CaseView, kind: EventKind, event_id: int) -> SendMessage | None:
        """A neutral notice: the number and that there is news; details behind a button."""
        key = CITIZEN_NOTICE.get(kind)
        if key is None:
            return None
        lang = case.language
        buttons: list[list[InlineKeyboardButton]] = []
        if kind is EventKind.QUESTION:
            buttons.append(
                [self.follow_button(lang, "show", case.id, "button-show-question", event_id)]
            )
        elif kind in (EventKind.CLOSED, EventKind.FORWARDED):
            buttons.append(
                [self.follow_button(lang, "show", case.id, "button-show-details", event_id)]
            )
        markup = InlineKeyboardMarkup(inline_keyboard=buttons) if buttons else None
        return SendMessage(
            chat_id=case.chat_id,
            text=self.texts.get(lang, key, number=case.number),
            reply_markup=markup,
        )

    def follow_button(
        self, lang: str, action: str, appeal: int, key: str, event: int = 0, **args: object
    ) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=self.texts.get(lang, key, **args),
            callback_data=FollowCb(action=action, appeal=appeal, event=event).pack(),
        )

    async def staff_notice(
        self, session: AsyncSession, case: CaseView, key: str, **args: object
    ) -> list[Method]:
        """Tell the person working the appeal (or, if nobody is, its queue) about news."""
        staff_repo, users = StaffRepository(session), UserRepository(session)
        targets: list[Staff] = []
        if case.assignee_id is not None:
            member = await staff_repo.get(case.assignee_id)
            targets = [member] if member else []
        if not targets:
            targets = await recipients(staff_repo, case.queue)
        methods: list[Method] = []
        for member in targets:
            lang = await users.get_language(member.user_id) or self.language
            text = self.texts.get(lang, key, number=case.number, **args)
            methods.append(
                SendMessage(
                    chat_id=member.user_id,
                    text=text,
                    reply_markup=InlineKeyboardMarkup(
                        inline_keyboard=[
                            [
                                InlineKeyboardButton(
                                    text=self.texts.get(lang, "staff-btn-open"),
                                    callback_data=StaffCb(action="open", appeal=case.id).pack(),
                                )
                            ]
                        ]
                    ),
                )
            )
        return methods


async def recipients(staff: StaffRepository, queue: str) -> list[Staff]:
    """Who is told about a queue's news: a region's representatives for a regional queue
    (central staff can look at every queue but are not pinged for each appeal); central staff
    and administrators for the central and triage queues."""
    members = await staff.watching(queue)
    if queue.startswith("region:"):
        return [m for m in members if m.role is Role.REPRESENTATIVE]
    return [m for m in members if m.role is not Role.REPRESENTATIVE]
