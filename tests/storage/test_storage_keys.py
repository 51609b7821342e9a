"""Key rotation: rows written under key A, rotated to [B, A], then readable with only [B]."""

import asyncio
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.casework import CaseRepository
from storage.crypto import Keyring, generate_key, install_keyring
from storage.keys import development_keyring, development_keys_path, rotate
from storage.repositories import AppealRepository, DraftRepository
from tests.storage.builders import Transaction
from tests.storage.test_storage_encryption import IIN, SECRETS, file_everything, raw_dump

ROOT = Path(__file__).resolve().parents[2]
KEY_A, KEY_B, BLIND = generate_key(), generate_key(), generate_key()


async def read_everything(transaction: Transaction, appeal_id: int) -> dict[str, object]:
    async with transaction() as session:
        cases = CaseRepository(session)
        case = await cases.get(appeal_id)
        thread = await cases.thread(appeal_id)
        files = await AppealRepository(session).attachments(appeal_id)
        draft = await DraftRepository(session).load(8)
        found = await cases.by_iin(IIN)
    assert case is not None and draft is not None
    return {
        "subject": case.subject_name,
        "story": case.story_excerpt,
        "texts": sorted(e.text for e in thread if e.text),
        "file": files[0].file_id,
        "draft": draft.data["story"],
        "found": [c.id for c in found],
    }


async def test_rows_under_a_rotated_to_b_then_work_with_b_alone(
    engine: AsyncEngine, transaction: Transaction
) -> None:
    install_keyring(Keyring([KEY_A], BLIND))
    appeal_id = await file_everything(transaction)
    expected = await read_everything(transaction, appeal_id)
    assert expected["found"] == [appeal_id]

    # The bot restarted with [B, A]: it reads both and writes with B.
    both = Keyring([KEY_B, KEY_A], BLIND)
    install_keyring(both)
    async with transaction() as session:
        await DraftRepository(session).save(9, {"story": "под ключом B"}, 1)
    # Batches of two rows: the paging crosses batch boundaries in every table.
    report = await rotate(engine, both, batch=2)
    assert report["drafts"].rotated == 1 and report["drafts"].current == 1
    assert report["appeals"].rotated == 13  # every text column of the full appeal
    assert report["attachments"].rotated == 1
    assert report["appeal_events"].rotated >= 6
    assert sum(r.changed_meanwhile + r.reindexed for r in report.values()) == 0

    # Run again (as after an interruption): nothing is left to do.
    again = await rotate(engine, both)
    assert sum(r.rotated for r in again.values()) == 0
    assert again["appeals"].current == 13

    # A alone opens nothing any more; B alone opens everything.
    install_keyring(Keyring([KEY_B], BLIND))
    assert await read_everything(transaction, appeal_id) == expected
    only_a = Keyring([KEY_A], BLIND)
    async with transaction() as session:
        tokens = list(await session.scalars(text("SELECT story FROM appeals")))
    assert tokens and not any(only_a.is_current(token) for token in tokens)
    assert SECRETS["story"] not in await raw_dump(str(engine.url.render_as_string(False)))


async def test_rotation_recomputes_the_blind_index_for_a_new_index_key(
    engine: AsyncEngine, transaction: Transaction
) -> None:
    install_keyring(Keyring([KEY_A], BLIND))
    appeal_id = await file_everything(transaction)
    changed = Keyring([KEY_A], generate_key())
    install_keyring(changed)
    async with transaction() as session:
        assert await CaseRepository(session).by_iin(IIN) == []  # until the rotation
    report = await rotate(engine, changed)
    assert report["appeals"].reindexed == 1 and report["appeals"].rotated == 0
    async with transaction() as session:
        assert [c.id for c in await CaseRepository(session).by_iin(IIN)] == [appeal_id]


async def run_cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "storage.keys",
        *args,
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_command_line_generates_keys_and_rotates_printing_counts_only(
    database_url: str, transaction: Transaction
) -> None:
    code, out, _ = await run_cli("generate", env={})
    assert code == 0
    new_key = out.strip()
    Keyring([new_key], new_key)  # a valid Fernet key and blind index key

    install_keyring(Keyring([KEY_A], BLIND))
    await file_everything(transaction)
    env = {"ENCRYPTION_KEYS": f"{new_key},{KEY_A}", "BLIND_INDEX_KEY": BLIND}
    code, out, err = await run_cli("rotate", "--database-url", database_url, env=env)
    assert (code, err) == (0, "")
    assert "appeals: 13 re-encrypted, 0 already current" in out
    assert "drafts: 1 re-encrypted" in out
    leaked = [v for v in (*SECRETS.values(), KEY_A, new_key, BLIND) if v in out]
    assert leaked == []

    code, _, err = await run_cli("rotate", "--database-url", database_url, env={})
    assert code == 2 and "ENCRYPTION_KEYS is not set" in err


def test_the_sandbox_keeps_its_development_keys_private_and_stable(tmp_path: Path) -> None:
    path = development_keys_path(f"sqlite+aiosqlite:///{tmp_path}/sandbox.db")
    assert path == tmp_path / "sandbox.keys"
    first, created = development_keyring(path)
    assert created and path.stat().st_mode & 0o777 == 0o600
    again, created_again = development_keyring(path)
    assert not created_again
    # The same keys: what the first start wrote, the second reads.
    assert again.decrypt(first.encrypt("сәлем")) == "сәлем"
    assert again.blind_index(IIN) == first.blind_index(IIN)
    assert development_keys_path("postgresql+asyncpg://u@h/db") == Path("sandbox.keys")


@pytest.mark.parametrize("batch", [0, -1])
async def test_rotation_refuses_a_batch_that_is_not_positive(
    engine: AsyncEngine, batch: int
) -> None:
    with pytest.raises(ValueError, match="batch must be positive"):
        await rotate(engine, Keyring([KEY_A], BLIND), batch=batch)
