"""The whole bot, started as a user starts it, against the local Bot API sandbox over HTTP."""

import socket

import aiohttp
import pytest

from sandbox.server import start_sandbox
from storage.crypto import generate_key
from tests.e2e.harness import BotProcess, SandboxClient, file_appeal

USER = 1001


async def test_the_bot_started_with_sandbox_files_an_appeal_end_to_end(tmp_path):
    bot = BotProcess(
        ["--sandbox", "--port", "0"],
        {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/e2e.db", "BOT_TOKEN": ""},
    )
    await bot.start()
    try:
        address = (await bot.wait_for_line(r"(http://127\.0\.0\.1:\d+)/")).group(1)
        async with aiohttp.ClientSession() as http:
            async with http.get(address + "/") as page:
                assert page.status == 200 and "<html" in (await page.text()).lower()
            sb = SandboxClient(address, http)
            number = await file_appeal(sb, USER)
            assert number.startswith("PAV-")
            report = await sb.violations()
            assert report["count"] == 0, report
    finally:
        code = await bot.stop()
    assert code == 0, "".join(bot.output)


async def test_webhook_mode_against_the_sandbox_with_the_secret_checked(tmp_path, unused_port):
    sandbox, runner, port = await start_sandbox(port=0)
    hook_port = unused_port
    secret = "s3cret-token_1"
    bot = BotProcess(
        [],
        {
            "BOT_TOKEN": "42:WEBHOOK",
            "TELEGRAM_API_BASE": f"http://127.0.0.1:{port}",
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/hook.db",
            "WEBHOOK_URL": f"http://127.0.0.1:{hook_port}/tg/webhook",
            "WEBHOOK_SECRET": secret,
            "WEBHOOK_PORT": str(hook_port),
            # Production mode: keys are required, as in a real deployment.
            "ENCRYPTION_KEYS": generate_key(),
            "BLIND_INDEX_KEY": generate_key(),
        },
    )
    await bot.start()
    try:
        async with aiohttp.ClientSession() as http:
            sb = SandboxClient(f"http://127.0.0.1:{port}", http)
            await bot.wait_for_line(r"webhook serving")
            [hook] = (await sb.get("requests", method="setWebhook"))["requests"]
            assert hook["params"]["secret_token"] == secret
            # Updates arrive through the webhook: the conversation works.
            await sb.send(USER, "/start")
            await sb.click(USER, "English")
            await sb.wait_text(USER, "Before we start")
            # Someone without the secret cannot feed the bot updates.
            forged = {
                "update_id": 999,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "text": "/start",
                    "chat": {"id": 5, "type": "private"},
                    "from": {"id": 5, "is_bot": False, "first_name": "X"},
                },
            }
            url = f"http://127.0.0.1:{hook_port}/tg/webhook"
            async with http.post(url, json=forged) as r:
                assert r.status == 401
            async with http.post(
                url, json=forged, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            ) as r:
                assert r.status == 401
            assert (await sb.violations())["count"] == 0
    finally:
        code = await bot.stop()
        await runner.cleanup()
    assert code == 0, "".join(bot.output)
    assert sandbox.violations == []


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
