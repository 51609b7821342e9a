"""The citizen's intake through the production dispatcher, with every request checked against
the Bot API spec (see the autouse fixture in conftest)."""

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.logs import configure_logging
from bot.texts import Texts
from dialogs.vocabulary import Category, Region
from storage.models import AppealRow, AttachmentRow, DraftRow, UserRow
from tests.conftest import Citizen, Harness, plain_understanding

TEXTS = Texts()
NUMBER = re.compile(r"\b([A-Z]{3})-(\d{4})-(\d{6})\b")
VALID_IIN = "900101300017"  # passes the check digit; see tests/dialogs/test_validation.py


def t(lang: str, key: str, **args) -> str:
    return TEXTS.get(lang, key, **args)


async def begin(c: Citizen, lang: str = "en", filer: str = "self") -> None:
    """/start, the language, consent and who files: where most journeys start."""
    await c.send("/start")
    await c.click(t(lang, f"choice-language-{lang}"))
    await c.click(t(lang, "choice-consent-agree"))
    await c.click(t(lang, f"choice-filer-{filer}"))


async def file_to_summary(
    c: Citizen,
    lang: str,
    *,
    story: str = "My employer has not paid my salary for three months.",
    category: Category = Category.LABOUR,
    region: Region = Region.PAVLODAR,
) -> None:
    """Walk a self-filed intake with buttons and typing, up to the summary."""
    await begin(c, lang)
    await c.send(story)
    await c.click(t(lang, f"category-{category}"))
    await c.click(t(lang, "choice-jurisdiction-continue"))
    await c.click(t(lang, f"region-{region}"))
    await c.send("ТОО «Строй-Сервис»")
    await c.click(t(lang, "choice-incident-age-month"))
    await c.click(t(lang, "choice-prior-complaint-no"))
    await c.send("To get my salary paid")
    await c.send("Айгерим Нурланқызы Сәрсенова")
    await c.contact("+77012345678")
    await c.send(VALID_IIN)
    await c.send("Павлодар, ул. Ленина 1, кв. 2")
    await c.click(t(lang, "choice-confidential-no"))


async def appeals(h: Harness) -> list[AppealRow]:
    async with h.session_pool() as s:
        return list((await s.scalars(select(AppealRow).order_by(AppealRow.id))).all())


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
async def test_a_full_intake_ends_with_a_registered_appeal_and_its_number(harness, lang):
    c = harness.citizen(language_code=None)
    await file_to_summary(c, lang)
    assert t(lang, "ask-summary") in c.last_text()
    sent = await c.click(t(lang, "button-submit"))

    receipt = "\n".join(sent)
    assert t(lang, "submitted-next") in receipt
    number = NUMBER.search(receipt)
    assert number
    assert number.group(1) == "PAV"
    assert number.group(3) == "000001"
    assert "15" in receipt  # the response time, from data
    [row] = await appeals(harness)
    assert row.number == number.group(0)
    assert (row.category, row.region, row.filer_type) == ("labour", "pavlodar", "self")
    assert row.language == lang
    assert row.phone == "+77012345678"
    assert row.iin == VALID_IIN
    assert row.full_name == "Айгерим Нурланқызы Сәрсенова"
    assert row.consent_at is not None
    assert not row.urgent
    async with harness.session_pool() as s:
        assert await s.scalar(select(func.count()).select_from(DraftRow)) == 0
        user = await s.get(UserRow, c.user_id)
        assert user.language == lang
        assert user.consent_at is not None


async def test_status_lists_the_citizens_appeals(harness):
    c = harness.citizen(language_code="en")
    await file_to_summary(c, "en")
    await c.click(t("en", "button-submit"))
    [number] = [r.number for r in await appeals(harness)]
    [status] = await c.send("/status")
    assert number in status
    assert t("en", "status-new") in status
    other = harness.citizen(user_id=2002, language_code="en")
    [empty] = await other.send("/status")
    assert number not in empty
    assert empty == t("en", "status-empty")


async def test_filing_for_a_person_in_custody_routes_by_the_institution(harness):
    c = harness.citizen(language_code="ru")
    await begin(c, "ru", "custody")
    await c.send("Серик Болатович Ахметов")
    await c.click(t("ru", "choice-relation-parent"))
    await c.click(t("ru", "choice-detention-kind-colony"))
    await c.send("ЕЦ-166/11")
    await c.click(t("ru", "region-karaganda"))
    await c.send("Сыну в колонии не дают лекарства от диабета, ему очень плохо.")
    await c.click(t("ru", "category-convicts_rights"))
    await c.click(t("ru", "choice-jurisdiction-continue"))
    # No region question: the institution's region is the appeal's region.
    assert t("ru", "ask-body-complained") in c.last_text()
    await c.click(t("ru", "button-skip"))
    await c.send("12.03.2025")
    await c.click(t("ru", "choice-prior-complaint-yes"))
    await c.send("Писала начальнику колонии, ответа нет")
    await c.click(t("ru", "button-skip"))
    await c.send("Ахметова Гульнара")
    await c.send("8 701 234 56 78")
    await c.send(t("ru", "button-skip"))  # typing a button's label works like pressing it
    await c.send("Караганда, ул. Абая 5")
    await c.click(t("ru", "choice-confidential-yes"))
    summary = c.last_text()
    assert "ЕЦ-166/11" in summary
    assert t("ru", "region-karaganda") in summary
    sent = await c.click(t("ru", "button-submit"))
    assert NUMBER.search("\n".join(sent)).group(1) == "KAR"
    [row] = await appeals(harness)
    assert row.filer_type == "custody"
    assert row.institution == "ЕЦ-166/11"
    assert row.region == row.institution_region == "karaganda"
    assert row.relation == "parent"
    assert row.detention_kind == "colony"
    assert row.prior_complaint == "Писала начальнику колонии, ответа нет"
    assert row.phone == "+77012345678"
    assert row.iin is None
    assert row.confidential
    assert row.incident_date == "12.03.2025"


async def test_a_story_of_torture_gets_emergency_numbers_at_once_and_is_marked_urgent(harness):
    c = harness.citizen(language_code="kk")
    await begin(c, "kk", "other_person")
    await c.send("Ерлан Серікұлы")
    await c.click(t("kk", "choice-relation-sibling"))
    sent = await c.send("Інімді полиция бөлімінде ұрып-соқты, қазір ауруханада жатыр.")
    emergency = "\n".join(sent)
    assert t("kk", "urgent-title") in emergency
    assert "102" in emergency
    assert "11616" in emergency
    assert "111" in emergency
    await c.click(t("kk", "category-torture_ill_treatment"))
    await c.click(t("kk", "choice-jurisdiction-continue"))
    await c.click(t("kk", "region-almaty_city"))
    await c.send("Полиция бөлімі")
    await c.send("Кеше болды")
    await c.click(t("kk", "choice-prior-complaint-no"))
    await c.send("Тексеру жүргізу")
    await c.send("Серік Ерланов")
    await c.send("+77011112233")
    await c.click(t("kk", "button-skip"))
    await c.send("Алматы, Абай даңғылы 10")
    await c.click(t("kk", "choice-confidential-no"))
    assert t("kk", "summary-urgent") in c.last_text()
    sent = await c.click(t("kk", "button-submit"))
    assert t("kk", "submitted-urgent") in "\n".join(sent)
    [row] = await appeals(harness)
    assert row.urgent
    assert row.category == "torture_ill_treatment"
    assert row.subject_name == "Ерлан Серікұлы"
    assert row.relation == "sibling"


async def test_choosing_the_torture_category_marks_urgent_even_without_keywords(harness):
    c = harness.citizen(language_code="en")
    await begin(c, "en", "self")
    sent = await c.send("Something happened at the station yesterday evening.")
    assert not any(t("en", "urgent-title") in s for s in sent)
    sent = await c.click(t("en", "category-torture_ill_treatment"))
    assert t("en", "urgent-title") in sent[0]
    assert t("en", "juris-torture_ill_treatment-can") in "\n".join(sent)


async def test_a_court_decision_gets_the_jurisdiction_explanation(harness):
    c = harness.citizen(language_code="ru")
    await begin(c, "ru", "self")
    await c.send("Суд отказал мне в иске о восстановлении, я не согласна с решением.")
    [explanation] = await c.click(t("ru", "category-court_decision"))
    assert t("ru", "juris-court_decision-cannot") in explanation
    assert t("ru", "juris-court_decision-next") in explanation
    assert t("ru", "body-appeal_court") in explanation
    # The citizen may stop here: nothing is kept.
    await c.click(t("ru", "choice-jurisdiction-stop"))
    assert c.last_text() == t("ru", "jurisdiction-stopped")
    assert await appeals(harness) == []
    async with harness.session_pool() as s:
        assert await s.scalar(select(func.count()).select_from(DraftRow)) == 0


async def test_a_restart_in_the_middle_loses_nothing(harness):
    c = harness.citizen(language_code="en")
    await begin(c, "en", "self")
    await c.send("The akimat refuses to put my family on the housing waiting list.")
    harness.restart()  # a new process: nothing in memory survives
    await c.click(t("en", "category-housing"))
    assert t("en", "juris-housing-can") in c.last_text()
    harness.restart()
    # Coming back later with /start offers to continue.
    [ask] = await c.send("/start")
    assert ask == t("en", "resume-ask")
    await c.click(t("en", "button-continue"))
    assert t("en", "ask-jurisdiction") in c.last_text()
    await c.click(t("en", "choice-jurisdiction-continue"))
    assert c.last_text() == t("en", "ask-region")


async def test_start_over_discards_the_old_draft_but_keeps_the_language(harness):
    c = harness.citizen(language_code="ru")
    await c.send("/start")
    await c.click("Қазақша")
    await c.click(t("kk", "choice-consent-agree"))
    await c.click(t("kk", "choice-filer-self"))
    await c.send("/new")
    sent = await c.click(t("kk", "button-restart"))
    assert sent[0] == t("kk", "resume-restarted")
    assert t("kk", "ask-consent").splitlines()[0] in sent[1]


async def test_a_stale_or_double_clicked_button_changes_nothing(harness):
    c = harness.citizen(language_code="en")
    await c.send("/start")
    await c.click("English")
    consent = c.messages()[-1]
    await c.click(t("en", "choice-consent-agree"), message=consent)
    before = len(c.messages())
    # The same button again (a double click, or an old message): an alert, no new message.
    sent = await c.click(t("en", "choice-consent-agree"), message=consent)
    assert sent == []
    assert len(c.messages()) == before
    answer = harness.recording.last_request("answerCallbackQuery")
    assert answer.params["text"] == t("en", "stale-button-alert")
    assert t("en", "ask-filer") in c.last_text()


async def test_back_returns_to_the_previous_question(harness):
    c = harness.citizen(language_code="en")
    await begin(c, "en", "other_person")
    await c.click(t("en", "button-back"))
    assert c.last_text() == t("en", "ask-filer")
    await c.click(t("en", "choice-filer-self"))
    assert t("en", "ask-story").splitlines()[0] in c.last_text()


async def test_bad_input_gets_a_polite_answer_and_loses_nothing(harness):
    c = harness.citizen(language_code="en")
    await begin(c, "en", "self")
    assert await c.sticker() == [t("en", "unsupported-content")]
    assert await c.document("application/x-msdownload") == [t("en", "file-wrong-type")]
    assert await c.document("application/pdf", size=30 * 1024 * 1024) == [
        t("en", "file-too-large", max_mb=20)
    ]
    assert (await c.send("Help"))[0] == t("en", "input-too-short", min=10)
    await c.send("Police officers took my phone and did not return it.")
    # A story often comes in several messages: the next one is added, not lost.
    sent = await c.send("And they never gave me any document about it at all.")
    assert sent[0] == t("en", "story-added")
    assert t("en", "ask-category") in sent[1]
    await c.click(t("en", "category-pretrial_investigation"))
    await c.click(t("en", "choice-jurisdiction-continue"))
    sent = await c.send("Narnia")  # not a region
    assert sent[0] == t("en", "input-use-buttons")
    await c.click(t("en", "region-astana"))
    sent = await c.send("x" * 600)  # over the 500 characters of this step
    assert sent[0] == t("en", "input-too-long", max=500, length=600)
    assert t("en", "ask-body-complained").split(":")[0] in sent[1]


async def test_photos_and_voice_are_kept_as_attachments(harness):
    c = harness.citizen(language_code="en")
    await begin(c, "en", "self")
    sent = await c.photo("p1")
    assert sent[0] == t("en", "attachment-saved", count=1)
    assert (await c.photo("p1"))[0] == t("en", "attachment-duplicate")
    await c.voice("v1")
    await c.photo("p2", caption="The hospital refused to treat my mother without payment.")
    assert t("en", "ask-category") in c.last_text()
    await c.click(t("en", "category-health_care"))
    await c.click(t("en", "choice-jurisdiction-continue"))
    await c.click(t("en", "region-shymkent"))
    await c.document("application/pdf", unique="doc1")  # a file at any later step is kept too
    await c.send("City hospital No. 2")
    await c.send("Last week")
    await c.send("1")  # the number of a button works like pressing it: "No"
    await c.send("Treatment")
    await c.send("Dana Omarova")
    await c.send(t("en", "button-skip"))  # the phone step's reply keyboard
    await c.click(t("en", "button-skip"))
    await c.send("Shymkent, Tauke khan 3")
    await c.click(t("en", "choice-confidential-no"))
    await c.click(t("en", "button-submit"))
    [row] = await appeals(harness)
    assert row.story == "The hospital refused to treat my mother without payment."
    async with harness.session_pool() as s:
        kinds = sorted(a.kind for a in await s.scalars(select(AttachmentRow)))
    assert kinds == ["document", "photo", "photo", "voice"]


async def test_the_summary_edits_any_part_and_comes_back(harness):
    c = harness.citizen(language_code="en")
    await file_to_summary(c, "en")
    await c.click(t("en", "button-edit-region"))
    await c.click(t("en", "region-abay"))
    assert t("en", "ask-summary") in c.last_text()
    await c.click(t("en", "button-edit-contact"))
    await c.click(t("en", "button-keep"))  # name stays
    await c.send("+7 702 000 00 01")  # phone changes
    assert c.reply_keyboard() == []  # the phone keyboard is gone
    await c.click(t("en", "button-keep"))
    await c.click(t("en", "button-keep"))
    await c.click(t("en", "choice-confidential-yes"))
    summary = c.last_text()
    assert t("en", "region-abay") in summary
    assert "+77020000001" in summary
    sent = await c.click(t("en", "button-submit"))
    assert NUMBER.search("\n".join(sent)).group(1) == "ABA"


async def test_declining_consent_keeps_nothing(harness):
    c = harness.citizen(language_code="en")
    await c.send("/start")
    await c.click("English")
    await c.click(t("en", "choice-consent-decline"))
    assert c.last_text() == t("en", "consent-declined")
    async with harness.session_pool() as s:
        assert await s.scalar(select(func.count()).select_from(DraftRow)) == 0
        user = await s.get(UserRow, c.user_id)
        assert user is None or user.consent_at is None


async def test_the_classifier_proposal_is_confirmed_with_one_click(session_pool):
    h = Harness(
        session_pool,
        understanding=plain_understanding(
            suggestions=((Category.HOUSING, 0.91), (Category.SOCIAL_SECURITY, 0.05)),
            region=Region.KOSTANAY,
        ),
    )
    c = h.citizen(language_code="en")
    await begin(c, "en", "self")
    [proposal] = await c.send("We were evicted in Kostanay with two small children.")
    assert proposal == t("en", "ask-category-confident", category=t("en", "category-housing"))
    await c.click(t("en", "button-category-yes", category=t("en", "category-housing")))
    await c.click(t("en", "choice-jurisdiction-continue"))
    assert c.buttons()[0] == t("en", "button-region-suggested", region=t("en", "region-kostanay"))
    await c.click(t("en", "region-kostanay"))
    assert t("en", "ask-body-complained").split(":")[0] in c.last_text()
    assert h.recording.violations == []


async def test_commands_menu_and_help_in_every_language(harness):
    await harness.dp.emit_startup(bot=harness.bot, texts=TEXTS)
    menus = harness.recording.requests_of("setMyCommands")
    assert {r.params.get("language_code") for r in menus} == {"kk", "ru", "en", None}
    commands = {c["command"] for c in json.loads(menus[0].params["commands"])}
    assert commands == {"start", "help", "cancel", "language", "status", "new", "forget", "clear"}
    c = harness.citizen(language_code="kk")
    assert await c.send("/help") == [t("kk", "help")]


async def test_logs_never_contain_what_people_wrote(harness, caplog):
    configure_logging("DEBUG")  # as run_bot.py does, at the chattiest level
    caplog.set_level("DEBUG")
    c = harness.citizen(language_code="en")
    await file_to_summary(c, "en", story="Secret story about my neighbour Bolat and the police.")
    await c.click(t("en", "button-submit"))
    logged = "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records)
    assert "appeal submitted" in logged  # something was logged: ids
    for secret in ("Secret story", "Сәрсенова", "7012345678", VALID_IIN, "Ленина"):
        assert secret not in logged


async def test_coming_back_days_later_is_welcomed_and_the_answer_is_kept(harness):
    c = harness.citizen(language_code="en")
    await begin(c, "en", "self")
    async with harness.session_pool() as s, s.begin():
        draft = await s.get(DraftRow, c.user_id)
        draft.updated_at = draft.updated_at - timedelta(days=3)
    harness.restart()
    sent = await c.send("The school refuses to accept my son because of his disability.")
    assert sent[0] == t("en", "resume-welcome-back")
    assert t("en", "ask-category") in sent[-1]  # the story was taken, not lost
