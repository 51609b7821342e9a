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

from sandbox.server import start_sandbox
from storage.crypto import generate_key
from tests.e2e.harness import LABOUR_APPEAL, NUMBER, BotProcess, SandboxClient, file_appeal

REPRESENTATIVE = 9001


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


async def bot_messages(sb: SandboxClient, user: int) -> int:
    return sum(m["from"] == "bot" for m in await sb.chat(user))


def appeals(db: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(db) as c:
        return c.execute("SELECT number, user_id FROM appeals ORDER BY id").fetchall()


def outbox_left(db: Path) -> int:
    with sqlite3.connect(db) as c:
        return c.execute("SELECT count(*) FROM outbox").fetchone()[0]


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
    # Two refusals are the kills' own doing, as on Telegram: delivery is at least once, so an
    # edit a killed process had sent is sent again ("not modified"); and the killed process's
    # pending long poll is ended by its successor's ("terminated by other getUpdates"), an
    # answer nobody is left to read. Nothing else may fail.
    expected = ("message is not modified", "terminated by other getUpdates request")
    refused = [v for v in sandbox.violations if not any(e in v["description"] for e in expected)]
    assert refused == []


async def test_killed_mid_conversation_and_mid_delivery_nothing_is_lost(world):
    service, sb, db = world
    user = 3001
    await service.start()
    *steps, submit = LABOUR_APPEAL
    for i, act in enumerate(steps):
        # Mid-conversation: the draft is in the database, the process is gone.
        if i in (3, 5):
            await service.kill()
            await service.start()
        if i == 7:  # and once the way a service manager stops it
            assert await service.stop() == 0
            await service.start()
        await act.perform(sb, user)

    # Mid-submit / mid-delivery: Telegram hangs on the confirmation, the process dies while
    # it waits. The appeal is committed, and its confirmation is owed in the outbox.
    await sb.wait_text(user, "Please check your appeal")
    await sb.call("faults", method="sendMessage", kind="slow", delay=30, count=50)
    await submit.perform(sb, user)
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
    assert service.kills == 3


async def test_random_kills_during_many_intakes_lose_no_appeal_and_no_answer(world):
    service, sb, db = world
    citizens = list(range(4001, 4007))
    rng = random.Random(7)
    await service.start()
    # Pavlodar's representative, who must hear of every appeal despite the kills.
    await sb.call("users", user_id=REPRESENTATIVE, first_name="Aliya")
    with sqlite3.connect(db) as c:
        c.execute(
            "INSERT INTO staff (user_id, role, region, name, active, created_at, updated_at)"
            " VALUES (?, 'representative', 'pavlodar', 'Aliya', 1, ?, ?)",
            (REPRESENTATIVE, "2026-12-01 00:00:00", "2026-12-01 00:00:00"),
        )

    async def killer() -> None:
        # Three hard kills at random moments while the intakes run, each followed by a start.
        for _ in range(3):
            await asyncio.sleep(rng.uniform(1.0, 3.0))
            await service.kill()
            await service.start()

    numbers, _ = await asyncio.gather(
        asyncio.gather(*(file_appeal(sb, user) for user in citizens)), killer()
    )
    assert service.kills == 3
    stored = appeals(db)
    # Each citizen got exactly one appeal, and was told its number.
    assert sorted(u for _, u in stored) == citizens
    assert sorted(numbers) == sorted(n for n, _ in stored)
    assert all(re.fullmatch(NUMBER, n) for n in numbers)
    await until(lambda: outbox_left(db) == 0)
    # ...and the representative was told of each one (at least once).
    told = {n for m in await sb.chat(REPRESENTATIVE) for n in re.findall(NUMBER, m["text"] or "")}
    assert told == set(numbers)


# Before which steps of the intake Telegram starts failing on the bot's messages, and how.
FAULTS = {2: ("429", "500"), 3: ("drop", "502"), 4: ("429", "drop"), 16: ("500",)}


async def test_telegram_failing_in_every_way_delays_answers_but_loses_none(world):
    """Flood control, server errors and dropped connections on the bot's messages: every
    answer still arrives, in order, and the appeal is filed once."""
    service, sb, db = world
    user = 5001
    await service.start()
    for i, act in enumerate(LABOUR_APPEAL):
        for kind in FAULTS.get(i, ()):
            await sb.call("faults", method="sendMessage", kind=kind, retry_after=1)
        seen = await bot_messages(sb, user)
        await act.perform(sb, user)
        if i + 1 in FAULTS:
            # Let this step's answer through first, so each answer meets its own faults.
            async with asyncio.timeout(20):
                while await bot_messages(sb, user) == seen:  # noqa: ASYNC110 - polling HTTP
                    await asyncio.sleep(0.1)
    number = (await sb.wait_text(user, NUMBER)).group(0)
    assert appeals(db) == [(number, user)]
    assert (await sb.get("faults"))["faults"] == []  # every fault was served
    await until(lambda: outbox_left(db) == 0)
