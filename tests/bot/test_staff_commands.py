"""Staff commands and a citizen's follow-up, on the SQLite harness."""

import json
import re

from sqlalchemy import select

from bot.texts import Texts
from dialogs.casework import EventKind, Role, Staff
from dialogs.vocabulary import Region
from storage.casework import CaseRepository, StaffRepository
from storage.models import AppealRow
from storage.repositories import UserRepository
from tests.bot.test_intake_flow import begin, file_to_summary
from tests.conftest import Harness

T = Texts()
ADMIN, REP = 9001, 9002


def t(key: str, **args) -> str:
    return T.get("en", key, **args)


async def submitted(h: Harness, user_id: int = 1001) -> str:
    c = h.citizen(user_id, language_code="en")
    await file_to_summary(c, "en")
    receipt = "\n".join(await c.click(t("button-submit")))
    return re.search(r"PAV-\d{4}-\d{6}", receipt).group(0)


async def test_the_first_admin_registers_staff_who_then_see_their_queue(session_pool):
    h = Harness(session_pool, first_admin_ids=[ADMIN])
    await h.dp.emit_startup(bot=h.bot, texts=T)
    admin = h.citizen(ADMIN, language_code="en")
    async with session_pool() as s, s.begin():
        await UserRepository(s).ensure(ADMIN)
        await UserRepository(s).set_language(ADMIN, "en")
    await admin.send("/staff_add nonsense")
    assert admin.last_text() == t("staff-add-usage")
    await admin.send(f"/staff_add {REP} representative pavlodar Aliya Serikovna")
    assert admin.last_text() == t(
        "staff-added", user=str(REP), role="representative", region="pavlodar"
    )
    async with session_pool() as s:
        member = await StaffRepository(s).get(REP)
    assert member == Staff(REP, Role.REPRESENTATIVE, Region.PAVLODAR, "Aliya Serikovna")

    number = await submitted(h)
    rep = h.citizen(REP, language_code="en")
    await rep.send("/queue")
    assert t("staff-queue-title", view=t("staff-view-new")) in rep.last_text()
    assert any(number in b for b in rep.buttons())
    await rep.send(f"/appeal {number}")
    assert number in rep.last_text() and t("card-status-new") in rep.last_text()
    await rep.send("/stats")
    assert t("stats-total", count=1) in rep.last_text()

    await admin.send(f"/staff_remove {REP}")
    assert admin.last_text() == t("staff-removed", user=str(REP))
    h.recording.clear()
    await rep.send("/queue")  # no longer staff: the command is not theirs any more
    assert t("staff-queue-title", view=t("staff-view-new")) not in "\n".join(
        h.recording.sent_texts(REP)
    )


async def test_a_citizen_adds_information_and_a_file_then_withdraws(session_pool):
    h = Harness(session_pool)
    async with session_pool() as s, s.begin():
        await StaffRepository(s).upsert(
            Staff(REP, Role.REPRESENTATIVE, Region.PAVLODAR), added_by=None
        )
    number = await submitted(h)
    c = h.citizen(1001, language_code="en")
    await c.send("/status")
    await c.click(t("button-add-info", number=number))
    await c.send("I also have the employment contract.")
    assert c.last_text() == t("citizen-info-added", number=number)
    await c.click(t("button-add-info", number=number))
    await c.document("application/pdf", unique="contract")
    await c.send("/status")
    await c.click(t("button-withdraw", number=number))
    await c.click(t("button-withdraw-yes"))
    assert c.last_text() == t("citizen-withdrawn", number=number)
    async with session_pool() as s:
        row = (await s.scalars(select(AppealRow))).one()
        thread = await CaseRepository(s).thread(row.id)
    kinds = [e.kind for e in thread]
    assert kinds.count(EventKind.CITIZEN_INFO) == 2 and kinds[-1] is EventKind.WITHDRAWN
    assert thread[1].text == "I also have the employment contract."
    assert thread[2].data["file"]["file_id"] == "contract"
    assert row.withdrawn and row.status == "closed" and row.outcome is None
    assert h.recording.sent_texts(REP)  # the representative heard about each change


async def test_the_files_button_sends_the_attachments_to_the_representative(session_pool):
    h = Harness(session_pool)
    async with session_pool() as s, s.begin():
        await StaffRepository(s).upsert(
            Staff(REP, Role.REPRESENTATIVE, Region.PAVLODAR), added_by=None
        )
        await UserRepository(s).ensure(REP)
        await UserRepository(s).set_language(REP, "en")
    c = h.citizen(1001, language_code="en")
    await begin(c, "en", "self")
    await c.photo("evidence-photo")
    await c.voice("voice-note")
    h.recording.clear()
    await file_to_summary_rest(c)
    await c.click(t("button-submit"))
    rep = h.citizen(REP, language_code="en")
    await rep.click(t("staff-btn-files", count=2))
    sent = [
        (r.method_name, r.params.get("photo") or r.params.get("voice"))
        for r in h.recording.requests
        if r.method_name in ("sendPhoto", "sendVoice")
    ]
    assert sent == [("sendPhoto", "evidence-photo"), ("sendVoice", "voice-note")]


async def file_to_summary_rest(c) -> None:
    """From the story step of an English self-filed intake to the summary."""
    await c.send("My employer in Pavlodar has not paid my salary for three months.")
    await c.click(t("category-labour"))
    await c.click(t("choice-jurisdiction-continue"))
    await c.click(t("region-pavlodar"))
    await c.send("LLP Build")
    await c.click(t("choice-incident-age-month"))
    await c.click(t("choice-prior-complaint-no"))
    await c.send("Pay the salary")
    await c.send("Aigerim Sarsenova")
    await c.send("+77012345678")
    await c.click(t("button-skip"))
    await c.send("Pavlodar, Lenin street 1")
    await c.click(t("choice-confidential-no"))


async def test_staff_get_their_own_command_menu(session_pool):
    h = Harness(session_pool, first_admin_ids=[ADMIN])
    await h.dp.emit_startup(bot=h.bot, texts=T)
    [menu] = [r for r in h.recording.requests_of("setMyCommands") if "scope" in r.params]
    assert json.loads(menu.params["scope"]) == {"type": "chat", "chat_id": ADMIN}
    names = {c["command"] for c in json.loads(menu.params["commands"])}
    assert {"queue", "appeal", "stats", "staff_add", "start"} <= names
    admin = h.citizen(ADMIN, language_code="en")
    await admin.send(f"/staff_add {REP} central Dana")
    scopes = [
        json.loads(r.params["scope"])
        for r in h.recording.requests_of("setMyCommands")
        if "scope" in r.params
    ]
    assert {"type": "chat", "chat_id": REP} in scopes
