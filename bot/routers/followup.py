"""A citizen after submission: reading a question or an answer, replying, adding information,
withdrawing. Every button checks that the appeal is this citizen's own."""

from datetime import UTC, datetime

from aiogram import Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import Casework, FollowCb
from bot.filters import StaffOrInState
from bot.inputs import FileRejected, attachment_of
from bot.middlewares import Outbox, Who
from bot.texts import Texts
from dialogs.casework import EventKind
from dialogs.vocabulary import AppealStatus
from storage.casework import CaseRepository


class CitizenInput(StatesGroup):
    answer = State()
    add_info = State()


async def follow_button(
    query: CallbackQuery,
    callback_data: FollowCb,
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
    cases = CaseRepository(session)
    case = await cases.get(callback_data.appeal)
    if case is None or case.chat_id != who.chat_id:  # a forged or foreign button
        answer.text = texts.get(lang, "stale-button-alert")
        return
    lang = case.language
    action = callback_data.action
    if action == "show":
        shown = [
            e
            for e in await cases.thread(case.id)
            if e.kind in (EventKind.QUESTION, EventKind.CLOSED, EventKind.FORWARDED)
        ]
        if not shown:
            return
        entry = shown[-1]
        if entry.kind is EventKind.QUESTION:
            text = texts.get(lang, "citizen-question", number=case.number, text=entry.text or "")
            markup = InlineKeyboardMarkup(
                inline_keyboard=[
                    [casework.follow_button(lang, "answer", case.id, "button-answer")]
                ]
            )
        elif entry.kind is EventKind.CLOSED:
            outcome = texts.get(lang, f"outcome-{case.outcome}") if case.outcome else "—"
            text = texts.get(
                lang,
                "citizen-closed-detail",
                number=case.number,
                outcome=outcome,
                message=entry.text or "",
            )
            markup = None
        else:
            text = texts.get(
                lang, "citizen-forwarded-detail", number=case.number, body=case.forwarded_to or ""
            )
            markup = None
        outbox.append(SendMessage(chat_id=who.chat_id, text=text, reply_markup=markup))
        return
    if case.status is AppealStatus.CLOSED:
        answer.text = texts.get(lang, "citizen-appeal-closed")
        return
    if action in ("answer", "add"):
        await state.set_state(CitizenInput.answer if action == "answer" else CitizenInput.add_info)
        await state.update_data(appeal=case.id)
        key = "citizen-answer-prompt" if action == "answer" else "citizen-add-info-prompt"
        outbox.append(
            SendMessage(chat_id=who.chat_id, text=texts.get(lang, key, number=case.number))
        )
    elif action == "withdraw":
        outbox.append(
            SendMessage(
                chat_id=who.chat_id,
                text=texts.get(lang, "citizen-withdraw-ask", number=case.number),
                reply_markup=InlineKeyboardMarkup(
                    inline_keyboard=[
                        [
                            casework.follow_button(
                                lang, "withdraw_yes", case.id, "button-withdraw-yes"
                            ),
                        ]
                    ]
                ),
            )
        )
    elif action == "withdraw_yes":
        closed = await cases.withdraw(case.id, who.user_id, now=datetime.now(UTC))
        key = "citizen-withdrawn" if closed else "citizen-withdrawn-urgent"
        outbox.append(
            SendMessage(chat_id=who.chat_id, text=texts.get(lang, key, number=case.number))
        )
        outbox.extend(await casework.staff_notice(session, case, "staff-citizen-withdrew"))


async def citizen_input(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    texts: Texts,
    lang: str,
    who: Who,
    casework: Casework,
    outbox: Outbox,
):
    """The citizen's answer or addition: text and/or a file, into the appeal's thread."""
    current, data = await state.get_state(), await state.get_data()
    cases = CaseRepository(session)
    case = await cases.get(int(data["appeal"]))
    if case is None or case.chat_id != who.chat_id:
        await state.clear()
        return
    try:
        attachment = attachment_of(message)
    except FileRejected as rejected:
        outbox.append(
            SendMessage(chat_id=who.chat_id, text=texts.get(lang, rejected.key, max_mb=20))
        )
        return
    text = (message.text or message.caption or "").strip()[:4000]
    if not text and attachment is None:
        outbox.append(SendMessage(chat_id=who.chat_id, text=texts.get(lang, "input-need-text")))
        return
    kind = EventKind.ANSWER if current == CitizenInput.answer.state else EventKind.CITIZEN_INFO
    file = None
    if attachment is not None:
        file = {
            "kind": attachment.kind.value,
            "file_id": attachment.file_id,
            "file_unique_id": attachment.file_unique_id,
        }
    await cases.add_event(
        case.id,
        kind,
        author_staff_id=None,
        text=text or None,
        data={"file": file} if file else None,
        now=datetime.now(UTC),
    )
    await state.clear()
    key = "citizen-answer-sent" if kind is EventKind.ANSWER else "citizen-info-added"
    outbox.append(
        SendMessage(chat_id=who.chat_id, text=texts.get(case.language, key, number=case.number))
    )
    notice = "staff-citizen-answered" if kind is EventKind.ANSWER else "staff-citizen-info"
    outbox.extend(await casework.staff_notice(session, case, notice))


async def cancel_input(
    message: Message, state: FSMContext, texts: Texts, lang: str, who: Who, outbox: Outbox
):
    await state.clear()
    outbox.append(
        SendMessage(chat_id=who.chat_id, text=texts.get(lang, "citizen-input-cancelled"))
    )


def build_router() -> Router:
    router = Router(name=__name__)
    # Both message handlers need a citizen input state.
    router.message.filter(StaffOrInState(CitizenInput, staff=False))
    router.message.register(cancel_input, Command("cancel"), StateFilter(CitizenInput))
    router.message.register(citizen_input, StateFilter(CitizenInput))
    router.callback_query.register(follow_button, FollowCb.filter())
    return router
