"""/forget through the production dispatcher: one confirmation, then the draft, the settings
and the closed appeals' personal data are gone; open appeals stay until closed, and the
citizen is told exactly that."""

import asyncio
import contextlib
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from bot.deadlines import watch_deadlines
from bot.texts import Texts
from dialogs.appeal import NewAppeal
from dialogs.casework import EventKind
from dialogs.vocabulary import Category, FilerType, Outcome, Region
from storage.casework import CaseRepository
from storage.models import AppealRow, DraftRow
from storage.repositories import AppealRepository, DraftRepository, UserRepository
from storage.retention import FORGET_GRACE
from tests.bot.test_intake_flow import file_to_summary
from tests.conftest import Harness

T = Texts()
CITIZEN = 1001
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def t(key: str, **args: object) -> str:
    return T.get("en", key, **args)


async def closed_appeal(h: Harness) -> int:
    """An older appeal of the same citizen, already answered and closed."""
    appeal = NewAppeal(
        user_id=CITIZEN,
        chat_id=CITIZEN,
        language="en",
        consent_at=NOW,
        filer_type=FilerType.SELF,
        category=Category.HOUSING,
        story="Старое обращение про жильё",
        region=Region.ASTANA,
        full_name="Айгерим Старая",
        phone="+77010000000",
    )
    async with h.session_pool() as s, s.begin():
        number = await AppealRepository(s).create(appeal, now=NOW, queue="region:astana")
        cases = CaseRepository(s)
        case = await cases.by_number(number)
        assert case is not None
        await cases.close(case.id, 9, Outcome.EXPLAINED, "Ответ офиса", now=NOW)
    return case.id


async def test_forget_asks_once_then_erases_what_it_says(harness: Harness) -> None:
    h = harness
    old = await closed_appeal(h)
    citizen = h.citizen(CITIZEN, language_code="en")
    await file_to_summary(citizen, "en")
    receipt = "\n".join(await citizen.click(t("button-submit")))
    number = re.search(r"PAV-\d{4}-\d{6}", receipt).group(0)
    await citizen.send("/new")  # a new draft, begun but not sent
    async with h.session_pool() as s:
        assert await s.get(DraftRow, CITIZEN) is not None

    # The question says what will happen, with the citizen's own numbers.
    [ask] = await citizen.send("/forget")
    assert ask == t("privacy-forget-ask", closed=1, open=1, days=FORGET_GRACE.days)
    assert citizen.buttons() == [t("privacy-forget-yes"), t("privacy-forget-no")]

    # "No" erases nothing.
    assert await citizen.click(t("privacy-forget-no")) == [t("privacy-forget-kept")]
    async with h.session_pool() as s:
        assert await s.get(DraftRow, CITIZEN) is not None
        assert await UserRepository(s).get_language(CITIZEN) == "en"
    # Its buttons are gone, so the answered question cannot be pressed again.
    assert not citizen.messages()[-2].get("reply_markup", {}).get("inline_keyboard")

    await citizen.send("/forget")
    [done] = await citizen.click(t("privacy-forget-yes"))
    assert done == "\n\n".join(
        [
            t("privacy-forget-done", closed=1),
            t("privacy-forget-open-left", open=1, days=FORGET_GRACE.days),
            t("privacy-forget-chat"),
        ]
    )

    async with h.session_pool() as s:
        assert await DraftRepository(s).load(CITIZEN) is None
        assert await UserRepository(s).get_language(CITIZEN) is None
        assert await UserRepository(s).get_consent(CITIZEN) is None
        cases = CaseRepository(s)
        erased = await cases.get(old)
        thread = await cases.thread(old)
        still_open = await cases.by_number(number)
        open_row = await s.scalar(select(AppealRow).where(AppealRow.number == number))
        raw_old = (
            await s.execute(text(f"SELECT phone, iin_digest FROM appeals WHERE id={old}"))
        ).one()
    # The closed appeal: no personal data, no texts; its figures remain.
    assert (
        erased is not None and erased.story_excerpt == "" and erased.outcome is Outcome.EXPLAINED
    )
    assert [e.text for e in thread if e.text] == []
    assert thread[-1].kind is EventKind.ANONYMISED
    assert tuple(raw_old) == (None, None)
    # The open one: untouched, so the office can answer, and marked to be erased later.
    assert still_open is not None and still_open.story_excerpt.startswith("My employer")
    assert open_row.full_name == "Айгерим Нурланқызы Сәрсенова"
    assert open_row.forget_requested_at is not None

    # /status shows only what is left.
    status = "\n".join(await citizen.send("/status"))
    assert number in status


async def test_the_deadline_watcher_runs_the_retention_sweep(harness: Harness) -> None:
    """The bot's periodic watcher anonymises what is due, without anyone running the CLI."""
    h = harness
    old = await closed_appeal(h)  # closed on 2 March 2026
    dp = h.dp
    watcher = asyncio.create_task(
        watch_deadlines(
            h.session_pool,
            h.bot,
            dp["casework"],
            dp["postman"],
            every=0.01,
            clock=lambda: NOW + timedelta(days=31),
            retention_days=30,
        )
    )
    try:
        async with asyncio.timeout(10):
            while True:
                async with h.session_pool() as s:
                    thread = await CaseRepository(s).thread(old)
                if thread[-1].kind is EventKind.ANONYMISED:
                    break
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # more rounds: the sweep is daily and never erases twice
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    async with h.session_pool() as s:
        thread = await CaseRepository(s).thread(old)
    assert [e.kind for e in thread].count(EventKind.ANONYMISED) == 1
    assert thread[-1].data == {"reason": "retention"}


async def test_clear_deletes_both_sides_of_the_conversation_and_keeps_the_appeal(
    harness: Harness,
) -> None:
    """For a phone others may read: /clear removes the bot's and the citizen's messages (the
    ones Telegram still lets a bot delete), leaves no new message, and touches no data."""
    h = harness
    citizen = h.citizen(CITIZEN, "en")
    await citizen.send("/start")
    await citizen.click("English")
    await citizen.click(t("choice-consent-agree"))
    typed = await citizen.send("hello")  # a citizen's message, by id below
    assert typed
    await citizen.send("/clear")
    assert citizen.last_text().startswith("<b>Delete the messages")
    bot_ids = {m["message_id"] for m in citizen.messages()}
    # The "no" answer deletes nothing.
    await citizen.click(t("privacy-clear-no"))
    assert citizen.last_text() == t("privacy-clear-kept")
    assert h.recording.requests_of("deleteMessages") == []
    await citizen.send("/clear")
    requests_before = len(h.recording.requests)
    await citizen.click(t("privacy-clear-yes"))
    new = h.recording.requests[requests_before:]
    deleted = {
        int(i) for r in new if r.method_name == "deleteMessages" for i in r.method_obj.message_ids
    }
    # Every bot message is gone from the chat, and so are the citizen's own messages.
    assert citizen.messages() == []
    assert bot_ids <= deleted
    incoming = {10_000, 10_001, 10_002, 10_003}  # /start, hello, /clear, /clear (harness ids)
    assert incoming <= deleted
    # Nothing new is left behind: only a notice on the button.
    assert [r.method_name for r in new if r.method_name.startswith("send")] == []
    [answer] = [r for r in new if r.method_name == "answerCallbackQuery"]
    assert answer.params["text"] == t("privacy-clear-done")
    assert h.recording.violations == []
    # The draft is untouched: /clear is about the screen, /forget about the data.
    async with h.session_pool() as s:
        assert await DraftRepository(s).load(CITIZEN) is not None
