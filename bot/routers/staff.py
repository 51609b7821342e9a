"""Representatives and staff: /queue, /appeal, card buttons, and what they type in reply.

Every button re-reads the appeal and applies `dialogs.casework.refusal` to its current state;
taking is one conditional UPDATE, so of two representatives pressing "Take" at once exactly
one wins and the other is told politely.
"""

import logging
from datetime import UTC, datetime

from aiogram import Router
from aiogram.filters import Command, CommandObject, Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMyCommands,
    SendAudio,
    SendDocument,
    SendMessage,
    SendPhoto,
    SendVideo,
    SendVoice,
    SetMyCommands,
)
from aiogram.types import (
    BotCommandScopeChat,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import Casework, StaffCb, queue_from_arg, queue_name
from bot.filters import StaffOrInState
from bot.menus import staff_commands
from bot.middlewares import Outbox, Who
from bot.stats import stats_command
from bot.texts import Texts
from dialogs.casework import Action, CaseView, EventKind, Role, Staff, all_queues, refusal
from dialogs.validation import normalize_iin
from dialogs.vocabulary import KAZAKHSTAN_TIME, AttachmentKind, Outcome, Region
from storage.casework import CaseRepository, StaffRepository
from storage.repositories import AppealRepository

log = logging.getLogger(__name__)
VIEWS = ("new", "mine", "overdue", "urgent", "all")
PAGE = 8
# At most this many cards for one IIN: a person rarely has more appeals, and a flood of cards
# would bury the chat (older ones come as buttons to open one by one).
IIN_CARDS = 5
# Where an appeal can be reassigned: the central office, triage and every region of Kazakhstan.
REASSIGN_TARGETS = ("central", "triage", *(r.value for r in Region if r is not Region.OUTSIDE))


class StaffInput(StatesGroup):
    question = State()
    note = State()
    forward = State()
    close_message = State()


def now() -> datetime:
    return datetime.now(UTC)


def say(outbox: Outbox, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None):
    outbox.append(SendMessage(chat_id=chat_id, text=text, reply_markup=markup))


async def show_card(
    outbox: Outbox,
    casework: Casework,
    session: AsyncSession,
    chat_id: int,
    case: CaseView,
    lang: str,
    staff: Staff,
    header: str | None = None,
) -> None:
    # Every look at an appeal is in its history, for the audit (staff cannot edit events).
    await CaseRepository(session).record_view(case.id, staff.user_id, now=now())
    assignee = ""
    if case.assignee_id:
        member = await StaffRepository(session).get(case.assignee_id)
        assignee = member.name if member and member.name else str(case.assignee_id)
    outbox.append(
        casework.card(chat_id, case, lang, staff, now=now(), header=header, assignee=assignee)
    )


# --- commands --------------------------------------------------------------------------------


async def queue_command(
    message: Message,
    command: CommandObject,
    staff: Staff,
    session: AsyncSession,
    texts: Texts,
    lang: str,
    who: Who,
    outbox: Outbox,
):
    view = (command.args or "new").strip().lower()
    if view not in VIEWS:
        view = "new"
    await send_page(outbox, texts, session, staff, lang, who.chat_id, view, None)


async def send_page(
    outbox: Outbox,
    texts: Texts,
    session: AsyncSession,
    staff: Staff,
    lang: str,
    chat_id: int,
    view: str,
    cursor: tuple[datetime, int] | None,
) -> None:
    queues = staff.visible_queues(all_queues())
    cases, next_cursor = await CaseRepository(session).list_queue(
        queues, view=view, staff_id=staff.user_id, now=now(), cursor=cursor, limit=PAGE
    )
    tabs = [
        InlineKeyboardButton(
            text=("• " if v == view else "") + texts.get(lang, f"staff-view-{v}"),
            callback_data=StaffCb(action="page", appeal=0, arg=v).pack(),
        )
        for v in VIEWS
    ]
    rows = [tabs[:3], tabs[3:]]
    for case in cases:
        mark = "🔴 " if case.urgent else ""
        label = f"{mark}{case.number} · {texts.get(lang, f'category-{case.category}')}"
        rows.append(
            [
                InlineKeyboardButton(
                    text=label[:60], callback_data=StaffCb(action="open", appeal=case.id).pack()
                )
            ]
        )
    if next_cursor is not None:
        stamp, last_id = next_cursor
        rows.append(
            [
                InlineKeyboardButton(
                    text=texts.get(lang, "staff-queue-more"),
                    callback_data=StaffCb(
                        action="page", appeal=last_id, arg=f"{view}.{int(stamp.timestamp() * 1e6)}"
                    ).pack(),
                )
            ]
        )
    key = "staff-queue-title" if cases else "staff-queue-empty"
    say(
        outbox,
        chat_id,
        texts.get(lang, key, view=texts.get(lang, f"staff-view-{view}")),
        InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def appeal_command(
    message: Message,
    command: CommandObject,
    staff: Staff,
    session: AsyncSession,
    texts: Texts,
    lang: str,
    who: Who,
    casework: Casework,
    outbox: Outbox,
):
    arg = (command.args or "").strip()
    cases = CaseRepository(session)
    iin = normalize_iin(arg) if arg else None
    if iin is not None:
        # By the citizen's IIN (its blind index: the IIN itself is never stored in clear nor
        # logged). Only what this member may see: a representative must not even learn that
        # the person has an appeal in another region, so "none visible" reads as "none".
        found = [c for c in await cases.by_iin(iin) if _may_look(staff, c)]
    else:
        case = await cases.by_number(arg.upper()) if arg else None
        found = [case] if case is not None and _may_look(staff, case) else []
    if not found:
        say(outbox, who.chat_id, texts.get(lang, "staff-unknown-appeal"))
        return
    if iin is not None:
        say(outbox, who.chat_id, texts.get(lang, "staff-iin-found", count=len(found)))
    for case in found[:IIN_CARDS]:
        await show_card(outbox, casework, session, who.chat_id, case, lang, staff)
    older = found[IIN_CARDS:]
    if older:
        # The older ones as buttons, like a queue page: opening one is its own audited look.
        rows = [
            [
                InlineKeyboardButton(
                    text=f"{c.number} · {texts.get(lang, f'category-{c.category}')}"[:60],
                    callback_data=StaffCb(action="open", appeal=c.id).pack(),
                )
            ]
            for c in older
        ]
        say(
            outbox,
            who.chat_id,
            texts.get(lang, "staff-iin-more", count=len(older)),
            InlineKeyboardMarkup(inline_keyboard=rows),
        )


def _may_look(staff: Staff, case: CaseView) -> bool:
    return refusal(staff, case, Action.NOTE) != "staff-no-access"


async def cancel_input(
    message: Message, state: FSMContext, texts: Texts, lang: str, who: Who, outbox: Outbox
):
    await state.clear()
    say(outbox, who.chat_id, texts.get(lang, "staff-cancelled"))


# --- buttons ---------------------------------------------------------------------------------


async def staff_button(
    query: CallbackQuery,
    callback_data: StaffCb,
    staff: Staff | None,
    session: AsyncSession,
    texts: Texts,
    lang: str,
    who: Who,
    casework: Casework,
    state: FSMContext,
    outbox: Outbox,
):
    answer = AnswerCallbackQuery(callback_query_id=query.id)
    outbox.append(answer)
    if staff is None or not staff.active:
        # A removed member's old cards still have buttons: they are now nobody's.
        answer.text = texts.get(lang, "staff-not-staff")
        return
    action, arg = callback_data.action, callback_data.arg
    if action == "page":
        view, _, stamp = arg.partition(".")
        if view not in VIEWS or (stamp and not (stamp.isascii() and stamp.isdigit())):
            # Forged or mangled paging data: the first page of the default view, not an error.
            view, stamp = "new", ""
        cursor = None
        if stamp:
            cursor = (datetime.fromtimestamp(int(stamp) / 1e6, UTC), callback_data.appeal)
        await send_page(outbox, texts, session, staff, lang, who.chat_id, view, cursor)
        return
    handler = _BUTTONS.get(action)
    if not _valid_arg(action, arg):  # forged data: never ours, so never reaches storage
        handler = None
    case = await CaseRepository(session).lock(callback_data.appeal) if handler else None
    if case is None:
        answer.text = texts.get(lang, "staff-unknown-appeal")
        return
    action_kind = _ACTION_OF.get(action, Action.NOTE)
    refused = refusal(staff, case, action_kind)
    if refused:
        answer.text = texts.get(lang, refused)
        if refused != "staff-no-access":
            await show_card(outbox, casework, session, who.chat_id, case, lang, staff)
        return
    await handler(
        case=case,
        arg=arg,
        staff=staff,
        session=session,
        texts=texts,
        lang=lang,
        who=who,
        casework=casework,
        state=state,
        outbox=outbox,
        answer=answer,
    )


def _valid_arg(action: str, arg: str) -> bool:
    if action == "reassign_to":
        return arg in REASSIGN_TARGETS
    if action == "close_as":
        return arg in {o.value for o in Outcome}
    return True


async def _open(*, case, staff, session, lang, who, casework, outbox, **_):
    await show_card(outbox, casework, session, who.chat_id, case, lang, staff)


async def _take(*, case, staff, session, texts, lang, who, casework, outbox, answer, **_):
    cases = CaseRepository(session)
    if not await cases.take(case.id, staff.user_id, now=now()):
        answer.text = texts.get(lang, "staff-taken-by-other")
        return
    fresh = await cases.get(case.id)
    answer.text = texts.get(lang, "staff-taken")
    await show_card(outbox, casework, session, who.chat_id, fresh, lang, staff)
    await _tell_citizen(outbox, casework, session, fresh, EventKind.TAKEN)


async def _release(*, case, staff, session, texts, lang, who, casework, outbox, answer, **_):
    cases = CaseRepository(session)
    await cases.release(case.id, staff.user_id, now=now())
    answer.text = texts.get(lang, "staff-released")
    await show_card(outbox, casework, session, who.chat_id, await cases.get(case.id), lang, staff)


def _prompt(key: str, next_state: State):
    async def handler(*, case, texts, lang, who, state, outbox, arg, **_):
        await state.set_state(next_state)
        await state.update_data(appeal=case.id, outcome=arg)
        say(outbox, who.chat_id, texts.get(lang, key, number=case.number))

    return handler


async def _reassign(*, case, texts, lang, who, outbox, **_):
    rows, row = [], []
    for target in REASSIGN_TARGETS:
        queue = queue_from_arg(target)
        if queue == case.queue:
            continue
        row.append(
            InlineKeyboardButton(
                text=queue_name(texts, lang, queue)[:30],
                callback_data=StaffCb(action="reassign_to", appeal=case.id, arg=target).pack(),
            )
        )
        if len(row) == 2:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    say(
        outbox,
        who.chat_id,
        texts.get(lang, "staff-pick-queue", number=case.number),
        InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def _reassign_to(*, case, arg, staff, session, texts, lang, who, casework, outbox, **_):
    queue = queue_from_arg(arg)
    cases = CaseRepository(session)
    await cases.reassign(case.id, queue, staff.user_id, now=now())
    fresh = await cases.get(case.id)
    say(
        outbox,
        who.chat_id,
        texts.get(
            lang, "staff-reassigned", number=case.number, queue=queue_name(texts, lang, queue)
        ),
    )
    outbox.extend(await casework.announce_new(session, fresh, now=now(), copies=()))
    await _tell_citizen(outbox, casework, session, fresh, EventKind.REASSIGNED)


async def _close(*, case, texts, lang, who, outbox, **_):
    rows = [
        [
            InlineKeyboardButton(
                text=texts.get(lang, f"outcome-{o}"),
                callback_data=StaffCb(action="close_as", appeal=case.id, arg=o.value).pack(),
            )
        ]
        for o in Outcome
    ]
    say(
        outbox,
        who.chat_id,
        texts.get(lang, "staff-pick-outcome", number=case.number),
        InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def _files(*, case, staff, session, who, outbox, **_):
    # The files are a look at the appeal as much as its card: audited the same way.
    await CaseRepository(session).record_view(case.id, staff.user_id, now=now())
    for a in await AppealRepository(session).attachments(case.id):
        # Re-send by file_id: the file never leaves Telegram, and nothing is downloaded.
        method, field = _SEND_FILE.get(a.kind, (SendDocument, "document"))
        outbox.append(method(chat_id=who.chat_id, **{field: a.file_id}))


_SEND_FILE = {
    AttachmentKind.PHOTO: (SendPhoto, "photo"),
    AttachmentKind.VOICE: (SendVoice, "voice"),
    AttachmentKind.AUDIO: (SendAudio, "audio"),
    AttachmentKind.VIDEO: (SendVideo, "video"),
}


async def _thread(*, case, staff, session, texts, lang, who, outbox, **_):
    # The history shows the citizen's answers and the notes: a look, audited like the card.
    await CaseRepository(session).record_view(case.id, staff.user_id, now=now())
    lines = [texts.get(lang, "staff-thread-title", number=case.number)]
    for entry in await CaseRepository(session).thread(case.id):
        if entry.kind is EventKind.VIEWED:
            continue  # the audit trail, not the appeal's story
        when = entry.created_at.astimezone(KAZAKHSTAN_TIME).strftime("%d.%m %H:%M")
        lines.append(
            texts.get(
                lang,
                f"event-{entry.kind}",
                date=when,
                text=entry.text or "",
                who=str(entry.author_staff_id or ""),
            )
        )
    say(outbox, who.chat_id, "\n".join(lines)[:4000])


_ACTION_OF = {
    "open": Action.NOTE,
    "thread": Action.NOTE,
    "files": Action.NOTE,
    "take": Action.TAKE,
    "release": Action.RELEASE,
    "ask": Action.ASK,
    "note": Action.NOTE,
    "reassign": Action.REASSIGN,
    "reassign_to": Action.REASSIGN,
    "forward": Action.FORWARD,
    "close": Action.CLOSE,
    "close_as": Action.CLOSE,
}


# --- what staff type after a prompt ----------------------------------------------------------


async def typed_input(
    message: Message,
    state: FSMContext,
    staff: Staff | None,
    session: AsyncSession,
    texts: Texts,
    lang: str,
    who: Who,
    casework: Casework,
    outbox: Outbox,
):
    current, data = await state.get_state(), await state.get_data()
    text = (message.text or message.caption or "").strip()
    if "appeal" not in data:  # a state left without its appeal (should not happen): reset
        await state.clear()
        say(outbox, who.chat_id, texts.get(lang, "staff-cancelled"))
        return
    if staff is None or not text:
        say(outbox, who.chat_id, texts.get(lang, "staff-need-text"))
        return
    cases = CaseRepository(session)
    case = await cases.lock(int(data["appeal"]))
    kind = {
        StaffInput.question.state: Action.ASK,
        StaffInput.note.state: Action.NOTE,
        StaffInput.forward.state: Action.FORWARD,
        StaffInput.close_message.state: Action.CLOSE,
    }[current]
    refused = refusal(staff, case, kind) if case else "staff-unknown-appeal"
    await state.clear()
    if refused:
        say(outbox, who.chat_id, texts.get(lang, refused))
        return
    text = text[:3500]
    if kind is Action.ASK:
        event_id = await cases.add_event(
            case.id, EventKind.QUESTION, author_staff_id=staff.user_id, text=text, now=now()
        )
        say(outbox, who.chat_id, texts.get(lang, "staff-question-sent", number=case.number))
        await _tell_citizen(
            outbox, casework, session, await cases.get(case.id), EventKind.QUESTION, event_id
        )
    elif kind is Action.NOTE:
        await cases.add_event(
            case.id, EventKind.NOTE, author_staff_id=staff.user_id, text=text, now=now()
        )
        say(outbox, who.chat_id, texts.get(lang, "staff-note-added", number=case.number))
    elif kind is Action.FORWARD:
        await cases.forward(case.id, staff.user_id, text, now=now())
        say(outbox, who.chat_id, texts.get(lang, "staff-forwarded", number=case.number, body=text))
        await _tell_citizen(
            outbox, casework, session, await cases.get(case.id), EventKind.FORWARDED
        )
    else:
        outcome = Outcome(data["outcome"])
        message_text = None if text == "-" else text
        await cases.close(case.id, staff.user_id, outcome, message_text, now=now())
        say(
            outbox,
            who.chat_id,
            texts.get(
                lang,
                "staff-closed",
                number=case.number,
                outcome=texts.get(lang, f"outcome-{outcome}"),
            ),
        )
        await _tell_citizen(outbox, casework, session, await cases.get(case.id), EventKind.CLOSED)


async def _tell_citizen(
    outbox: Outbox,
    casework: Casework,
    session: AsyncSession,
    case: CaseView,
    kind: EventKind,
    event_id: int = 0,
) -> None:
    notice = casework.citizen_notice(case, kind, event_id)
    if notice is not None:
        outbox.append(notice)


# --- administrators --------------------------------------------------------------------------


async def staff_add(
    message: Message,
    command: CommandObject,
    staff: Staff,
    session: AsyncSession,
    texts: Texts,
    lang: str,
    who: Who,
    outbox: Outbox,
):
    parts = (command.args or "").split()
    try:
        user_id, role = int(parts[0]), Role(parts[1])
        region = Region(parts[2]) if role is Role.REPRESENTATIVE else None
        name = " ".join(parts[3:] if role is Role.REPRESENTATIVE else parts[2:])
    except (IndexError, ValueError):
        say(outbox, who.chat_id, texts.get(lang, "staff-add-usage"))
        return
    member = Staff(user_id=user_id, role=role, region=region, name=name)
    await StaffRepository(session).upsert(member, added_by=staff.user_id)
    outbox.append(
        SetMyCommands(
            commands=staff_commands(texts, member, lang),
            scope=BotCommandScopeChat(chat_id=user_id),
        )
    )
    say(
        outbox,
        who.chat_id,
        texts.get(
            lang,
            "staff-added",
            user=str(user_id),
            role=role.value,
            region=region.value if region else "—",
        ),
    )


async def staff_remove(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    texts: Texts,
    lang: str,
    who: Who,
    outbox: Outbox,
):
    try:
        user_id = int((command.args or "").split()[0])
    except (IndexError, ValueError):
        say(outbox, who.chat_id, texts.get(lang, "staff-add-usage"))
        return
    done = await StaffRepository(session).deactivate(user_id)
    if done:
        outbox.append(DeleteMyCommands(scope=BotCommandScopeChat(chat_id=user_id)))
    say(
        outbox,
        who.chat_id,
        texts.get(lang, "staff-removed" if done else "staff-unknown-user", user=str(user_id)),
    )


async def staff_list(
    message: Message, session: AsyncSession, texts: Texts, lang: str, who: Who, outbox: Outbox
):
    lines = [texts.get(lang, "staff-list-title")]
    for member in await StaffRepository(session).list_all():
        lines.append(
            texts.get(
                lang,
                "staff-list-line",
                user=str(member.user_id),
                role=member.role.value,
                region=member.region.value if member.region else "—",
                name=member.name or "—",
                active="✓" if member.active else "✗",
            )
        )
    say(outbox, who.chat_id, "\n".join(lines))


def build_router() -> Router:
    """Only registered staff reach these handlers (see ArrivalMiddleware and the filters)."""
    router = Router(name=__name__)
    # Every message handler below needs a staff member or a staff input state.
    router.message.filter(StaffOrInState(StaffInput, staff=True))
    staff_only = StaffFilter()
    admin_only = StaffFilter(admin=True)
    router.message.register(cancel_input, Command("cancel"), StateFilter(StaffInput))
    router.message.register(typed_input, StateFilter(StaffInput), staff_only)
    router.message.register(queue_command, Command("queue"), staff_only)
    router.message.register(appeal_command, Command("appeal"), staff_only)
    router.message.register(stats_command, Command("stats"), staff_only)
    router.message.register(staff_add, Command("staff_add"), admin_only)
    router.message.register(staff_remove, Command("staff_remove"), admin_only)
    router.message.register(staff_list, Command("staff"), admin_only)
    router.callback_query.register(staff_button, StaffCb.filter())
    return router


class StaffFilter(Filter):
    """Passes registered, active staff (or administrators only)."""

    def __init__(self, admin: bool = False) -> None:
        self.admin = admin

    async def __call__(self, event: object, staff: Staff | None = None) -> bool:
        if staff is None or not staff.active:
            return False
        return staff.role is Role.ADMIN if self.admin else True


_BUTTONS = {
    "open": _open,
    "thread": _thread,
    "files": _files,
    "take": _take,
    "release": _release,
    "ask": _prompt("staff-ask-question", StaffInput.question),
    "note": _prompt("staff-ask-note", StaffInput.note),
    "forward": _prompt("staff-ask-forward", StaffInput.forward),
    "reassign": _reassign,
    "reassign_to": _reassign_to,
    "close": _close,
    "close_as": _prompt("staff-ask-close-message", StaffInput.close_message),
}
