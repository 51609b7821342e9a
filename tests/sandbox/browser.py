"""Helpers for driving the sandbox chat page in Debian's headless Chromium with Playwright.

Playwright's own browser downloads are never used (`playwright install` is not needed): the
browser is the system's `/usr/bin/chromium` (Debian package `chromium`).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from storage.crypto import generate_key

CHROMIUM = Path(os.environ.get("SANDBOX_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[2]

_TAG = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """A bot text (Telegram HTML) as the page shows it: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", text))


def first_line(text: str) -> str:
    """The first line of a bot text as plain text: enough to recognise a question."""
    return plain(text).strip().splitlines()[0].strip()


class BotProcess:
    """`run_bot.py` in a subprocess, its output in a log file for failure messages."""

    def __init__(self, *, api_base: str, database_url: str, log_path: Path) -> None:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("WEBHOOK_", "BOT_", "TELEGRAM_", "DATABASE_"))
        }
        env.update(
            BOT_TOKEN="42:TEST",
            TELEGRAM_API_BASE=api_base,
            DATABASE_URL=database_url,
            AUTO_MIGRATE="true",
            # Production mode (a token, no --sandbox) requires keys, as a deployment does.
            ENCRYPTION_KEYS=generate_key(),
            BLIND_INDEX_KEY=generate_key(),
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "run_bot.py"],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, chars: int = 4000) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM and wait (the bot stops polling and closes its session); kill if stuck."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()
        return self.proc.returncode


@contextlib.asynccontextmanager
async def bot_process(
    *, api_base: str, database_url: str, log_path: Path
) -> AsyncIterator[BotProcess]:
    """The bot for the duration of the block; stopped in a thread, so that the sandbox on this
    event loop keeps answering while the bot shuts down."""
    bot = BotProcess(api_base=api_base, database_url=database_url, log_path=log_path)
    try:
        yield bot
    finally:
        await asyncio.to_thread(bot.stop)
