"""Run the real bot as a user would (a subprocess) and drive it through the sandbox's control
API over HTTP, the way a person clicks in the chat page."""

import asyncio
import os
import re
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.journey import NUMBER as JOURNEY_NUMBER
from bench.journey import Step, intake_steps
from bot.texts import Texts

ROOT = Path(__file__).resolve().parents[2]
WAIT = 20.0  # seconds: generous, CI machines are slow; every wait is bounded


class BotProcess:
    """`python run_bot.py ...` in a subprocess, stopped with SIGTERM like a service manager."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.args = args
        self.env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self.proc: asyncio.subprocess.Process | None = None
        self.output: list[str] = []

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "run_bot.py",
            *self.args,
            cwd=ROOT,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )

    async def wait_for_line(self, pattern: str, seconds: float = WAIT) -> re.Match[str]:
        """Read the bot's output until a line matches (e.g. the sandbox's address)."""
        assert self.proc and self.proc.stdout
        regex = re.compile(pattern)
        async with asyncio.timeout(seconds):
            while True:
                raw = await self.proc.stdout.readline()
                if not raw:
                    raise AssertionError("bot exited:\n" + "".join(self.output))
                line = raw.decode(errors="replace")
                self.output.append(line)
                if m := regex.search(line):
                    return m

    async def stop(self) -> int:
        assert self.proc
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(WAIT):
                    rest, _ = await self.proc.communicate()
                self.output.append(rest.decode(errors="replace"))
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        return self.proc.returncode


class SandboxClient:
    """The control API of the sandbox: what a person does in the chat page."""

    def __init__(self, base: str, session: aiohttp.ClientSession) -> None:
        self.base = base.rstrip("/")
        self.http = session

    async def call(self, path: str, **payload: Any) -> dict[str, Any]:
        async with self.http.post(f"{self.base}/api/sandbox/{path}", json=payload) as r:
            body = await r.json()
            assert r.status == 200, body
            return body

    async def get(self, path: str, **params: Any) -> dict[str, Any]:
        async with self.http.get(f"{self.base}/api/sandbox/{path}", params=params) as r:
            assert r.status == 200
            return await r.json()

    async def chat(self, user_id: int) -> list[dict[str, Any]]:
        return (await self.get(f"chat/{user_id}"))["messages"]

    async def send(self, user_id: int, text: str) -> None:
        await self.call("send", user_id=user_id, text=text)

    async def contact(self, user_id: int, phone: str) -> None:
        await self.call("contact", user_id=user_id, phone=phone)

    async def click(self, user_id: int, label: str) -> None:
        """Press a button of the bot's newest message (the current question), waiting for it."""
        try:
            await self._click(user_id, label)
        except TimeoutError:
            raise AssertionError(
                f"no button {label!r}; the chat ends with {await self._tail(user_id)}"
            ) from None

    async def _click(self, user_id: int, label: str) -> None:
        async with asyncio.timeout(WAIT):
            while True:
                bot_messages = [m for m in await self.chat(user_id) if m["from"] == "bot"]
                for m in bot_messages[-1:]:
                    for row in m.get("inline_keyboard") or []:
                        for b in row:
                            if b["text"] == label:
                                await self.call(
                                    "click",
                                    user_id=user_id,
                                    message_id=m["message_id"],
                                    data=b["callback_data"],
                                )
                                return
                await asyncio.sleep(0.1)

    async def wait_text(self, user_id: int, pattern: str) -> re.Match[str]:
        """Wait until a bot message matches the pattern."""
        regex = re.compile(pattern)
        try:
            async with asyncio.timeout(WAIT):
                while True:
                    for m in await self.chat(user_id):
                        if m["from"] == "bot" and (found := regex.search(m.get("text") or "")):
                            return found
                    await asyncio.sleep(0.1)
        except TimeoutError:
            raise AssertionError(
                f"no bot message matched {pattern!r}; the chat ends with "
                f"{await self._tail(user_id)}"
            ) from None

    async def _tail(self, user_id: int) -> list[tuple[str, str]]:
        return [(m["from"], (m.get("text") or "")[:80]) for m in (await self.chat(user_id))[-4:]]

    async def violations(self) -> dict[str, Any]:
        return await self.get("violations")


_TEXTS = Texts()


def en(key: str, **args: Any) -> str:
    """A text of the bot in English, as the citizen sees it."""
    return _TEXTS.get("en", key, **args)


@dataclass(frozen=True)
class Act:
    """One thing a citizen does: send a text, press a button of the newest message, or share
    a contact; `after` waits first for a bot message matching it (the question being asked)."""

    kind: str  # "send" | "click" | "contact"
    value: str
    after: str | None = None

    async def perform(self, sb: SandboxClient, user_id: int) -> None:
        if self.after:
            await sb.wait_text(user_id, self.after)
        await getattr(sb, self.kind)(user_id, self.value)

    @classmethod
    def of(cls, step: Step) -> "Act":
        # Strict: the first label only (the benchmark also accepts the classifier's variants;
        # here the real classifier must propose the category itself).
        return cls("send" if step.kind == "text" else step.kind, step.value, step.expect)


# A labour appeal from Pavlodar, filed with buttons and typing (the same script as the
# benchmark's): the conversation as a table, so tests can stop, kill or break things between
# any two steps. The last step submits.
LABOUR_APPEAL = tuple(Act.of(step) for step in intake_steps(en))
NUMBER = JOURNEY_NUMBER.pattern


async def file_appeal(sb: SandboxClient, user_id: int) -> str:
    """The whole labour appeal; returns the number the bot gave."""
    for act in LABOUR_APPEAL:
        await act.perform(sb, user_id)
    return (await sb.wait_text(user_id, NUMBER)).group(0)
