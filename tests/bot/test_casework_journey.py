"""The representatives' side through the production dispatcher, on SQLite and PostgreSQL:
a citizen files, the right representative is notified, takes it, asks, the citizen answers,
the representative closes it as `forwarded`, the citizen is told, and the statistics count it.
"""

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.deadlines import check_deadlines
from bot.texts import Texts
from dialogs.casework import EventKind, Role, Staff
from dialogs.vocabulary import Category, Region
from storage.casework import CaseRepository, StaffRepository
from storage.db import create_engine, create_session_pool, upgrade_to_head
from storage.models import AppealRow
from storage.report import build_report
from storage.repositories import UserRepository
from tests.bot.test_intake_flow import begin, file_to_summary
from tests.conftest import Harness, fresh_postgres

T = Texts()
REP_PAVLODAR, REP_KARAGANDA, CENTRAL_STAFF, CITIZEN = 5001, 5002, 5003, 1001


def t(key: str, **args) -> str:
    return T.get("en", key, **args)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
async def pool(request, tmp_path: Path):
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/journey.db"
        await upgrade_to_head(url)
    else:
        url = await fresh_postgres()
    engine = create_engine(url)
    yield create_session_pool(engine)
    await engine.dispose()


async def register_staff(pool) -> None:
    async with pool() as s, s.begin():
        staff, users = StaffRepository(s), UserRepository(s)
        for member in (
            Staff(REP_PAVLODAR, Role.REPRESENTATIVE, Region.PAVLODAR, "Aliya"),
            Staff(REP_KARAGANDA, Role.REPRESENTATIVE, Region.KARAGANDA, "Marat"),
            Staff(CENTRAL_STAFF, Role.CENTRAL, None, "Dana"),
        ):
            await staff.upsert(member, added_by=None)
            await users.ensure(member.user_id)
            await users.set_language(member.user_id, "en")


def texts_to(h: Harness, chat_id: int) -> list[str]:
    return [m.get("text", "") for m in h.bot_messages(chat_id)]


async def test_a_citizens_appeal_is_worked_and_closed_end_to_end(pool):
    h = Harness(pool)
    await register_staff(pool)
    citizen = h.citizen(CITIZEN, language_code="en")
    await file_to_summary(citizen, "en", category=Category.LABOUR, region=Region.PAVLODAR)
    receipt = "\n".join(await citizen.click(t("button-submit")))
    number = re.search(r"PAV-\d{4}-\d{6}", receipt).group(0)

    # Only the Pavlodar representative is told; Karaganda and the central office are not.
    rep = h.citizen(REP_PAVLODAR, language_code="en")
    [card] = texts_to(h, REP_PAVLODAR)
    assert number in card and t("staff-new-appeal", queue=t("region-pavlodar")) in card
    assert texts_to(h, REP_KARAGANDA) == [] and texts_to(h, CENTRAL_STAFF) == []

    await rep.click(t("staff-btn-take"))
    assert citizen.last_text() == t("notice-taken", number=number)

    await rep.click(t("staff-btn-ask"))
    await rep.send("When exactly were you dismissed?")
    notice = citizen.last_text()
    assert notice == t("notice-question", number=number)
    assert "dismissed" not in notice  # neutral: the question itself is behind a button
    await citizen.click(t("button-show-question"))
    assert "When exactly were you dismissed?" in citizen.last_text()
    await citizen.click(t("button-answer"))
    await citizen.send("On the first of October.")
    assert citizen.last_text() == t("citizen-answer-sent", number=number)
    assert rep.last_text() == t("staff-citizen-answered", number=number)

    await rep.click(t("staff-btn-open"))
    await rep.click(t("staff-btn-close"))
    await rep.click(t("outcome-forwarded"))
    await rep.send("Forwarded to the labour inspection of Pavlodar region.")
    assert citizen.last_text() == t("notice-closed", number=number)
    await citizen.click(t("button-show-details"))
    assert "labour inspection of Pavlodar" in citizen.last_text()

    async with pool() as s:
        row = (await s.scalars(select(AppealRow))).one()
        thread = await CaseRepository(s).thread(row.id)
        kinds = [e.kind for e in thread if e.kind is not EventKind.VIEWED]
        viewers = {e.author_staff_id for e in thread if e.kind is EventKind.VIEWED}
        report = await build_report(s, date(2000, 1, 1), date.today() + timedelta(days=1))
    assert kinds == [
        EventKind.SUBMITTED,
        EventKind.TAKEN,
        EventKind.QUESTION,
        EventKind.ANSWER,
        EventKind.CLOSED,
    ]
    assert viewers == {REP_PAVLODAR}  # the audit trail of who opened the appeal
    assert row.outcome == "forwarded" and row.queue == "region:pavlodar"
    assert report.total == 1
    assert report.by_outcome["forwarded"] == 1
    assert report.by_region["pavlodar"] == 1 and report.by_category["labour"] == 1
    assert h.recording.violations == []


async def test_two_representatives_pressing_take_at_once_one_wins(pool):
    h = Harness(pool)
    await register_staff(pool)
    async with pool() as s, s.begin():
        await StaffRepository(s).upsert(
            Staff(5004, Role.REPRESENTATIVE, Region.PAVLODAR, "Second"), added_by=None
        )
        await UserRepository(s).ensure(5004)
        await UserRepository(s).set_language(5004, "en")
    citizen = h.citizen(CITIZEN, language_code="en")
    await file_to_summary(citizen, "en")
    await citizen.click(t("button-submit"))
    first, second = h.citizen(REP_PAVLODAR, "en"), h.citizen(5004, "en")
    await first.click(t("staff-btn-take"))
    await second.click(t("staff-btn-take"))  # a moment later, on their own copy of the card
    answer = h.recording.last_request("answerCallbackQuery")
    assert answer.params["text"] == t("staff-taken-by-other")
    async with pool() as s:
        row = (await s.scalars(select(AppealRow))).one()
    assert row.assignee_id == REP_PAVLODAR


async def test_a_citizen_cannot_touch_someone_elses_appeal_and_outsiders_see_nothing(pool):
    h = Harness(pool)
    await register_staff(pool)
    citizen = h.citizen(CITIZEN, language_code="en")
    await file_to_summary(citizen, "en")
    await citizen.click(t("button-submit"))
    async with pool() as s:
        appeal_id = (await s.scalars(select(AppealRow.id))).one()
    # Another person forges the citizen's "withdraw" button and a staff "take" button.
    stranger = h.citizen(7007, language_code="en")
    await stranger.send("/start")
    h.recording.clear()
    await stranger._feed(
        {
            "callback_query": {
                "id": "q1",
                "from": stranger.user,
                "chat_instance": "x",
                "data": f"f1:withdraw_yes:{appeal_id}:0",
            }
        }
    )
    await stranger._feed(
        {
            "callback_query": {
                "id": "q2",
                "from": stranger.user,
                "chat_instance": "x",
                "data": f"s1:take:{appeal_id}:",
            }
        }
    )
    await stranger.send("/queue")
    answers = h.recording.requests_of("answerCallbackQuery")
    assert [a.params["text"] for a in answers] == [t("stale-button-alert"), t("staff-not-staff")]
    async with pool() as s:
        row = (await s.scalars(select(AppealRow))).one()
    assert row.assignee_id is None and not row.withdrawn and row.status == "new"
    # The Karaganda representative cannot open a Pavlodar appeal either.
    other_rep = h.citizen(REP_KARAGANDA, language_code="en")
    await other_rep.send(f"/appeal {row.number}")
    assert other_rep.last_text() == t("staff-unknown-appeal")


async def test_custody_appeals_go_to_the_institutions_region_and_urgent_ones_to_central(pool):
    h = Harness(pool)
    await register_staff(pool)
    c = h.citizen(CITIZEN, language_code="en")
    await begin(c, "en", "custody")
    await c.send("Serik Akhmetov")
    await c.click(t("choice-relation-parent"))
    await c.click(t("choice-detention-kind-colony"))
    await c.send("ЕЦ-166/11")
    await c.click(t("region-karaganda"))
    await c.send("My son was beaten by guards and has broken ribs.")
    await c.click(t("category-torture_ill_treatment"))
    await c.click(t("choice-jurisdiction-continue"))
    for answer in ("The colony administration", "Last week"):
        await c.send(answer)
    await c.click(t("choice-prior-complaint-no"))
    await c.send("A medical examination and a check")
    await c.send("Gulnara Akhmetova")
    await c.send("+77012345678")
    await c.click(t("button-skip"))
    await c.send("Karaganda, Abay street 5")
    await c.click(t("choice-confidential-no"))
    await c.click(t("button-submit"))
    assert len(texts_to(h, REP_KARAGANDA)) == 1  # the institution's region
    assert texts_to(h, REP_PAVLODAR) == []
    [copy] = texts_to(h, CENTRAL_STAFF)  # every urgent appeal also reaches the central office
    assert t("card-urgent") in copy


async def test_deadlines_remind_once_and_escalate_once_from_the_database(pool):
    h = Harness(pool)
    await register_staff(pool)
    citizen = h.citizen(CITIZEN, language_code="en")
    await file_to_summary(citizen, "en")
    await citizen.click(t("button-submit"))
    casework = h.dp["casework"]
    async with pool() as s:
        row = (await s.scalars(select(AppealRow))).one()
    soon = row.due_at - timedelta(hours=1)
    async with pool() as s, s.begin():
        reminders = await check_deadlines(s, casework, soon)
    async with pool() as s, s.begin():
        again = await check_deadlines(s, casework, soon)  # a restart re-runs the check
    assert [m.chat_id for m in reminders] == [REP_PAVLODAR] and again == []
    assert "⏰" in reminders[0].text
    late = row.due_at + timedelta(days=1)
    async with pool() as s, s.begin():
        escalated = await check_deadlines(s, casework, late)
    async with pool() as s, s.begin():
        assert await check_deadlines(s, casework, late + timedelta(hours=1)) == []
    assert [m.chat_id for m in escalated] == [CENTRAL_STAFF]
    assert row.number in escalated[0].text
    assert datetime.now(UTC) < row.due_at  # the deadline lies in the future at submission


async def test_a_queue_group_chat_gets_the_card_in_the_offices_language(session_pool):
    """A group has no one language: its cards come in DEFAULT_LANGUAGE (here Kazakh)."""
    group = -1001234567890
    h = Harness(session_pool, queue_chats={"region:pavlodar": group}, default_language="kk")
    citizen = h.citizen(CITIZEN, "en")
    await file_to_summary(citizen, "en")
    await citizen.click(t("button-submit"))
    [card] = texts_to(h, group)
    number = re.search(r"PAV-\d{4}-\d{6}", card).group(0)
    assert T.get("kk", "staff-new-appeal", queue=T.get("kk", "region-pavlodar")) in card
    assert number in card
    assert h.recording.violations == []
