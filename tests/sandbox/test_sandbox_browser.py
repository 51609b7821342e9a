"""A citizen files a whole appeal in the sandbox's chat page, as a person would: headless
Chromium (Debian's, driven by Playwright) clicks and types in the page; the page talks to the
sandbox; the real bot (`run_bot.py`, a subprocess) talks to the sandbox as to Telegram.

Needs `/usr/bin/chromium` (apt: chromium) and the `playwright` Python package; never
`playwright install`. Leaves a screenshot in test-artifacts/sandbox-chat.png."""

import asyncio
import contextlib
import re
from pathlib import Path

import pytest

from bot.texts import Texts
from sandbox.server import Sandbox, start_sandbox
from tests.sandbox.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    REPO,
    BotProcess,
    bot_process,
    first_line,
)

try:
    from playwright.async_api import Locator, Page, async_playwright, expect
except ImportError:  # reported by the test itself, below
    async_playwright = None

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"needs Debian's headless Chromium at {CHROMIUM} (apt-get install chromium)",
)

TEXTS = Texts()
LANG = "en"
APPEAL_NUMBER = re.compile(r"\bPAV-\d{4}-\d{6}\b")
SCREENSHOT = REPO / "test-artifacts" / "sandbox-chat.png"
PHONE_VIEWPORT = {"width": 390, "height": 844}
STEP_MS = 30_000  # one answer of the bot, shown in the page
BOT_START_S = 180  # migrations, and on a fresh machine the NLU's first training
WHOLE_TEST_S = 300


def t(key: str, **args: object) -> str:
    return TEXTS.get(LANG, key, **args)


def exact(label: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*{re.escape(label)}\s*$")


class Chat:
    """The chat page, used the way a person uses it: read the question, click or type."""

    def __init__(self, page: "Page") -> None:
        self.page = page
        self.input = page.get_by_test_id("text-input")

    def messages(self, sender: str) -> "Locator":
        return self.page.locator(f'[data-testid="message"][data-from="{sender}"]')

    async def wait_for_question(self, key: str) -> "Locator":
        """The newest bot message, once it asks the question `key`."""
        newest = self.messages("bot").last
        await expect(newest).to_contain_text(first_line(t(key)), timeout=STEP_MS)
        return newest

    async def type(self, text: str) -> None:
        await self.input.click()
        await self.input.press_sequentially(text)
        await self.input.press("Enter")
        await expect(self.messages("user").last).to_contain_text(text, timeout=STEP_MS)
        await expect(self.input).to_have_value("", timeout=STEP_MS)

    async def answer(self, key: str, text: str) -> None:
        await self.wait_for_question(key)
        await self.type(text)

    async def choose(self, key: str, label: str) -> None:
        """Click the button `label` under the bot message that asks `key`."""
        question = self.messages("bot").filter(has_text=first_line(t(key))).last
        button = question.get_by_test_id("inline-button").filter(has_text=exact(label))
        await button.click(timeout=STEP_MS)

    async def pick_category(self, label: str) -> None:
        """Pick a topic the way the bot offers it: in the full list, among its best guesses,
        as "Yes: <topic>", or (when it guessed others) through "Another topic" first."""
        yes = t("button-category-yes", category=label)
        other = t("button-category-other")
        newest = self.messages("bot").last
        buttons = newest.get_by_test_id("inline-button")
        offered = re.compile(rf"^\s*({'|'.join(re.escape(x) for x in (label, yes, other))})\s*$")
        await expect(buttons.filter(has_text=offered).first).to_be_visible(timeout=STEP_MS)
        labels = [text.strip() for text in await buttons.all_inner_texts()]
        if label not in labels and yes not in labels:
            await buttons.filter(has_text=exact(other)).click()
            await self.choose("ask-category", label)
        else:
            await buttons.filter(has_text=exact(yes if yes in labels else label)).click()

    async def share_phone(self) -> None:
        await self.wait_for_question("ask-phone")
        share = self.page.get_by_test_id("reply-button").filter(has_text=t("button-share-phone"))
        await share.click(timeout=STEP_MS)
        dialog = self.page.get_by_test_id("contact-dialog")
        await expect(dialog).to_be_visible(timeout=STEP_MS)
        phone = self.page.get_by_test_id("contact-phone")
        await expect(phone).to_have_value("+7 701 234 5678")
        await self.page.get_by_test_id("contact-submit").click()
        await expect(dialog).to_be_hidden(timeout=STEP_MS)
        await expect(self.messages("user").last).to_contain_text("701", timeout=STEP_MS)


async def file_an_appeal(chat: Chat) -> str:
    """The whole citizen intake in English; returns the appeal number the page shows."""
    await chat.type("/start")
    await chat.choose("ask-language", t("choice-language-en"))
    await chat.choose("ask-consent", t("choice-consent-agree"))
    await chat.choose("ask-filer", t("choice-filer-self"))
    await chat.answer("ask-story", "My employer has not paid my salary for three months.")
    await chat.pick_category(t("category-labour"))
    await chat.choose("ask-jurisdiction", t("choice-jurisdiction-continue"))
    await chat.choose("ask-region", t("region-pavlodar"))
    await chat.answer("ask-body-complained", "TOO Stroi-Service, my employer in Pavlodar")
    await chat.choose("ask-incident-age", t("choice-incident-age-month"))
    await chat.choose("ask-prior-complaint", t("choice-prior-complaint-no"))
    await chat.answer("ask-request", "To get my salary paid")
    await chat.answer("ask-full-name", "Aigerim Nurlanovna Sarsenova")
    await chat.share_phone()
    await chat.choose("ask-iin", t("button-skip"))
    await chat.answer("ask-address", "Pavlodar, Lenin street 1, flat 2")
    await chat.choose("ask-confidential", t("choice-confidential-no"))
    await chat.choose("ask-summary", t("button-submit"))

    receipt = chat.messages("bot").filter(has_text=APPEAL_NUMBER).last
    await expect(receipt).to_be_visible(timeout=STEP_MS)
    await expect(receipt).to_be_in_viewport(timeout=STEP_MS)  # the chat scrolled to it
    await expect(receipt).to_contain_text(first_line(t("submitted", number="X", days=0)))
    number = APPEAL_NUMBER.search(await receipt.inner_text())
    assert number, "the receipt shows no appeal number"
    return number.group(0)


async def bot_polling(sandbox: Sandbox, bot: BotProcess) -> None:
    """Wait until the bot asks the sandbox for updates (its first start may train the NLU)."""
    async with asyncio.timeout(BOT_START_S):
        while not any(r.get("method", "").lower() == "getupdates" for r in sandbox.requests):
            if not bot.alive():
                raise AssertionError(f"the bot exited ({bot.proc.returncode}):\n{bot.log_tail()}")
            await asyncio.sleep(0.2)


async def test_a_citizen_files_an_appeal_in_the_chat_page(tmp_path: Path) -> None:
    assert async_playwright is not None, "pip install playwright (never `playwright install`)"
    sandbox, runner, port = await start_sandbox(port=0)
    base = f"http://127.0.0.1:{port}"
    page_errors: list[str] = []
    try:
        async with (
            bot_process(
                api_base=base,
                database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
                log_path=tmp_path / "bot.log",
            ) as bot,
            async_playwright() as playwright,
        ):
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000
            )
            try:
                page = await browser.new_page(viewport=PHONE_VIEWPORT, reduced_motion="reduce")
                page.set_default_timeout(STEP_MS)
                page.on("pageerror", lambda error: page_errors.append(str(error)))
                await page.goto(f"{base}/", timeout=STEP_MS)
                await bot_polling(sandbox, bot)
                await expect(page.get_by_test_id("user-select")).to_have_value("1001")
                try:
                    async with asyncio.timeout(WHOLE_TEST_S):
                        number = await file_an_appeal(Chat(page))
                except Exception as error:
                    with contextlib.suppress(Exception):
                        SCREENSHOT.parent.mkdir(exist_ok=True)
                        await page.screenshot(path=SCREENSHOT)
                    state = "running" if bot.alive() else f"exited {bot.proc.returncode}"
                    raise AssertionError(
                        f"{type(error).__name__}: {error}\n--- bot ({state}) log ---\n"
                        f"{bot.log_tail()}"
                    ) from error
                assert number.startswith("PAV-")

                violations = page.get_by_test_id("violations")
                await expect(violations).to_have_attribute("data-count", "0", timeout=STEP_MS)
                await expect(violations).to_contain_text("0 violations")
                SCREENSHOT.parent.mkdir(exist_ok=True)
                await page.screenshot(path=SCREENSHOT)

                response = await page.request.get(f"{base}/api/sandbox/violations")
                assert response.ok
                report = await response.json()
                assert report["count"] == 0, report
                assert page_errors == []
            finally:
                await browser.close()
        assert bot.proc.returncode == 0, f"the bot did not stop cleanly:\n{bot.log_tail()}"
    finally:
        await runner.cleanup()
