"""What a newcomer sees when starting the bot wrongly: one clear sentence, no traceback."""

import subprocess
import sys
from pathlib import Path

from storage.crypto import generate_key

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
