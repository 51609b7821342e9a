"""What a newcomer sees when starting the bot wrongly: one clear sentence, no traceback."""

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp

from bot.texts import Texts
from storage.crypto import generate_key
from tests.e2e.harness import SandboxClient

ROOT = Path(__file__).resolve().parents[1]


def start(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NLU_CACHE_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "run_bot.py"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_no_token_says_what_to_set_and_exits_non_zero(tmp_path):
    done = start({"BOT_TOKEN": ""}, tmp_path)
    assert done.returncode == 2
    assert "BOT_TOKEN is not set" in done.stderr and "--sandbox" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_an_unmigrated_database_is_refused_with_a_hint(tmp_path):
    done = start(
        {
            "BOT_TOKEN": "42:TEST",
            "ENCRYPTION_KEYS": generate_key(),
            "BLIND_INDEX_KEY": generate_key(),
            "AUTO_MIGRATE": "false",
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/empty.db",
            "TELEGRAM_API_BASE": "http://127.0.0.1:9",  # never reached
        },
        tmp_path,
    )
    assert done.returncode == 2
    assert "alembic upgrade head" in done.stderr
    assert "Traceback" not in done.stderr


def test_production_without_encryption_keys_refuses_to_start(tmp_path):
    done = start(
        {
            "BOT_TOKEN": "42:TEST",
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/bot.db",
            "ENCRYPTION_KEYS": "",
        },
        tmp_path,
    )
    assert done.returncode == 2
    assert "ENCRYPTION_KEYS and BLIND_INDEX_KEY must be set" in done.stderr
    assert "python -m storage.keys generate" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not (tmp_path / "bot.db").exists()  # refused before touching the database


def test_a_malformed_key_is_named_but_never_echoed(tmp_path):
    bad = "this-is-not-a-fernet-key"
    done = start(
        {"BOT_TOKEN": "42:TEST", "ENCRYPTION_KEYS": bad, "BLIND_INDEX_KEY": generate_key()},
        tmp_path,
    )
    assert done.returncode == 2
    assert "ENCRYPTION_KEYS: key 1 is not a Fernet key" in done.stderr
    assert bad not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr + done.stdout


async def test_the_sandbox_restarted_on_the_same_database_still_answers(tmp_path):
    """The sandbox forgets its update count when it stops, the bot's database does not: a
    restarted sandbox must not hand out ids the bot already marked as handled, or a returning
    user's first messages would be skipped as duplicates."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_"))},
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/sandbox.db",
        "NLU_CACHE_DIR": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
    }
    hello = re.escape(Texts().get("en", "ask-language").splitlines()[0])
    async with aiohttp.ClientSession() as http:
        for user_id in (7001, 7002):  # the second one arrives after the restart
            bot = _sandbox_bot(env)
            try:
                ready = await asyncio.to_thread(_wait_for_line, bot, "Sandbox ready")
                address = re.search(r"http://\S+/", ready)
                assert address is not None, ready
                sandbox = SandboxClient(address.group(0), http)
                await sandbox.call("users", user_id=user_id, first_name="Test", language_code="en")
                await sandbox.send(user_id, "/start")
                await sandbox.wait_text(user_id, hello)
            finally:
                bot.send_signal(signal.SIGTERM)
                output, _ = await asyncio.to_thread(bot.communicate, timeout=30)
            assert bot.returncode == 0, output
            assert "duplicate update skipped" not in output


def _sandbox_bot(env: dict[str, str]) -> subprocess.Popen[str]:
    """`python run_bot.py --sandbox` on any free port, as the README starts it."""
    return subprocess.Popen(
        [sys.executable, "run_bot.py", "--sandbox", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for_line(process: subprocess.Popen[str], text: str) -> str:
    assert process.stdout is not None
    for line in process.stdout:
        if text in line:
            return line
    raise AssertionError(f"the bot exited before printing {text!r}")
