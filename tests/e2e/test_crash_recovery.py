"""Kill the real bot process (SIGKILL, no goodbye) at awkward moments and start it again:
no draft, appeal or message may be lost. The sandbox (in this process) plays Telegram and
survives the kills, as Telegram would."""

import asyncio
import random
import re
import signal
import socket
import sqlite3
from pathlib import Path

import aiohttp
import pytest

from bot.texts import Texts
from sandbox.server import start_sandbox
from storage.crypto import generate_key
from tests.e2e.harness import BotProcess, SandboxClient

T = Texts()
NUMBER = r"PAV-\d{4}-\d{6}"


def en(key: str, **args) -> str:
    return T.get("en", key, **args)


class Service:
    """The bot as a service manager runs it: started, killed hard, started again."""

    def __init__(self, api: str, db: Path, webhook_port: int | None = None) -> None:
        self.env = {
            "BOT_TOKEN": "42:CRASH",
            "TELEGRAM_API_BASE": api,
            "DATABASE_URL": f"sqlite+aiosqlite:///{db}",
            "ENCRYPTION_KEYS": generate_key(),
            "BLIND_INDEX_KEY": generate_key(),
            # Short leases and sweeps, so that letters a killed process held are sent soon.
            "OUTBOX_LEASE_SECONDS": "2",
            "OUTBOX_SWEEP_SECONDS": "0.2",
        }
        self.ready = r"polling started"
        if webhook_port is not None:
            self.env |= {
                "WEBHOOK_URL": f"http://127.0.0.1:{webhook_port}/hook",
                "WEBHOOK_SECRET": "crash-test",
                "WEBHOOK_PORT": str(webhook_port),
            }
            self.ready = r"webhook serving"
        self.process: BotProcess | None = None
        self.kills = 0

    async def start(self) -> None:
        self.process = BotProcess([], self.env)
        await self.process.start()
        await self.process.wait_for_line(self.ready)
        # Keep reading its log, so a full pipe never blocks the bot.
        self.drain = asyncio.create_task(self._drain(self.process))

    @staticmethod
    async def _drain(process: BotProcess) -> None:
        assert process.proc and process.proc.stdout
        while line := await process.proc.stdout.readline():
            process.output.append(line.decode(errors="replace"))

    async def kill(self) -> None:
        assert self.process and self.process.proc
        self.process.proc.send_signal(signal.SIGKILL)
        await self.process.proc.wait()
        await self.drain
        self.kills += 1

    async def stop(self) -> int:
        assert self.process and self.process.proc
        self.process.proc.send_signal(signal.SIGTERM)
        code = await self.process.proc.wait()
        await self.drain
        self.process = None
        return code


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def until(condition, seconds: float = 20.0) -> None:
    """Wait (bounded) for something only visible in the database file."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - another process writes it; no event here
            await asyncio.sleep(0.1)


def appeals(db: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(db) as c:
        return c.execute("SELECT number, user_id FROM appeals ORDER BY id").fetchall()


def outbox_left(db: Path) -> int:
    with sqlite3.connect(db) as c:
        return c.execute("SELECT count(*) FROM outbox").fetchone()[0]


async def intake_until_summary(sb: SandboxClient, user: int) -> None:
    await sb.send(user, "/start")
    await sb.click(user, "English")
    await sb.click(user, en("choice-consent-agree"))
    await intake_from_filer(sb, user)


async def intake_from_filer(sb: SandboxClient, user: int) -> None:
    await sb.click(user, en("choice-filer-self"))
    await sb.wait_text(user, "Tell us what happened")
    await sb.send(user, "My employer in Pavlodar has not paid my salary for three months.")
    await sb.click(user, en("button-category-yes", category=en("category-labour")))
    await sb.click(user, en("choice-jurisdiction-continue"))
    await sb.click(user, en("region-pavlodar"))
    await sb.wait_text(user, "Which body or official")
    await sb.send(user, "LLP Pavlodar Build")
    await sb.click(user, en("choice-incident-age-month"))
    await sb.click(user, en("choice-prior-complaint-no"))
    await sb.wait_text(user, "What do you ask for")
    await sb.send(user, "To get my salary paid")
    await sb.wait_text(user, "Your full name")
    await sb.send(user, f"Citizen {user}")
    await sb.wait_text(user, "Your phone number")
    await sb.contact(user, "+77012345678")
    await sb.click(user, en("button-skip"))  # IIN
    await sb.wait_text(user, "postal address")
    await sb.send(user, "Pavlodar, Lenin street 1")
    await sb.click(user, en("choice-confidential-no"))


@pytest.fixture(params=["polling", "webhook"])
async def world(request, tmp_path):
    sandbox, runner, port = await start_sandbox(port=0)
    api = f"http://127.0.0.1:{port}"
    hook = free_port() if request.param == "webhook" else None
    service = Service(api, tmp_path / "crash.db", webhook_port=hook)
    async with aiohttp.ClientSession() as http:
        try:
            yield service, SandboxClient(api, http), tmp_path / "crash.db"
        finally:
            if service.process is not None:
                assert await service.stop() == 0
            await runner.cleanup()
    # Delivery is at least once: a process killed after Telegram took an edit but before it
    # struck it off sends it again, and Telegram answers "not modified". Nothing else may fail.
    refused = [v for v in sandbox.violations if "message is not modified" not in v["description"]]
    assert refused == []


async def test_killed_mid_conversation_and_mid_delivery_nothing_is_lost(world):
    service, sb, db = world
    user = 3001
    await service.start()
    await sb.send(user, "/start")
    await sb.click(user, "English")
    await sb.click(user, en("choice-consent-agree"))
    # Mid-conversation: the draft is in the database, the process is gone.
    await service.kill()
    await service.start()
    await sb.click(user, en("choice-filer-self"))
    await sb.wait_text(user, "Tell us what happened")
    await service.kill()
    await service.start()
    await sb.send(user, "My employer in Pavlodar has not paid my salary for three months.")
    await sb.click(user, en("button-category-yes", category=en("category-labour")))
    await service.stop()
    await service.start()

    # Mid-submit / mid-delivery: Telegram hangs on the confirmation, the process dies while
    # it waits. The appeal is committed, and its confirmation is owed in the outbox.
    await sb.click(user, en("choice-jurisdiction-continue"))
    await sb.click(user, en("region-pavlodar"))
    await sb.wait_text(user, "Which body or official")
    await sb.send(user, "LLP Pavlodar Build")
    await sb.click(user, en("choice-incident-age-month"))
    await sb.click(user, en("choice-prior-complaint-no"))
    await sb.wait_text(user, "What do you ask for")
    await sb.send(user, "To get my salary paid")
    await sb.wait_text(user, "Your full name")
    await sb.send(user, "Aigerim Sarsenova")
    await sb.wait_text(user, "Your phone number")
    await sb.contact(user, "+77012345678")
    await sb.click(user, en("button-skip"))
    await sb.wait_text(user, "postal address")
    await sb.send(user, "Pavlodar, Lenin street 1")
    await sb.click(user, en("choice-confidential-no"))
    await sb.wait_text(user, "Please check your appeal")
    await sb.call("faults", method="sendMessage", kind="slow", delay=30, count=50)
    await sb.click(user, en("button-submit"))
    await until(lambda: appeals(db))
    await service.kill()
    async with sb.http.delete(f"{sb.base}/api/sandbox/faults") as r:
        assert r.status == 200
    assert [u for _, u in appeals(db)] == [user]
    assert outbox_left(db) >= 1  # the confirmation, owed
    await service.start()
    [(number, _)] = appeals(db)
    assert (await sb.wait_text(user, NUMBER)).group(0) == number
    await until(lambda: outbox_left(db) == 0)
    assert appeals(db) == [(number, user)]


async def test_random_kills_during_many_intakes_lose_no_appeal_and_no_answer(world):
    service, sb, db = world
    citizens = list(range(4001, 4007))
    rng = random.Random(7)
    await service.start()

    async def killer() -> None:
        # Three hard kills at random moments while the intakes run, each followed by a start.
        for _ in range(3):
            await asyncio.sleep(rng.uniform(1.0, 3.0))
            await service.kill()
            await service.start()

    async def citizen(user: int) -> str:
        await intake_until_summary(sb, user)
        await sb.click(user, en("button-submit"))
        return (await sb.wait_text(user, NUMBER)).group(0)

    numbers, _ = await asyncio.gather(asyncio.gather(*map(citizen, citizens)), killer())
    assert service.kills == 3
    stored = appeals(db)
    # Each citizen got exactly one appeal, and was told its number.
    assert sorted(u for _, u in stored) == citizens
    assert sorted(numbers) == sorted(n for n, _ in stored)
    assert all(re.fullmatch(NUMBER, n) for n in numbers)
    await until(lambda: outbox_left(db) == 0)


async def test_telegram_failing_in_every_way_delays_answers_but_loses_none(world):
    """Flood control, server errors and dropped connections on the bot's messages: every
    answer still arrives, in order, and the appeal is filed once."""
    service, sb, db = world
    user = 5001
    await service.start()
    await sb.send(user, "/start")
    await sb.click(user, "English")
    faults = 0

    async def fail(*kinds: str) -> None:
        nonlocal faults
        for kind in kinds:
            await sb.call("faults", method="sendMessage", kind=kind, retry_after=1)
            faults += 1

    await fail("429", "500")
    await sb.click(user, en("choice-consent-agree"))
    await sb.wait_text(user, "Who are you filing for")
    await fail("drop", "502")
    await sb.click(user, en("choice-filer-self"))
    await sb.wait_text(user, "Tell us what happened")
    await fail("429", "drop")
    await sb.send(user, "My employer in Pavlodar has not paid my salary for three months.")
    await sb.click(user, en("button-category-yes", category=en("category-labour")))
    await sb.click(user, en("choice-jurisdiction-continue"))
    await sb.click(user, en("region-pavlodar"))
    await sb.wait_text(user, "Which body or official")
    await sb.send(user, "LLP Pavlodar Build")
    await sb.click(user, en("choice-incident-age-month"))
    await sb.click(user, en("choice-prior-complaint-no"))
    await sb.wait_text(user, "What do you ask for")
    await sb.send(user, "To get my salary paid")
    await sb.wait_text(user, "Your full name")
    await sb.send(user, "Aigerim Sarsenova")
    await sb.wait_text(user, "Your phone number")
    await sb.contact(user, "+77012345678")
    await sb.click(user, en("button-skip"))
    await sb.wait_text(user, "postal address")
    await sb.send(user, "Pavlodar, Lenin street 1")
    await fail("500")
    await sb.click(user, en("choice-confidential-no"))
    await sb.click(user, en("button-submit"))
    number = (await sb.wait_text(user, NUMBER)).group(0)
    assert appeals(db) == [(number, user)]
    assert (await sb.get("faults"))["faults"] == []  # every fault was served
    assert faults == 7
    await until(lambda: outbox_left(db) == 0)
